/**
 * The load generator and correctness checker of `npm run bench` (issue 6).
 *
 * Client i sends lines `<i> <seq> <sentMicros>` (seq from 0, sentMicros from
 * `performance.now()` in whole microseconds), either as fast as a window of
 * W lines in flight allows (its own `[You]` echo frees a slot) or at a fixed
 * total rate. Every receiver scans its bytes for line ends itself (no
 * decoding, no `split`) and checks each chat line as it comes:
 *
 * - exactly once, in order: from each sender, seq numbers arrive consecutive
 *   from the first one seen;
 * - the right prefix: `[You] ` on the sender's own lines, `[IP:PORT] ` with
 *   the sender's address on everyone else's;
 * - one order everywhere: each receiver folds the (sender, seq) pairs it gets
 *   into an order-sensitive hash of two 32-bit lanes; at the end every
 *   receiver's count and hash must be equal.
 *
 * With `endpoints` (issue 18) the chatters are spread over plain TCP, TLS
 * and WebSocket clients (bench/chat-links.ts), and every check spans them
 * all: a WebSocket client's messages are counted as lines.
 *
 * With `roomSize` (issue 17) the chatters first move into rooms of that
 * many with `/join` (bench/room-plan.ts), and every check holds per room:
 * each line reaches every member of its sender's room exactly once, one
 * order per room, and a line from another room is a failure (`leak`).
 *
 * Greetings, join and leave notices are counted apart from the chat lines;
 * an `Error:` line, a leave notice for anyone but a stuck reader (or, while
 * moving, a chatter leaving `#lobby`), a chatter disconnected or any other
 * line is a failure. A fast wrong answer is a
 * failure, never a number: `ok` is false and `failures` says why, one line
 * per kind.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  connectLink,
  endpointOf,
  type ChatLink,
  type Endpoint
} from './chat-links.js';
import {
  expectedDeliveries,
  onlineCount,
  orderDifferences,
  parseNowIn,
  planRooms,
  roomCountFailures,
  sentPerRoom,
  type RoomPlan
} from './room-plan.js';

// Not from load.ts: importing it pins this process to a core, and the unit
// tests import this file.
const HOST = '127.0.0.1';
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const ZERO = 0x30;
const NINE = 0x39;
const Y = 0x59;
const O = 0x6f;
const U = 0x75;

/** How fast the clients send: a window of lines in flight, or a total rate. */
export type Pace =
  { kind: 'window'; window: number } | { kind: 'rate'; messagesPerSec: number };

/** Called at the edges of the measured interval and every `sampleMs`. */
export interface LoadHooks {
  /** Right before the measured interval starts (after the warm-up). */
  start?(): void;
  /** Right after it ends, before the drain. */
  stop?(): void;
  /** Every `sampleMs` from the first send to the end of the drain. */
  sample?(): void;
}

/** One run of the load generator against a server. */
export interface LoadOptions {
  port: number;
  /**
   * Several servers sharing one room (a cluster): client k connects to
   * `ports[k % ports.length]`, and every check spans them all. When absent,
   * every client connects to `port`.
   */
  ports?: readonly number[];
  /**
   * The chatters spread over transports (issue 18): client k connects to
   * `endpoints[k % endpoints.length]` (bench/chat-links.ts), every check
   * spanning them all. When present, `port` is only the stuck readers'
   * (plain TCP) and `ports` is ignored.
   */
  endpoints?: readonly Endpoint[];
  host?: string;
  /** Chatting clients. */
  clients: number;
  pace: Pace;
  /** Sending before the measured interval starts (not counted). */
  warmupSeconds: number;
  /** The measured interval. */
  seconds: number;
  /**
   * Extra clients that connect after the chatters, get their greeting and
   * then never read again; they are left out of every check.
   */
  stuckReaders?: number;
  /** Longest wait for every window to come back after sending stops. */
  drainTimeoutMs?: number;
  /** Longest wait for every client to connect and get its greeting. */
  connectTimeoutMs?: number;
  /** Connects in flight at once. */
  connectConcurrency?: number;
  /**
   * Move the chatters into rooms of this many (`/join #bench-K`) once they
   * are greeted, and check each room apart; absent or null: everyone stays
   * in `#lobby`. Not with `stuckReaders`.
   */
  roomSize?: number | null;
  hooks?: LoadHooks;
  sampleMs?: number;
}

