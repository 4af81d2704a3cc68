/**
 * `/metrics` (docs/inspector.md, "Metrics") after real traffic: the text
 * passes `promtool check metrics`, and every `chat_` value matches what the
 * clients did and saw.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../support/harness.js';
import { request } from '../support/sse.js';
import { until, within } from '../support/wait.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

/** Debian's `prometheus` package puts it here; `PROMTOOL` overrides. */
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const HAVE_PROMTOOL = existsSync(PROMTOOL);
const REQUIRE_PROMTOOL = process.env.REQUIRE_PROMTOOL === '1';
if (!HAVE_PROMTOOL && !REQUIRE_PROMTOOL) {
  console.warn(
    `metrics.test.ts: SKIPPING the promtool check: ${PROMTOOL} is missing (Debian package "prometheus"; set REQUIRE_PROMTOOL=1 to fail instead)`
  );
}

/** One sample: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the samples of Prometheus text format (comments skipped). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ''] = l[2] ?? '';
    }
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

/** The one sample of `name` with exactly these labels; throws when absent. */
function value(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {}
): number {
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (found.length !== 1)
    throw new Error(
      `${found.length} samples of ${name}${JSON.stringify(labels)}`
    );
  return (found[0] as Sample).value;
}

/**
 * Two members chat (a: 3 lines, b: 2), then b quits; resolves once a has
 * seen b leave. Returns the scrape and what the clients sent and received.
 */
async function afterTraffic(): Promise<{
  text: string;
  contentType: string | undefined;
  sentBytes: number;
  receivedBytes: number;
  receivedLines: number;
}> {
  const t = await daemon({ admin: { host: '127.0.0.1', port: 0 } });
  const a = await client(t.port);
  await a.nextLine();
  const b = await client(t.port);
  await b.nextLine();
  await a.waitForLine(`New user ${b.localAddr} entered (2 users online)`);
  const sent = ['one', 'two', 'three', 'four', 'five'];
  for (const text of sent.slice(0, 3)) await a.send(text);
  for (const text of sent.slice(3)) await b.send(text);
  await a.waitForLine(`[${b.localAddr}] five`);
  await b.waitForLine(`[${a.localAddr}] three`);
  await b.waitForLine('[You] five');
  b.end();
  await a.waitForLine(`The user ${b.localAddr} left (1 user online)`);
  await within(b.closed, 5000, 'the server closing b');
  await until(
    () => t.daemon.stats().disconnects['client quit'] === 1,
    'b is counted as quit'
  );
  const reply = await request(`${t.daemon.admin?.url}metrics`);
  expect(reply.status).toBe(200);
  return {
    text: reply.body,
    contentType: reply.headers['content-type'],
    sentBytes: sent.reduce(
      (sum, text) => sum + Buffer.byteLength(`${text}\n`),
      0
    ),
    receivedBytes: a.bytes().length + b.bytes().length,
    receivedLines: a.lines.length + b.lines.length
  };
}

