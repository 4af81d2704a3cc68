/**
 * A tiny chat server on 127.0.0.1 speaking what the bench's load generator
 * expects: the v1 greeting and notices, and `/join #room` moves between
 * rooms (issue 17). Each test decides how lines are relayed, so it can
 * break one guarantee at a time.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** One connected client as the test server sees it. */
export interface Member {
  readonly index: number;
  readonly socket: Socket;
  readonly remote: string;
  /** `#lobby` until it moves. */
  room: string;
}

/** The load generator's `<sender> <seq> <micros>` line, parsed. */
export interface Body {
  sender: number;
  seq: number;
}

/** How a test server hands one relayed line to one member. */
export type Deliver = (to: Member, text: string, body: Body) => void;

/**
 * What a test server does with one chat line: `room` holds the sender's
 * room's members (the sender included), `everyone` all members.
 */
export type Relay = (
  from: Member,
  line: string,
  room: readonly Member[],
  send: Deliver,
  everyone: readonly Member[]
) => void;

/** Ways a test server can get a move's counts wrong. */
export interface ChatServerOptions {
  /** Count every member in the room replies and notices, not the room's. */
  countEveryone?: boolean;
}

/** `N users online`. [CHAT-COUNT-1] */
export function online(n: number): string {
  return `${n} ${n === 1 ? 'user' : 'users'} online`;
}

/** The generator's line, read back. */
export function parseBody(line: string): Body {
  const [sender = '0', seq = '0'] = line.split(' ');
  return { sender: Number(sender), seq: Number(seq) };
}

/** `[You] line` to the sender, `[ADDR] line` to everyone else. */
export function textFor(from: Member, to: Member, line: string): string {
  return to === from ? `[You] ${line}\n` : `[${from.remote}] ${line}\n`;
}

/** Relays every line to every member of the sender's room, in arrival order. */
export const correct: Relay = (from, line, room, send) => {
  for (const to of room) send(to, textFor(from, to, line), parseBody(line));
};

/**
 * Starts the server; `cleanups` gets what closes it and its sockets.
 * Resolves with its port.
 */
export async function chatServer(
  relay: Relay,
  cleanups: (() => void)[],
  options: ChatServerOptions = {}
): Promise<number> {
  const members: Member[] = [];
  const inRoom = (room: string): Member[] =>
    members.filter((m) => m.room === room);
  const count = (room: string): number =>
    options.countEveryone === true ? members.length : inRoom(room).length;
  const move = (member: Member, room: string): void => {
    const old = member.room;
    member.room = room;
    for (const m of inRoom(old))
      m.socket.write(
        `The user ${member.remote} left (${online(count(old))})\n`
      );
    member.socket.write(`Now in ${room} (${online(count(room))})\n`);
    for (const m of inRoom(room))
      if (m !== member)
        m.socket.write(
          `New user ${member.remote} entered (${online(count(room))})\n`
        );
  };
  const server: Server = createServer((socket) => {
    const member: Member = {
      index: members.length,
      socket,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      room: '#lobby'
    };
    members.push(member);
    const lobby = count('#lobby');
    socket.write(`Connected to the chat server (${online(lobby)})\n`);
    for (const m of inRoom('#lobby'))
      if (m !== member)
        m.socket.write(
          `New user ${member.remote} entered (${online(lobby)})\n`
        );
    let partial = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('/join ')) move(member, line.slice(6));
        else relay(member, line, inRoom(member.room), deliver, members);
      }
    });
    socket.on('error', () => undefined);
  });
  const deliver: Deliver = (to, text) => to.socket.write(text);
  cleanups.push(() => {
    for (const m of members) m.socket.destroy();
    server.close();
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve())
  );
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('no port');
  return address.port;
}
