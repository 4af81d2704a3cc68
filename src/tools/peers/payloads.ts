/**
 * Hostile byte payloads for fault peers: things a chat server meets when
 * something that isn't a chat client connects, or a client that lies.
 * Functions return a fresh Buffer, so a caller may mutate what it gets.
 */
import { createRng, type Rng } from './rng.js';

function u16(n: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(n);
  return out;
}

function u24(n: number): Buffer {
  return Buffer.from([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Prefixes `body` with its 2-byte length, as TLS vectors are. */
function vec16(...body: Buffer[]): Buffer {
  const joined = Buffer.concat(body);
  return Buffer.concat([u16(joined.length), joined]);
}

function extension(type: number, ...body: Buffer[]): Buffer {
  return Buffer.concat([u16(type), vec16(...body)]);
}

/**
 * Assembles a ClientHello like a modern browser's: TLS 1.2 on the record,
 * TLS 1.3 in supported_versions, an SNI, an X25519 key share. The random
 * fields are fixed (seeded) so the payload is the same on every run.
 */
function buildClientHello(): Buffer {
  const rng = createRng(0x7115);
  const host = Buffer.from('chat.example.com');
  const suites = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8
  ];
  const extensions = Buffer.concat([
    extension(0x0000, vec16(Buffer.from([0x00]), vec16(host))),
    extension(0x000a, vec16(u16(0x001d), u16(0x0017), u16(0x0018))),
    extension(0x000b, Buffer.from([0x01, 0x00])),
    extension(
      0x000d,
      vec16(
        ...[0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601].map(
          u16
        )
      )
    ),
    extension(0x002b, Buffer.from([0x04, 0x03, 0x04, 0x03, 0x03])),
    extension(0x0033, vec16(u16(0x001d), vec16(rng.bytes(32))))
  ]);
  const hello = Buffer.concat([
    Buffer.from([0x03, 0x03]), // legacy_version TLS 1.2
    rng.bytes(32), // random
    Buffer.from([32]),
    rng.bytes(32), // legacy_session_id
    vec16(...suites.map(u16)),
    Buffer.from([0x01, 0x00]), // compression: null only
    vec16(extensions)
  ]);
  const handshake = Buffer.concat([
    Buffer.from([0x01]),
    u24(hello.length),
    hello
  ]);
  // Record layer: handshake (0x16), version 3.1 as every real client sends.
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), vec16(handshake)]);
}

/**
 * A TLS ClientHello record (0x16 0x03 0x01 …, SNI `chat.example.com`): a TLS
 * client pointed at the plain-text port. It may contain `\n` bytes.
 */
export const TLS_CLIENT_HELLO: Buffer = buildClientHello();

/** An HTTP/1.1 request: a browser or health check pointed at the port. */
export const HTTP_REQUEST: Buffer = Buffer.from(
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: chat-chaos\r\nAccept: */*\r\n\r\n'
);

/** `n` NUL bytes. */
export function nulBytes(n: number): Buffer {
  return Buffer.alloc(n);
}

/**
 * Invalid UTF-8 between bits of ASCII: lone continuation bytes, overlong
 * encodings, 0xFF/0xFE, an encoded surrogate, a code point past U+10FFFF
 * and truncated sequences. Contains no `\n`.
 */
export function invalidUtf8(): Buffer {
  // prettier-ignore
  return Buffer.from([
    ...Buffer.from('a'),
    0x80, 0xbf, // lone continuation bytes
    ...Buffer.from('b'),
    0xc0, 0xaf, // overlong '/'
    0xe0, 0x80, 0xaf, // overlong '/' in three bytes
    0xf0, 0x80, 0x80, 0xaf, // overlong '/' in four bytes
    0xc1, 0xbf, // overlong, never valid
    ...Buffer.from('c'),
    0xff, 0xfe, // never valid in UTF-8
    0xed, 0xa0, 0x80, // the surrogate U+D800
    0xf4, 0x90, 0x80, 0x80, // U+110000, past the last code point
    ...Buffer.from('d'),
    0xe2, 0x82, // '€' cut after two of its three bytes
    ...Buffer.from('e'),
    0xf0, 0x9f, 0x98 // an emoji cut after three of its four bytes
  ]);
}

/**
 * Text that drives a terminal: CSI colour and cursor moves, OSC title sets
 * ended by BEL and by ST, 8-bit CSI (U+009B encoded, and a raw 0x9B byte),
 * a bare `\r` mid-line, backspaces, the bidi override U+202E and the
 * isolates U+2066–U+2069. Contains no `\n`.
 */
export function terminalEscapes(): Buffer {
  const text = [
    'plain ',
    '\x1b[31mred\x1b[0m ',
    '\x1b[2J\x1b[H', // clear the screen, cursor home
    '\x1b[10;20H\x1b[3A\x1b[5C', // cursor moves
    '\x1b]0;owned title\x07', // OSC title, ended by BEL
    '\x1b]2;other title\x1b\\', // OSC title, ended by ST
    '\u009b32mgreen\u009b0m ', // 8-bit CSI as a code point
    'hidden\roverwritten ',
    'typo\b\b\b\bfixed ',
    '\u202eevil.exe\u202c ',
    '\u2066isolate\u2069\u2067rtl\u2069\u2068first\u2069'
  ].join('');
  // A raw 0x9B is what an 8-bit terminal reads as CSI; it is not UTF-8.
  return Buffer.concat([
    Buffer.from(text),
    Buffer.from([0x9b]),
    Buffer.from('1m!')
  ]);
}

/**
 * `size` bytes of garbage: the payloads above, NULs and random binary, cut
 * and mixed by `rng`, so the same seed gives the same bytes. Unlike the other
 * payloads it does contain `\n` bytes now and then.
 */
export function garbage(rng: Rng, size: number): Buffer {
  const sources: (() => Buffer)[] = [
    () => TLS_CLIENT_HELLO,
    () => HTTP_REQUEST,
    () => nulBytes(rng.int(1, 16)),
    invalidUtf8,
    terminalEscapes,
    () => rng.bytes(rng.int(1, 64))
  ];
  const out = Buffer.alloc(size);
  for (let at = 0; at < size;) {
    const piece = rng.pick(sources)();
    const start = rng.int(0, piece.length - 1);
    const end = rng.int(start + 1, piece.length);
    at += piece.copy(out, at, start, end);
  }
  return out;
}

/**
 * A Buffer of `bytes` printable ASCII bytes and no `\n`: one huge line, for
 * the line-length limit [CHAT-IN-4] (e.g. 10 MB).
 */
export function hugeLine(bytes: number): Buffer {
  return Buffer.alloc(bytes, 'abcdefghijklmnopqrstuvwxyz0123456789');
}