describe('/metrics', () => {
  it.skipIf(!HAVE_PROMTOOL && !REQUIRE_PROMTOOL)(
    'passes promtool check metrics; only prom-client gauges draw a lint',
    async () => {
      expect(
        HAVE_PROMTOOL,
        `${PROMTOOL} is missing and REQUIRE_PROMTOOL=1`
      ).toBe(true);
      const { text } = await afterTraffic();
      const run = spawnSync(PROMTOOL, ['check', 'metrics'], {
        input: text,
        encoding: 'utf8',
        timeout: 10_000
      });
      const output = `${run.stdout}${run.stderr}`;
      // 0: clean; 3: lint problems only; 1: the text did not parse.
      expect([0, 3], output).toContain(run.status);
      const lint = output.split('\n').filter((line) => line.trim() !== '');
      expect(lint.filter((line) => line.includes('chat_'))).toEqual([]);
      for (const line of lint) {
        expect(line).toMatch(/^nodejs_active_\w+_total /);
      }
      expect(text).toMatch(/^# TYPE chat_connections gauge$/m);
    }
  );

  it('reports what the clients did', async () => {
    const { text, contentType, sentBytes, receivedBytes, receivedLines } =
      await afterTraffic();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseSamples(text);

    expect(
      value(samples, 'chat_connections', {
        transport: 'tcp',
        state: 'online'
      })
    ).toBe(1);
    expect(
      value(samples, 'chat_connections', {
        transport: 'tcp',
        state: 'connecting'
      })
    ).toBe(0);
    expect(
      value(samples, 'chat_connections', {
        transport: 'tcp',
        state: 'leaving'
      })
    ).toBe(0);
    // A gauge says what is open right now: closed connections are a total,
    // counted by reason in chat_disconnects_total, never in the gauge.
    expect(
      samples
        .filter((s) => s.name === 'chat_connections')
        .map((s) => s.labels.state)
        .sort()
    ).toEqual(['connecting', 'leaving', 'moving', 'online']);
    expect(text).toMatch(
      /^# HELP chat_connections Open connections by transport and state of their actor right now\.$/m
    );
    expect(value(samples, 'chat_connections_accepted_total')).toBe(2);
    for (const reason of ['server full', 'too many from address']) {
      expect(value(samples, 'chat_connections_refused_total', { reason })).toBe(
        0
      );
    }
    expect(
      value(samples, 'chat_disconnects_total', { reason: 'client quit' })
    ).toBe(1);
    const otherDisconnects = samples.filter(
      (s) =>
        s.name === 'chat_disconnects_total' && s.labels.reason !== 'client quit'
    );
    expect(otherDisconnects.length).toBeGreaterThan(0);
    for (const s of otherDisconnects) expect(s.value, s.labels.reason).toBe(0);

    // One room, the lobby: its own series, and an empty "(other)".
    expect(value(samples, 'chat_room_members', { room: '#lobby' })).toBe(1);
    expect(value(samples, 'chat_room_members', { room: '(other)' })).toBe(0);
    expect(value(samples, 'chat_rooms')).toBe(1);
    expect(value(samples, 'chat_names')).toBe(0);
    for (const s of samples.filter(
      (s) => s.name === 'chat_command_refusals_total'
    ))
      expect(s.value, s.labels.reason).toBe(0);
    expect(value(samples, 'chat_room_messages_total')).toBe(5);
    expect(value(samples, 'chat_lines_received_total')).toBe(5);
    expect(value(samples, 'chat_lines_sent_total')).toBe(receivedLines);
    expect(value(samples, 'chat_received_bytes_total')).toBe(sentBytes);
    expect(value(samples, 'chat_sent_bytes_total')).toBe(receivedBytes);
    expect(value(samples, 'chat_received_bytes_total')).toBeGreaterThan(0);
    expect(value(samples, 'chat_sent_bytes_total')).toBeGreaterThan(0);
    expect(value(samples, 'chat_flood_paced_lines_total')).toBe(0);
    expect(value(samples, 'chat_send_queue_bytes')).toBe(0);
    expect(value(samples, 'chat_send_queue_max_bytes')).toBe(0);
    expect(value(samples, 'chat_inspector_viewers')).toBe(0);

    // prom-client's process metrics, in the daemon's own registry.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes'
    ]) {
      expect(value(samples, name), name).toBeGreaterThanOrEqual(0);
    }
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('reads fresh values at each scrape', async () => {
    const t = await daemon({ admin: { host: '127.0.0.1', port: 0 } });
    const url = `${t.daemon.admin?.url}metrics`;
    const before = parseSamples((await request(url)).body);
    expect(value(before, 'chat_connections_accepted_total')).toBe(0);
    const a = await client(t.port);
    await a.nextLine();
    await a.send('hi');
    await a.waitForLine('[You] hi');
    const after = parseSamples((await request(url)).body);
    expect(value(after, 'chat_connections_accepted_total')).toBe(1);
    expect(value(after, 'chat_room_messages_total')).toBe(1);
    expect(value(after, 'chat_room_members', { room: '#lobby' })).toBe(1);
    expect(
      value(after, 'chat_connections', {
        transport: 'tcp',
        state: 'online'
      })
    ).toBe(1);
  });
});
