/** The readable chat-chaos report, and the command line that replays a run. */
import { formatDuration } from '../../cli/duration.js';
import { CHAOS_DEFAULTS } from './defaults.js';
import { MAX_WS_OVERSIZE_BYTES } from './faults/bytes.js';
import { FAULT_KINDS, type ChaosOptions, type ChaosReport } from './types.js';

/** Violations shown in full; the rest are counted (`--json` has them all). */
export const MAX_SHOWN_VIOLATIONS = 20;

/**
 * The `chat-chaos` command that replays `options`: the same seed and every
 * option that shapes the schedule.
 *
 * @example replayCommand(options) // 'chat-chaos 127.0.0.1 3333 --seed 7 --duration 30s ...'
 */
export function replayCommand(options: ChaosOptions): string {
  const all = FAULT_KINDS.every((kind) => options.scenarios.includes(kind));
  const args = [
    'chat-chaos',
    options.host,
    String(options.port),
    '--seed',
    String(options.seed),
    '--scenario',
    all ? 'all' : options.scenarios.join(','),
    '--duration',
    formatDuration(options.durationMs),
    '--clients',
    String(options.clients),
    '--observers',
    String(options.observers),
    '--rate',
    String(options.rate)
  ];
  const transport = options.transport ?? 'tcp';
  if (transport === 'tls' || transport === 'wss') args.push('--tls');
  if (transport === 'ws' || transport === 'wss') args.push('--ws');
  if (options.ca !== undefined) args.push('--ca', options.ca);
  if (options.insecure === true) args.push('--insecure');
  const rooms = options.rooms ?? CHAOS_DEFAULTS.rooms;
  if (rooms !== CHAOS_DEFAULTS.rooms)
    args.push(
      '--rooms',
      String(rooms),
      '--room-observers',
      String(options.roomObservers ?? 0)
    );
  if (options.maxConnections !== CHAOS_DEFAULTS.maxConnections)
    args.push('--max-connections', String(options.maxConnections));
  if (options.maxBytes !== CHAOS_DEFAULTS.maxBytes)
    args.push('--max-bytes', String(options.maxBytes));
  return args.join(' ');
}

// C0, DEL, C1, bidi controls and line separators that evidence may carry
// raw: shown as \u escapes so the report cannot drive the reader's terminal.
const UNSAFE_OUTPUT =
  // eslint-disable-next-line no-control-regex -- escaping them is the point
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** `text` with every character that could drive a terminal escaped. */
export function visible(text: string): string {
  return text.replace(
    UNSAFE_OUTPUT,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function faultTable(report: ChaosReport): string[] {
  const planned = new Map<string, number>();
  for (const action of report.schedule)
    planned.set(action.kind, (planned.get(action.kind) ?? 0) + 1);
  const kinds = FAULT_KINDS.filter(
    (kind) => report.options.scenarios.includes(kind) || planned.has(kind)
  );
  const row = (name: string, a: number | string, b: number | string): string =>
    `  ${name.padEnd(12)}${String(a).padStart(9)}${String(b).padStart(10)}`;
  const injected = kinds.reduce((sum, kind) => sum + report.injected[kind], 0);
  return [
    row('fault', 'planned', 'injected'),
    ...kinds.map((kind) =>
      row(kind, planned.get(kind) ?? 0, report.injected[kind])
    ),
    row('total', report.schedule.length, injected)
  ];
}

function violationLines(report: ChaosReport): string[] {
  const { violations } = report;
  if (violations.length === 0) return ['violations: none'];
  const out = [`violations: ${violations.length}`];
  violations.slice(0, MAX_SHOWN_VIOLATIONS).forEach((v, i) => {
    out.push(`  ${i + 1}. [${v.invariant}] ${visible(v.message)}`);
    for (const line of v.evidence) out.push(`       ${visible(line)}`);
  });
  const rest = violations.length - MAX_SHOWN_VIOLATIONS;
  if (rest > 0) out.push(`  … and ${rest} more (--json lists them all)`);
  return out;
}

/** How the clients reached the server, and what that changes, once. */
export function transportLines(report: ChaosReport): string[] {
  const o = report.options;
  const kind = report.transport;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  const trust =
    o.insecure === true
      ? ', certificate not verified (--insecure)'
      : o.ca !== undefined
        ? `, certificate verified against ${o.ca}`
        : ', certificate verified against the system CAs';
  switch (kind) {
    case 'tcp':
      return [`transport: tcp`];
    case 'tls':
      return [`transport: tls${trust}`];
    case 'ws':
    case 'wss':
      return [
        `transport: ${kind} (${kind}://${shown}:${o.port}/, one text message per line)${kind === 'wss' ? trust : ''}`,
        `  over WebSocket: slicer sends each line as one message in 1-7 byte frames; oversize is at most ${MAX_WS_OVERSIZE_BYTES} bytes; garbage is UTF-8 text, then one binary message (docs/chaos.md#transports)`
      ];
  }
}

function roomLines(report: ChaosReport): string[] {
  const r = report.rooms;
  if (r === undefined) return [];
  return [
    `rooms: ${r.observers} observers in ${r.rooms} rooms said ${r.lines} lines, moved ${r.moves} times, took ${r.renames} names, whispered ${r.privates} private lines; ${r.winners} of ${r.racers} racers got one name`
  ];
}

/**
 * Renders a report for people: the run's settings, a table of faults by
 * kind, messages, each violation with its evidence, and the replay command.
 */
export function renderReport(report: ChaosReport): string {
  const o = report.options;
  return [
    `chat-chaos ${o.host}:${o.port}  seed ${report.seed}  ${formatDuration(o.durationMs)} of faults  ${o.observers} observers at ${o.rate} lines/s  ${o.clients} faulty clients${(o.rooms ?? 1) > 1 ? `  ${o.roomObservers ?? 0} room observers in ${o.rooms} rooms` : ''}`,
    ...transportLines(report),
    '',
    ...faultTable(report),
    '',
    `messages: ${report.messages.sent} sent by all clients, ${report.messages.delivered} received by the ${report.options.observers + (report.rooms?.observers ?? 0)} observers`,
    ...roomLines(report),
    '',
    ...violationLines(report),
    '',
    `replay: ${replayCommand(o)}`,
    report.ok
      ? `result: ok, no violations (${seconds(report.durationMs)})`
      : `result: FAILED, ${report.violations.length} violation(s) (${seconds(report.durationMs)})`
  ].join('\n');
}
