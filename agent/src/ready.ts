/**
 * The agent's ready signal: one JSON line written to the file descriptor named by `--ready-fd`
 * once every family is attached (the loader's hello record has arrived), then the descriptor is
 * closed. A program that starts the agent waits for this line instead of reading the human
 * progress messages on stderr; a descriptor closed without a line means the agent ended before
 * it was ready.
 *
 * @example
 * const child = spawn(process.execPath, ['agent/src/cli.ts', '--ready-fd', '3', '--out', f], {
 *   stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
 * });
 * const ready = await waitForReady(child, 3, 90_000); // { ready: true, pid, loaderPid, families, ... }
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { z } from 'zod';
import type { HelloRec } from './families/loader/decode.ts';
import { FAMILY_BITS, familyNames } from './families/loader/records.ts';

const familyName = z.enum(Object.keys(FAMILY_BITS) as [keyof typeof FAMILY_BITS]);

/** The ready line. */
const readySignalSchema = z.strictObject({
  ready: z.literal(true),
  /** The agent's own process (node). */
  pid: z.number().int().positive(),
  /** The BPF loader, the agent's child. */
  loaderPid: z.number().int().nonnegative(),
  /** The families attached, by the names `--families` takes. */
  families: z.array(familyName),
  /** Ring buffer size in bytes and drain period in ms, as the loader reported them. */
  ringBytes: z.number().int().nonnegative(),
  drainMs: z.number().int().nonnegative(),
});

export type ReadySignal = z.infer<typeof readySignalSchema>;

/** The ready signal for a loader's hello record. */
export function readySignal(hello: HelloRec, pid: number): ReadySignal {
  return {
    ready: true,
    pid,
    loaderPid: hello.loaderPid,
    families: familyNames(hello.families),
    ringBytes: hello.ringBytes,
    drainMs: hello.drainMs,
  };
}

/** Writes the signal as one line to fd and closes it. */
export function sendReady(fd: number, signal: ReadySignal): void {
  const line = Buffer.from(`${JSON.stringify(signal)}\n`, 'utf8');
  try {
    for (let done = 0; done < line.length; ) done += writeSync(fd, line, done);
  } finally {
    closeSync(fd);
  }
}

/** The agent ended, or took too long, before its ready signal. */
class AgentNotReadyError extends Error {
  override name = 'AgentNotReadyError';
}

/**
 * Resolves with the ready signal the child writes to its descriptor `fd` (spawned with a pipe
 * there and `--ready-fd <fd>`). Rejects with AgentNotReadyError when the descriptor closes
 * without a signal (the agent failed to start) or after `timeoutMs`.
 */
export function waitForReady(
  child: ChildProcess,
  fd: number,
  timeoutMs: number,
): Promise<ReadySignal> {
  const stream = child.stdio[fd];
  if (!stream || !('on' in stream)) {
    return Promise.reject(
      new Error(`The agent was not started with a pipe on descriptor ${fd} for its ready signal.`),
    );
  }
  return new Promise<ReadySignal>((resolve, reject) => {
    let text = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(new AgentNotReadyError(`The agent was not ready within ${timeoutMs / 1000} s.`)),
        ),
      timeoutMs,
    );
    stream.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      const parsed = readySignalSchema.safeParse(safeJson(text.slice(0, nl)));
      settle(() =>
        parsed.success
          ? resolve(parsed.data)
          : reject(
              new AgentNotReadyError(
                `The agent's ready signal is not understood: ${text.slice(0, nl)}`,
              ),
            ),
      );
    });
    stream.on('end', () =>
      settle(() =>
        reject(
          new AgentNotReadyError(
            'The agent closed its ready descriptor without a ready signal: it ended before every family was attached.',
          ),
        ),
      ),
    );
  });
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
