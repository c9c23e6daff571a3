import { defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other: the suite, then test/aws, whose files each start a whole
 * local stack (an API server, three functions, simulation tasks). Alongside the timing-sensitive
 * tests (draining, throughput under load) on a 2-core machine, that load would make them flaky.
 */
const shared = {
  // Integration suites start their own redis-server and child processes; on a 2-core machine
  // running every file at once only makes them slower and flakier.
  maxWorkers: 2,
  testTimeout: 30_000,
  hookTimeout: 30_000,
};

export default defineConfig({
  test: {
    reporters: process.env.JUNIT_REPORT
      ? ['default', ['junit', { outputFile: process.env.JUNIT_REPORT }]]
      : ['default'],
    projects: [
      {
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/aws/**'],
          globalSetup: ['test/helpers/built-artifacts.setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...shared, name: 'aws', include: ['test/aws/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
