import { afterEach, describe, expect, it } from 'vitest';
import { createNameRegistry } from '../../../src/actors/name-registry.js';
import { createCleanups } from '../../support/cleanup.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

function registry() {
  const faults: unknown[] = [];
  const names = createNameRegistry({ onFault: (err) => faults.push(err) });
  cleanups.add(() => {
    names.stop();
    expect(faults).toEqual([]);
  });
  return names;
}

describe('createNameRegistry [CHAT-NICK-1]', () => {
  it('gives a name to its first claimant only, in any case', () => {
    const names = registry();
    expect(names.claim('c1', 'Alice')).toBe('claimed');
    expect(names.claim('c2', 'alice')).toBe('taken');
    expect(names.claim('c2', 'ALICE')).toBe('taken');
    expect(names.holder('aLiCe')).toEqual({ connId: 'c1', name: 'Alice' });
    expect(names.nameOf('c2')).toBeUndefined();
  });

  it('lets a holder change the case of its own name, and says when nothing changes', () => {
    const names = registry();
    names.claim('c1', 'alice');
    expect(names.claim('c1', 'alice')).toBe('same');
    expect(names.claim('c1', 'Alice')).toBe('claimed');
    expect(names.nameOf('c1')).toBe('Alice');
  });

  it('frees the old name on a rename and every name on release', () => {
    const names = registry();
    names.claim('c1', 'first');
    names.claim('c1', 'second');
    expect(names.claim('c2', 'first')).toBe('claimed');
    expect(names.size()).toBe(2);
    names.release('c1');
    expect(names.claim('c3', 'second')).toBe('claimed');
    names.release('c9');
    expect(names.size()).toBe(2);
  });

  it('of many claimants racing for one name, grants exactly one', () => {
    const names = registry();
    const answers = Array.from({ length: 100 }, (_, i) =>
      names.claim(`c${i}`, 'Winner')
    );
    expect(answers.filter((a) => a === 'claimed')).toHaveLength(1);
  });
});
