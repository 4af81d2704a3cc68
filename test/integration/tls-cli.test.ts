/**
 * The TLS listener through the programs (issue 18): chat-server's TLS
 * options at start, SIGHUP reloading the certificate, and chat-client
 * --tls with --ca, a wrong CA and --insecure.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { certDir, makeCert } from '../support/certs.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient } from '../support/client.js';
import { runServerCli } from '../support/server-cli.js';
import { connectTls } from '../support/tls-client.js';
import { startTestDaemon } from '../support/daemon.js';
import { until } from '../support/wait.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** The certificate the TLS port at `port` serves now (no verification). */
function servedCert(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
  });
}

/** A free loopback port (bound to 0, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs chat-client with `args`, feeding `input`, and ends its input after
 * `keepOpenMs`, or once its output satisfies `until` (bounded by the test's
 * timeout); resolves with its code and output.
 */
function runClient(
  args: string[],
  input: string,
  keepOpen: number | ((stdout: string) => boolean) = 0
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/client.ts', ...args],
    { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] }
  );
  cleanups.add(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (typeof keepOpen === 'function' && keepOpen(stdout)) child.stdin.end();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.write(input);
  if (typeof keepOpen === 'number')
    setTimeout(() => child.stdin.end(), keepOpen);
  return new Promise((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  );
}

describe('chat-server --tls', () => {
  it('exits 1 with one line and listens on nothing when the files are bad', async () => {
    const dir = certDir(cleanups);
    const good = makeCert(dir, 'good');
    const junk = path.join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const port = await freePort();
    const cases: [string[], RegExp][] = [
      [
        ['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', good.key],
        /^chat-server: cannot read TLS certificate .*missing\.pem: no such file or directory\n$/
      ],
      [
        ['--tls-cert', junk, '--tls-key', good.key],
        /^chat-server: invalid TLS certificate .*junk\.pem: .*\n$/
      ],
      [
        ['--tls-cert', good.cert, '--tls-key', makeCert(dir, 'other').key],
        /^chat-server: invalid TLS key .*other\.key for certificate .*: key values mismatch\n$/
      ]
    ];
    for (const [files, message] of cases) {
      const run = runServerCli(
        ['127.0.0.1', String(port), '--tls', '0', ...files],
        cleanups
      );
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toMatch(message);
      expect(run.stdout()).not.toMatch(/started on port/);
    }
    // Nothing ever listened on the plain port.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (err: NodeJS.ErrnoException) =>
        resolve(err.code ?? 'error')
      );
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('reloads the certificate on SIGHUP without dropping anyone, and keeps it when the new files are bad', async () => {
    const dir = certDir(cleanups);
    const first = makeCert(dir, 'first', 'first.example');
    const second = makeCert(dir, 'second', 'second.example');
    const live = {
      cert: path.join(dir, 'live.crt'),
      key: path.join(dir, 'live.key')
    };
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    const tlsPort = await freePort();
    const run = runServerCli(
      [
        '127.0.0.1',
        '0',
        '--log-level',
        'info',
        '--tls',
        `127.0.0.1:${tlsPort}`,
        '--tls-cert',
        live.cert,
        '--tls-key',
        live.key
      ],
      cleanups
    );
    const port = await run.started();
    await until(
      () => run.stdout().includes('listening for tls'),
      'tls line',
      5000
    );
    expect(run.stdout()).toMatch(/subject="CN=first\.example"/);
    expect((await servedCert(tlsPort)).subject.CN).toBe('first.example');

    const old = await connectTls(tlsPort, first.cert);
    cleanups.add(() => old.socket.destroy());
    await old.waitForLine('Connected to the chat server (1 user online)');
    const plain = await connectClient(port);
    cleanups.add(() => plain.socket.destroy());
    await plain.waitForLine('Connected to the chat server (2 users online)');

    copyFileSync(second.cert, live.cert);
    copyFileSync(second.key, live.key);
    run.child.kill('SIGHUP');
    await until(
      () => run.stdout().includes('tls certificate reloaded'),
      'the reload line',
      5000,
      () => run.stdout()
    );
    expect(run.stdout()).toMatch(
      /tls certificate reloaded.*subject="CN=second\.example"/
    );
    expect((await servedCert(tlsPort)).subject.CN).toBe('second.example');
    // The connection made before the reload chats on.
    old.send('still here');
    await plain.waitForLine(`[${old.localAddr}] still here`);

    // Bad new files: one error, the second certificate stays.
    writeFileSync(live.key, 'garbage\n');
    run.child.kill('SIGHUP');
    await until(
      () => run.stderr().includes('tls certificate not reloaded'),
      'the error line',
      5000,
      () => `${run.stdout()}${run.stderr()}`
    );
    expect(
      run
        .stderr()
        .split('\n')
        .filter((l) => l.includes('not reloaded'))
    ).toHaveLength(1);
    expect((await servedCert(tlsPort)).subject.CN).toBe('second.example');
    old.send('and now');
    await plain.waitForLine(`[${old.localAddr}] and now`);
    expect(run.child.exitCode).toBeNull();
  });
});

describe('chat-client --tls', () => {
  async function tlsServer() {
    const dir = certDir(cleanups);
    const cert = makeCert(dir, 'server');
    const t = await startTestDaemon({
      tls: { port: 0, cert: cert.cert, key: cert.key }
    });
    cleanups.add(() => t.daemon.close());
    return { dir, cert, tlsPort: t.daemon.tls?.port ?? 0, t };
  }

  it('chats with a plain client when it trusts the --ca', async () => {
    const { cert, tlsPort, t } = await tlsServer();
    const plain = await connectClient(t.port);
    cleanups.add(() => plain.socket.destroy());
    await plain.waitForLine('Connected to the chat server (1 user online)');
    // Its input ends once the welcome is in: however slowly it started.
    const result = runClient(
      ['--tls', '--ca', cert.cert, '127.0.0.1', String(tlsPort)],
      'hello over tls\n',
      (stdout) => stdout.includes('] welcome')
    );
    const said = await plain.waitForLine((l) => l.endsWith('] hello over tls'));
    await plain.send('welcome\n');
    const { code, stdout, stderr } = await result;
    expect(said).toMatch(/^\[127\.0\.0\.1:\d+\] hello over tls$/);
    expect(stdout).toContain('[You] hello over tls');
    expect(stdout).toContain(`[${plain.localAddr}] welcome`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 1 with one line when the certificate is not trusted', async () => {
    const { dir, tlsPort } = await tlsServer();
    const wrong = makeCert(dir, 'wrong');
    const { code, stdout, stderr } = await runClient(
      ['--tls', '--ca', wrong.cert, '127.0.0.1', String(tlsPort)],
      'hello\n'
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      new RegExp(
        `^chat-client: cannot connect to 127\\.0\\.0\\.1:${tlsPort}: TLS: .*certificate.*\\n$`
      )
    );
  });

  it('connects with --insecure, after a warning line', async () => {
    const { tlsPort } = await tlsServer();
    const { code, stdout, stderr } = await runClient(
      ['--tls', '--insecure', '127.0.0.1', String(tlsPort)],
      'hi\n',
      500
    );
    expect(stderr).toMatch(/^chat-client: warning: --insecure: .*\n$/);
    expect(stdout).toContain('[You] hi');
    expect(code).toBe(0);
  });
});
