import { defineConfig } from 'vitest/config';

/**
 * Tests that drive the real host (BPF programs, the audit subsystem, auditd, test accounts,
 * loop devices) share kernel-wide state, so they run one file at a time after the unit tests;
 * everything else runs in parallel.
 */
const SYSTEM_TESTS = [
  'tests/agent/{accounts,burst,capture,cli,dns,net,script}.test.ts',
  'tests/evidence/live.test.ts',
  'tests/generators/{activities,cli,execute,run}.test.ts',
];

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
          exclude: ['tests/e2e/**', 'node_modules/**', ...SYSTEM_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'system',
          include: SYSTEM_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
