import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The files a rebuild would write first and last: the bins. */
const BINS = ['dist/cli/server.js', 'dist/cli/client.js', 'dist/cli/chaos.js'];

const mtimes = (): number[] => BINS.map((file) => statSync(file).mtimeMs);

// Issue 15, item 5: every `npm start`, `npm run client` and `npm run chaos`
// rebuilt the whole tree with tsc before the first byte (6-13 s).
describe('npm start on an up-to-date build', () => {
  it('starts without compiling anything again', async () => {
    // Up to date first (a no-op in CI, where `npm ci` built it).
    await run('npm', ['run', 'build', '--silent'], { timeout: 60_000 });
    const before = mtimes();
    for (const script of ['start', 'client', 'chaos']) {
      const { stdout } = await run(
        'npm',
        ['run', script, '--silent', '--', '--version'],
        { timeout: 30_000 }
      );
      expect(stdout.trim(), `npm run ${script} -- --version`).toMatch(
        /^\d+\.\d+\.\d+/
      );
    }
    expect(mtimes()).toEqual(before);
  }, 120_000);
});
