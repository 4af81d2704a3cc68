/**
 * `reportRenames` (src/admin/name-watch.ts): the inspector hears of each
 * nickname the registry grants, and of nothing else.
 */
import { describe, expect, it } from 'vitest';
import { reportRenames } from '../../../src/admin/name-watch.js';
import { createNameRegistry } from '../../../src/actors/name-registry.js';

describe('reportRenames', () => {
  it('reports each claimed name, not a taken or repeated one, and keeps the registry', () => {
    const registry = createNameRegistry({
      onFault: (err) => {
        throw err;
      }
    });
    const heard: Array<[string, string]> = [];
    const names = reportRenames(registry, {
      renamed: (connId, name) => heard.push([connId, name])
    });
    try {
      expect(names.claim('c1', 'ann')).toBe('claimed');
      expect(names.claim('c2', 'ANN')).toBe('taken');
      expect(names.claim('c1', 'ann')).toBe('same');
      expect(names.claim('c1', 'bob')).toBe('claimed');
      expect(heard).toEqual([
        ['c1', 'ann'],
        ['c1', 'bob']
      ]);
      expect(names.nameOf('c1')).toBe('bob');
      names.release('c1');
      expect(names.size()).toBe(0);
    } finally {
      names.stop();
    }
  });
});
