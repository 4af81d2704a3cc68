/**
 * `npm run diagrams`: regenerates diagrams/ from the machine definitions.
 * `npm run diagrams -- --check`: writes nothing, exits 1 if any file is stale.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDiagrams } from './render-diagrams.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

const stale = [...renderDiagrams()].filter(([path, content]) => {
  const file = resolve(repoRoot, path);
  return !existsSync(file) || readFileSync(file, 'utf8') !== content;
});

if (check) {
  if (stale.length > 0) {
    console.error('diagrams are stale: run npm run diagrams');
    for (const [path] of stale) console.error(`  ${path}`);
    process.exitCode = 1;
  }
} else {
  for (const [path, content] of stale) {
    const file = resolve(repoRoot, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`wrote ${path}`);
  }
  if (stale.length === 0) console.log('diagrams are up to date');
}
