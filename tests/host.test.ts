/** The host-test rule (tests/host.ts) holds, and fails where it should. */
import { describe, expect, it } from 'vitest';
import { HOST_TEST_SUFFIX, requireHostTest } from './host.ts';

describe('requireHostTest', () => {
  it('fails a helper called from a unit test file, naming the file and the rule', () => {
    expect(() => requireHostTest('startAgent')).toThrow(
      /startAgent drives the real host .*tests\/host\.test\.ts is not named \*\.host\.test\.ts/,
    );
  });

  it('lets a helper run in a file named *.host.test.ts', () => {
    expect(() =>
      requireHostTest('startAgent', `/repo/tests/agent/x${HOST_TEST_SUFFIX}`),
    ).not.toThrow();
  });
});
