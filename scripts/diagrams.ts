/**
 * `npm run diagrams`: regenerates diagrams/ from the machine definitions,
 * drawing the SVGs in headless Chromium.
 * `npm run diagrams -- --check`: writes nothing, exits 1 if any file is stale;
 * it compares each SVG's stamp with its `.mmd`, so it needs no browser.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mermaidSources, renderDiagrams, svgPath } from './render-diagrams.js';
import { renderSvg, svgStamp } from './render-svg.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

const read = (path: string): string | undefined => {
  const file = resolve(repoRoot, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

const sources = mermaidSources();
const text = renderDiagrams();

if (check) {
  const stale = [
    ...[...text].filter(([path, content]) => read(path) !== content),
    ...[...sources]
      .map(([name, source]): [string, string] => [
        svgPath(name),
        `${svgStamp(name, source)}\n`
      ])
      .filter(([path, stamp]) => read(path)?.startsWith(stamp) !== true)
  ];
  if (stale.length > 0) {
    console.error('diagrams are stale: run npm run diagrams');
    for (const [path] of stale) console.error(`  ${path}`);
    process.exitCode = 1;
  }
} else {
  let svgs: Map<string, string> | undefined;
  try {
    svgs = await renderSvg(sources);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`cannot draw the SVG diagrams: ${message.split('\n')[0]}`);
    process.exitCode = 1;
  }
  if (svgs) {
    const files = [
      ...text,
      ...[...svgs].map(([name, svg]) => [svgPath(name), svg] as const)
    ];
    const stale = files.filter(([path, content]) => read(path) !== content);
    for (const [path, content] of stale) {
      const file = resolve(repoRoot, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      console.log(`wrote ${path}`);
    }
    if (stale.length === 0) console.log('diagrams are up to date');
  }
}