/** Latency of the senders' own echoes over the measured interval, in ms. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** What one run saw. */
export interface LoadResult {
  clients: number;
  /** Length of the measured interval, seconds. */
  seconds: number;
  /** Chat lines sent in all (warm-up and measured interval). */
  sent: number;
  /** Chat lines received by the chatters in the measured interval. */
  deliveries: number;
  deliveriesPerSec: number;
  latencyMs: Latency;
  /** This process's CPU over the measured interval, % of one core. */
  generatorCpuPercent: number;
  /** True when the generator was busy enough (≥ 90%) to bound the number. */
  generatorSaturated: boolean;
  /** Greetings, join and leave notices the chatters got. */
  nonChatLines: number;
  /** The stuck readers' addresses as the server sees them. */
  stuckAddresses: string[];
  /** Chatters that saw a stuck reader leave (the server disconnected it). */
  stuckLeaveNotices: number;
  /** Seconds from the first line sent to the first stuck reader's leave notice. */
  stuckLeftAfterSeconds: number | null;
  /** Rooms the chatters were in (1: `#lobby`). */
  rooms: number;
  /** Seconds from the first `/join` to every client in its full room, or null. */
  moveSeconds: number | null;
  ok: boolean;
  failures: string[];
}

/** At most this many example failures are kept per kind. */
const EXAMPLES_PER_KIND = 3;

/** Failures grouped by kind, with a count and a few examples each. */
class Failures {
  private readonly kinds = new Map<string, { count: number; ex: string[] }>();

  add(kind: string, example: string): void {
    let entry = this.kinds.get(kind);
    if (entry === undefined) {
      entry = { count: 0, ex: [] };
      this.kinds.set(kind, entry);
    }
    entry.count += 1;
    if (entry.ex.length < EXAMPLES_PER_KIND) entry.ex.push(example);
  }

  get size(): number {
    return this.kinds.size;
  }

  lines(): string[] {
    return [...this.kinds.values()].map(({ count, ex }) =>
      count > ex.length
        ? `${ex.join('; ')} (and ${count - ex.length} more like it)`
        : ex.join('; ')
    );
  }
}

/** What the whole run shares: the senders' prefixes, their rooms and the tallies. */
class Run {
  /** Hash of each sender's `[IP:PORT` prefix, as the receivers compute it. */
  readonly prefixHash: Int32Array;
  readonly clients: number;
  /** Each client's room, and each chatter's address to its room. */
  readonly roomOf: Int32Array;
  readonly roomOfAddress = new Map<string, number>();
  readonly failures = new Failures();
  readonly latencies: number[] = [];
  chatReceived = 0;
  sending = false;
  /** When the first chat line was sent, and when a stuck reader was seen leaving. */
  sendStart = 0;
  stuckLeftAt = 0;
  stuckAddresses = new Set<string>();

  constructor(readonly plan: RoomPlan) {
    this.clients = plan.roomOf.length;
    this.roomOf = plan.roomOf;
    this.prefixHash = new Int32Array(this.clients);
  }
}

function prefixHashOf(address: string): number {
  let h = OPEN;
  for (let k = 0; k < address.length; k++)
    h = (Math.imul(h, 31) + address.charCodeAt(k)) | 0;
  return h;
}

/** One chatting client: its link, its window and what it has seen. */
class Client {
  readonly link: ChatLink;
  readonly address: string;
  /** The next seq expected from each sender, -1 before the first. */
  private readonly next: Int32Array;
  private partial: Buffer | null = null;
  private seq = 0;
  inFlight = 0;
  sent = 0;
  received = 0;
  hashA = 0;
  hashB = 0;
  nonChat = 0;
  greeted = false;
  /** The `(N users online)` of its greeting. */
  greetingCount = 0;
  closed = false;
  readonly leftSeen: string[] = [];
  /** Its room in the plan, and how far its move there has come. */
  readonly room: number;
  phase: 'lobby' | 'moving' | 'room' = 'lobby';
  /** The count of its `Now in`, and the last count seen in its room. */
  nowInCount = 0;
  roomCount = 0;

