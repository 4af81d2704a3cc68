import { describe, expect, it } from 'vitest';
import {
  LineSplitter,
  type Frame
} from '../../../src/transport/line-splitter.js';

const LIMIT = 16;

/** Frames as readable values: the line's text, or 'OVERSIZE'. */
function show(frames: Frame[]): string[] {
  return frames.map((f) =>
    f.kind === 'line' ? f.bytes.toString('utf8') : 'OVERSIZE'
  );
}

/** Pushes each chunk in turn and returns every frame, in order. */
function feed(splitter: LineSplitter, chunks: (string | Buffer)[]): string[] {
  return chunks.flatMap((chunk) =>
    show(splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk))
  );
}

describe('LineSplitter', () => {
  it('splits on LF [CHAT-WIRE-2]', () => {
    expect(feed(new LineSplitter(LIMIT), ['hello\n'])).toEqual(['hello']);
  });

  it('drops the CR of a CRLF line [CHAT-WIRE-2]', () => {
    expect(feed(new LineSplitter(LIMIT), ['hello\r\n'])).toEqual(['hello']);
  });

  it('keeps a CR that is not right before the LF', () => {
    expect(feed(new LineSplitter(LIMIT), ['a\rb\n'])).toEqual(['a\rb']);
  });

  it('frames several lines in one chunk, in order', () => {
    expect(feed(new LineSplitter(LIMIT), ['one\ntwo\r\nthree\n'])).toEqual([
      'one',
      'two',
      'three'
    ]);
  });

  it('joins a line that arrives across chunks', () => {
    const splitter = new LineSplitter(LIMIT);
    expect(feed(splitter, ['hel'])).toEqual([]);
    expect(splitter.pendingBytes).toBe(3);
    expect(feed(splitter, ['lo wo', 'rld\nnext'])).toEqual(['hello world']);
    expect(splitter.pendingBytes).toBe(4);
  });

  it('frames the same lines from 1-byte chunks', () => {
    const input = 'ab\r\ncd\n\nef\n';
    const chunks = [...Buffer.from(input)].map((b) => Buffer.from([b]));
    expect(feed(new LineSplitter(LIMIT), chunks)).toEqual([
      'ab',
      'cd',
      '',
      'ef'
    ]);
  });

  it('frames an empty line as an empty line', () => {
    const frames = new LineSplitter(LIMIT).push(Buffer.from('\n\r\n'));
    expect(frames).toEqual([
      { kind: 'line', bytes: Buffer.alloc(0) },
      { kind: 'line', bytes: Buffer.alloc(0) }
    ]);
  });

  it('accepts a line of exactly the limit [CHAT-IN-4]', () => {
    const line = 'x'.repeat(LIMIT);
    expect(feed(new LineSplitter(LIMIT), [`${line}\n`])).toEqual([line]);
  });

  it('does not count the CR of CRLF against the limit [CHAT-IN-4]', () => {
    const line = 'x'.repeat(LIMIT);
    expect(feed(new LineSplitter(LIMIT), [`${line}\r\n`])).toEqual([line]);
  });

  it('reports a line of limit+1 bytes once as oversize [CHAT-IN-4]', () => {
    const line = 'x'.repeat(LIMIT + 1);
    expect(feed(new LineSplitter(LIMIT), [`${line}\n`, 'ok\n'])).toEqual([
      'OVERSIZE',
      'ok'
    ]);
  });

  it('reports a CRLF line of limit+1 bytes once as oversize [CHAT-IN-4]', () => {
    const line = 'x'.repeat(LIMIT + 1);
    expect(feed(new LineSplitter(LIMIT), [`${line}\r\n`, 'ok\r\n'])).toEqual([
      'OVERSIZE',
      'ok'
    ]);
  });

  it('holds limit+1 bytes until the LF shows no CR, then reports oversize', () => {
    const splitter = new LineSplitter(LIMIT);
    expect(feed(splitter, ['x'.repeat(LIMIT) + 'y'])).toEqual([]);
    expect(feed(splitter, ['\n'])).toEqual(['OVERSIZE']);
  });

  it('reports an over-long line before its newline, once, and discards the rest [CHAT-IN-4]', () => {
    const splitter = new LineSplitter(LIMIT);
    expect(feed(splitter, ['y'.repeat(LIMIT + 2)])).toEqual(['OVERSIZE']);
    expect(splitter.pendingBytes).toBe(0);
    for (let i = 0; i < 50; i += 1) {
      expect(feed(splitter, ['z'.repeat(LIMIT * 3)])).toEqual([]);
      expect(splitter.pendingBytes).toBe(0);
    }
    expect(feed(splitter, ['tail of the long one\nnext line\n'])).toEqual([
      'next line'
    ]);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('frames the line after an over-long line in the same chunk', () => {
    const long = 'q'.repeat(LIMIT * 2);
    expect(feed(new LineSplitter(LIMIT), [`a\n${long}\nb\n`])).toEqual([
      'a',
      'OVERSIZE',
      'b'
    ]);
  });

  it('never holds more than limit+1 bytes of a 10 MB line without newline [CHAT-IN-4]', () => {
    const limit = 4096;
    const splitter = new LineSplitter(limit);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let frames: string[] = [];
    let maxPending = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      frames = frames.concat(show(splitter.push(chunk)));
      maxPending = Math.max(maxPending, splitter.pendingBytes);
    }
    expect(frames).toEqual(['OVERSIZE']);
    expect(maxPending).toBeLessThanOrEqual(limit + 1);
    expect(feed(splitter, ['\nafter\n'])).toEqual(['after']);
  });

  it('holds at most limit+1 bytes when a long line trickles in byte by byte', () => {
    const splitter = new LineSplitter(LIMIT);
    let maxPending = 0;
    const frames: string[] = [];
    for (let i = 0; i < LIMIT * 4; i += 1) {
      frames.push(...show(splitter.push(Buffer.from('w'))));
      maxPending = Math.max(maxPending, splitter.pendingBytes);
    }
    expect(frames).toEqual(['OVERSIZE']);
    expect(maxPending).toBe(LIMIT + 1);
  });

  it('never emits bytes after the last newline [CHAT-WIRE-3]', () => {
    const splitter = new LineSplitter(LIMIT);
    expect(feed(splitter, ['done\ncut off mid'])).toEqual(['done']);
    expect(splitter.pendingBytes).toBe('cut off mid'.length);
    expect(feed(splitter, ['', Buffer.alloc(0)])).toEqual([]);
  });

  it('reassembles a multi-byte UTF-8 character split across chunks [CHAT-WIRE-1]', () => {
    const bytes = Buffer.from('caf\u00e9 \u20ac \u{1f600}\n', 'utf8');
    const euro = bytes.indexOf(0xe2);
    const splitter = new LineSplitter(LIMIT * 2);
    const frames = [
      ...splitter.push(bytes.subarray(0, euro + 1)),
      ...splitter.push(bytes.subarray(euro + 1, euro + 2)),
      ...splitter.push(bytes.subarray(euro + 2, bytes.length - 3)),
      ...splitter.push(bytes.subarray(bytes.length - 3))
    ];
    expect(show(frames)).toEqual(['caf\u00e9 \u20ac \u{1f600}']);
  });

  it('counts the limit in bytes, not characters [CHAT-IN-4]', () => {
    // 6 euro signs are 18 bytes: over a 16-byte limit though only 6 characters.
    expect(feed(new LineSplitter(LIMIT), ['\u20ac'.repeat(6) + '\n'])).toEqual([
      'OVERSIZE'
    ]);
    expect(feed(new LineSplitter(LIMIT), ['\u20ac'.repeat(5) + '\n'])).toEqual([
      '\u20ac'.repeat(5)
    ]);
  });
});
