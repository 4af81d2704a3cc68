import { readFileSync } from 'node:fs';

/**
 * The version in package.json, for every program's `--version`, or
 * `unknown` when it cannot be read. Every program sits two levels below
 * package.json: src/cli/*.ts when run with tsx, dist/cli/*.js when built.
 *
 * @example packageVersion() // '1.4.0'
 */
export function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    );
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg
      ? String(pkg.version)
      : 'unknown';
  } catch {
    return 'unknown';
  }
}
