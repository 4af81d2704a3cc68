import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderDiagrams } from '../../scripts/render-diagrams.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('diagrams/', () => {
  it.each([...renderDiagrams()])(
    '%s matches the machine definitions',
    (path, content) => {
      const file = resolve(repoRoot, path);
      const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : '';
      expect(onDisk, `${path} is stale: run npm run diagrams`).toBe(content);
    }
  );
});
