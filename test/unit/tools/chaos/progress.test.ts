import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../../src/tools/chaos/progress.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream, text: () => text };
}

const at = (elapsedMs: number) => ({
  elapsedMs,
  totalMs: 30_000,
  injected: 3,
  sent: 40
});

describe('createProgress', () => {
  it('writes a plain line every 5 s when not on a terminal', async () => {
    const out = sink();
    const progress = createProgress(out.stream, false);
    for (const ms of [250, 2500, 5000, 7500, 10_250]) progress.update(at(ms));
    progress.done('checking');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe(
      'chat-chaos: 5s/30s  faults 3  lines 40\nchat-chaos: 10s/30s  faults 3  lines 40\nchat-chaos: checking\n'
    );
  });

  it('redraws a bar in place on a terminal', async () => {
    const out = sink();
    const progress = createProgress(out.stream, true);
    progress.update(at(15_000));
    progress.done('checking');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe(
      `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 15s/30s  faults 3  lines 40\x1b[K\nchat-chaos: checking\n`
    );
  });
});
