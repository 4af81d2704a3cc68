import { isLoopbackHost } from '../admin/access.js';
import type { AdminOptions } from '../admin/server.js';
import { UsageError } from '../app/errors.js';
import { splitHostPort } from './address.js';
import { integer } from './limit-args.js';

/** The admin listener's default address when `--admin` gives only a port. */
export const DEFAULT_ADMIN_HOST = '127.0.0.1';

/** The environment variable that can carry the token instead of the command line. */
export const ADMIN_TOKEN_ENV = 'CHAT_ADMIN_TOKEN';

/** parseArgs options of the inspection and admin settings. */
export const ADMIN_OPTIONS = {
  admin: { type: 'string' },
  'admin-token': { type: 'string' },
  'inspect-stately': { type: 'string' }
} as const;

/** The `--help` lines of those options. */
export const ADMIN_USAGE = `Inspection (docs/inspector.md):
  --admin [HOST:]PORT         serve the live inspector page, /events,
                              /metrics, /healthz and /readyz over HTTP on
                              HOST:PORT (HOST default ${DEFAULT_ADMIN_HOST}; [::1]:PORT
                              for IPv6). Off by default.
  --admin-token TOKEN         require TOKEN (16+ characters) on every admin
                              request; needed when HOST is not loopback.
                              ${ADMIN_TOKEN_ENV} in the environment works too
                              and keeps it out of the process list.
  --inspect-stately URL       also send every actor's inspection events to
                              a Stately inspector relay at URL (ws://…);
                              for development, it costs every message`;

/** The inspection settings from the command line. */
export interface AdminConfig {
  admin: AdminOptions | undefined;
  /** The Stately relay's WebSocket address, when asked for. */
  stately: string | undefined;
}

type AdminValues = {
  [K in keyof typeof ADMIN_OPTIONS]?: string | undefined;
};

/**
 * Reads `[HOST:]PORT`: `9333`, `127.0.0.1:9333`, `[::1]:9333`.
 *
 * @example parseAdminAddress('[::1]:9333') // { host: '::1', port: 9333 }
 */
export function parseAdminAddress(text: string): {
  host: string;
  port: number;
} {
  if (/^\d+$/.test(text))
    return {
      host: DEFAULT_ADMIN_HOST,
      port: integer('admin port', text, 0, 65535)
    };
  const address = splitHostPort(text);
  if (address === null) {
    throw new UsageError(
      `invalid --admin "${text}" (expected PORT, HOST:PORT or [IPv6]:PORT)`
    );
  }
  return {
    host: address.host,
    port: integer('admin port', address.port, 0, 65535)
  };
}

/**
 * Reads `--admin`, `--admin-token` (or `CHAT_ADMIN_TOKEN`) and
 * `--inspect-stately`; throws `UsageError` with one line.
 */
export function parseAdminArgs(
  values: AdminValues,
  env: NodeJS.ProcessEnv = process.env
): AdminConfig {
  const token = values['admin-token'] ?? env[ADMIN_TOKEN_ENV];
  let admin: AdminOptions | undefined;
  if (values.admin !== undefined) {
    const { host, port } = parseAdminAddress(values.admin);
    if (token !== undefined && token.length < 16)
      throw new UsageError('admin token too short (at least 16 characters)');
    if (token === undefined && !isLoopbackHost(host)) {
      throw new UsageError(
        `--admin on ${host} (not loopback) needs --admin-token or ${ADMIN_TOKEN_ENV}`
      );
    }
    admin = { host, port, token };
  } else if (values['admin-token'] !== undefined) {
    throw new UsageError('--admin-token needs --admin');
  }
  const stately = values['inspect-stately'];
  if (stately !== undefined && !/^wss?:\/\/[^\s/]+/.test(stately)) {
    throw new UsageError(
      `invalid --inspect-stately "${stately}" (expected ws://HOST:PORT)`
    );
  }
  return { admin, stately };
}
