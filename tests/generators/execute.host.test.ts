import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Generator } from '../../generators/generator.types.ts';
import { executeRun, newRunId } from '../../generators/lib/execute.ts';
import { probeHost } from '../../generators/lib/host.ts';
import { traces } from './helpers.ts';

/** A deliberately buggy generator: it creates a tagged dir and forgets to register its cleanup. */
const forgetful: Generator = {
  name: 'forgetful',
  summary: 'test only',
  subCategories: ['file-creation'],
  needsRoot: false,
  touches: 'a temp dir it forgets to remove',
  unavailable: () => undefined,
  async run(ctx) {
    await ctx.step(
      { subCategories: ['file-creation'], operation: 'mkdir', via: 'node', args: {} },
      () => {
        const dir = join(tmpdir(), `${ctx.runId}-forgotten`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'file'), 'x');
        return { result: { ok: true, returnValue: 0 }, args: { path: dir } };
      },
    );
  },
};

describe('executeRun', () => {
  it('removes what a buggy generator left behind and fails the run so the bug is seen', async () => {
    const runId = newRunId();
    const run = await executeRun(forgetful, {
      runId,
      iteration: 1,
      host: probeHost(),
      signal: new AbortController().signal,
      log: () => {},
    });
    expect(run.status).toBe('failed');
    expect(run.reason).toBe(
      `Cleanup left ${join(tmpdir(), `${runId}-forgotten`)} behind; removed by the safety net.`,
    );
    expect(run.leftovers).toEqual([]);
    expect(traces(runId)).toEqual([]);
  });

  it('records an interruption before the first step as a failed run with nothing left', async () => {
    const controller = new AbortController();
    controller.abort();
    const runId = newRunId();
    const run = await executeRun(forgetful, {
      runId,
      iteration: 1,
      host: probeHost(),
      signal: controller.signal,
      log: () => {},
    });
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^Interrupted by a signal/);
    expect(run.actions).toEqual([]);
    expect(traces(runId)).toEqual([]);
  });
});
