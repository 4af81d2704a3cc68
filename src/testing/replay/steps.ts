/**
 * The steps of a replay schedule: plain JSON, so a failing schedule that
 * fast-check prints can be pasted back into `replay()` as it is.
 *
 * A client is a small integer naming a person at a keyboard: each `join`
 * opens a new connection for it (a new address) once its previous one is
 * gone. A step that makes no sense in the current state (a client that is
 * not connected says something, a second `resume`) is skipped and counted,
 * never an error: shrinking removes steps freely.
 */
export type ReplayStep =
  /** Client `client` connects and joins. */
  | { kind: 'join'; client: number }
  /** It sends one chat line (a text unique in the run). */
  | { kind: 'say'; client: number }
  /** It takes a nickname: `/nick NAME`. [CHAT-CMD-NICK] */
  | { kind: 'nick'; client: number; name: string }
  /** It moves: `/join ROOM` (`#lobby` too). [CHAT-CMD-JOIN] */
  | { kind: 'move'; client: number; room: string }
  /** It goes back to the lobby: `/part`. [CHAT-CMD-JOIN] */
  | { kind: 'part'; client: number }
  /** It sends a private line (a text unique in the run) to `to`. [CHAT-CMD-MSG] */
  | { kind: 'msg'; client: number; to: string }
  /** It acts: `/me` and a text unique in the run. [CHAT-CMD-ME] */
  | { kind: 'me'; client: number }
  /** It leaves with `/quit`, with a reason or without. [CHAT-CMD-QUIT] */
  | { kind: 'quit'; client: number; reason?: string }
  /** It sends a line over `maxLineBytes`. [CHAT-IN-4] */
  | { kind: 'oversize'; client: number }
  /** It half-closes (FIN) and keeps reading. */
  | { kind: 'fin'; client: number }
  /** It closes its socket (a reset if it leaves bytes unread). */
  | { kind: 'close'; client: number }
  /** It resets, optionally with half a line sent first. */
  | { kind: 'reset'; client: number; midLine?: boolean }
  /** It stops reading; its receive window still takes `budget` bytes. */
  | { kind: 'stall'; client: number; budget: number }
  /** It reads again. */
  | { kind: 'resume'; client: number }
  /** Virtual time passes; every timer due fires at its instant. */
  | { kind: 'advance'; ms: number }
  /** The daemon shuts down gracefully; this ends the window. */
  | { kind: 'shutdown' };

/** A one-line description of a step, for logs and failure messages. */
export function describeStep(step: ReplayStep): string {
  switch (step.kind) {
    case 'advance':
      return `advance ${step.ms} ms`;
    case 'shutdown':
      return 'shutdown';
    case 'stall':
      return `client ${step.client} stall (budget ${step.budget} B)`;
    case 'reset':
      return `client ${step.client} reset${step.midLine === true ? ' mid-line' : ''}`;
    case 'nick':
    case 'move':
    case 'part':
    case 'msg':
    case 'me':
    case 'quit':
      return `client ${step.client} ${typedLine(step, '…')}`;
    default:
      return `client ${step.client} ${step.kind}`;
  }
}

/** The steps that type one line: chat or a command. */
export type TypingStep = Extract<
  ReplayStep,
  { kind: 'say' | 'nick' | 'move' | 'part' | 'msg' | 'me' | 'quit' }
>;

/** True for a step that types one line (`typedLine`). */
export function isTyping(step: ReplayStep): step is TypingStep {
  return ['say', 'nick', 'move', 'part', 'msg', 'me', 'quit'].includes(
    step.kind
  );
}

/** True for a typing step whose line carries a text unique in the run. */
export function carriesText(step: TypingStep): boolean {
  return step.kind === 'say' || step.kind === 'msg' || step.kind === 'me';
}

/** The line a typing step sends, with `text` where it carries one. */
export function typedLine(step: TypingStep, text: string): string {
  switch (step.kind) {
    case 'say':
      return text;
    case 'nick':
      return `/nick ${step.name}`;
    case 'move':
      return `/join ${step.room}`;
    case 'part':
      return '/part';
    case 'msg':
      return `/msg ${step.to} ${text}`;
    case 'me':
      return `/me ${text}`;
    case 'quit':
      return step.reason === undefined ? '/quit' : `/quit ${step.reason}`;
  }
}