  constructor(
    readonly id: number,
    chatter: Chatter,
    private readonly run: Run,
    private readonly window: number
  ) {
    const link = chatter.link;
    this.link = link;
    this.address = link.address;
    this.next = new Int32Array(run.clients).fill(-1);
    this.room = run.roomOf[id] ?? 0;
    chatter.inbox.attach(this);
    link.onClose(() => {
      this.closed = true;
      if (run.sending || this.inFlight > 0)
        run.failures.add(
          'disconnected',
          `client ${this.id} was disconnected mid-run`
        );
    });
  }

  /** Sends `count` lines in one write. */
  send(count: number): void {
    let text = '';
    const micros = Math.round(performance.now() * 1000);
    for (let k = 0; k < count; k++)
      text += `${this.id} ${this.seq++} ${micros}\n`;
    this.inFlight += count;
    this.sent += count;
    this.link.write(text);
  }

  /** Moves to its room. [CHAT-CMD-JOIN] */
  join(): void {
    this.phase = 'moving';
    this.link.write(`/join ${this.run.plan.names[this.room] ?? '#lobby'}\n`);
  }

  /** In its room, with the room's full count. */
  settled(): boolean {
    return (
      this.phase === 'room' && this.roomCount === this.run.plan.sizes[this.room]
    );
  }

  /** Fills the window. */
  fill(): void {
    const free = this.window - this.inFlight;
    if (free > 0) this.send(free);
  }

