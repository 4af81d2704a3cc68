import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import rxjsX from 'eslint-plugin-rxjs-x';
import globals from 'globals';

// The layering, enforced (docs/architecture.md, "Layering"). Each block below
// sets `no-restricted-imports` for one part of the tree; a later block for the
// same file replaces the setting whole, so every block lists all that applies.

/** Only src/transport opens sockets; `isIP` parses text and types are free. */
const NET = ['node:net', 'net'].map((name) => ({
  name,
  allowImportNames: ['isIP'],
  allowTypeImports: true,
  message:
    'Only src/transport touches sockets: give it the job, or take a ConnectionPort.'
}));

/** Only src/cluster talks to Redis. */
const REDIS = {
  name: 'ioredis',
  message:
    'Only src/cluster talks to Redis: the room sees an order, not a backplane.'
};

/** The daemon's layers never import the programs and tools built on them. */
const NO_TOOLS = {
  regex: String.raw`^(\.\./)+(tools|testing|cli)/`,
  message:
    'The daemon does not import its tools, its test harness or its programs (src/tools, src/testing, src/cli).'
};

/** The daemon's internals: everything but src/app and src/protocol. */
const INTERNALS = ['actors', 'admin', 'cluster', 'machines', 'transport'];

/**
 * Tools use the daemon through its public API only: src/app (`startDaemon`,
 * its options, limits, logger, errors and stats) and src/protocol (the wire
 * format). `reachIns` names internal modules (e.g. `transport/address`) one
 * tool still uses today; each is a debt, not a precedent.
 */
const publicApiOnly = (reachIns = []) => ({
  regex:
    String.raw`^(\.\./)+(src/)?` +
    (reachIns.length ? `(?!(${reachIns.join('|')})\\.js$)` : '') +
    `(${INTERNALS.join('|')})/`,
  message:
    'Tools use the daemon through its public API (src/app, src/protocol), not its internals.'
});

/** A `no-restricted-imports` setting for `files`. */
const restrict = (files, paths, patterns = []) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { paths, patterns }] }
});

/** The chaos tool, its peers, the client, the replay harness, their programs. */
const TOOLS = [
  'src/tools/**/*.ts',
  'src/testing/**/*.ts',
  'src/cli/client*.ts',
  'src/cli/chaos*.ts'
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'diagrams/', '.tmp/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    plugins: { 'rxjs-x': rxjsX },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      'rxjs-x/no-nested-subscribe': 'error',
      'rxjs-x/no-unsafe-takeuntil': 'error',
      'rxjs-x/no-ignored-subscription': 'error',
      'rxjs-x/no-subject-value': 'error'
    }
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' }
  },
  // The daemon: no sockets outside src/transport, no Redis outside src/cluster.
  restrict(['src/**/*.ts'], [...NET, REDIS], [NO_TOOLS]),
  restrict(['src/transport/**/*.ts'], [REDIS], [NO_TOOLS]),
  restrict(['src/cluster/**/*.ts'], NET, [NO_TOOLS]),
  // Machines are pure statecharts: xstate, each other, the protocol.
  restrict(
    ['src/machines/**/*.ts'],
    [],
    [
      {
        regex: String.raw`^(?!xstate(/|$)|\./|\.\./protocol/)`,
        message:
          'A machine imports only xstate, other machines and src/protocol; effects are provided by src/actors.'
      }
    ]
  ),
  // The protocol is the leaf every layer shares.
  restrict(
    ['src/protocol/**/*.ts'],
    [],
    [
      {
        regex: String.raw`^(?!\./|strip-ansi$)`,
        message:
          'src/protocol imports nothing but itself (and strip-ansi, the escape grammar its sanitiser removes).'
      }
    ]
  ),
  // src/cli holds the programs: it may use any layer, but no Redis or sockets
  // (the client's socket is a tool's, below).
  restrict(['src/cli/**/*.ts'], [...NET, REDIS]),
  // The tools: sockets as clients, the daemon through its public API only.
  restrict(TOOLS, [REDIS], [publicApiOnly()]),
  // The replay harness is test-only: it builds the daemon's core on a
  // virtual clock, so it names the internals it composes, one by one.
  restrict(
    ['src/testing/**/*.ts'],
    [REDIS],
    [
      publicApiOnly([
        'actors/commands/commands',
        'actors/commands/directory',
        'actors/name-registry',
        'actors/room-actor',
        'actors/room-registry',
        'machines/types',
        'transport/memory-connection'
      ])
    ]
  ),
  // The benchmark drives its own redis-server, so it may use ioredis.
  restrict(['bench/**/*.ts'], [], [publicApiOnly()]),
  {
    // The inspector page: plain browser modules, type-checked by web/tsconfig.json.
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' }
  }
);
