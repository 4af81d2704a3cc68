import { describe, expect, it } from 'vitest';
import { observe } from '../../../../src/tools/peers/observed.js';
import type { Peer } from '../../../../src/tools/peers/peer.js';
import {
  checkFaulty,
  faultyTranscripts,
  resolveAddresses
} from '../../../../src/tools/chaos/faulty-check.js';
import type { FaultyConnection } from '../../../../src/tools/chaos/faulty.js';
import type { FaultKind } from '../../../../src/tools/chaos/types.js';
import {
  incarnationName,
  renameTranscript
} from '../../../../src/tools/chaos/incarnations.js';

const REF = '127.0.0.1:5001';
const F = '127.0.0.1:6000';

/** A faulty connection as the runtime records it, with no socket. */
function faulty(
  kind: FaultKind,
  received: string[],
  record: Partial<
    Pick<FaultyConnection, 'sent' | 'loose' | 'owed' | 'forbidden' | 'proxied'>
  > = {},
  addr = F
): FaultyConnection {
  const peer = { lines: received, localAddr: addr } as unknown as Peer;
  return {
    peer,
    action: { atMs: 0, kind, client: 3, params: {} },
    tag: 'f3',
    proxied: false,
    sent: [],
    loose: [],
    owed: [],
    forbidden: [],
    line: () => Promise.resolve(null),
    looseLine: () => Promise.resolve(null),
    cutLine: () => Promise.resolve(null),
    owe: () => undefined,
    finish: () => undefined,
    greeting: () => Promise.resolve(true),
    ...record
  };
}

function reference(lines: string[]) {
  return observe({
    addr: REF,
    lines: ['Connected to the chat server (1 user online)', ...lines],
    stayed: true
  });
}

const JOIN = `New user ${F} entered (2 users online)`;
const LEAVE = `The user ${F} left (1 user online)`;

describe('checkFaulty', () => {
  it('accepts a client whose echoed and owed lines all reached the reference', () => {
    const c = faulty(
      'half-close',
      ['Connected to the chat server (2 users online)', '[You] f3.1 a'],
      {
        sent: ['f3.1 a', 'f3.2 b'],
        owed: ['f3.1 a', 'f3.2 b']
      }
    );
    const ref = reference([JOIN, `[${F}] f3.1 a`, `[${F}] f3.2 b`, LEAVE]);
    expect(
      checkFaulty(resolveAddresses([c], ref, ref.transcript), ref)
    ).toEqual([]);
  });

  it('reports an echoed line that never reached the reference (I1)', () => {
    const c = faulty(
      'flood',
      [
        'Connected to the chat server (2 users online)',
        '[You] f3.1 flood',
        '[You] f3.2 flood'
      ],
      {
        sent: ['f3.1 flood', 'f3.2 flood']
      }
    );
    const ref = reference([JOIN, `[${F}] f3.1 flood`, LEAVE]);
    const [v, ...rest] = checkFaulty(
      resolveAddresses([c], ref, ref.transcript),
      ref
    );
    expect(rest).toEqual([]);
    expect(v?.invariant).toBe('I1');
    expect(v?.message).toBe(
      `faulty client f3 (flood) at ${F} sent "f3.2 flood" and the server echoed it as [You], but ${REF} never received it`
    );
  });

  it('reports a line relayed in pieces (framing)', () => {
    const c = faulty('slicer', [], { sent: ['f3.1 sliced'] });
    const ref = reference([JOIN, `[${F}] f3.1 sl`, `[${F}] iced`, LEAVE]);
    const [v] = checkFaulty(resolveAddresses([c], ref, ref.transcript), ref);
    expect(v?.invariant).toBe('framing');
    expect(v?.message).toContain(
      '2 text(s) from faulty client f3 (slicer) that it never sent as one line'
    );
  });

  it('reports a cut-off line that was relayed, once', () => {
    const c = faulty('reset', [], { sent: ['f3.1 a'], forbidden: ['f3.2'] });
    const ref = reference([
      JOIN,
      `[${F}] f3.1 a`,
      `[${F}] f3.2 cut off by a`,
      LEAVE
    ]);
    const violations = checkFaulty(
      resolveAddresses([c], ref, ref.transcript),
      ref
    );
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toContain('a line cut off by a reset');
  });

  it('lets garbage lines through when they start with their head', () => {
    const c = faulty('garbage', [], { loose: ['f3.1'] });
    const ref = reference([JOIN, `[${F}] f3.1 \ufffd sanitised`, LEAVE]);
    expect(
      checkFaulty(resolveAddresses([c], ref, ref.transcript), ref)
    ).toEqual([]);
  });

  it('finds a proxied client by its tag, and reports its lost echo', () => {
    const proxy = '127.0.0.1:7000';
    const c = faulty(
      'latency',
      [
        'Connected to the chat server (2 users online)',
        '[You] f3.1 delayed',
        '[You] f3.2 delayed'
      ],
      {
        sent: ['f3.1 delayed', 'f3.2 delayed'],
        proxied: true
      },
      '127.0.0.1:9999'
    );
    const ref = reference([
      `New user ${proxy} entered (2 users online)`,
      `[${proxy}] f3.1 delayed`
    ]);
    const resolved = resolveAddresses([c], ref, ref.transcript);
    expect(resolved[0]?.addr).toBe(proxy);
    expect(checkFaulty(resolved, ref).map((v) => v.invariant)).toEqual(['I1']);
    // Its own lines show the proxy's address only as [You]: left out.
    expect(faultyTranscripts(resolved)).toEqual([]);
  });

  it('names a reused address by incarnation, in step with the reference', () => {
    const first = faulty('churn', [
      'Connected to the chat server (2 users online)'
    ]);
    const second = faulty(
      'flood',
      ['Connected to the chat server (2 users online)', '[You] f3.1 flood'],
      { sent: ['f3.1 flood'] }
    );
    const raw = [JOIN, LEAVE, JOIN, `[${F}] f3.1 flood`, LEAVE];
    const rawRef = {
      addr: REF,
      lines: ['Connected to the chat server (1 user online)', ...raw],
      stayed: true
    };
    const renamed = renameTranscript(rawRef, new Map(), REF);
    const again = `[127.0.0.1%reuse2]:6000`;
    expect(renamed.lines.slice(3)).toEqual([
      `New user ${again} entered (2 users online)`,
      `[${again}] f3.1 flood`,
      `The user ${again} left (1 user online)`
    ]);
    const ref = observe(renamed);
    const resolved = resolveAddresses([first, second], ref, rawRef);
    expect(resolved.map((r) => r.addr)).toEqual([F, again]);
    expect(checkFaulty(resolved, ref)).toEqual([]);
    expect(faultyTranscripts(resolved).map((t) => t.addr)).toEqual([F, again]);
    expect(incarnationName('[::1]:5', 3)).toBe('[::1%reuse3]:5');
  });

  it('leaves refused and silent connections out of the transcripts', () => {
    const refused = faulty('churn', [
      'Error: server full (5 connections); try again later'
    ]);
    const silent = faulty('churn', [], {}, '127.0.0.1:6001');
    const ref = reference([]);
    expect(
      faultyTranscripts(
        resolveAddresses([refused, silent], ref, ref.transcript)
      )
    ).toEqual([]);
  });
});
