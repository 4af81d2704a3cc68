/**
 * Room observers (`--rooms N`, N > 1): clients that use protocol v2 while
 * the v1 observers stay anonymous in #lobby. After the server answered
 * `/help` (the probe), each moves from #lobby to one of `#chaos-1..N`
 * before it takes a name, so #lobby never sees a name; then, at `--rate`,
 * each says lines and now and then moves, renames or whispers to another
 * named observer; halfway through, several race for one name at once.
 *
 *   connect ─ /help probe ─ /join #chaos-k ─ /nick (most) ─ chat, move,
 *   rename, /msg ─ race `/nick SAME` (halfway) ─ stop ─ settle markers
 */
import { connectPeer, type Peer, type PeerTransport } from '../peers/peer.js';
import { createRng, type Rng } from '../peers/rng.js';
import type { Bounds } from './bounds.js';
import { ChaosError } from './errors.js';
import { createPauses } from './pauses.js';
import {
  privateText,
  roomMarker,
  roomText,
  type NickRace,
  type RoomLog,
  type RoomMember
} from './room-log.js';
import {
  ANSWER_TIMEOUT_MS,
  createMemberActor,
  type MemberActor,
  type MemberSink
} from './room-member.js';

const POLL_MS = 20;
/** Racers for one name, at most. */
const RACERS = 4;

/** The name of room `k` (1-based) of a run. */
export function chaosRoom(k: number): string {
  return `#chaos-${k}`;
}

/** What a room run needs. */
export interface RoomPlan {
  readonly host: string;
  readonly port: number;
  /** Plain TCP when absent. */
  readonly transport?: PeerTransport;
  readonly rooms: number;
  readonly observers: number;
  readonly rate: number;
  readonly seed: number;
}

/** The room observers of one run. */
export interface RoomGroup {
  readonly peers: readonly Peer[];
  /** Lines and commands sent so far. */
  readonly sentCount: number;
  /** Starts each observer's steps at `rate` a second, staggered. */
  startChatting(): void;
  /** Races `/nick SAME` from several named observers at once. */
  race(): Promise<void>;
  /** Stops the steps; resolves once the last one was answered. */
  stopChatting(): Promise<void>;
  /** Every observer says its marker; waits (bounded) for its room's markers. */
  settle(timeoutMs: number): Promise<void>;
  /** What the observers did, for the checks. */
  log(): RoomLog;
  /** Destroys every room observer. */
  close(): void;
}

/** Fails the run unless the server answers `/help` with its commands. */
async function probe(peer: Peer, plan: RoomPlan): Promise<void> {
  await peer.send('/help');
  let answer = '';
  try {
    answer = await peer.waitForLine(
      (l) =>
        l === 'Commands:' || l.startsWith('Error: ') || l === '[You] /help',
      ANSWER_TIMEOUT_MS
    );
  } catch {
    // No answer at all: reported below as such.
  }
  if (answer === 'Commands:') return;
  const said = answer === '' ? 'nothing' : JSON.stringify(answer);
  throw new ChaosError(
    `--rooms ${plan.rooms} needs a server that takes protocol v2 commands, but ${plan.host}:${plan.port} answered /help with ${said}; run with --rooms 1 for a v1 run`
  );
}

/** A name unique to this run: `c<seed>-<observer>-<n>`, at most 20 characters. */
function nameOf(seed: number, i: number, n: number): string {
  return `c${seed.toString(36)}-${i}-${n}`;
}

/**
 * Connects `plan.observers` observers, probes the server, moves each into
 * its room and names most of them. Throws `ChaosError` when the server
 * does not take commands.
 */
