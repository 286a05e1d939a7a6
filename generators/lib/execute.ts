/** Runs one generator in this process: act, record, clean up (also on error or signal). */
import { randomBytes } from 'node:crypto';
import type { Generator } from '../generator.types.ts';
import type { Action, Run } from '../manifest.schema.ts';
import { isoNow } from './clock.ts';
import { Interrupted, NotPossible, StepFailed } from './errors.ts';
import { type HostCapabilities, userNameOf } from './host.ts';
import { findLeftovers, removeLeftovers } from './leftovers.ts';
import { RunContext } from './recorder.ts';

export function newRunId(): string {
  return `etm-${randomBytes(4).toString('hex')}`;
}

export interface ExecuteOptions {
  runId: string;
  iteration: number;
  host: HostCapabilities;
  signal: AbortSignal;
  log: (line: string) => void;
  observe?: (action: Action) => void;
  /** Milliseconds to wait after each action. */
  pace?: number;
}

function ranAs(): Run['ranAs'] {
  const uid = process.getuid?.() ?? 0;
  return { uid, gid: process.getgid?.() ?? 0, user: userNameOf(uid) };
}

/** A run that never started (missing privilege or host feature): no actions, a reason. */
export function skippedRun(
  generator: Generator,
  runId: string,
  iteration: number,
  status: 'failed' | 'not-possible',
  reason: string,
): Run {
  const time = isoNow();
  return {
    runId,
    generator: generator.name,
    iteration,
    subCategories: generator.subCategories,
    startTime: time,
    endTime: time,
    status,
    reason,
    ranAs: ranAs(),
    actions: [],
    leftovers: [],
  };
}

export async function executeRun(generator: Generator, options: ExecuteOptions): Promise<Run> {
  const startTime = isoNow();
  const ctx = new RunContext({
    runId: options.runId,
    signal: options.signal,
    log: options.log,
    ...(options.observe === undefined ? {} : { observe: options.observe }),
    ...(options.pace === undefined ? {} : { pace: options.pace }),
  });
  let status: Run['status'] = 'ok';
  let reason: string | undefined;
  try {
    await generator.run(ctx, options.host);
  } catch (error) {
    if (error instanceof NotPossible) {
      status = 'not-possible';
      reason = error.message;
    } else if (error instanceof StepFailed) {
      status = 'failed';
      reason = error.message;
    } else if (error instanceof Interrupted) {
      status = 'failed';
      reason =
        'Interrupted by a signal before the run finished; everything it created was removed.';
    } else {
      status = 'failed';
      reason = `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
      if (process.env.ETM_VERBOSE === '1' && error instanceof Error) options.log(error.stack ?? '');
    }
  }
  for (const cleanup of ctx.cleanups.reverse()) {
    try {
      await cleanup.run();
    } catch (error) {
      options.log(
        `  cleanup "${cleanup.label}" failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  // A generator bug must not leave anything on the host: whatever still carries the run id is
  // removed here too, and the run is failed so the bug gets noticed.
  const found = findLeftovers(options.runId);
  const leftovers = found.length > 0 ? removeLeftovers(options.runId) : [];
  if (found.length > 0) {
    status = 'failed';
    reason = `${reason === undefined ? '' : `${reason} `}Cleanup left ${found.join(', ')} behind; ${
      leftovers.length === 0
        ? 'removed by the safety net.'
        : `still there: ${leftovers.join(', ')}.`
    }`;
  }
  const tempDir = ctx.tempDirPath;
  return {
    runId: options.runId,
    generator: generator.name,
    iteration: options.iteration,
    subCategories: generator.subCategories,
    startTime,
    endTime: isoNow(),
    status,
    ...(reason === undefined ? {} : { reason }),
    ranAs: ranAs(),
    ...(tempDir === undefined ? {} : { tempDir }),
    actions: ctx.actions,
    leftovers,
  };
}
