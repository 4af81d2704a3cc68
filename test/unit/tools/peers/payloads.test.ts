import { describe, expect, it } from 'vitest';
import {
  HTTP_REQUEST,
  TLS_CLIENT_HELLO,
  garbage,
  hugeLine,
  invalidUtf8,
  nulBytes,
  terminalEscapes
} from '../../../../src/tools/peers/payloads.js';
import { createRng } from '../../../../src/tools/peers/rng.js';

const strict = new TextDecoder('utf-8', { fatal: true });

describe('payloads', () => {
  it('TLS_CLIENT_HELLO is one handshake record holding a ClientHello with an SNI', () => {
    const hello = TLS_CLIENT_HELLO;
    expect([...hello.subarray(0, 3)]).toEqual([0x16, 0x03, 0x01]);
    expect(hello.readUInt16BE(3)).toBe(hello.length - 5);
    expect(hello[5]).toBe(0x01); // handshake type: client_hello
    expect(hello.readUIntBE(6, 3)).toBe(hello.length - 9);
    expect([...hello.subarray(9, 11)]).toEqual([0x03, 0x03]);
    expect(hello.includes(Buffer.from('chat.example.com'))).toBe(true);
    expect(hello.length).toBeGreaterThan(150);
    expect(hello.length).toBeLessThan(300);
  });

  it('HTTP_REQUEST is a complete GET request', () => {
    const text = HTTP_REQUEST.toString('latin1');
    expect(text).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: [^\r\n]+\r\n/);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });

  it('nulBytes(n) is n zero bytes', () => {
    expect(nulBytes(5)).toEqual(Buffer.from([0, 0, 0, 0, 0]));
  });

  it('invalidUtf8() is rejected by a strict decoder, sequence by sequence', () => {
    const bytes = invalidUtf8();
    expect(() => strict.decode(bytes)).toThrow(TypeError);
    expect(bytes.includes(0x0a)).toBe(false);
    // Each ASCII letter is followed by at least one invalid sequence.
    for (const piece of bytes.toString('latin1').split(/[a-e]/).slice(1)) {
      expect(() => strict.decode(Buffer.from(piece, 'latin1'))).toThrow(
        TypeError
      );
    }
  });

  it('terminalEscapes() holds CSI, OSC with BEL and ST, 8-bit CSI, a bare CR, backspaces and bidi controls', () => {
    const bytes = terminalEscapes();
    const text = bytes.toString('latin1');
    expect(bytes.includes(0x0a)).toBe(false);
    expect(text).toContain('\x1b[31m');
    expect(text).toContain('\x1b[10;20H');
    expect(text).toContain('\x1b]0;owned title\x07');
    expect(text).toContain('\x1b]2;other title\x1b\\');
    expect(bytes.includes(Buffer.from([0xc2, 0x9b]))).toBe(true);
    expect(bytes.at(-4)).toBe(0x9b);
    expect(text).toMatch(/[^\n]\r[^\n]/);
    expect(text).toContain('\b');
    const utf8 = bytes.subarray(0, -4).toString('utf8');
    for (const bidi of ['\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(utf8).toContain(bidi);
    }
  });

  it('garbage() has the requested size and is the same for the same seed', () => {
    const a = garbage(createRng(9), 4096);
    expect(a).toHaveLength(4096);
    expect(garbage(createRng(9), 4096)).toEqual(a);
    expect(garbage(createRng(10), 4096)).not.toEqual(a);
    expect(garbage(createRng(9), 0)).toHaveLength(0);
  });

  it('hugeLine(n) is n printable bytes without a newline', () => {
    const line = hugeLine(10 * 1024 * 1024);
    expect(line).toHaveLength(10 * 1024 * 1024);
    expect(line.includes(0x0a)).toBe(false);
    expect(line.every((b) => b >= 0x20 && b < 0x7f)).toBe(true);
  });
});
