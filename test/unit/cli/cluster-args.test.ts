import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import {
  CLUSTER_DEFAULTS,
  parseClusterArgs
} from '../../../src/cli/cluster-args.js';
import { parseServerArgs } from '../../../src/cli/server-args.js';

const URL = 'redis://127.0.0.1:6379';

describe('parseClusterArgs', () => {
  it('is off without --redis', () => {
    expect(parseClusterArgs({})).toBeUndefined();
  });

  it('takes the defaults with --redis alone', () => {
    expect(parseClusterArgs({ redis: URL }, 4242)).toEqual({
      url: URL,
      nodeId: `${hostname()
        .replace(/[^A-Za-z0-9._:-]/g, '-')
        .slice(0, 50)}-4242`,
      name: CLUSTER_DEFAULTS.name,
      graceMs: CLUSTER_DEFAULTS.graceMs,
      nodeTimeoutMs: CLUSTER_DEFAULTS.nodeTimeoutMs
    });
  });

  it('reads every option', () => {
    expect(
      parseClusterArgs({
        redis: 'rediss://:secret@redis.internal:6380/2',
        'node-id': 'eu-1.a',
        cluster: 'prod',
        'redis-grace': '0',
        'node-timeout': '1500ms'
      })
    ).toEqual({
      url: 'rediss://:secret@redis.internal:6380/2',
      nodeId: 'eu-1.a',
      name: 'prod',
      graceMs: 0,
      nodeTimeoutMs: 1500
    });
  });

  it.each([
    [
      { redis: 'http://127.0.0.1:6379' },
      'invalid Redis URL "http://127.0.0.1:6379"'
    ],
    [{ redis: 'not a url' }, 'invalid Redis URL "not a url"'],
    [{ redis: URL, 'node-id': 'a b' }, 'invalid node id "a b"'],
    [{ redis: URL, 'node-id': '' }, 'invalid node id ""'],
    [{ redis: URL, cluster: 'x{y}' }, 'invalid cluster name "x{y}"'],
    [{ redis: URL, 'node-timeout': '100ms' }, 'invalid node timeout "100ms"'],
    [{ redis: URL, 'redis-grace': '2h' }, 'invalid redis grace "2h"'],
    [{ 'node-id': 'a' }, '--node-id applies to --redis; give it too'],
    [{ 'redis-grace': '5s' }, '--redis-grace applies to --redis; give it too']
  ])('rejects %j with one line', (values, message) => {
    let error: unknown;
    try {
      parseClusterArgs(values);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reaches the server config through parseServerArgs', () => {
    const command = parseServerArgs([
      '127.0.0.1',
      '0',
      '--redis',
      URL,
      '--node-id',
      'a',
      '--cluster',
      'test'
    ]);
    expect(command.kind === 'run' && command.config.cluster).toMatchObject({
      url: URL,
      nodeId: 'a',
      name: 'test'
    });
    const plain = parseServerArgs([]);
    expect(plain.kind === 'run' && plain.config.cluster).toBeUndefined();
  });
});