  /** Takes one read; `chunk` is only valid during the call. */
  onData(chunk: Buffer): void {
    const now = performance.now();
    const before = this.inFlight;
    let start = 0;
    if (this.partial !== null) {
      // Join only the line that straddles the chunks, not the whole chunk.
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        this.partial = Buffer.concat([this.partial, chunk]);
        return;
      }
      const line = Buffer.concat([this.partial, chunk.subarray(0, lf + 1)]);
      this.partial = null;
      this.scan(line, 0, now);
      start = lf + 1;
    }
    const rest = this.scan(chunk, start, now);
    if (rest < chunk.length) this.partial = Buffer.from(chunk.subarray(rest));
    if (this.inFlight < before && this.run.sending && this.window > 0)
      this.fill();
  }

  /** Handles the whole lines of `data` from `start`; returns where the rest begins. */
  private scan(data: Buffer, start: number, now: number): number {
    const n = data.length;
    // Chat lines are parsed up to their LF in one pass; the rest is rare.
    while (start < n) {
      let next: number;
      if (data[start] === OPEN) next = this.chatLine(data, start, n, now);
      else {
        const lf = data.indexOf(LF, start);
        if (lf !== -1) {
          const end = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
          this.otherLine(data.toString('utf8', start, end));
        }
        next = lf === -1 ? -1 : lf + 1;
      }
      if (next === -1) break;
      start = next;
    }
    return start;
  }

  /**
   * Checks and counts the `[...] <i> <seq> <micros>` line at `s`; returns
   * where the next line starts, or -1 when its LF has not come yet (nothing
   * is counted until it has).
   */
  private chatLine(b: Buffer, s: number, n: number, now: number): number {
    const run = this.run;
    let p = s + 1;
    let ph = OPEN;
    let c = 0;
    while (p < n && (c = b[p] ?? 0) !== CLOSE && c !== LF) {
      ph = (Math.imul(ph, 31) + c) | 0;
      p++;
    }
    if (p >= n) return -1;
    if (c !== CLOSE) return this.malformed(b, s, p);
    if (p + 1 >= n) return -1;
    if (b[p + 1] !== SPACE) return this.malformed(b, s, p);
    const own =
      p === s + 4 && b[s + 1] === Y && b[s + 2] === O && b[s + 3] === U;
    const prefixEnd = p + 1;
    p += 2;
    // Three decimal fields: sender, seq, microseconds; then LF.
    let sender = 0;
    let digits = 0;
    for (; p < n && (c = b[p] ?? 0) >= ZERO && c <= NINE; p++, digits++)
      sender = sender * 10 + c - ZERO;
    if (p >= n) return -1;
    if (digits === 0 || c !== SPACE) return this.malformed(b, s, p);
    let seq = 0;
    digits = 0;
    for (p++; p < n && (c = b[p] ?? 0) >= ZERO && c <= NINE; p++, digits++)
      seq = seq * 10 + c - ZERO;
    if (p >= n) return -1;
    if (digits === 0 || c !== SPACE) return this.malformed(b, s, p);
    let micros = 0;
    digits = 0;
    for (p++; p < n && (c = b[p] ?? 0) >= ZERO && c <= NINE; p++, digits++)
      micros = micros * 10 + c - ZERO;
    if (c === CR) c = b[++p] ?? 0;
    if (p >= n) return -1;
    if (digits === 0 || c !== LF || sender >= run.clients)
      return this.malformed(b, s, p);
    // [CHAT-ROOM-2] Not counted: the totals then show it too.
    if (run.roomOf[sender] !== this.room) {
      run.failures.add(
        'leak',
        `client ${this.id} in room ${this.room} got client ${sender}'s line from room ${run.roomOf[sender] ?? '?'}`
      );
      return p + 1;
    }
    if (own) {
      if (sender !== this.id)
        run.failures.add(
          'prefix',
          `client ${this.id} got client ${sender}'s line as [You]`
        );
      this.inFlight -= 1;
      if (run.sending) run.latencies.push(now - micros / 1000);
    } else if (sender === this.id || run.prefixHash[sender] !== ph) {
      run.failures.add(
        'prefix',
        `client ${this.id} got client ${sender}'s line with prefix ${b.toString('utf8', s, prefixEnd)}`
      );
    }
    const expected = this.next[sender] ?? -1;
    if (expected !== -1 && seq !== expected) {
      run.failures.add(
        seq < expected ? 'duplicate' : 'gap',
        seq < expected
          ? `client ${this.id} got seq ${seq} from client ${sender} after ${expected - 1} (duplicate or out of order)`
          : `client ${this.id} got seq ${seq} from client ${sender} after ${expected - 1} (${seq - expected} missing)`
      );
    }
    if (seq >= expected) this.next[sender] = seq + 1;
    this.hashA = (Math.imul(this.hashA, 31) + sender * 1_000_003 + seq) >>> 0;
    this.hashB = (Math.imul(this.hashB ^ (sender + 1), 0x01000193) + seq) >>> 0;
    this.received += 1;
    run.chatReceived += 1;
    return p + 1;
  }

  /** Reports the line at `s` as malformed; returns where the next starts. */
  private malformed(b: Buffer, s: number, from: number): number {
    const lf = b.indexOf(LF, from);
    if (lf === -1) return -1;
    this.run.failures.add(
      'malformed',
      `client ${this.id} got a malformed line ${JSON.stringify(b.toString('utf8', s, Math.min(lf, s + 120)))}`
    );
    return lf + 1;
  }

  /** Greetings, notices and its move's reply; anything else is a failure. */
  private otherLine(line: string): void {
    this.nonChat += 1;
    const run = this.run;
    if (line.startsWith('Connected to the chat server (')) {
      if (this.greeted)
        run.failures.add('greeting', `client ${this.id} was greeted twice`);
      this.greeted = true;
      this.greetingCount = onlineCount(line) ?? 0;
    } else if (line.startsWith('New user ')) {
      if (run.sending)
        run.failures.add(
          'join',
          `client ${this.id} saw a join mid-run: ${line}`
        );
      else if (this.phase === 'room') this.roomJoin(line);
    } else if (line.startsWith('The user ')) {
      const address = line.slice(9, line.indexOf(' left'));
      // [CHAT-CMD-JOIN] Until its own `Now in`, it is still in #lobby and
      // sees the chatters who moved before it leave.
      if (this.phase === 'moving' && run.roomOfAddress.has(address)) return;
      this.leftSeen.push(address);
      if (run.stuckAddresses.has(address) && run.stuckLeftAt === 0)
        run.stuckLeftAt = performance.now();
      if (!run.stuckAddresses.has(address))
        run.failures.add('leave', `client ${this.id} saw ${line}`);
    } else if (line.startsWith('Now in ')) {
      this.nowIn(line);
    } else {
      run.failures.add(
        line.startsWith('Error:') ? 'error line' : 'unexpected line',
        `client ${this.id} got ${JSON.stringify(line.slice(0, 120))}`
      );
    }
  }

  /** Its move's reply: the right room, and it comes once. [CHAT-CMD-JOIN] */
  private nowIn(line: string): void {
    const reply = parseNowIn(line);
    const expected = this.run.plan.names[this.room];
    if (this.phase !== 'moving' || reply === null || reply.room !== expected) {
      this.run.failures.add(
        'room',
        `client ${this.id} (${this.phase}, for ${expected ?? '#lobby'}) got ${JSON.stringify(line)}`
      );
      return;
    }
    this.phase = 'room';
    this.nowInCount = reply.count;
    this.roomCount = reply.count;
  }

  /** A member entering its room: one of the room's, one more each time. */
  private roomJoin(line: string): void {
    const run = this.run;
    const address = line.slice(9, line.indexOf(' entered'));
    if (run.roomOfAddress.get(address) !== this.room)
      run.failures.add(
        'leak',
        `client ${this.id} in room ${this.room} saw ${line} (from room ${run.roomOfAddress.get(address) ?? 'none'})`
      );
    const count = onlineCount(line) ?? 0;
    if (count !== this.roomCount + 1)
      run.failures.add(
        'room count',
        `client ${this.id} in room ${this.room} saw ${count} users online after ${this.roomCount}`
      );
    this.roomCount = count;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` every 10 ms until it holds or `timeoutMs` passes. */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/**
 * Where a chatter's reads go: its Client once there is one, copied into a
 * queue before (the greeting can come first).
 */
class Inbox {
  private client: Client | null = null;
  private early: Buffer[] = [];

  take(chunk: Buffer): void {
    if (this.client !== null) this.client.onData(chunk);
    else this.early.push(Buffer.from(chunk));
  }

  attach(client: Client): void {
    this.client = client;
    for (const chunk of this.early) client.onData(chunk);
    this.early = [];
  }
}

/** A chatting client's link and where its reads go. */
interface Chatter {
  link: ChatLink;
  inbox: Inbox;
}

/** A stuck reader's plain TCP socket. */
function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Opens `count` chatters, `concurrency` at a time, into `chatters`; the k-th
 * connect goes to `endpoints[k % endpoints.length]`.
 */
async function connectAll(
  chatters: Chatter[],
  host: string,
  endpoints: readonly Endpoint[],
  count: number,
  concurrency: number
): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      const endpoint = endpointOf(endpoints, started);
      started += 1;
      const inbox = new Inbox();
      const link = await connectLink(host, endpoint, (chunk) =>
        inbox.take(chunk)
      );
      chatters.push({ link, inbox });
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, worker)
  );
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Connects the clients (and stuck readers), waits for every greeting, runs
 * the warm-up and the measured interval, waits for every window to come
 * back, checks everything and closes every socket.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const host = options.host ?? HOST;
  const endpoints: readonly Endpoint[] =
    options.endpoints !== undefined && options.endpoints.length > 0
      ? options.endpoints
      : (options.ports !== undefined && options.ports.length > 0
          ? options.ports
          : [options.port]
        ).map((port) => ({ transport: 'tcp', port }));
  const window = options.pace.kind === 'window' ? options.pace.window : 0;
  const roomSize = options.roomSize ?? null;
  if (roomSize !== null && (options.stuckReaders ?? 0) > 0)
    throw new Error('runLoad: stuck readers stay in #lobby; not with roomSize');
  const plan = planRooms(options.clients, roomSize);
  const run = new Run(plan);
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const chatters: Chatter[] = [];
  const stuck: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  let sampler: NodeJS.Timeout | null = null;
  try {
    const connected = await Promise.race([
      connectAll(
        chatters,
        host,
        endpoints,
        options.clients,
        options.connectConcurrency ?? 50
      ).then(() => true),
      sleep(connectTimeoutMs).then(() => false)
    ]);
    if (!connected)
      throw new Error(
        `connect timed out: ${chatters.length} of ${options.clients} connected`
      );
    const clients = chatters.map((c, i) => new Client(i, c, run, window));
    clients.forEach((c, i) => {
      run.prefixHash[i] = prefixHashOf(c.address);
      run.roomOfAddress.set(c.address, c.room);
    });
    if (!(await until(() => clients.every((c) => c.greeted), connectTimeoutMs)))
      throw new Error(
        `${clients.filter((c) => !c.greeted).length} of ${clients.length} clients got no greeting`
      );
    // Joins were concurrent, but each greeting counts a different number.
    const counts = clients.map((c) => c.greetingCount).sort((a, b) => a - b);
    if (counts.some((n, k) => n !== k + 1))
      run.failures.add(
        'greeting',
        `the greetings' counts are not 1..${clients.length} once each (${counts.slice(0, 5).join(', ')}…)`
      );
    for (let k = 0; k < (options.stuckReaders ?? 0); k++) {
      const socket = await openSocket(host, options.port);
      stuck.push(socket);
      run.stuckAddresses.add(`${socket.localAddress}:${socket.localPort}`);
      const greeted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), connectTimeoutMs);
        socket.once('data', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      socket.pause(); // never reads again
      socket.on('error', () => undefined);
      if (!greeted) throw new Error('the stuck reader got no greeting');
    }
    // Everyone has seen the stuck readers come before anyone sends.
    const notices = clients.length * (options.stuckReaders ?? 0);
    const seenNotices = (): number =>
      clients.reduce((n, c) => n + c.nonChat, 0) - clients.length;
    const settled = await until(
      () =>
        seenNotices() >= (clients.length * (clients.length - 1)) / 2 + notices,
      connectTimeoutMs
    );
    if (!settled) run.failures.add('join', 'join notices did not all arrive');
    const moveSeconds =
      roomSize === null ? null : await move(run, clients, connectTimeoutMs);

    const hooks = options.hooks;
    if (hooks?.sample !== undefined)
      sampler = setInterval(() => hooks.sample?.(), options.sampleMs ?? 100);
    run.sending = true;
    run.sendStart = performance.now();
    const pace = options.pace;
    if (pace.kind === 'window') {
      for (const c of clients) c.fill();
    } else {
      const periodMs = (1000 * clients.length) / pace.messagesPerSec;
      clients.forEach((c, i) => {
        const offset = (periodMs * i) / clients.length;
        timers.push(
          setTimeout(() => {
            if (!run.sending) return;
            c.send(1);
            timers.push(
              setInterval(() => {
                if (run.sending) c.send(1);
              }, periodMs)
            );
          }, offset)
        );
      });
    }
    await sleep(options.warmupSeconds * 1000);
    options.hooks?.start?.();
    const latencyFrom = run.latencies.length;
    const receivedFrom = run.chatReceived;
    const cpuFrom = cpuMicros();
    const from = performance.now();
    await sleep(options.seconds * 1000);
    run.sending = false;
    const to = performance.now();
    const cpu = cpuMicros() - cpuFrom;
    const deliveries = run.chatReceived - receivedFrom;
    const latencyTo = run.latencies.length;
    options.hooks?.stop?.();
    for (const t of timers) clearTimeout(t);

    // Drain: every window back and every line to every member of its room.
    const sent = clients.reduce((n, c) => n + c.sent, 0);
    const perRoom = sentPerRoom(
      plan,
      clients.map((c) => c.sent)
    );
    const expected = expectedDeliveries(plan, perRoom);
    const drained = await until(
      () =>
        run.chatReceived > expected ||
        (run.chatReceived === expected &&
          clients.every((c) => c.inFlight === 0)),
      options.drainTimeoutMs ?? 10_000
    );
    // Late duplicates come right after the last line, if at all.
    await sleep(50);
    if (sampler !== null) clearInterval(sampler);
    check(run, clients, perRoom, expected, drained);

    const seconds = (to - from) / 1000;
    const sorted = Float64Array.from(
      run.latencies.slice(latencyFrom, latencyTo)
    ).sort();
    const quantile = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
    const round = (x: number): number => Math.round(x * 100) / 100;
    const generatorCpuPercent =
      Math.round((cpu / 1000 / (to - from)) * 1000) / 10;
    return {
      clients: clients.length,
      seconds: round(seconds),
      sent,
      deliveries,
      deliveriesPerSec: Math.round(deliveries / seconds),
      latencyMs: {
        p50: round(quantile(0.5)),
        p99: round(quantile(0.99)),
        max: round(sorted[sorted.length - 1] ?? 0),
        samples: sorted.length
      },
      generatorCpuPercent,
      generatorSaturated: generatorCpuPercent >= 90,
      nonChatLines: clients.reduce((n, c) => n + c.nonChat, 0),
      stuckAddresses: [...run.stuckAddresses],
      stuckLeaveNotices: clients.filter((c) =>
        c.leftSeen.some((a) => run.stuckAddresses.has(a))
      ).length,
      stuckLeftAfterSeconds:
        run.stuckLeftAt === 0
          ? null
          : round((run.stuckLeftAt - run.sendStart) / 1000),
      rooms: plan.rooms,
      moveSeconds: moveSeconds === null ? null : round(moveSeconds),
      ok: run.failures.size === 0,
      failures: run.failures.lines()
    };
  } finally {
    run.sending = false;
    if (sampler !== null) clearInterval(sampler);
    for (const t of timers) clearTimeout(t);
    for (const c of chatters) c.link.destroy();
    for (const s of stuck) s.destroy();
  }
}

