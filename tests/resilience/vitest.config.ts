import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The resilience suite (npm run test:resilience): PostgreSQL only (DATABASE_URL), one file
// at a time (the files spawn service processes and must not starve each other on 2 cores).
// RESILIENCE_SIZE=ci (default) or full (scripts/resilience-full.sh).
export default defineConfig({
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    include: ['tests/resilience/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
