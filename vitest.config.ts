import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Gathers the tests skipped for a missing system package and prints one summary at the end.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
