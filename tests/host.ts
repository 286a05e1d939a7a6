/**
 * How a test that drives the real host is recognised: a helper that starts the agent, auditd,
 * sshd, a test account or a loop device calls `requireHostTest`, which fails any test whose file
 * is not named `*.host.test.ts`. Such files share kernel-wide state, so vitest.config.ts runs them
 * one at a time after the unit tests; the name is the rule, and this check keeps it true.
 */
import { expect } from 'vitest';

export const HOST_TEST_SUFFIX = '.host.test.ts';

/**
 * Throws when called from a test file that is not a host test. Outside vitest (a bench) there is
 * no test file and nothing to check.
 * @example requireHostTest('startAgent') // at the top of a helper that loads BPF programs
 */
export function requireHostTest(helper: string, testPath = currentTestPath()): void {
  if (testPath === undefined || testPath.endsWith(HOST_TEST_SUFFIX)) return;
  throw new Error(
    `${helper} drives the real host (kernel-wide state), but ${testPath} is not named *${HOST_TEST_SUFFIX}; rename it so it runs alone, after the unit tests.`,
  );
}

function currentTestPath(): string | undefined {
  try {
    return expect.getState().testPath;
  } catch {
    return undefined;
  }
}
