/**
 * A child process whose memory the generator reads and writes: python3 keeps a buffer holding a
 * marker, prints its address, and on each line of stdin prints the buffer's current content.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { RunContext } from './recorder.ts';

export interface Target {
  pid: number;
  address: bigint;
  marker: string;
  /** Asks the child what its buffer holds now (what it sees, after any tampering). */
  readOwnBuffer: () => Promise<string>;
  exited: Promise<number | null>;
}

/** The python program the target child runs; exported so manifests record the real argv. */
export const TARGET_SCRIPT = [
  'import ctypes, sys',
  'buf = ctypes.create_string_buffer(sys.argv[1].encode(), 64)',
  'print(hex(ctypes.addressof(buf)), flush=True)',
  'for _ in sys.stdin:',
  '    print(buf.value.decode(errors="replace"), flush=True)',
].join('\n');

function lines(proc: ChildProcessWithoutNullStreams): () => Promise<string> {
  let buffered = '';
  const waiting: Array<(line: string) => void> = [];
  const ready: string[] = [];
  proc.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i = buffered.indexOf('\n');
    while (i >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else ready.push(line);
      i = buffered.indexOf('\n');
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const line = ready.shift();
      if (line !== undefined) return resolve(line);
      const timer = setTimeout(
        () => reject(new Error('the target child did not answer within 5 s')),
        5000,
      );
      waiting.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
}

export async function startTarget(ctx: RunContext, python: string): Promise<Target> {
  const marker = `${ctx.runId}-original-marker`;
  const proc = spawn(python, ['-c', TARGET_SCRIPT, marker], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  ctx.onCleanup('stop target child', async () => {
    proc.stdin.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  });
  const next = lines(proc);
  const first = await next();
  if (!/^0x[0-9a-f]+$/.test(first) || proc.pid === undefined) {
    throw new Error(`the python3 target did not print its buffer address (got "${first}")`);
  }
  return {
    pid: proc.pid,
    address: BigInt(first),
    marker,
    readOwnBuffer: async () => {
      proc.stdin.write('\n');
      return next();
    },
    exited,
  };
}
