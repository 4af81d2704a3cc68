import { afterEach, describe, expect, it } from 'vitest';
import { runLoad, type LoadOptions } from '../../../bench/loadgen.js';
import {
  chatServer,
  correct,
  parseBody,
  textFor,
  type ChatServerOptions,
  type Relay
} from './chat-server.js';
import { shortRun } from './short-run.js';

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Six clients in two rooms of three (issue 17). */
async function options(
  relay: Relay,
  server: ChatServerOptions = {}
): Promise<LoadOptions> {
  const port = await chatServer(relay, cleanups, server);
  return { ...shortRun(port, 6), roomSize: 3 };
}

describe('runLoad in rooms', () => {
  it('passes a server that keeps each room its own lines', async () => {
    const result = await runLoad(await options(correct));

    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.rooms).toBe(2);
    expect(result.moveSeconds).not.toBeNull();
    expect(result.deliveries).toBeGreaterThan(0);
    expect(result.latencyMs.samples).toBeGreaterThan(0);
  });

  it('passes rooms of unequal size at a fixed rate', async () => {
    const result = await runLoad({
      ...(await options(correct)),
      clients: 5,
      roomSize: 2,
      pace: { kind: 'rate', messagesPerSec: 50 }
    });

    expect(result.failures).toEqual([]);
    expect(result.rooms).toBe(3);
  });

  it('fails a server that leaks one line into another room', async () => {
    const leaky: Relay = (from, line, room, send, everyone) => {
      correct(from, line, room, send, everyone);
      const body = parseBody(line);
      const stranger = everyone.find((m) => m.room !== from.room);
      if (body.sender === 0 && body.seq === 1 && stranger !== undefined)
        send(stranger, textFor(from, stranger, line), body);
    };
    const result = await runLoad(await options(leaky));

    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(
      /client [345] in room 1 got client 0's line from room 0/
    );
  });

  it("fails a server that counts everyone online instead of the room's members", async () => {
    const result = await runLoad(
      await options(correct, { countEveryone: true })
    );

    expect(result.ok).toBe(false);
    const failures = result.failures.join('\n');
    expect(failures).toMatch(/6 of 6 clients were not in their full room/);
    expect(failures).toMatch(
      /client \d in #bench-[01] last saw 6 users online, not 3/
    );
  });

  it('fails a server that orders one room differently for one member', async () => {
    // Lines wait 5 ms; then the last member of each room gets the batch
    // sorted by sender, last sender first, the others in arrival order.
    let batch: { line: string; sender: number }[] = [];
    let room: readonly Parameters<Relay>[0][] = [];
    const flush = (): void => {
      const reversed = [...batch].sort((a, b) => b.sender - a.sender);
      for (const to of room) {
        const order = to === room[room.length - 1] ? reversed : batch;
        for (const { line, sender } of order) {
          const from = room.find((m) => m.index === sender);
          if (from !== undefined) to.socket.write(textFor(from, to, line));
        }
      }
      batch = [];
    };
    const timer = setInterval(flush, 5);
    cleanups.push(() => clearInterval(timer));
    // Only room 0 chats through the batch; room 1 is relayed as it comes.
    const relay: Relay = (from, line, members, send, everyone) => {
      if (from.index >= 3) return correct(from, line, members, send, everyone);
      room = members;
      batch.push({ line, sender: from.index });
    };
    const result = await runLoad(await options(relay));

    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      'order differs on 1 of 6 clients, in 1 of 2 rooms'
    ]);
  });
});
