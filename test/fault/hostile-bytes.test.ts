/**
 * Hostile bytes (issue 3, fault suite): what reaches the port is not always
 * a chat client's text. A 10 MB line, 1-byte fragments, NULs, invalid UTF-8,
 * terminal escapes, random binary, a TLS ClientHello and an HTTP request
 * each become exactly what docs/protocol.md says — whole lines, decoded
 * [CHAT-IN-1], sanitised [CHAT-IN-2] [CHAT-IN-6], blank ones dropped
 * [CHAT-IN-3], over-long ones answered with one `Error:` line [CHAT-IN-4],
 * a cut-off tail discarded [CHAT-WIRE-3] — while everyone else chats on.
 * Every case checks I1–I4.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HTTP_REQUEST,
  TLS_CLIENT_HELLO,
  garbage,
  hugeLine,
  invalidUtf8,
  nulBytes,
  terminalEscapes
} from '../../src/tools/peers/payloads.js';
import type { Peer } from '../../src/tools/peers/peer.js';
import { createRng } from '../../src/tools/peers/rng.js';
import { isBlank, sanitizeText } from '../../src/protocol/sanitize.js';
import { pollUntil } from '../support/daemon.js';
import {
  finishScenario,
  joinWatched,
  joinObservers,
  transcriptOf,
  type Observers
} from '../support/fault-run.js';
import { createHarness } from '../support/harness.js';
import { activeTimers } from '../support/leaks.js';

const SEED_SLICED = 0x4057_1e01;
const SEED_GARBAGE = 0x4057_1e02;
const LIMIT = 4096;
const TOO_LONG = `Error: line too long (limit ${LIMIT} bytes); it was not relayed`;
/** What [CHAT-IN-2] and [CHAT-IN-6] remove, as code points. */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- matching them is the point
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
const FFFD = '\uFFFD';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

// Full GCs without --expose-gc on vitest's command line, as leaks.test.ts
// does: the daemon runs in this process, so its memory is measured here.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Live JS heap plus Buffer memory: full collections with a turn between
 * them, since dead Buffers' memory is released after a collection, not in it.
 */
async function liveMemory(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The complete lines of `bytes` (the tail after the last `\n` is not one). */
function completeLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (
    let lf = bytes.indexOf(0x0a);
    lf !== -1;
    lf = bytes.indexOf(0x0a, start)
  ) {
    lines.push(bytes.subarray(start, lf));
    start = lf + 1;
  }
  return lines;
}

/** Without the `\r` of a `\r\n` ending. [CHAT-WIRE-2] */
function withoutCr(line: Buffer): Buffer {
  return line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
}