/**
 * Sends every chatter to its room at once and waits until each is in it with
 * the room's full count; checks the counts. Returns the seconds it took.
 */
async function move(
  run: Run,
  clients: readonly Client[],
  timeoutMs: number
): Promise<number> {
  const from = performance.now();
  for (const c of clients) c.join();
  const moved = await until(() => clients.every((c) => c.settled()), timeoutMs);
  if (!moved)
    run.failures.add(
      'room',
      `${clients.filter((c) => !c.settled()).length} of ${clients.length} clients were not in their full room after ${timeoutMs} ms`
    );
  for (const f of roomCountFailures(
    run.plan,
    clients.map((c) => c.nowInCount),
    clients.map((c) => c.roomCount)
  ))
    run.failures.add(f.kind, f.example);
  return (performance.now() - from) / 1000;
}

/**
 * The end-of-run checks: every line to every member of its room, one order
 * per room (one room: everywhere).
 *
 * @param perRoom lines sent in each room
 * @param expected deliveries owed in all
 */
function check(
  run: Run,
  clients: readonly Client[],
  perRoom: readonly number[],
  expected: number,
  drained: boolean
): void {
  if (run.chatReceived < expected)
    run.failures.add(
      'lost',
      `lost ${expected - run.chatReceived} deliveries (${run.chatReceived} of ${expected}${drained ? '' : ', drain timed out'})`
    );
  else if (run.chatReceived > expected)
    run.failures.add(
      'extra',
      `${run.chatReceived - expected} deliveries too many (${run.chatReceived} for ${expected})`
    );
  for (const c of clients) {
    const owed = perRoom[c.room] ?? 0;
    if (c.received !== owed)
      run.failures.add(
        'count',
        `client ${c.id} received ${c.received} of ${owed} lines`
      );
  }
  const differ = orderDifferences(
    run.plan,
    clients.map((c) => `${c.received}:${c.hashA}:${c.hashB}`)
  );
  if (differ.clients > 0)
    run.failures.add(
      'order',
      run.plan.rooms === 1
        ? `order differs on ${differ.clients} of ${clients.length} clients`
        : `order differs on ${differ.clients} of ${clients.length} clients, in ${differ.rooms} of ${run.plan.rooms} rooms`
    );
}
