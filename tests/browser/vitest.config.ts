import { defineConfig } from 'vitest/config';

// The pages in real Chromium (npm run test:browser; .ci/run runs it once, on PGlite).
// One file, one browser for the whole suite: its cost stays within about two minutes of CI.
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
