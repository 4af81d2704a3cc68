/**
 * chat-chaos over TLS and WebSocket against our own daemon (issue 18, item
 * 5): every fault kind, a few seconds each, finds nothing wrong; a
 * certificate the tool cannot trust is one clear line and exit 1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChaosReport } from '../../src/tools/chaos/types.js';
import { DEFAULT_FLOOD_RATE } from '../../src/protocol/constants.js';
import { certDir, makeCert } from '../support/certs.js';
import { runChaosCli, type ChaosExit } from '../support/chaos-cli.js';
import { createHarness } from '../support/harness.js';

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

/** Runs chat-chaos with `args` from source. */
const chaos = (args: string[]): Promise<ChaosExit> =>
  runChaosCli(args, cleanups);

/** Our daemon as shipped (flood pacing on) with a TLS and a WebSocket listener. */
async function threeListeners() {
  const dir = certDir(cleanups);
  const cert = makeCert(dir, 'server');
  const stranger = makeCert(dir, 'stranger', 'stranger');
  const t = await daemon({
    floodRate: DEFAULT_FLOOD_RATE,
    tls: { port: 0, cert: cert.cert, key: cert.key },
    ws: { port: 0 }
  });
  return {
    cert,
    stranger,
    tlsPort: t.daemon.tls?.port ?? 0,
    wsPort: t.daemon.ws?.port ?? 0
  };
}

function expectClean(run: ChaosExit, transport: string): ChaosReport {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  const report = JSON.parse(run.stdout) as ChaosReport;
  expect(report.transport).toBe(transport);
  expect(report.violations).toEqual([]);
  // Most planned faults were carried out over this transport (a short run
  // stops some before their end: those do not count).
  const injected = Object.values(report.injected).reduce((a, b) => a + b, 0);
  expect(injected).toBeGreaterThanOrEqual(report.schedule.length / 2);
  expect(report.messages.delivered).toBeGreaterThan(0);
  return report;
}

describe('chat-chaos over TLS and WebSocket against our server', () => {
  it('runs every fault kind over TLS (verified with --ca) with no violation', async () => {
    const { cert, tlsPort } = await threeListeners();
    const run = await chaos([
      '127.0.0.1',
      String(tlsPort),
      '--tls',
      '--ca',
      cert.cert,
      '--duration',
      '3s',
      '--seed',
      '18',
      '--json'
    ]);
    const report = expectClean(run, 'tls');
    expect(report.options.ca).toBe(cert.cert);
    expect(run.stderr).toContain(`over tls, seed 18`);
  }, 60_000);

  it('runs every fault kind over WebSocket with no violation', async () => {
    const { wsPort } = await threeListeners();
    const run = await chaos([
      '127.0.0.1',
      String(wsPort),
      '--ws',
      '--duration',
      '3s',
      '--seed',
      '18',
      '--json'
    ]);
    expectClean(run, 'ws');
  }, 60_000);

  it('says the transport in the readable report and replays with it', async () => {
    const { wsPort } = await threeListeners();
    const run = await chaos([
      '127.0.0.1',
      String(wsPort),
      '--ws',
      '--duration',
      '1s',
      '--scenario',
      'slicer,garbage',
      '--seed',
      '5'
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `transport: ws (ws://127.0.0.1:${wsPort}/, one text message per line)`
    );
    expect(run.stdout).toMatch(/^replay: chat-chaos .* --ws$/m);
  }, 60_000);

  it('refuses a certificate it cannot trust in one line, exit 1', async () => {
    const { stranger, tlsPort } = await threeListeners();
    const run = await chaos([
      '127.0.0.1',
      String(tlsPort),
      '--tls',
      '--ca',
      stranger.cert,
      '--duration',
      '1s'
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(
      `chat-chaos: cannot connect to 127.0.0.1:${tlsPort} over tls: TLS certificate not trusted (self-signed certificate); pass --ca FILE with the CA that signed it, or --insecure`
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
