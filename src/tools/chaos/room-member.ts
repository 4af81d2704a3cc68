/**
 * One room observer's own steps: say a line, `/join`, `/nick`, `/msg`,
 * each command sent only after the previous one was answered, so the tool
 * knows at every moment which room it is in and what it is called (the
 * facts room-log.ts records). [CHAT-CMD-ERR] every command is answered.
 */
import { parseMemberLine } from '../peers/member-line.js';
import type { Peer } from '../peers/peer.js';
import type { PrivateLine, RoomMember, SaidLine } from './room-log.js';
import type { ChaosViolation } from './types.js';

/** How long a command's answer may take before it counts as unanswered. */
export const ANSWER_TIMEOUT_MS = 5000;

/** A room observer with its steps; one step at a time, through `act`. */
export interface MemberActor {
  readonly member: RoomMember;
  /** Its current room (#lobby until its first `/join` is answered). */
  readonly room: string;
  /** Its name, or undefined while anonymous. */
  readonly name: string | undefined;
  /** Runs `step` after the steps queued before it. */
  act<T>(step: () => Promise<T>): Promise<T>;
  /** Says `text` in its room; logs it. Resolves once written. */
  say(text: string): Promise<void>;
  /** `/join room`; true when answered `Now in room`. */
  join(room: string): Promise<boolean>;
  /** `/nick name`; resolves with the answer line ('' for none). */
  nick(name: string): Promise<string>;
  /** `/msg target text` to the observer `owner`; logs it. */
  msg(target: string, owner: number, text: string): Promise<void>;
}

/** Where a member's steps report to. */
export interface MemberSink {
  readonly said: SaidLine[];
  readonly privates: PrivateLine[];
  readonly violations: ChaosViolation[];
  /** Renames the server granted. */
  renames: number;
}

/**
 * Wraps observer `member` (greeted, in #lobby, anonymous) in its steps.
 */
export function createMemberActor(
  member: RoomMember,
  sink: MemberSink
): MemberActor {
  const { peer, addr } = member;
  let room = '#lobby';
  let name: string | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const speaker = (): string => name ?? addr;
  const label = (): string => (name === undefined ? addr : `${name} (${addr})`);

  /** Sends a command and waits for its answer or any refusal. */
  const command = async (
    line: string,
    answer: (received: string) => boolean
  ): Promise<string> => {
    if (peer.destroyed) return '';
    await peer.send(line);
    try {
      return await peer.waitForLine(
        (received) => answer(received) || received.startsWith('Error: '),
        ANSWER_TIMEOUT_MS
      );
    } catch {
      if (!peer.destroyed) unanswered(peer, line, sink);
      return '';
    }
  };

  return {
    member,
    get room() {
      return room;
    },
    get name() {
      return name;
    },
    act<T>(step: () => Promise<T>): Promise<T> {
      const next = chain.then(step);
      chain = next.catch(() => undefined);
      return next;
    },
    async say(text) {
      if (peer.destroyed) return;
      sink.said.push({
        text,
        observer: member.index,
        room,
        speaker: speaker()
      });
      await peer.send(text);
    },
    async join(target) {
      const answer = await command(`/join ${target}`, (l) =>
        l.startsWith(`Now in ${target} (`)
      );
      if (!answer.startsWith('Now in ')) return false;
      room = target;
      member.visits.push({ room, labelIn: label(), labelOut: label() });
      return true;
    },
    async nick(next) {
      const answer = await command(`/nick ${next}`, (l) =>
        isRenameTo(l, next, name)
      );
      if (isRenameTo(answer, next, name)) {
        name = next;
        member.names.push(next);
        sink.renames += 1;
        const visit = member.visits.at(-1);
        if (visit !== undefined) visit.labelOut = label();
      }
      return answer;
    },
    async msg(target, owner, text) {
      const record: PrivateLine = {
        text,
        from: member.index,
        fromSpeaker: speaker(),
        target,
        owner,
        outcome: 'unanswered'
      };
      sink.privates.push(record);
      const sent = `[you -> ${target}] ${text}`;
      const answer = await command(`/msg ${target} ${text}`, (l) => l === sent);
      if (answer === sent) record.outcome = 'delivered';
      else if (answer !== '') record.outcome = 'refused';
    }
  };
}

/**
 * True for `OLD is now known as next`, the answer to this member's
 * `/nick next`: OLD is its name, or while it has none any ADDR, as behind
 * a balancer the server shows an ADDR the member cannot know beforehand
 * (room-addresses.ts learns it afterwards). `next` is unique in the run but
 * for the race's name, which only named members race for.
 */
function isRenameTo(
  line: string,
  next: string,
  name: string | undefined
): boolean {
  const parsed = parseMemberLine(line);
  if (parsed.kind !== 'rename' || parsed.name !== next) return false;
  return name === undefined
    ? /^(?:\d|\[)/.test(parsed.old)
    : parsed.old === name;
}

function unanswered(peer: Peer, line: string, sink: MemberSink): void {
  const lines = peer.lines;
  sink.violations.push({
    invariant: 'commands',
    message: `${peer.localAddr} sent ${JSON.stringify(line)} and got no answer within ${ANSWER_TIMEOUT_MS / 1000} s`,
    evidence: lines
      .slice(-3)
      .map(
        (l, i) =>
          `${peer.localAddr} line ${lines.length - Math.min(3, lines.length) + i + 1}: ${JSON.stringify(l)}`
      )
  });
}
