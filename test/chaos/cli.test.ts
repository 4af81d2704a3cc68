/**
 * chat-chaos against our own daemon (issue 4): a run with every fault kind
 * finds nothing wrong, and the program's JSON, exit codes and one-line
 * errors.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runChaos } from '../../src/tools/chaos/run.js';
import { FAULT_KINDS, type ChaosReport } from '../../src/tools/chaos/types.js';
import { DEFAULT_FLOOD_RATE } from '../../src/protocol/constants.js';
import { BUG_NAMES, startNaiveServer } from '../fixtures/naive-server.js';
import { runChaosCli, type ChaosExit } from '../support/chaos-cli.js';
import { createHarness } from '../support/harness.js';

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

/** Runs chat-chaos with `args` from source. */
const chaos = (args: string[]): Promise<ChaosExit> =>
  runChaosCli(args, cleanups);

/**
 * chat-chaos with `--json` against a fresh daemon as shipped (flood pacing
 * on) for `duration` with `seed`, and `args` after them: its exit, which
 * must be 0, and its report.
 */
async function chaosJson(
  duration: string,
  seed: number,
  args: string[] = []
): Promise<{ run: ChaosExit; report: ChaosReport; port: number }> {
  const t = await daemon({ floodRate: DEFAULT_FLOOD_RATE });
  const run = await chaos([
    '127.0.0.1',
    String(t.port),
    '--duration',
    duration,
    '--seed',
    String(seed),
    ...args,
    '--json'
  ]);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return { run, report: JSON.parse(run.stdout) as ChaosReport, port: t.port };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('chat-chaos against our server', () => {
  it('injects every fault kind and finds no violation', async () => {
    // Our server as shipped: flood pacing on.
    const t = await daemon({ floodRate: DEFAULT_FLOOD_RATE });
    const report: ChaosReport = await runChaos({
      host: '127.0.0.1',
      port: t.port,
      scenarios: FAULT_KINDS,
      durationMs: 4000,
      clients: 22,
      observers: 5,
      rate: 2,
      seed: 1,
      maxConnections: 200,
      maxBytes: 64 * 1024 * 1024
    });
    expect(
      report.violations,
      JSON.stringify(report.violations.slice(0, 5), null, 1)
    ).toEqual([]);
    expect(report.ok).toBe(true);
    for (const kind of FAULT_KINDS) {
      expect(
        report.injected[kind],
        `${kind} injected: ${JSON.stringify(report.injected)}`
      ).toBeGreaterThanOrEqual(1);
    }
    expect(report.messages.sent).toBeGreaterThan(40);
    // Five observers each receive every observer's lines at least.
    expect(report.messages.delivered).toBeGreaterThan(5 * 40);
  });

  it('prints the report as JSON and exits 0', async () => {
    const { run, report, port } = await chaosJson('2s', 77);
    expect(report).toMatchObject({
      seed: 77,
      ok: true,
      violations: [],
      options: { port, durationMs: 2000, clients: 20, observers: 5 }
    });
    expect(report.schedule).toHaveLength(20);
    expect(run.stderr).toMatch(
      /^chat-chaos: 127\.0\.0\.1:\d+ over tcp, seed 77, /
    );
    expect(run.stderr).not.toContain('\r');
  });

  it('prints the version with --version and exits 0', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      version: string;
    };
    const run = await chaos(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${pkg.version}\n`);
    expect(run.stderr).toBe('');
  });

  it('reaches a server at a bracketed IPv6 HOST', async () => {
    const t = await daemon({ floodRate: DEFAULT_FLOOD_RATE, host: '::1' });
    const run = await chaos([
      '[::1]',
      String(t.port),
      '--duration',
      '1s',
      '--scenario',
      'reset',
      '--clients',
      '2',
      '--max-bytes',
      '1m',
      '--json'
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^chat-chaos: \[::1\]:\d+ over tcp, seed /);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      options: { host: '::1', maxBytes: 1024 * 1024 }
    });
  });

  it('rejects a negative port as a port', async () => {
    const run = await chaos(['127.0.0.1', '-5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'chat-chaos: invalid port "-5" (expected an integer from 1 to 65535); see chat-chaos --help\n'
    );
  });

  it('rejects bad arguments with one line and exit code 2', async () => {
    const run = await chaos(['127.0.0.1', '3333', '--scenario', 'meteor']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `chat-chaos: unknown scenario "meteor" (expected all or some of ${FAULT_KINDS.join(', ')}); see chat-chaos --help\n`
    );
  });

  it('says the server is unreachable in one line and exits 1', async () => {
    const port = await closedPort();
    const run = await chaos(['127.0.0.1', String(port), '--duration', '1s']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').at(-2)).toBe(
      `chat-chaos: cannot connect to 127.0.0.1:${port}: connection refused`
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('says in one line that a v1 server cannot take --rooms, and exits 1', async () => {
    const naive = await startNaiveServer({
      bugs: Object.fromEntries(BUG_NAMES.map((name) => [name, false])),
      v1Only: true
    });
    cleanups.add(() => naive.close());
    const run = await chaos([
      '127.0.0.1',
      String(naive.port),
      '--duration',
      '1s',
      '--rooms',
      '2'
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').at(-2)).toBe(
      `chat-chaos: --rooms 2 needs a server that takes protocol v2 commands, but 127.0.0.1:${naive.port} answered /help with "[You] /help"; run with --rooms 1 for a v1 run`
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints what the room observers did as JSON', async () => {
    const { report } = await chaosJson('2s', 78, [
      '--clients',
      '4',
      '--rooms',
      '2'
    ]);
    expect(report).toMatchObject({
      ok: true,
      options: { rooms: 2, roomObservers: 6 },
      rooms: { rooms: 2, observers: 6, winners: 1 }
    });
  });
});
