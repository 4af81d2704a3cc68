/**
 * The reference: the same chat on raw `node:net`, written as a careful
 * engineer would without any framework, for `npm run bench` to measure our
 * daemon against in the same run.
 *
 * - Each relayed line is encoded once per message (one buffer for the
 *   others, one for the sender's `[You]` echo), never per recipient.
 * - Writes are batched per socket: the first write corks the socket and
 *   the flush uncorks it, so the batch leaves in one `writev`. `--flush tick`
 *   (the default, the reference) flushes on `process.nextTick`, after
 *   each socket's read; `--flush turn` on `setImmediate`, once per turn of
 *   the event loop, after every socket that was readable has been read.
 * - Lines are split on bytes, without decoding to strings.
 *
 * It speaks the lines the load generator reads (greeting, join and leave
 * notices, `[You] text`, `[ADDR] text`) and nothing else: no sanitising, no
 * limits, no flood pacing, no slow-consumer handling, no logging. A peer that
 * does not read makes its queue grow without bound.
 *
 * - It listens with a backlog of 4096 (the kernel's somaxconn here), or
 *   `--backlog N`; `--backlog 0` passes none, so Node's default (511, what
 *   our daemon gets unless told otherwise) applies.
 *
 *   node --import tsx bench/raw-server.ts HOST PORT [--flush tick|turn] [--backlog N]
 *
 * Prints `listening on port N` once it accepts.
 */
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const LF = 0x0a;
const CR = 0x0d;
const YOU = Buffer.from('[You] ');

interface Client {
  readonly socket: Socket;
  readonly remote: string;
  /** `[ADDR] `, encoded once. */
  readonly prefix: Buffer;
  /** The unfinished line's bytes. */
  partial: Buffer | null;
  corked: boolean;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    flush: { type: 'string', default: 'tick' },
    backlog: { type: 'string', default: '4096' }
  }
});
const [host = '127.0.0.1', port = '0'] = positionals;
if (values.flush !== 'tick' && values.flush !== 'turn') {
  console.error(
    `raw-server: --flush must be tick or turn, not ${values.flush}`
  );
  process.exit(2);
}
const backlog = Number(values.backlog);
if (!Number.isInteger(backlog) || backlog < 0) {
  console.error(`raw-server: --backlog must be a count, not ${values.backlog}`);
  process.exit(2);
}
const schedule: (flush: (client: Client) => void, client: Client) => void =
  values.flush === 'turn'
    ? (flush, client) => setImmediate(flush, client)
    : (flush, client) => process.nextTick(flush, client);
const clients = new Set<Client>();

function online(count: number): string {
  return `${count} ${count === 1 ? 'user' : 'users'} online`;
}

function send(client: Client, data: Buffer): void {
  if (!client.corked) {
    client.corked = true;
    client.socket.cork();
    schedule(uncork, client);
  }
  client.socket.write(data);
}

function uncork(client: Client): void {
  client.corked = false;
  client.socket.uncork();
}

function broadcast(from: Client, own: Buffer | null, others: Buffer): void {
  for (const client of clients) {
    if (client !== from) send(client, others);
    else if (own !== null) send(client, own);
  }
}

function relay(from: Client, line: Buffer): void {
  const own = Buffer.allocUnsafe(YOU.length + line.length + 1);
  YOU.copy(own, 0);
  line.copy(own, YOU.length);
  own[own.length - 1] = LF;
  const others = Buffer.allocUnsafe(from.prefix.length + line.length + 1);
  from.prefix.copy(others, 0);
  line.copy(others, from.prefix.length);
  others[others.length - 1] = LF;
  broadcast(from, own, others);
}

function receive(client: Client, chunk: Buffer): void {
  let data = chunk;
  if (client.partial !== null) {
    data = Buffer.concat([client.partial, chunk]);
    client.partial = null;
  }
  let start = 0;
  for (;;) {
    const lf = data.indexOf(LF, start);
    if (lf === -1) break;
    const end = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
    if (end > start) relay(client, data.subarray(start, end));
    start = lf + 1;
  }
  if (start < data.length) client.partial = Buffer.from(data.subarray(start));
}

const server = createServer({ noDelay: true }, (socket) => {
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  const client: Client = {
    socket,
    remote,
    prefix: Buffer.from(`[${remote}] `),
    partial: null,
    corked: false
  };
  clients.add(client);
  send(
    client,
    Buffer.from(`Connected to the chat server (${online(clients.size)})\n`)
  );
  broadcast(
    client,
    null,
    Buffer.from(`New user ${remote} entered (${online(clients.size)})\n`)
  );
  socket.on('data', (chunk: Buffer) => receive(client, chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (!clients.delete(client)) return;
    broadcast(
      client,
      null,
      Buffer.from(`The user ${remote} left (${online(clients.size)})\n`)
    );
  });
  socket.on('end', () => socket.end());
});
server.maxConnections = Infinity;
server.listen(
  { host, port: Number(port), ...(backlog > 0 ? { backlog } : {}) },
  () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    console.log(`listening on port ${bound}`);
  }
);
process.on('SIGTERM', () => process.exit(0));
