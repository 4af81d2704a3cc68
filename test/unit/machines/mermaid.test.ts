import { fromCallback, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../../src/machines/connection-machine.js';
import { toMermaid } from '../../../src/machines/mermaid.js';
import { roomMachine } from '../../../src/machines/room-machine.js';

type ToyEvent =
  { type: 'go' } | { type: 'tick' } | { type: 'stop' } | { type: 'chat:msg' };

/** Every feature toMermaid draws, in one small machine. */
const toyMachine = setup({
  types: { events: {} as ToyEvent },
  actions: {
    log: () => undefined,
    save: () => undefined,
    light: () => undefined
  },
  guards: { isReady: () => true },
  delays: { idleTimeout: 1_000 },
  actors: { fetcher: fromCallback(() => undefined) }
}).createMachine({
  id: 'toy',
  initial: 'idle',
  on: { stop: { target: '.done', actions: 'save' } },
  states: {
    idle: {
      on: {
        go: { target: 'busy', guard: 'isReady', actions: ['log', 'save'] }
      }
    },
    busy: {
      entry: 'light',
      invoke: { src: 'fetcher' },
      after: { idleTimeout: { target: 'idle' } },
      on: { tick: { actions: 'log' }, stop: {} }
    },
    done: { type: 'final' }
  }
});

const nestedMachine = setup({
  types: { events: {} as ToyEvent }
}).createMachine({
  id: 'nested',
  initial: 'outer',
  states: {
    outer: {
      initial: 'inner',
      on: { stop: { target: 'gone' } },
      states: {
        inner: { on: { 'chat:msg': { target: 'end' } } },
        end: { type: 'final' }
      }
    },
    gone: { type: 'final' }
  }
});

describe('toMermaid', () => {
  it('draws the initial state, final states and every transition', () => {
    expect(toMermaid(toyMachine)).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> idle',
        '  idle',
        '  busy : busy',
        '  busy : entry / light',
        '  done',
        '  idle --> busy : go [isReady] / log, save',
        '  idle --> done : stop / save',
        '  busy --> busy : tick / log',
        '  busy --> idle : after idleTimeout',
        '  note right of busy',
        '    invokes fetcher',
        '    ignores stop',
        '  end note',
        '  done --> [*]',
        ''
      ].join('\n')
    );
  });

  it('labels a transition with its guard and named actions', () => {
    expect(toMermaid(toyMachine)).toContain(
      'idle --> busy : go [isReady] / log, save\n'
    );
  });

  it('names an after delay instead of its duration', () => {
    const diagram = toMermaid(toyMachine);
    expect(diagram).toContain('busy --> idle : after idleTimeout\n');
    expect(diagram).not.toContain('1000');
  });

  it('draws a root-level transition from every state that does not handle the event', () => {
    const diagram = toMermaid(toyMachine);
    expect(diagram).toContain('idle --> done : stop / save\n');
    // busy absorbs stop itself; done is final, so the machine has stopped.
    expect(diagram).not.toContain('busy --> done');
    expect(diagram).not.toContain('done --> done');
    expect(diagram).toMatch(/note right of busy\n(.*\n)*\s+ignores stop\n/);
  });

  it('draws a targetless transition with actions as a self-loop', () => {
    expect(toMermaid(toyMachine)).toContain('busy --> busy : tick / log\n');
  });

  it("draws all of a state's self-loops as one edge (Mermaid keeps only the last)", () => {
    const diagram = toMermaid(roomMachine);
    expect(diagram).toContain(
      'open --> open : room.join [isNewcomer] / addMember, nextSeq, publishJoin, confirmJoin<br/>room.join / rejectJoin<br/>room.leave [isMember] /'
    );
    expect(diagram.match(/^ {2}open --> open :/gm)).toHaveLength(1);
  });

  it('notes invoked actors and describes entry actions', () => {
    const diagram = toMermaid(toyMachine);
    expect(diagram).toMatch(/note right of busy\n\s+invokes fetcher\n/);
    expect(diagram).toContain('  busy : busy\n  busy : entry / light\n');
    // The raise/cancel xstate adds for `after` are not the machine's own.
    expect(diagram).not.toContain('xstate.');
  });

  it('nests compound states with parent_child ids and no stray colons', () => {
    const diagram = toMermaid(nestedMachine);
    expect(diagram).toContain(
      [
        '  state outer {',
        '    [*] --> outer_inner',
        '    outer_inner',
        '    outer_end',
        '    outer_inner --> outer_end : chat msg',
        '    outer_end --> [*]',
        '  }'
      ].join('\n')
    );
    expect(diagram).toContain('  outer --> gone : stop\n');
    // One `:` per line at most: Mermaid ends a label at the next one.
    for (const line of diagram.split('\n')) {
      expect(line.split(':').length, line).toBeLessThanOrEqual(2);
    }
  });

  it('is deterministic and ends with a newline', () => {
    const diagram = toMermaid(roomMachine);
    expect(toMermaid(roomMachine)).toBe(diagram);
    expect(diagram.endsWith('\n')).toBe(true);
  });

  it('draws the connection lifecycle', () => {
    const diagram = toMermaid(connectionMachine);
    expect(diagram.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const state of ['connecting', 'online', 'leaving', 'closed']) {
      expect(diagram).toMatch(new RegExp(`^  ${state}\\b`, 'm'));
    }
    expect(diagram).toContain('  [*] --> connecting\n');
    expect(diagram).toContain('  closed --> [*]\n');
    expect(diagram).toContain(
      'online --> online : tcp.oversize / reportOversize\n'
    );
    // Chat lines are not events of the machine; the relay moves them.
    expect(diagram).not.toContain('tcp.line');
    // The relay runs exactly while online: started on entry, stopped on exit.
    expect(diagram).toContain('  online : entry / resumeInput, startRelay\n');
    expect(diagram).toContain('  online : exit / stopRelay\n');
    // It joins on entering connecting, first and after each move.
    expect(diagram).toContain('  connecting : entry / pauseInput, enterRoom\n');
    expect(diagram).not.toContain('invokes');
    expect(diagram).toContain('online --> leaving : tcp.end / recordReason\n');
    expect(diagram).toContain('leaving --> closed : after leaveTimeout\n');
    expect(diagram).not.toContain('leaving --> leaving');
  });
});
