/**
 * Time to listen (issue 19): from spawning the daemon on an already-built
 * tree to its `Chat Server started on port` line, for `node
 * dist/cli/server.js` and for `npm start` (whose prestart runs `tsc -b`, an
 * up-to-date check on a built tree), the median of a few runs each; and what
 * the imports cost, each module timed with `await import()` in a fresh
 * process, so that the owner of src/ sees where the time goes.
 *
 * The children run on every core (the bench itself is pinned to the load
 * generator's): a developer's `npm start` is not pinned either.
 *
 *   npx tsx bench/startup.ts [--runs 5]
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PINNED } from './load.js';

/** One way of starting the daemon, timed `runs` times. */
export interface ListenTiming {
  /** The command, as a developer would type it. */
  command: string;
  /** Milliseconds from spawn to the started line, one per run that got there. */
  runsMs: number[];
  medianMs: number | null;
  /** Runs that did not print the line within LISTEN_TIMEOUT_MS, and why. */
  failures: string[];
}

/** What one module costs to import into a fresh Node process. */
export interface ImportTiming {
  module: string;
  /** Median of IMPORT_RUNS, in ms; null when the import failed. */
  ms: number | null;
}

/** Everything the startup workload measured. */
export interface StartupReport {
  /** `node -e 0`: Node's own start and exit, in ms (median). */
  bareNodeMs: number | null;
  listen: ListenTiming[];
  imports: ImportTiming[];
}

/** The started line (src/protocol/format.ts). */
const STARTED = /Chat Server started on port \d+/;
const LISTEN_TIMEOUT_MS = 30_000;
const IMPORT_RUNS = 3;

/**
 * The daemon's dependencies, then our own modules from the top down: the
 * server program imports the composition root, which imports the rest.
 */
export const IMPORTED_MODULES = [
  'xstate',
  'rxjs',
  'winston',
  'winston-daily-rotate-file',
  'ioredis',
  'prom-client',
  'ws',
  '@statelyai/inspect',
  'string-width',
  'strip-ansi',
  './dist/admin/server.js',
  './dist/cluster/cluster-chat.js',
  './dist/app/daemon.js',
  './dist/cli/server.js'
] as const;

/** The middle value (the lower middle of an even count), or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}

/** `command` on every core when the bench pinned itself to one. */
function unpinned(command: readonly string[]): string[] {
  return PINNED
    ? ['taskset', '-c', `0-${cpus().length - 1}`, ...command]
    : [...command];
}

/**
 * Spawns `command` in its own process group and resolves with the ms until
 * a line matching `pattern` (or its exit, when `pattern` is null); the whole
 * group is killed afterwards, so `npm start`'s node goes too.
 */
function timeUntil(
  command: readonly string[],
  pattern: RegExp | null
): Promise<{ ms: number; output: string } | { error: string }> {
  const [file = 'node', ...args] = unpinned(command);
  const started = performance.now();
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1' }
  });
  let output = '';
  return new Promise((done) => {
    const finish = (
      result: { ms: number; output: string } | { error: string }
    ): void => {
      clearTimeout(timer);
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      done(result);
    };
    const timer = setTimeout(
      () => finish({ error: `no started line in ${LISTEN_TIMEOUT_MS} ms` }),
      LISTEN_TIMEOUT_MS
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (pattern?.test(output) === true)
        finish({ ms: performance.now() - started, output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => finish({ error: err.message }));
    child.once('exit', (code) => {
      if (pattern === null && code === 0)
        finish({ ms: performance.now() - started, output });
      else
        finish({
          error: `exited (${code ?? 'signal'}): ${output.trim().slice(-200)}`
        });
    });
  });
}

/** Waits until the process group of the last run is surely gone. */
function settle(): Promise<void> {
  return new Promise((done) => setTimeout(done, 200));
}

async function listenTiming(
  label: string,
  command: readonly string[],
  runs: number
): Promise<ListenTiming> {
  const runsMs: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < runs; i += 1) {
    const result = await timeUntil(command, STARTED);
    if ('error' in result) failures.push(result.error);
    else runsMs.push(Math.round(result.ms));
    await settle();
  }
  return { command: label, runsMs, medianMs: median(runsMs), failures };
}

async function importTiming(module: string): Promise<ImportTiming> {
  const specifier = module.startsWith('./')
    ? pathToFileURL(resolve(module)).href
    : module;
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write('ms=' + (performance.now() - t) + '\\n'); process.exit(0);`;
  const times: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i += 1) {
    const result = await timeUntil(
      [process.execPath, '--input-type=module', '-e', script],
      /ms=([\d.]+)\n/
    );
    if ('error' in result) return { module, ms: null };
    const ms = Number(/ms=([\d.]+)\n/.exec(result.output)?.[1]);
    if (Number.isFinite(ms)) times.push(Math.round(ms * 10) / 10);
  }
  return { module, ms: median(times) };
}

/**
 * Times `node dist/cli/server.js 127.0.0.1 0` and `npm start -- 127.0.0.1
 * 0`, `runs` times each, and every module of IMPORTED_MODULES. Needs a
 * built tree (`npm run build`).
 */
export async function startupBench(runs: number): Promise<StartupReport> {
  const bare: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const result = await timeUntil([process.execPath, '-e', '0'], null);
    if (!('error' in result)) bare.push(Math.round(result.ms));
  }
  const listen = [
    await listenTiming(
      'node dist/cli/server.js 127.0.0.1 0',
      [process.execPath, 'dist/cli/server.js', '127.0.0.1', '0'],
      runs
    ),
    await listenTiming(
      'npm start -- 127.0.0.1 0',
      ['npm', 'start', '--silent', '--', '127.0.0.1', '0'],
      runs
    )
  ];
  const imports: ImportTiming[] = [];
  for (const module of IMPORTED_MODULES)
    imports.push(await importTiming(module));
  return { bareNodeMs: median(bare), listen, imports };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' } }
  });
  console.log(JSON.stringify(await startupBench(Number(values.runs)), null, 2));
}
