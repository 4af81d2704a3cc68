/**
 * docs/inspector.png against the machine (scripts/inspector-screenshot.ts):
 * the picture carries the stamp of the chart it shows, and that stamp must
 * be the connection machine's as defined now. No browser needed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SCREENSHOT_PATH,
  STAMP_KEYWORD,
  chartStamp,
  currentChartStamp,
  parseScreenshotArgs,
  readPngText,
  withPngText
} from '../../../scripts/inspector-screenshot.js';
import { MEMBER_STATE } from '../../../src/admin/event-stream.js';
import { connectionMachine } from '../../../src/machines/connection-machine.js';
import { machineGraph } from '../../../src/machines/graph.js';

const png = readFileSync(
  new URL(`../../../${SCREENSHOT_PATH}`, import.meta.url)
);

describe(SCREENSHOT_PATH, () => {
  it('shows the chart of the connection machine as it is defined now', () => {
    expect(
      readPngText(png).get(STAMP_KEYWORD),
      `${SCREENSHOT_PATH} is stale: run npm run screenshot`
    ).toBe(currentChartStamp());
  });

  it('is a stamp any change to the chart changes', () => {
    const graph = machineGraph(connectionMachine);
    const [first, ...rest] = graph.edges;
    if (first === undefined) throw new Error('the machine has no edges');
    const renamed = { ...first, events: [...first.events, 'tcp.line'] };
    expect(chartStamp(graph)).toBe(currentChartStamp());
    expect(chartStamp({ ...graph, edges: [renamed, ...rest] })).not.toBe(
      currentChartStamp()
    );
    expect(chartStamp({ ...graph, edges: rest })).not.toBe(currentChartStamp());
  });

  it('lists the members in a state the connection machine has', () => {
    expect(Object.keys(connectionMachine.root.states)).toContain(MEMBER_STATE);
  });
});

describe('PNG text chunks', () => {
  it('adds one that reads back, and keeps the picture', () => {
    const stamped = withPngText(png, 'test key', 'some text');
    expect(readPngText(stamped).get('test key')).toBe('some text');
    expect(stamped.length).toBe(png.length + 12 + 'test key\0some text'.length);
    // The image data is untouched: only one chunk more.
    expect(stamped.subarray(-12).equals(png.subarray(-12))).toBe(true);
  });

  it('rejects a file that is not a PNG, is cut short, or fails a CRC', () => {
    expect(() => readPngText(Buffer.from('GIF89a'))).toThrow('not a PNG');
    expect(() => readPngText(png.subarray(0, 40))).toThrow('PNG cut short');
    const bad = Buffer.from(withPngText(png, 'k', 'v'));
    const at = bad.indexOf('tEXt', 8, 'latin1') + 4;
    bad[at] = 0x4a; // 'k' → 'J'
    expect(() => readPngText(bad)).toThrow(/chunk tEXt at \d+ fails its CRC/);
  });
});

describe('the screenshot command line', () => {
  it('regenerates the docs, checks them, or shoots a running inspector', () => {
    expect(parseScreenshotArgs([])).toEqual({ kind: 'docs' });
    expect(parseScreenshotArgs(['--check'])).toEqual({ kind: 'check' });
    expect(
      parseScreenshotArgs(['--url', 'http://127.0.0.1:9333/', '--width', '800'])
    ).toEqual({
      kind: 'url',
      url: 'http://127.0.0.1:9333/',
      out: 'inspector.png',
      width: 800
    });
  });

  it.each([
    [['--url'], '--url needs a value'],
    [
      ['--url', '127.0.0.1:9333'],
      'invalid --url "127.0.0.1:9333" (expected http://HOST:PORT/)'
    ],
    [
      ['--url', 'http://x/', '--width', '100'],
      'invalid --width "100" (expected 320 to 4000)'
    ],
    [['--check', '--url', 'http://x/'], '--check and --url do not go together'],
    [['--fast'], 'unknown argument "--fast"']
  ])('rejects %j in one line', (args, line) => {
    expect(() => parseScreenshotArgs(args)).toThrow(line);
  });
});