export async function joinRoomObservers(
  plan: RoomPlan,
  bounds: Bounds
): Promise<RoomGroup> {
  const sink: MemberSink = {
    said: [],
    privates: [],
    violations: [],
    renames: 0
  };
  const actors: MemberActor[] = [];
  const peers: Peer[] = [];
  const rngs: Rng[] = [];
  let race: NickRace | null = null;
  const raceName = `c${plan.seed.toString(36)}-race`;
  try {
    for (let i = 0; i < plan.observers; i++) {
      if (!bounds.takeConnections())
        throw new ChaosError(
          `--max-connections leaves no room for ${plan.observers} room observers`
        );
      const peer = await connectPeer(plan);
      peers.push(peer);
      await peer.nextLine(ANSWER_TIMEOUT_MS);
      if (i === 0) await probe(peer, plan);
      const member: RoomMember = {
        index: i,
        peer,
        addr: peer.localAddr,
        names: [],
        visits: [],
        // Every third stays anonymous all along.
        anonymous: i % 3 === 2
      };
      actors.push(createMemberActor(member, sink));
      rngs.push(createRng((plan.seed ^ 0x2f6b_1d3a) + i * 7919));
    }
    for (const actor of actors) {
      const i = actor.member.index;
      const room = chaosRoom((i % plan.rooms) + 1);
      // Never named, never chatting in #lobby: the v1 observers' room.
      if (!(await actor.join(room)))
        throw new ChaosError(
          `room observer ${i} could not enter ${room}: ${JSON.stringify(actor.member.peer.lines.at(-1) ?? '')}`
        );
      if (!actor.member.anonymous) await actor.nick(nameOf(plan.seed, i, 0));
    }
  } catch (err) {
    for (const peer of peers) peer.destroy();
    throw err;
  }

  let chatting = false;
  let loops: Promise<void>[] = [];
  let sentCount = 0;
  const { pause, wakeAll } = createPauses();

  /** One step of observer `a`: mostly a line, sometimes a command. */
  const step = async (a: MemberActor, rng: Rng, n: number): Promise<void> => {
    const i = a.member.index;
    const roll = rng.next();
    sentCount += 1;
    if (roll < 0.1) {
      const others = Array.from({ length: plan.rooms }, (_, k) =>
        chaosRoom(k + 1)
      ).filter((r) => r !== a.room);
      await a.join(rng.pick(others));
    } else if (roll < 0.2 && !a.member.anonymous) {
      await a.nick(nameOf(plan.seed, i, n));
    } else if (roll < 0.35) {
      // Not the race's name: two holders of it (a bug) would make the
      // owner ambiguous.
      const targets = actors.filter(
        (t) => t !== a && t.name !== undefined && t.name !== raceName
      );
      if (targets.length === 0) await a.say(roomText(i, n));
      else {
        const t = rng.pick(targets);
        await a.msg(t.name ?? '', t.member.index, privateText(i, n));
      }
    } else {
      const text = roomText(i, n);
      if (bounds.takeBytes(text.length + 1)) await a.say(text);
    }
  };
  const chat = async (a: MemberActor, rng: Rng): Promise<void> => {
    const interval = 1000 / plan.rate;
    await pause((interval * a.member.index) / Math.max(1, actors.length));
    for (let n = 1; chatting && !a.member.peer.destroyed; n++) {
      await a.act(() => step(a, rng, n));
      if (chatting) await pause(interval);
    }
  };

  return {
    peers,
    get sentCount() {
      return sentCount;
    },
    startChatting() {
      if (chatting || plan.rate <= 0) return;
      chatting = true;
      loops = actors.map((a, i) => chat(a, rngs[i] ?? createRng(i)));
    },
    async race() {
      // Named ones only: an anonymous racer's answer would start with an
      // ADDR it may not know (behind a balancer), so it could not tell its
      // own win from another's.
      const racers = actors
        .filter((a) => a.name !== undefined)
        .slice(0, RACERS);
      if (racers.length < 2) return;
      const name = raceName;
      // A barrier: every racer sends only once all are between steps, so
      // the /nick lines leave together.
      let arrived = 0;
      let release = (): void => undefined;
      const ready = new Promise<void>((resolve) => (release = resolve));
      const results = await Promise.all(
        racers.map((a) =>
          a.act(async () => {
            arrived += 1;
            if (arrived === racers.length) release();
            await ready;
            const old = a.name ?? a.member.addr;
            const line = await a.nick(name);
            const outcome =
              line === `${old} is now known as ${name}`
                ? ('won' as const)
                : line === `Error: nickname ${name} is taken`
                  ? ('taken' as const)
                  : line === ''
                    ? ('unanswered' as const)
                    : ('other' as const);
            return { observer: a.member.index, outcome, line };
          })
        )
      );
      race = { name, racers: results };
    },
    async stopChatting() {
      chatting = false;
      wakeAll();
      await Promise.all(loops);
    },
    async settle(timeoutMs) {
      await Promise.all(
        actors.map((a) => a.act(() => a.say(roomMarker(a.member.index))))
      );
      const missing = (): boolean =>
        actors.some(
          (a) =>
            !a.member.peer.destroyed &&
            actors.some(
              (b) =>
                b.room === a.room &&
                !a.member.peer.lines.some((l) =>
                  l.endsWith(`] ${roomMarker(b.member.index)}`)
                )
            )
        );
      const deadline = Date.now() + timeoutMs;
      while (missing() && Date.now() < deadline) await pause(POLL_MS);
    },
    log() {
      return {
        members: actors.map((a) => a.member),
        said: sink.said,
        privates: sink.privates,
        race,
        violations: sink.violations,
        renames: sink.renames
      };
    },
    close() {
      chatting = false;
      wakeAll();
      for (const peer of peers) peer.destroy();
    }
  };
}
