/**
 * Each connection's own lines, answered in the order it typed them: its
 * chat echoed, its act shown, its private line confirmed, its rename or
 * move done, or each refused with one `Error:` line, one answer per line
 * [CHAT-CMD-ERR]. Since a move's answer (`Now in #room`) opens the new
 * room's segment, a line typed after `/join` that was said in the old room
 * breaks this order [CHAT-CMD-JOIN]. Lines left unanswered at the end were
 * not processed (a leave came first), which is allowed.
 */
import { nameKey } from '../../protocol/command.js';
import type { ReplayConnection, Typed } from './harness.js';
import type { V2Line } from './v2-line.js';

/** Refusals that answer a command, by the command they answer. */
const REFUSALS: ReadonlyArray<[RegExp, RegExp]> = [
  [/^\/nick /, /^(nickname \S+ is taken|you are already known as \S+)$/],
  [/^\/(join|part)\b/, /^(you are already in |too many rooms)/],
  [/^\/msg /, /^no such user /]
];

/** True when `line` answers `typed`, by a member currently named `me`. */
function answers(line: V2Line, typed: Typed, me: string): boolean {
  const { line: sent, text } = typed;
  switch (line.kind) {
    case 'own':
      return text === line.text && !sent.startsWith('/');
    case 'act':
      return text === line.text && sent.startsWith('/me ');
    case 'privateOut':
      return text === line.text && sent.startsWith('/msg ');
    case 'rename':
      return line.old === me && sent === `/nick ${line.name}`;
    case 'nowIn':
      return sent === '/part'
        ? nameKey(line.room) === '#lobby'
        : nameKey(sent) === nameKey(`/join ${line.room}`);
    case 'error':
      return REFUSALS.some(
        ([command, refusal]) => command.test(sent) && refusal.test(line.text)
      );
    default:
      return false;
  }
}

/** True when `line` can only be an answer to its reader's own line. */
function isAnswer(line: V2Line, conn: ReplayConnection, me: string): boolean {
  if (line.kind === 'own' || line.kind === 'privateOut') return true;
  if (line.kind === 'nowIn') return true;
  if (line.kind === 'act') return conn.typed.some((t) => t.text === line.text);
  if (line.kind === 'rename') return line.old === me;
  if (line.kind === 'error') return REFUSALS.some(([, r]) => r.test(line.text));
  return false;
}

/** The order problems of one connection (empty when it holds). */
export function ownOrderProblems(
  conn: ReplayConnection,
  parsed: readonly V2Line[]
): string[] {
  // `/quit` gets no answer: its leave closes the connection.
  const typed = conn.typed.filter((t) => !t.line.startsWith('/quit'));
  let next = 0;
  let me = conn.addr;
  for (const [i, line] of parsed.entries()) {
    if (!isAnswer(line, conn, me)) continue;
    const expected = typed[next];
    if (expected === undefined || !answers(line, expected, me))
      return [
        `order: ${conn.addr} line ${i + 1} "${conn.lines[i]}" does not answer the next line it typed, "${expected?.line ?? '(none)'}"`
      ];
    if (line.kind === 'rename') me = line.name;
    next += 1;
  }
  return [];
}
