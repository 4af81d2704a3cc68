import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';

/** A line client over TLS, for tests. */
export interface TlsTestClient {
  readonly socket: TLSSocket;
  /** Every line received so far. */
  readonly lines: string[];
  /** The local address as the server shows it, `127.0.0.1:PORT`. */
  readonly localAddr: string;
  send(line: string): void;
  /** Resolves with the first line (from the start) equal to or matching `line`. */
  waitForLine(
    line: string | ((line: string) => boolean),
    timeoutMs?: number
  ): Promise<string>;
  /** Resolves once the server closed the connection. */
  readonly closed: Promise<void>;
}

/** Connects over TLS to 127.0.0.1:`port`, trusting `caFile`; resolves once the handshake is done. */
export function connectTls(
  port: number,
  caFile: string
): Promise<TlsTestClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(caFile)
    });
    const lines: string[] = [];
    const wakers = new Set<() => void>();
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      for (const wake of [...wakers]) wake();
    });
    const closed = new Promise<void>((done) =>
      socket.once('close', () => done())
    );
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({
        socket,
        lines,
        localAddr: `127.0.0.1:${socket.localPort}`,
        send: (line) => socket.write(`${line}\n`),
        closed,
        waitForLine: (line, timeoutMs = 5000) =>
          new Promise((found, fail) => {
            const matches = (l: string): boolean =>
              typeof line === 'string' ? l === line : line(l);
            const check = (): void => {
              const hit = lines.find(matches);
              if (hit !== undefined) {
                clearTimeout(timer);
                wakers.delete(check);
                found(hit);
              }
            };
            const timer = setTimeout(() => {
              wakers.delete(check);
              fail(
                new Error(
                  `no line ${JSON.stringify(line)}; got ${JSON.stringify(lines)}`
                )
              );
            }, timeoutMs);
            wakers.add(check);
            check();
          })
      });
    });
  });
}
