// Runs `tsc -b tsconfig.build.json` only when a source is newer than the
// last build: `npm start` on a built tree then listens in a fraction of a
// second instead of paying TypeScript's own up-to-date check (seconds: it
// loads the compiler first). tsc -b still decides what to rebuild.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const BUILD_INFO = 'dist/.tsbuildinfo';
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** The newest mtime under `path` (a directory's own counts: deletions). */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (latest, name) => Math.max(latest, newest(join(path, name))),
    stat.mtimeMs
  );
}

const built = (() => {
  try {
    return statSync(BUILD_INFO).mtimeMs;
  } catch {
    return -Infinity;
  }
})();
if (Math.max(...INPUTS.map(newest)) > built) {
  // npm puts node_modules/.bin on the PATH of its scripts.
  const tsc = spawnSync('tsc', ['-b', 'tsconfig.build.json'], {
    stdio: 'inherit'
  });
  process.exitCode = tsc.status ?? 1;
}
