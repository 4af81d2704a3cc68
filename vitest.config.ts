import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts']
        }
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts']
        }
      },
      {
        // The fault suite compares throughput and latency with and without
        // hostile peers: it runs after the others, one file at a time, so the
        // rest of the suite is not load it has to tell apart.
        extends: true,
        test: {
          name: 'fault',
          include: ['test/fault/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 1 }
        }
      },
      {
        // The inspector page in headless Chromium (playwright-core, Debian's
        // chromium): its own group, so browsers never overlap the load tests.
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 3 }
        }
      },
      {
        // chat-chaos against the naive fixture and against our daemon: whole
        // chaos runs of a few seconds each, last, so they are not load the
        // fault suite has to tell apart.
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 2 }
        }
      }
    ]
  }
});
