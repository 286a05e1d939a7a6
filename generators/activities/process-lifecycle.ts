/** Process creation and termination: children that exit 0, exit non-zero, and die by a signal. */
import type { Generator } from '../generator.types.ts';
import { runCommand, startChild } from '../lib/commands.ts';
import { requireBin } from '../lib/host.ts';

export const processLifecycle: Generator = {
  name: 'process_lifecycle',
  summary:
    'Starts child processes (fork+exec) that exit 0, exit 1, fail to exec, and one killed with SIGTERM.',
  subCategories: ['process-creation', 'process-termination'],
  needsRoot: false,
  touches: 'short-lived child processes only',
  unavailable: (host) =>
    host.bin.true === undefined || host.bin.sleep === undefined
      ? 'true or sleep is missing (install coreutils).'
      : undefined,
  async run(ctx, host) {
    const trueBin = requireBin(host, 'true');
    const sleep = requireBin(host, 'sleep');
    const both = ['process-creation', 'process-termination'] as const;

    const args = [`${ctx.runId}`, 'argument with spaces', '--flag=value'];
    await ctx.step(
      {
        subCategories: [...both],
        operation: 'execve',
        via: 'command',
        args: { executable: trueBin, argv: [trueBin, ...args] },
      },
      () => runCommand(trueBin, args),
    );
    const falseBin = trueBin.replace(/true$/, 'false');
    await ctx.step(
      {
        subCategories: [...both],
        operation: 'execve',
        via: 'command',
        args: { executable: falseBin, argv: [falseBin, ctx.runId] },
        expect: 'failure',
        note: 'false exits with status 1: a termination with a non-zero exit code.',
      },
      () => runCommand(falseBin, [ctx.runId]),
    );
    const missing = `/nonexistent/${ctx.runId}`;
    await ctx.step(
      {
        subCategories: ['process-creation'],
        operation: 'execve',
        via: 'command',
        args: { executable: missing, argv: [missing] },
        expect: 'failure',
        note: 'The fork succeeds, the exec fails with ENOENT: no new program runs.',
      },
      () => runCommand(missing, []),
    );

    await ctx.stepAsync(
      {
        subCategories: [...both],
        operation: 'kill',
        via: 'node',
        args: { executable: sleep, argv: [`${ctx.runId}-sleep`, '30'], signal: 'SIGTERM' },
        note: 'A sleep 30 child is started, then killed with SIGTERM by the actor.',
      },
      async () => {
        const child = startChild(sleep, ['30'], { argv0: `${ctx.runId}-sleep`, stdio: 'ignore' });
        ctx.onCleanup(`kill ${child.pid}`, () => {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // already exited
          }
        });
        await new Promise((r) => setTimeout(r, 20));
        process.kill(child.pid, 'SIGTERM');
        const exit = await child.exited;
        return {
          result: { ok: exit.signal === 'SIGTERM', returnValue: 0 },
          args: { targetPid: child.pid },
          children: [
            {
              pid: child.pid,
              ppid: process.pid,
              executable: sleep,
              argv: [`${ctx.runId}-sleep`, '30'],
              exitCode: exit.exitCode,
              signal: exit.signal,
            },
          ],
        };
      },
    );
  },
};
