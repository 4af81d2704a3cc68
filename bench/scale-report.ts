/**
 * The idle-connection scale and startup sections of the bench report
 * (issues 6 and 19): memory per connection against the count, time to
 * accept and greet, one line fanned out to everyone, the admin listener's
 * answers at that size, and time to listen.
 */
import type { AdminTiming } from './scale-probes.js';
import type { ScaleResult } from './scale.js';
import type { StartupReport } from './startup.js';
import { ms, table } from './report-format.js';

/** `actor-chat`, `actor-chat + monitor` or `raw`. */
export function scaleLabel(r: Pick<ScaleResult, 'kind' | 'admin'>): string {
  return r.admin ? `${r.kind} + monitor` : r.kind;
}

/** The fan-out probe's cell: seconds, or why there is none. */
function fanOutCell(r: ScaleResult): string {
  if (r.fanOut === null) return '–';
  if (r.fanOut.seconds === null)
    return `${r.fanOut.received} of ${r.fanOut.recipients}`;
  return r.fanOut.seconds.toFixed(3);
}

/** Idle-connection scale: one row per server and target, memory beside time to greet. */
export function scaleSection(results: readonly ScaleResult[]): string {
  if (results.length === 0) return '';
  const rows = results.map((r) => [
    scaleLabel(r),
    String(r.target),
    String(r.reached),
    r.greetSeconds.toFixed(2),
    r.rssBaseMb.toFixed(1),
    r.rssMb.toFixed(1),
    r.errors.length > 0 ? 'FAILED' : r.kbPerConnection.toFixed(1),
    r.rssPeakMb.toFixed(0),
    fanOutCell(r),
    r.backgroundCpuPercent.toFixed(0),
    r.stoppedBy ?? '',
    r.errors.length > 0 ? r.errors.join('; ') : 'ok'
  ]);
  const parts = [
    '### Idle connections',
    '',
    table(
      [
        'server',
        'target',
        'reached',
        'accept + greet s',
        'RSS before MB',
        'RSS after MB',
        'KB / connection',
        'peak RSS MB',
        'one line to all s',
        'other CPU %',
        'stopped by',
        'check'
      ],
      rows
    )
  ];
  const admin = adminSection(results);
  if (admin !== '') parts.push('', admin);
  return parts.join('\n');
}

function adminCell(t: AdminTiming | undefined): string {
  if (t === undefined) return '–';
  if (t.status !== 200) return `status ${t.status || 'none'}`;
  return `${ms(t.ms)} ms (${(t.bytes / 1024).toFixed(1)} KB)`;
}

/** The admin listener's answers, one row per run with the monitor. */
export function adminSection(results: readonly ScaleResult[]): string {
  const withAdmin = results.filter((r) => r.adminTimings.length > 0);
  if (withAdmin.length === 0) return '';
  const paths = [
    ...new Set(withAdmin.flatMap((r) => r.adminTimings.map((t) => t.path)))
  ];
  return [
    'Admin listener at that size (`/events`: until its first `update`):',
    '',
    table(
      ['server', 'connections', ...paths],
      withAdmin.map((r) => [
        scaleLabel(r),
        String(r.reached),
        ...paths.map((p) => adminCell(r.adminTimings.find((t) => t.path === p)))
      ]),
      2
    )
  ].join('\n');
}

/** Time to listen and what the imports cost. */
export function startupSection(report: StartupReport | null): string {
  if (report === null) return '';
  const listen = report.listen.map((l) => [
    `\`${l.command}\``,
    l.medianMs === null ? 'FAILED' : String(l.medianMs),
    l.runsMs.join(', '),
    l.failures.length === 0 ? 'ok' : l.failures.join('; ')
  ]);
  const imports = report.imports.map((i) => [
    `\`${i.module}\``,
    i.ms === null ? 'FAILED' : ms(i.ms)
  ]);
  return [
    '### Time to listen',
    '',
    `Node alone (\`node -e 0\`): ${report.bareNodeMs ?? '–'} ms.`,
    '',
    table(['command', 'median ms', 'runs ms', 'check'], listen),
    '',
    'Import cost, each module alone in a fresh process (`await import()`, median):',
    '',
    table(['module', 'ms'], imports)
  ].join('\n');
}

/**
 * Puts the open-file limit first when the run stopped near it: libuv
 * answers EMFILE on accept by accepting and closing at once, so the client
 * sees its connection closed before any greeting.
 */
export function fdLimitNote(
  open: number,
  fdLimit: number,
  hardLimit: number,
  stoppedBy: string
): string {
  const limit = `the server may have ${fdLimit} open files (${fdLimit === hardLimit ? 'the hard limit here; raising it needs CAP_SYS_RESOURCE' : 'its limit for this target'})`;
  if (open >= fdLimit * 0.9)
    return `stopped at ${open}: ${limit}, and a Node server out of descriptors closes new connections unanswered; ${stoppedBy}`;
  return `${stoppedBy}; ${limit}`;
}