/** The texts `peer` received as relayed from `addr` (`[You]` for itself). */
function relayedFrom(peer: Peer, addr: string): string[] {
  const prefix = peer.localAddr === addr ? '[You] ' : `[${addr}] `;
  return peer.lines
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/**
 * `sender`'s texts reached every observer and itself exactly as `texts`, in
 * order; the checker will also hold them to I1 (via `obs.sent`).
 */
function expectRelayed(
  obs: Observers,
  sender: Peer,
  texts: readonly string[],
  context = ''
): void {
  obs.sent.set(sender.localAddr, [...texts]);
  for (const peer of [sender, ...obs.peers]) {
    expect(
      relayedFrom(peer, sender.localAddr),
      `${peer.localAddr} ${context}`
    ).toEqual(texts);
  }
}

/**
 * `obs.settle()`, and `stayer` (a member that is not an observer) also
 * waits for the settle marker, so its transcript is complete too.
 */
async function settleWith(
  obs: Observers,
  stayer: Peer,
  timeoutMs = 15_000
): Promise<void> {
  await obs.settle(timeoutMs);
  const speaker = obs.peers[0] as Peer;
  const marker = speaker.lines.at(-1)?.replace(/^\[You\] /, '') ?? '';
  await stayer.waitForLine(`[${speaker.localAddr}] ${marker}`, timeoutMs);
}

// Raw bytes on the plain port: over WebSocket each write is a message, and
// invalid UTF-8, binary or an over-long message close the connection by
// design [CHAT-WS-3] [CHAT-WS-4] (the chaos tool's garbage kind), and TLS's
// hostile bytes are the handshake tests in test/integration/tls.test.ts.
describe('hostile bytes on the chat port', () => {
  it('answers a 10 MB line with one Error line, relays the next line, and holds none of it', async () => {
    const huge = hugeLine(10 * 1024 * 1024);
    const timers = activeTimers();
    const t = await daemon();
    const obs = await joinObservers(t.port, 3, cleanups);
    const sender = await joinWatched(t.port, obs, cleanups);

    const pinger = obs.peers[1] as Peer;
    const ping = async (text: string): Promise<number> => {
      obs.sent.get(pinger.localAddr)?.push(text);
      const started = performance.now();
      await pinger.send(text);
      await pinger.waitForLine(`[You] ${text}`, 15_000);
      return performance.now() - started;
    };
    const quiet: number[] = [];
    for (let i = 0; i < 5; i++) quiet.push(await ping(`quiet ping ${i}`));

    const before = await liveMemory();
    let written = false;
    const sending = sender.write(huge).then(() => {
      written = true;
    });
    const chatting = obs.chat(20, 'beside-the-huge-line');
    // Someone else's round trips while the server reads the 10 MB.
    const busy: number[] = [];
    for (let i = 0; i < 500 && (i === 0 || !written); i++) {
      busy.push(await ping(`busy ping ${i}`));
    }
    await Promise.all([sending, chatting]);
    // [CHAT-IN-4] the error comes as soon as the line outgrows the limit.
    await sender.waitForLine(TOO_LONG, 15_000);
    // The line is still unfinished: whatever the kernel still held is read
    // by this process's server within a few turns. A server that kept the
    // line would hold ~10 MB in these samples.
    let growth = 0;
    for (let i = 0; i < 5; i++) {
      await delay(20);
      growth = Math.max(growth, (await liveMemory()) - before);
    }
    await sender.write('\nafter the huge line\n');
    await sender.waitForLine('[You] after the huge line');
    await settleWith(obs, sender);

    expect(
      growth,
      `live memory grew ${growth} bytes while a 10 MB line was unfinished`
    ).toBeLessThan(4 * 1024 * 1024);
    expect(
      Math.max(...busy),
      `ping round trips: quiet ${JSON.stringify(quiet)}, during ${JSON.stringify(busy)}`
    ).toBeLessThan(Math.max(50 * median(quiet), 3000));
    expect(sender.lines.filter((line) => line.startsWith('Error:'))).toEqual([
      TOO_LONG
    ]);
    expect(sender.lines.indexOf(TOO_LONG)).toBeLessThan(
      sender.lines.indexOf('[You] after the huge line')
    );
    expectRelayed(obs, sender, ['after the huge line']);
    const everything = [sender, ...obs.peers].flatMap((p) => p.lines);
    const leaked = (line: string): boolean =>
      line.includes('abcdefghijklmnopqrstuvwxyz');
    expect(everything.filter(leaked)).toEqual([]);
    expect(t.consoleLines().filter(leaked)).toEqual([]);
    expect(t.daemon.memberCount()).toBe(4);
    obs.expectInvariants([transcriptOf(sender, true)]);
    await finishScenario(t, [...obs.peers, sender], timers, cleanups);
  });

  it('relays lines written one byte at a time, multi-byte characters split, exactly', async () => {
    const rng = createRng(SEED_SLICED);
    const context = `seed ${SEED_SLICED}`;
    const texts = [
      'héllo wörld — naïve café',
      '日本語のテキスト、分割されても',
      '👋🏽 family 👨‍👩‍👧 flag 🇳🇴',
      'Ελληνικά, русский, עברית',
      'a\ttab stays'
    ];
    // Every other line ends in `\r\n`, whose `\r` is dropped. [CHAT-WIRE-2]
    const data = texts
      .map((text, i) => `${text}${i % 2 === 1 ? '\r\n' : '\n'}`)
      .join('');
    const timers = activeTimers();
    const t = await daemon();
    const obs = await joinObservers(t.port, 3, cleanups);
    const sender = await joinWatched(t.port, obs, cleanups);

    await Promise.all([
      sender.writeSliced(data, rng, { maxPiece: 1, maxDelayMs: 1 }),
      obs.chat(20, 'beside-the-fragments')
    ]);
    await sender.waitForLine(`[You] ${texts.at(-1)}`);
    await settleWith(obs, sender);

    expectRelayed(obs, sender, texts, context);
    expect(sender.lines.filter((l) => l.startsWith('Error:'))).toEqual([]);
    obs.expectInvariants([transcriptOf(sender, true)]);
    await finishScenario(t, [...obs.peers, sender], timers, cleanups);
  });

  it('relays NULs, invalid UTF-8 and terminal escapes only in their sanitised form', async () => {
    const lines = [
      Buffer.concat([Buffer.from('nul'), nulBytes(3), Buffer.from('byte')]),
      nulBytes(8), // blank once sanitised: ignored [CHAT-IN-3]
      invalidUtf8(),
      terminalEscapes(),
      Buffer.from('\x1b[2J\x1b[H\x07\x7f\r'), // blank once sanitised
      // 8-bit string controls with their payloads, line and paragraph
      // separators, DEL; RTL letters and the LRM/RLM marks stay.
      Buffer.from(
        'a\u0090dcs payload\u009cb\u009dosc payload\u0007c\u2028d\u2029e\u200ff\u200eg שלום\x7f'
      ),
      Buffer.from('after the hostile lines')
    ];
    // Each invalid sequence's maximal subpart becomes one U+FFFD (WHATWG
    // decoding): 80|BF, C0|AF, E0|80|AF, F0|80|80|AF, C1|BF; FF|FE,
    // ED|A0|80, F4|90|80|80; the cut E2 82 and F0 9F 98 one each.
    const invalid = `a${FFFD.repeat(2)}b${FFFD.repeat(11)}c${FFFD.repeat(9)}d${FFFD}e${FFFD}`;
    // Whole escape sequences go (CSI 7- and 8-bit, OSC by BEL and by ST),
    // then `\r`, backspaces and bidi controls; the raw 0x9B byte is invalid
    // UTF-8, so it arrives as U+FFFD, not as a C1 CSI.
    const escapes =
      'plain red green hiddenoverwritten typofixed evil.exe isolatertlfirst' +
      `${FFFD}1m!`;
    const expected = [
      'nulbyte',
      invalid,
      escapes,
      'abcde\u200ff\u200eg שלום',
      'after the hostile lines'
    ];
    const timers = activeTimers();
    const t = await daemon();
    const obs = await joinObservers(t.port, 3, cleanups);
    const sender = await joinWatched(t.port, obs, cleanups);

    await Promise.all([
      sender.write(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]))),
      obs.chat(20, 'beside-the-escapes')
    ]);
    await sender.waitForLine('[You] after the hostile lines');
    await settleWith(obs, sender);

    expectRelayed(obs, sender, expected);
    // Nothing is answered for the blank lines.
    expect(sender.lines.filter((l) => l.startsWith('Error:'))).toEqual([]);
    obs.expectInvariants([transcriptOf(sender, true)]);
    await finishScenario(t, [...obs.peers, sender], timers, cleanups);
  });

  it('survives 1 MB of seeded binary garbage: its lines relayed sanitised, over-long ones answered', async () => {
    const rng = createRng(SEED_GARBAGE);
    const context = `seed ${SEED_GARBAGE}`;
    // Garbage has a `\n` every hundred bytes or so; three runs without one
    // (5–12 KB) make over-long lines too. The final `\n` ends the last line,
    // so every byte belongs to a line.
    const runs = Array.from({ length: 3 }, () =>
      garbage(rng, rng.int(5000, 12_000)).map((b) => (b === 0x0a ? 0x20 : b))
    );
    const bytes = Buffer.concat([
      ...runs.flatMap((run) => [garbage(rng, 256 * 1024), run]),
      garbage(rng, 256 * 1024),
      Buffer.from('\n')
    ]);
    const lines = completeLines(bytes).map(withoutCr);
    const oversize = lines.filter((line) => line.length > LIMIT).length;
    expect(oversize, context).toBeGreaterThanOrEqual(runs.length);
    // The daemon's own sanitiser gives the expected texts: its rules are
    // pinned independently by the case above. This one checks framing,
    // decoding, the line limit and the order over a megabyte of noise.
    const expected = lines
      .filter((line) => line.length <= LIMIT)
      .map((line) => sanitizeText(line.toString('utf8')))
      .filter((text) => !isBlank(text));
    const timers = activeTimers();
    const t = await daemon();
    const obs = await joinObservers(t.port, 3, cleanups);
    const sender = await joinWatched(t.port, obs, cleanups);

    await Promise.all([
      sender.writeSliced(bytes, rng, { maxPiece: 64 * 1024, maxDelayMs: 1 }),
      obs.chat(50, 'beside-the-garbage')
    ]);
    await sender.send('garbage done');
    await sender.waitForLine('[You] garbage done', 30_000);
    await settleWith(obs, sender, 30_000);

    const texts = [...expected, 'garbage done'];
    expectRelayed(obs, sender, texts, context);
    const dirty = relayedFrom(obs.peers[0] as Peer, sender.localAddr).filter(
      (text) => text.match(FORBIDDEN) !== null
    );
    expect(dirty, context).toEqual([]);
    const errors = sender.lines.filter((l) => l.startsWith('Error:'));
    expect(errors, context).toEqual(errors.map(() => TOO_LONG));
    expect(errors.length, context).toBe(oversize);
    expect(t.daemon.memberCount(), context).toBe(4);
    obs.expectInvariants([transcriptOf(sender, true)]);
    await finishScenario(t, [...obs.peers, sender], timers, cleanups);
  });

  /**
   * A client of another protocol: its bytes are chat input like any other.
   * It gets the greeting and its own lines back, never a reply in its own
   * protocol; it gives up (FIN) and everyone sees it leave.
   */
  async function expectForeignClient(
    payload: Buffer,
    expected: readonly string[],
    tag: string
  ): Promise<void> {
    const timers = activeTimers();
    const t = await daemon();
    const obs = await joinObservers(t.port, 3, cleanups);
    const foreign = await client(t.port);
    // It speaks first, as TLS and HTTP clients do, before any greeting.
    await Promise.all([foreign.write(payload), obs.chat(20, tag)]);
    await foreign.waitForLine(`[You] ${expected.at(-1)}`);
    foreign.end();
    await foreign.closed;
    await pollUntil(
      () => t.daemon.stats().connections === obs.peers.length,
      'the foreign client is gone'
    );
    await obs.settle();

    const addr = foreign.localAddr;
    expect(foreign.error).toBe(null);
    // Its greeting, then only relayed chat: no reply in its own protocol.
    expect(foreign.lines.filter((line) => !line.startsWith('['))).toEqual([
      'Connected to the chat server (4 users online)'
    ]);
    expect(relayedFrom(foreign, addr)).toEqual(expected);
    for (const peer of obs.peers) {
      expect(
        peer.lines.filter((line) => line.includes(addr)),
        peer.localAddr
      ).toEqual([
        `New user ${addr} entered (4 users online)`,
        ...expected.map((text) => `[${addr}] ${text}`),
        `The user ${addr} left (3 users online)`
      ]);
    }
    obs.sent.set(addr, [...expected]);
    expect(t.daemon.stats().disconnects['client quit']).toBe(1);
    obs.expectInvariants([transcriptOf(foreign, false)]);
    await finishScenario(t, obs.peers, timers, cleanups);
  }

  it('treats a TLS ClientHello as chat input: its one whole line relayed sanitised, the cut-off rest dropped', async () => {
    // The record holds one `\n`: one line, then a tail that never ends.
    const lines = completeLines(TLS_CLIENT_HELLO);
    expect(lines).toHaveLength(1);
    // The documented pipeline, restated for this ESC-free payload: UTF-8
    // decoding, then every control and bidi character removed.
    const text = (lines[0] as Buffer).toString('utf8');
    const introducers = [
      '\u001b',
      '\u0090',
      '\u0098',
      '\u009b',
      '\u009d',
      '\u009e',
      '\u009f'
    ];
    expect(introducers.filter((c) => text.includes(c))).toEqual([]);
    const expected = text.replace(FORBIDDEN, '');
    expect(expected).toContain('chat.example.com');
    await expectForeignClient(TLS_CLIENT_HELLO, [expected], 'beside-tls');
  });

  it('treats an HTTP request as chat input: its header lines relayed, no HTTP reply', async () => {
    // The blank line that ends the header is ignored. [CHAT-IN-3]
    await expectForeignClient(
      HTTP_REQUEST,
      [
        'GET / HTTP/1.1',
        'Host: 127.0.0.1',
        'User-Agent: chat-chaos',
        'Accept: */*'
      ],
      'beside-http'
    );
  });
});
