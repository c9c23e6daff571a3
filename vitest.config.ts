import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start their own redis-server and child processes; on a 2-core machine
    // running every file at once only makes them slower and flakier.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: process.env.JUNIT_REPORT
      ? ['default', ['junit', { outputFile: process.env.JUNIT_REPORT }]]
      : ['default'],
  },
});
