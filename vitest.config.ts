import { defineConfig } from 'vitest/config';

/**
 * A test file that drives the real host (BPF programs, the audit subsystem, auditd, test
 * accounts, loop devices) is named `*.host.test.ts`: such files share kernel-wide state, so
 * they run one file at a time after the unit tests, and everything else runs in parallel.
 * `tests/host-tests.test.ts` holds the rule: a file that imports a host-driving helper must
 * carry the suffix.
 */
const HOST_TESTS = 'tests/**/*.host.test.ts';

const common = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // A focused test must never pass CI by silencing the rest.
  allowOnly: !process.env.CI,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...common,
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/e2e/**', 'node_modules/**', HOST_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'host',
          include: [HOST_TESTS],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
