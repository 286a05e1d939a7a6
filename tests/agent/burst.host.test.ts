/**
 * Zero silent drops: with a 4 KiB ring drained once a second and no early wakeup, a burst of 300
 * fork+exec loses events, and every lost one is counted: delivered + dropped covers the burst.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { announceSkip, bpfSkipReason, buildAgent, sleep, startAgent, tempDir } from './helpers.ts';

const BURST = 300;
const skip = announceSkip('agent burst', bpfSkipReason());

describe.skipIf(skip)('agent under a burst it cannot keep up with', () => {
  it('counts every exec it could not deliver', async () => {
    buildAgent();
    const dir = tempDir('burst');
    const run = await startAgent(
      ['--ring-kib', '4', '--drain-ms', '1000', '--wakeup-kib', '1024', '--families', 'process'],
      dir,
    );
    const r = spawnSync('sh', [
      '-c',
      `i=0; while [ $i -lt ${BURST} ]; do /bin/true burst-marker; i=$((i+1)); done`,
    ]);
    expect(r.status).toBe(0);
    await sleep(1500);
    const { events, stderr, code } = await run.stop();
    expect(code).toBe(0);
    const delivered = events.filter(
      (e) => e.event.action === 'exec' && (e.process.args as string[])[1] === 'burst-marker',
    ).length;
    const dropped = Number(/proc_exec ringbuf_full: (\d+)/.exec(stderr)?.[1] ?? 0);
    const total = Number(/dropped in the kernel: (\d+)/.exec(stderr)?.[1] ?? -1);
    expect(dropped).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(dropped);
    // Other processes on the machine may add execs (and drops), never remove them.
    expect(delivered + dropped).toBeGreaterThanOrEqual(BURST);
    expect(delivered).toBeLessThan(BURST);
  });
});
