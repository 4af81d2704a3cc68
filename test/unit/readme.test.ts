import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLUSTER_DEFAULTS } from '../../src/cli/cluster-args.js';
import { formatDuration } from '../../src/cli/duration.js';

const readme = readFileSync('README.md', 'utf8');

/** The shell lines of every ```sh block, comments dropped. */
const shellLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(
  (block) =>
    (block[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '')
);

describe('README', () => {
  // Issue 15, item 6: two terminals typing `npm ci && npm start` a few
  // seconds apart: the second `npm ci` deletes node_modules under the first.
  it('never chains npm ci to a start meant to run beside another', () => {
    const starts = shellLines.filter((line) => /\bnpm start\b/.test(line));
    const chained = starts.filter((line) => /\bnpm ci\b/.test(line));
    // The one fresh-machine command may chain them; a cluster of starts may not.
    expect(chained).toEqual(['npm ci && npm start']);
  });

  it('gives the dead-node bound the code has: the timeout plus a fifth', () => {
    // README prose puts a space between number and unit: `6 s`.
    const bound = formatDuration(
      (CLUSTER_DEFAULTS.nodeTimeoutMs * 6) / 5
    ).replace(/^([\d.]+)/, '$1 ');
    expect(readme).toMatch(/noticed within\s+`--node-timeout` plus/);
    expect(readme).toContain(`(${bound} by default)`);
  });
});
