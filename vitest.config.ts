import { defineConfig } from 'vitest/config';

// Every integration test runs on a real database: PGlite by default, the PostgreSQL
// server named by DATABASE_URL when it is set (CI runs the suite both ways).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/resilience/**', 'tests/browser/**', 'node_modules/**'],
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
