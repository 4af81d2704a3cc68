import { parseArgs } from 'node:util';
import { hostFrom } from './address.js';

/** The one-line synopsis printed under every argument error. */
export const CLIENT_USAGE = 'usage: chat-client HOST PORT';

/** How a `chat-client` run ends: its exit status. */
export const CLIENT_EXIT = {
  /** You left (Ctrl+C, Ctrl+D, end of input) and no line was refused. */
  left: 0,
  /** The server refused or closed the session, or the connection failed. */
  failed: 1,
  /** Bad arguments. */
  usage: 2,
  /** You left, but the server refused at least one of your lines. */
  linesRefused: 3
} as const;

/** The text `chat-client --help` prints. */
export const CLIENT_HELP = `${CLIENT_USAGE}
       chat-client --tls [--ca FILE] [--insecure] HOST PORT

Connects to an actor-chat server and joins the chat. Every line you type is
sent as a message; the server's lines are printed as they arrive, above the
line you are typing. Your own lines come back as "[You] text". A line the
server refuses (an "Error:" line instead of the echo) is printed again as
"(not sent) text"; press Up to edit and resend it.
Commands such as /nick NAME, /join #room, /msg NAME text go to the server;
/help lists them. On a terminal the prompt shows your room and name as the
server confirms them: "#lobby> " while you have no name, "alice@#dev> " after
/nick alice and /join #dev. Private lines ("[NAME -> you] text" and
"[you -> NAME] text") are shown in colour, unless NO_COLOR is set.
Ctrl+D or Ctrl+C leaves. With stdin piped, every line is sent, then the client
leaves at end of input.

  HOST           server host name or IP address (IPv6 may be written [::1])
  PORT           server TCP port, 1-65535
  --tls          connect over TLS; the server's certificate must be valid for
                 HOST and signed by a CA the system trusts, or by --ca
  --ca FILE      trust the PEM CA (or self-signed certificate) in FILE
  --insecure     do not verify the server's certificate (prints a warning)
  -h, --help     print this help and exit
  -v, --version  print the version and exit

Exit status:
  0  you left (Ctrl+C, Ctrl+D or end of input) and no line was refused
  1  the server refused or closed the session (server full, chat unavailable,
     shutdown, ...), or the connection failed; lines it never answered are
     printed as "(not sent) text"
  2  bad arguments
  3  you left, but the server refused at least one of your lines
`;

const MAX_PORT = 65535;

/** How `chat-client --tls` checks the server. */
export interface ClientTls {
  /** A PEM CA file to trust instead of the system's store. */
  readonly ca?: string;
  /** Skip verifying the certificate. */
  readonly insecure: boolean;
}

/** What the command line asks for: a connection, the help text, the version, or nothing valid. */
export type ClientArgs =
  | {
      readonly kind: 'connect';
      readonly host: string;
      readonly port: number;
      /** Connect over TLS, with these settings; plain TCP when absent. */
      readonly tls?: ClientTls;
    }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Parses and validates `chat-client` arguments (argv without node and the
 * script) without throwing: every mistake becomes one `invalid` reason.
 */
export function parseClientArgs(argv: readonly string[]): ClientArgs {
  // Non-strict mode with tokens lets us word unknown options ourselves
  // instead of surfacing parseArgs' TypeError text.
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      tls: { type: 'boolean' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' }
    },
    allowPositionals: true,
    strict: false,
    tokens: true
  });
  const positionals: string[] = [];
  let unknownOption: string | undefined;
  let numericIndex = -1;
  let version = false;
  let tls = false;
  let insecure = false;
  let ca: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    else if (token.kind === 'option') {
      if (token.name === 'help') return { kind: 'help' };
      if (token.name === 'version') {
        version = true;
        continue;
      }
      if (token.name === 'tls' || token.name === 'insecure') {
        if (token.name === 'tls') tls = true;
        else insecure = true;
        continue;
      }
      if (token.name === 'ca') {
        if (token.value === undefined || token.value === '')
          return invalid('option --ca needs a FILE');
        ca = token.value;
        continue;
      }
      // `-1` reads as a short-option group; as a port it deserves the port
      // error. A group yields one token per letter, all with the same index.
      const raw = argv[token.index] ?? token.rawName;
      if (/^-[0-9]+$/.test(raw)) {
        if (token.index !== numericIndex) positionals.push(raw);
        numericIndex = token.index;
      } else unknownOption ??= token.rawName;
    }
  }
  if (unknownOption !== undefined) {
    return invalid(`unknown option "${unknownOption}"`);
  }
  if (version) return { kind: 'version' };
  if (!tls && (insecure || ca !== undefined))
    return invalid(`${insecure ? '--insecure' : '--ca'} applies to --tls`);
  const [rawHost, rawPort, extra] = positionals;
  if (rawHost === undefined) return invalid('missing HOST and PORT');
  if (rawPort === undefined) return invalid('missing PORT');
  if (extra !== undefined) return invalid(`unexpected argument "${extra}"`);
  const host = hostFrom(rawHost);
  if (host === null) {
    return invalid(
      `invalid host "${rawHost}" (expected a host name or an IP address such as 127.0.0.1, ::1 or [::1])`
    );
  }
  const port = parsePort(rawPort);
  if (port === undefined) {
    return invalid(`invalid port "${rawPort}" (expected 1-${MAX_PORT})`);
  }
  return {
    kind: 'connect',
    host,
    port,
    ...(tls && { tls: { insecure, ...(ca !== undefined && { ca }) } })
  };
}

function invalid(reason: string): ClientArgs {
  return { kind: 'invalid', reason };
}

function parsePort(raw: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(raw)) return undefined;
  const port = Number(raw);
  return port >= 1 && port <= MAX_PORT ? port : undefined;
}
