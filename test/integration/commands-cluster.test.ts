/**
 * A cluster daemon does not have rooms and names yet (issue 17): it answers
 * every command with one error line and relays chat as before.
 * [CHAT-CMD-CLUSTER]
 */
import { afterEach, expect, it } from 'vitest';
import { COMMAND_ERRORS } from '../../src/protocol/command-format.js';
import { createHarness } from '../support/harness.js';
import { redisUnavailable, startRedis } from '../support/redis.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

const noRedis = redisUnavailable('own');

it.skipIf(noRedis !== null && process.env.REQUIRE_REDIS !== '1')(
  `answers every command with one error line on a cluster daemon, and relays chat (${noRedis ?? 'real Redis'}) [CHAT-CMD-CLUSTER]`,
  async () => {
    const redis = await startRedis({ own: true, cleanups });
    const t = await daemon({
      cluster: {
        url: redis.url,
        nodeId: 'n1',
        name: 'commands',
        graceMs: 30_000,
        nodeTimeoutMs: 5000
      }
    });
    const a = await client(t.port);
    expect(await a.nextLine()).toBe(
      'Connected to the chat server (1 user online)'
    );
    for (const command of [
      '/nick alice',
      '/join #dev',
      '/help',
      '/bogus',
      '/quit'
    ]) {
      await a.send(command);
      expect(await a.nextLine(), command).toBe(COMMAND_ERRORS.cluster);
    }
    await a.send('//still chat');
    expect(await a.nextLine()).toBe('[You] /still chat');
    await a.send('plain');
    expect(await a.nextLine()).toBe('[You] plain');
    expect(t.daemon.stats().commandRefusals.cluster).toBe(5);
  }
);
