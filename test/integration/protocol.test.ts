/**
 * docs/protocol.md, rule group by rule group, over real loopback sockets.
 * Test names cite the rule ids they check.
 */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestClient } from '../support/client.js';
import { createHarness, online } from '../support/harness.js';
import { pollUntil } from '../support/daemon.js';

const { cleanups, daemon, client, twoMembers } = createHarness();
afterEach(() => cleanups.run());

/** `from`'s line came back as its own and reached `to` from its address. [CHAT-MSG-1] [CHAT-MSG-2] */
async function expectRelayed(
  from: TestClient,
  to: TestClient,
  text: string
): Promise<void> {
  expect(await from.nextLine()).toBe(`[You] ${text}`);
  expect(await to.nextLine()).toBe(`[${from.localAddr}] ${text}`);
}

/** Whether this machine lets us listen on `host`. */
async function canListen(host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

const ipv6Loopback = await canListen('::1');
const ipv4MappedLoopback = await canListen('::ffff:127.0.0.1');

describe('[CHAT-WIRE] transport and framing', () => {
  it('[CHAT-WIRE-2] accepts CRLF, drops the \\r, and ends every server line with \\n alone', async () => {
    const { a, b } = await twoMembers();
    await a.write('hello\r\n');
    await expectRelayed(a, b, 'hello');
    await b.write('back at you\r\n');
    await expectRelayed(b, a, 'back at you');

    for (const c of [a, b]) {
      const bytes = c.bytes();
      expect(bytes.includes(0x0d)).toBe(false);
      expect(bytes.at(-1)).toBe(0x0a);
    }
  });

  it('[CHAT-WIRE-1] relays a line split into 1-byte writes whole', async () => {
    const { a, b } = await twoMembers();
    const text = 'split héllo wörld € 🎉';
    for (const byte of Buffer.from(`${text}\n`, 'utf8')) {
      await a.write(Buffer.of(byte));
      await sleep(1);
    }
    expect(await a.nextLine()).toBe(`[You] ${text}`);
    expect(await b.nextLine()).toBe(`[${a.localAddr}] ${text}`);
  });

  it('[CHAT-WIRE-1] relays several lines from one write as separate messages, in order', async () => {
    const { a, b } = await twoMembers();
    await a.write('one\ntwo\r\nthree\n');
    expect([
      await a.nextLine(),
      await a.nextLine(),
      await a.nextLine()
    ]).toEqual(['[You] one', '[You] two', '[You] three']);
    expect([
      await b.nextLine(),
      await b.nextLine(),
      await b.nextLine()
    ]).toEqual([
      `[${a.localAddr}] one`,
      `[${a.localAddr}] two`,
      `[${a.localAddr}] three`
    ]);
  });

  it('[CHAT-WIRE-3] discards a partial line cut off by FIN and still announces the leave', async () => {
    const { t, a, b } = await twoMembers();
    await a.write('a partial line');
    a.end();
    expect(await b.nextLine()).toBe(
      `The user ${a.localAddr} left (${online(1)})`
    );
    await a.closed;
    expect(a.lines).toEqual([
      `Connected to the chat server (${online(1)})`,
      `New user ${b.localAddr} entered (${online(2)})`
    ]);
    await t.waitForConsole(`The user ${a.localAddr} left (${online(1)})`);
    expect(
      t.consoleLines().filter((line) => line.includes('a partial line'))
    ).toEqual([]);
  });
});

describe('[CHAT-IN] client input', () => {
  it('[CHAT-IN-3] ignores empty and whitespace-only lines', async () => {
    const { a, b } = await twoMembers();
    await a.write('\n   \n\t\n\r\n \t \r\n');
    await a.send('x');
    await expectRelayed(a, b, 'x');
  });

  it('[CHAT-IN-2] [CHAT-IN-3] ignores a line that is blank once control characters and escapes are removed', async () => {
    const { a, b } = await twoMembers();
    await a.write('\x07\x1b[2J\x00 \x1b]0;title\x07\n');
    await a.send('y');
    await expectRelayed(a, b, 'y');
  });

  it('[CHAT-IN-1] relays valid multi-byte UTF-8 unchanged', async () => {
    const { a, b } = await twoMembers();
    await a.send('héllo 世界 🎉');
    await expectRelayed(a, b, 'héllo 世界 🎉');
  });

  it('[CHAT-IN-1] replaces invalid UTF-8 with U+FFFD', async () => {
    const { a, b } = await twoMembers();
    await a.write(Buffer.from([0x61, 0xff, 0x62, 0x0a]));
    await expectRelayed(a, b, 'a\uFFFDb');
  });

  it('[CHAT-IN-2] removes ANSI CSI sequences and BEL', async () => {
    const { a, b } = await twoMembers();
    await a.send('a\x1b[31mred\x1b[0m\x07b');
    await expectRelayed(a, b, 'aredb');
  });

  it('[CHAT-IN-2] removes OSC sequences whole, ended by BEL or ESC \\', async () => {
    const { a, b } = await twoMembers();
    await a.send('\x1b]0;title\x07hi');
    await expectRelayed(a, b, 'hi');
    await a.send('\x1b]0;title\x1b\\there');
    await expectRelayed(a, b, 'there');
  });

  it('[CHAT-IN-2] removes other ESC sequences whole', async () => {
    const { a, b } = await twoMembers();
    // ESC c (reset the terminal) and ESC 7 (save the cursor).
    await a.send('a\x1bcb\x1b7c');
    await expectRelayed(a, b, 'abc');
  });

  it('[CHAT-IN-2] removes C0, DEL, C1 and a bare \\r but keeps TAB', async () => {
    const { a, b } = await twoMembers();
    await a.send('a\x00b\x7fc\u0085d\re\tf\x1fg');
    await expectRelayed(a, b, 'abcde\tfg');
  });

  it('[CHAT-IN-4] [CHAT-ERR-1] answers an over-long line with one error, relays nothing, and keeps the sender connected', async () => {
    const { a, b } = await twoMembers({ maxLineBytes: 64 });
    await a.send('x'.repeat(65));
    expect(await a.nextLine()).toBe(
      'Error: line too long (limit 64 bytes); it was not relayed'
    );
    await a.send('ok');
    expect(await a.nextLine()).toBe('[You] ok');
    // B's next line is the `ok`: the over-long line reached nobody.
    expect(await b.nextLine()).toBe(`[${a.localAddr}] ok`);
    expect(a.lines).toEqual([
      `Connected to the chat server (${online(1)})`,
      `New user ${b.localAddr} entered (${online(2)})`,
      'Error: line too long (limit 64 bytes); it was not relayed',
      '[You] ok'
    ]);
  });

  it('[CHAT-IN-4] counts the limit in bytes, without the line ending', async () => {
    const { a, b } = await twoMembers({ maxLineBytes: 64 });
    const exact = 'y'.repeat(64);
    const exactCrlf = 'z'.repeat(64);
    const exactMultiByte = 'é'.repeat(32); // 64 bytes, 32 characters
    await a.send(exact);
    await a.write(`${exactCrlf}\r\n`);
    await a.send(exactMultiByte);
    await a.send(`${exactMultiByte}a`); // 65 bytes
    await a.send('done');
    await a.waitForLine('[You] done');
    expect(a.lines.slice(2)).toEqual([
      `[You] ${exact}`,
      `[You] ${exactCrlf}`,
      `[You] ${exactMultiByte}`,
      'Error: line too long (limit 64 bytes); it was not relayed',
      '[You] done'
    ]);
    await b.waitForLine(`[${a.localAddr}] done`);
    expect(b.lines.slice(1)).toEqual([
      `[${a.localAddr}] ${exact}`,
      `[${a.localAddr}] ${exactCrlf}`,
      `[${a.localAddr}] ${exactMultiByte}`,
      `[${a.localAddr}] done`
    ]);
  });

  it('[CHAT-IN-4] answers a 1 MB line with one error at the default limit, then relays the next line', async () => {
    const { a, b } = await twoMembers();
    await a.write(Buffer.alloc(1024 * 1024, 'z'));
    await a.write('\nok\n');
    expect(await a.nextLine(10_000)).toBe(
      'Error: line too long (limit 4096 bytes); it was not relayed'
    );
    expect(await a.nextLine(10_000)).toBe('[You] ok');
    expect(await b.nextLine(10_000)).toBe(`[${a.localAddr}] ok`);
  });
});

describe('[CHAT-NOTICE] notices cannot be forged', () => {
  it('[CHAT-NOTICE-1] relays notice-shaped text with the sender prefix', async () => {
    const { a, b } = await twoMembers();
    await a.send('New user x entered (9 users online)');
    expect(await b.nextLine()).toBe(
      `[${a.localAddr}] New user x entered (9 users online)`
    );
    await a.send('hi\rServer shutting down');
    expect(await b.nextLine()).toBe(`[${a.localAddr}] hiServer shutting down`);
    expect(a.lines.slice(2)).toEqual([
      '[You] New user x entered (9 users online)',
      '[You] hiServer shutting down'
    ]);
  });
});

describe('[CHAT-ADDR] addresses', () => {
  it('[CHAT-ADDR-1] shows an IPv4 peer as IP:PORT', async () => {
    const { t, a, b } = await twoMembers();
    expect(a.localAddr).toBe(`127.0.0.1:${a.socket.localPort}`);
    expect(a.lines[1]).toBe(
      `New user 127.0.0.1:${b.socket.localPort} entered (${online(2)})`
    );
    await t.waitForConsole(
      `New user 127.0.0.1:${a.socket.localPort} entered (${online(1)})`
    );
  });

  it.skipIf(!ipv6Loopback)(
    '[CHAT-ADDR-1] shows an IPv6 peer as [IP]:PORT (skipped when ::1 cannot be bound here)',
    async () => {
      const t = await daemon({ host: '::1' });
      const a = await client(t.port, '::1');
      await a.waitForLine(`Connected to the chat server (${online(1)})`);
      const b = await client(t.port, '::1');
      await b.waitForLine(`Connected to the chat server (${online(2)})`);
      expect(b.localAddr).toBe(`[::1]:${b.socket.localPort}`);
      expect(await a.nextLine()).toBe(
        `New user [::1]:${b.socket.localPort} entered (${online(2)})`
      );
      await b.send('hi over v6');
      expect(await a.nextLine()).toBe(
        `[[::1]:${b.socket.localPort}] hi over v6`
      );
      await t.waitForConsole(`[[::1]:${b.socket.localPort}] hi over v6`);
    }
  );

  it.skipIf(!ipv4MappedLoopback)(
    '[CHAT-ADDR-1] shows an IPv4-mapped IPv6 peer as plain IPv4 (skipped when ::ffff:127.0.0.1 cannot be bound here)',
    async () => {
      const t = await daemon({ host: '::ffff:127.0.0.1' });
      const a = await client(t.port, '127.0.0.1');
      await a.waitForLine(`Connected to the chat server (${online(1)})`);
      const b = await client(t.port, '127.0.0.1');
      await b.waitForLine(`Connected to the chat server (${online(2)})`);
      expect(await a.nextLine()).toBe(
        `New user 127.0.0.1:${b.socket.localPort} entered (${online(2)})`
      );
      await t.waitForConsole(
        `New user 127.0.0.1:${a.socket.localPort} entered (${online(1)})`
      );
    }
  );
});

describe('[CHAT-COUNT] counts', () => {
  it('[CHAT-COUNT-1] [CHAT-COUNT-2] says 1 user, N users and 0 users online as members come and go', async () => {
    const { t, a, b } = await twoMembers();
    expect(a.lines[0]).toBe('Connected to the chat server (1 user online)');
    expect(b.lines[0]).toBe('Connected to the chat server (2 users online)');
    const c = await client(t.port);
    expect(await c.nextLine()).toBe(
      'Connected to the chat server (3 users online)'
    );
    c.end();
    expect(await a.nextLine()).toBe(
      `New user ${c.localAddr} entered (3 users online)`
    );
    expect(await a.nextLine()).toBe(
      `The user ${c.localAddr} left (2 users online)`
    );
    b.end();
    expect(await a.nextLine()).toBe(
      `The user ${b.localAddr} left (1 user online)`
    );
    a.end();
    await t.waitForConsole(`The user ${a.localAddr} left (0 users online)`);
    expect(t.daemon.memberCount()).toBe(0);
  });
});

describe('[CHAT-ORDER] ordering', () => {
  it('[CHAT-ORDER-2] sends the greeting first and nothing ordered before the join', async () => {
    const t = await daemon();
    const a = await client(t.port);
    await a.waitForLine(`Connected to the chat server (${online(1)})`);
    await a.send('before');
    await a.waitForLine('[You] before');
    const b = await client(t.port);
    expect(await b.nextLine()).toBe(
      `Connected to the chat server (${online(2)})`
    );
    await a.send('after');
    expect(await b.nextLine()).toBe(`[${a.localAddr}] after`);
    expect(b.lines).toEqual([
      `Connected to the chat server (${online(2)})`,
      `[${a.localAddr}] after`
    ]);
  });

  it("[CHAT-ORDER-3] orders a user's leave after all of its messages", async () => {
    const { a, b } = await twoMembers();
    void a.write('one\ntwo\nlast words\n');
    a.end();
    expect([
      await b.nextLine(),
      await b.nextLine(),
      await b.nextLine(),
      await b.nextLine()
    ]).toEqual([
      `[${a.localAddr}] one`,
      `[${a.localAddr}] two`,
      `[${a.localAddr}] last words`,
      `The user ${a.localAddr} left (${online(1)})`
    ]);
  });
});

describe('[CHAT-LEAVE] leaving', () => {
  it('[CHAT-LEAVE-1] announces a reset connection as a leave and the count returns to 0', async () => {
    const { t, a, b } = await twoMembers();
    a.socket.resetAndDestroy();
    expect(await b.nextLine()).toBe(
      `The user ${a.localAddr} left (${online(1)})`
    );
    await pollUntil(
      () => t.daemon.memberCount() === 1,
      'memberCount() is 1',
      5000,
      () => `memberCount() = ${t.daemon.memberCount()}`
    );
    b.end();
    await b.closed;
    await pollUntil(
      () => t.daemon.memberCount() === 0 && t.daemon.connectionCount() === 0,
      'memberCount() and connectionCount() are 0',
      5000,
      () =>
        `memberCount() = ${t.daemon.memberCount()}, connectionCount() = ${t.daemon.connectionCount()}`
    );
    await t.waitForConsole(`The user ${b.localAddr} left (${online(0)})`);
  });
});
