/**
 * A large JSON lines capture read on several threads: this thread reads (and gunzips) the file,
 * cuts it into batches of whole lines and numbers them; worker threads parse and scan the
 * batches; their results are handed back in file order, so whoever merges them sees the same
 * sequence as a single-threaded read. Lines are cut exactly as `streamLines` cuts them.
 */
import { Worker } from 'node:worker_threads';
import { type LineHandler, type LineStats, MAX_LINE_BYTES, openCapture } from './lines.ts';

/** A batch of whole lines, as sent to a worker. */
export interface Batch {
  seq: number;
  /** 1-based number of the batch's first line in the capture. */
  startLine: number;
  bytes: Uint8Array;
}

export interface ParallelOptions {
  /** Threads that scan, this one included: `threads - 1` workers are started. */
  threads: number;
  /** Bytes of text per batch (the last line of a batch is completed, so batches run a bit over). */
  batchBytes: number;
  /** The worker module: it answers each `Batch` with `{ seq, result }`, or `{ seq, error }`. */
  worker: URL;
  workerData: unknown;
  /** Scans a batch on this thread, when every worker already has its batches in flight. */
  local: (batch: Batch) => unknown;
}

/** Batches in flight per worker: one being scanned, one waiting, so no worker idles. */
const IN_FLIGHT = 2;

/** A worker's answer; it hands the batch's buffer back so the next batch reuses it. */
export type Reply<R> =
  | { seq: number; result: R; bytes: Uint8Array }
  | { seq: number; error: string };

/**
 * Reads `path` in batches scanned by `options.threads - 1` workers and by this thread, which
 * takes a batch itself whenever the workers are full (it spends little time reading, and an
 * extra isolate would cost memory); `onResult` gets each batch's result in file order.
 */
export async function readInParallel<R>(
  path: string,
  options: ParallelOptions,
  onResult: (result: R) => void,
): Promise<LineStats> {
  const { stream, gzip } = await openCapture(path);
  const workers = Array.from(
    { length: Math.max(1, options.threads - 1) },
    () => new Worker(options.worker, { workerData: options.workerData }),
  );
  const busy = workers.map(() => 0);
  const done = new Map<number, R>();
  let merged = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  workers.forEach((worker, i) => {
    worker.on('message', (reply: Reply<R>) => {
      busy[i] = (busy[i] ?? 1) - 1;
      if ('error' in reply) failure ??= new Error(reply.error);
      else {
        free.push(reply.bytes.buffer as ArrayBuffer);
        finished(reply.seq, reply.result);
      }
      signal();
    });
    worker.on('error', (error) => {
      failure ??= error;
      signal();
    });
    worker.on('exit', (code) => {
      if (code !== 0) failure ??= new Error(`A capture reader thread stopped (exit code ${code}).`);
      signal();
    });
  });
  // Results are merged in file order, whichever thread finishes first.
  const finished = (at: number, result: R) => {
    done.set(at, result);
    for (let r = done.get(merged); r !== undefined; r = done.get(merged)) {
      done.delete(merged);
      merged++;
      try {
        onResult(r);
      } catch (error) {
        failure ??= error as Error;
      }
    }
  };
  const waitUntil = async (ready: () => boolean) => {
    while (failure === undefined && !ready()) await new Promise<void>((r) => (wake = r));
    if (failure !== undefined) throw failure;
  };

  let seq = 0;
  let lines = 0;
  let bytes = 0;
  let pieces: Uint8Array[] = [];
  let pieceBytes = 0;
  let pieceLines = 0;
  // Batch buffers are reused: a fresh multi-megabyte buffer per batch costs page faults and
  // garbage collections that were measured at a third of this thread's time.
  const free: ArrayBuffer[] = [];
  const bufferFor = (size: number): Uint8Array => {
    const i = free.findIndex((b) => b.byteLength >= size);
    const reused = i === -1 ? undefined : free.splice(i, 1)[0];
    return new Uint8Array(
      reused ?? new ArrayBuffer(Math.max(size, options.batchBytes * 2)),
      0,
      size,
    );
  };
  let local: Uint8Array | undefined;
  const send = async () => {
    if (pieces.length === 0) return;
    let pick = 0;
    for (let i = 1; i < busy.length; i++) if ((busy[i] ?? 0) < (busy[pick] ?? 0)) pick = i;
    const here = (busy[pick] ?? 0) >= IN_FLIGHT;
    if (here && (local === undefined || local.buffer.byteLength < pieceBytes))
      local = new Uint8Array(Math.max(pieceBytes, options.batchBytes * 2));
    const batch = here ? (local as Uint8Array).subarray(0, pieceBytes) : bufferFor(pieceBytes);
    let at = 0;
    for (const p of pieces) {
      batch.set(p, at);
      at += p.length;
    }
    const message: Batch = { seq: seq++, startLine: lines + 1, bytes: batch };
    if (failure !== undefined) throw failure;
    if (here) {
      finished(message.seq, options.local(message) as R);
    } else {
      busy[pick] = (busy[pick] ?? 0) + 1;
      workers[pick]?.postMessage(message, [batch.buffer as ArrayBuffer]);
    }
    lines += pieceLines;
    pieces = [];
    pieceBytes = 0;
    pieceLines = 0;
  };
  const add = (piece: Uint8Array, newlines: number) => {
    pieces.push(piece);
    pieceBytes += piece.length;
    pieceLines += newlines;
  };
  try {
    let carry: Buffer | undefined;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let start = 0;
      if (carry !== undefined) {
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          // As streamLines: a line longer than MAX_LINE_BYTES is cut.
          carry =
            carry.length + chunk.length > MAX_LINE_BYTES ? carry : Buffer.concat([carry, chunk]);
          continue;
        }
        add(carry, 0);
        add(chunk.subarray(0, nl + 1), 1);
        carry = undefined;
        start = nl + 1;
      }
      const last = chunk.lastIndexOf(10);
      if (last >= start) {
        add(chunk.subarray(start, last + 1), countNewlines(chunk, start, last + 1));
        start = last + 1;
      }
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
      if (pieceBytes >= options.batchBytes) await send();
    }
    if (carry !== undefined && carry.length > 0) add(carry, 1);
    await send();
    await waitUntil(() => merged === seq);
  } finally {
    stream.destroy();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { bytes, lines, gzip };
}

function countNewlines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let nl = buf.indexOf(10, start);
  while (nl !== -1 && nl < end) {
    n++;
    nl = buf.indexOf(10, nl + 1);
  }
  return n;
}

/**
 * Calls `onLine` for every line of a batch, numbered from its `startLine`, cut as `streamLines`
 * cuts them (LF or CRLF; the capture's last line may lack its newline).
 */
export function forEachLine(batch: Batch, onLine: LineHandler): void {
  const buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.length);
  let lineNo = batch.startLine;
  let start = 0;
  const emit = (end: number) => {
    let stop = end;
    if (stop > start && buf[stop - 1] === 0x0d) stop--;
    onLine(buf.toString('utf8', start, stop), lineNo++);
  };
  let nl = buf.indexOf(10, start);
  while (nl !== -1) {
    emit(nl);
    start = nl + 1;
    nl = buf.indexOf(10, start);
  }
  if (start < buf.length) emit(buf.length);
}
