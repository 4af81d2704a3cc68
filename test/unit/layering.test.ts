import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The layering rules of eslint.config.mjs (docs/architecture.md, "Layering"),
// each shown to reject a forbidden import and accept an allowed one, and the
// import graph of src/ shown to have no cycle.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Only the layering rule, without type information: the snippets name files
// that do not exist, so the type-checked rules could not run on them anyway.
const eslint = new ESLint({
  cwd: ROOT,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } }
  }
});

/** The `no-restricted-imports` messages for `code` as if it were `file`. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, {
    filePath: path.join(ROOT, file)
  });
  const messages = result?.messages ?? [];
  const other = messages.filter((m) => m.ruleId !== 'no-restricted-imports');
  expect(other, 'only the layering rule runs here').toEqual([]);
  return messages.map((m) => m.message);
}

/** [file it is written in, import statement, message the rule must give]. */
const FORBIDDEN: ReadonlyArray<[string, string, RegExp]> = [
  // Machines: xstate, each other and the protocol only.
  ['src/machines/x.ts', "import '../actors/room-actor.js';", /machine/],
  ['src/machines/x.ts', "import 'node:fs';", /machine/],
  ['src/machines/x.ts', "import 'rxjs';", /machine/],
  ['src/machines/x.ts', "import type { T } from '../app/x.js';", /machine/],
  ['src/protocol/x.ts', "import '../machines/types.js';", /protocol/],
  // Sockets: src/transport only.
  ['src/admin/x.ts', "import { Socket } from 'node:net';", /src\/transport/],
  ['src/app/x.ts', "import net from 'node:net';", /src\/transport/],
  ['src/actors/x.ts', "import * as net from 'net';", /src\/transport/],
  ['src/cluster/x.ts', "import { connect } from 'node:net';", /transport/],
  ['src/cli/server.ts', "import { Server } from 'node:net';", /transport/],
  // Redis: src/cluster only.
  ['src/actors/room-actor.ts', "import { Redis } from 'ioredis';", /Redis/],
  ['src/app/x.ts', "import { Redis } from 'ioredis';", /Redis/],
  ['src/transport/x.ts', "import { Redis } from 'ioredis';", /Redis/],
  ['src/tools/chaos/x.ts', "import { Redis } from 'ioredis';", /Redis/],
  ['src/cli/x.ts', "import { Redis } from 'ioredis';", /Redis/],
  // The daemon does not import its tools.
  ['src/app/x.ts', "import '../tools/chaos/run.js';", /tools/],
  ['src/transport/x.ts', "import '../tools/peers/peer.js';", /tools/],
  // Tools: the public API only.
  [
    'src/tools/chaos/x.ts',
    "import '../../transport/tcp-connection.js';",
    /public/
  ],
  [
    'src/tools/chaos/faults/x.ts',
    "import '../../../actors/room-actor.js';",
    /public/
  ],
  [
    'src/tools/peers/x.ts',
    "export * from '../../machines/types.js';",
    /public/
  ],
  ['src/cli/client.ts', "import '../transport/tcp-server.js';", /public/],
  ['src/cli/client.ts', "import '../admin/server.js';", /public/],
  ['src/testing/replay/x.ts', "import '../../cluster/scripts.js';", /public/],
  ['bench/x.ts', "import '../src/actors/room-actor.js';", /public/],
  ['bench/x.ts', "import '../src/admin/monitor.js';", /public/]
];

/** [file, import statement] that the rules let through. */
const ALLOWED: ReadonlyArray<[string, string]> = [
  ['src/machines/x.ts', "import { setup } from 'xstate';"],
  ['src/machines/x.ts', "import type { T } from './types.js';"],
  ['src/machines/x.ts', "import '../protocol/constants.js';"],
  ['src/protocol/x.ts', "import './format.js';"],
  ['src/transport/x.ts', "import { Socket } from 'node:net';"],
  ['src/admin/x.ts', "import { isIP } from 'node:net';"],
  ['src/admin/x.ts', "import type { AddressInfo } from 'node:net';"],
  ['src/cluster/x.ts', "import { Redis } from 'ioredis';"],
  ['src/app/x.ts', "import '../actors/room-actor.js';"],
  ['src/tools/chaos/x.ts', "import { Socket } from 'node:net';"],
  ['src/tools/chaos/x.ts', "import '../../app/daemon.js';"],
  ['src/tools/chaos/x.ts', "import '../../protocol/format.js';"],
  ['src/tools/chaos/x.ts', "import '../peers/peer.js';"],
  ['src/cli/client.ts', "import '../protocol/address.js';"],
  ['src/protocol/x.ts', "import stripAnsi from 'strip-ansi';"],
  ['bench/x.ts', "import '../src/app/daemon.js';"],
  ['bench/x.ts', "import { Redis } from 'ioredis';"],
  ['test/unit/x.test.ts', "import '../../src/actors/room-actor.js';"]
];

describe('layering rules (eslint.config.mjs)', () => {
  it.each(FORBIDDEN)('%s rejects %s', async (file, code, message) => {
    const found = await violations(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each(ALLOWED)('%s accepts %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});

/** Every .ts file under `dir`, relative to ROOT. */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap(
    (entry) => {
      const child = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) return sources(child);
      return child.endsWith('.ts') ? [child] : [];
    }
  );
}

/** Each file's imports among `files` (relative specifiers only). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const imported = ts
      .preProcessFile(text, true, true)
      .importedFiles.map((ref) => ref.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) =>
        path.posix.join(path.posix.dirname(file), name.replace(/\.js$/, '.ts'))
      )
      .filter((to) => known.has(to));
    edges.set(file, imported);
  }
  return edges;
}

/** The cycles of `edges` but `ignored` (`a -> b`), each as `a -> b -> … -> a`. */
function cycles(
  edges: ReadonlyMap<string, readonly string[]>,
  ignored: ReadonlySet<string> = new Set()
): string[] {
  const found: string[] = [];
  const onPath: string[] = [];
  const done = new Set<string>();
  const visit = (file: string): void => {
    onPath.push(file);
    for (const to of edges.get(file) ?? []) {
      if (ignored.has(`${file} -> ${to}`)) continue;
      const at = onPath.indexOf(to);
      if (at >= 0) found.push([...onPath.slice(at), to].join(' -> '));
      else if (!done.has(to)) visit(to);
    }
    onPath.pop();
    done.add(file);
  };
  for (const file of edges.keys()) if (!done.has(file)) visit(file);
  return found;
}

describe('import graph of src/', () => {
  it('has no cycle', () => {
    expect(cycles(importGraph(sources('src')), new Set())).toEqual([]);
  });

  it('finds a cycle, however long', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c', 'd']],
      ['c', ['a']],
      ['d', []]
    ]);
    expect(cycles(edges)).toEqual(['a -> b -> c -> a']);
    expect(cycles(edges, new Set(['c -> a']))).toEqual([]);
  });
});
