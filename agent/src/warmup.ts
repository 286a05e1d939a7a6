/**
 * JIT warm-up: V8 runs new code in its interpreter and compiles hot functions on worker threads
 * as they get hot, so a fresh enricher's first few thousand events cost several times what they
 * cost later (measured here: ≈ 25 µs per event over a cold agent's first 6,000, ≈ 13 µs once
 * warm). Running the record path on a synthetic fork/exec/exit stream while the loader attaches
 * (2-5 s of waiting anyway) pays that once, at start, instead of on the first real events.
 * Nothing of it is written or counted: it has its own enricher, process table and output.
 */
import { realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Decoded } from './decoders.ts';
import { Enricher } from './enricher.ts';
import { parseExclusions } from './exclusions.ts';
import { PROC_EXEC, PROC_EXIT, PROC_FORK } from './families/process/records.ts';
import { FrameReader } from './frames.ts';
import { ExecHashCache, FileAnalyzer } from './hashes.ts';
import { OutputBuffer } from './output.ts';
import { HDR, REC, RECORD_VERSION, TASK } from './records.ts';
import type { NameCache } from './users.ts';

/** Pids far above anything real, so a stray lookup can never meet a live process's entry. */
const PID_BASE = 0x3ff000;
/** Boot-time ns between records: a busy fork/exec loop's pace. */
const STEP_NS = 3e6;
const BASE_NS = 5e12;

interface Task {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  startNs: number;
  parentStartNs: number;
}

function header(b: Buffer, type: number, tsNs: number): void {
  b.writeUInt16LE(type, HDR.type);
  b.writeUInt16LE(RECORD_VERSION, HDR.version);
  b.writeUInt32LE(b.length, HDR.size);
  b.writeBigUInt64LE(BigInt(tsNs), HDR.ts_ns);
}

function task(b: Buffer, at: number, t: Task): void {
  b.writeUInt32LE(t.pid, at + TASK.pid);
  b.writeUInt32LE(t.pid, at + TASK.tid);
  b.writeUInt32LE(t.ppid, at + TASK.ppid);
  b.writeUInt32LE(t.pgid, at + TASK.pgid);
  b.writeUInt32LE(t.sid, at + TASK.sid);
  b.writeBigUInt64LE(BigInt(t.startNs), at + TASK.start_ns);
  b.writeBigUInt64LE(BigInt(t.parentStartNs), at + TASK.parent_start_ns);
  b.write('warmup', at + TASK.comm);
}

/** `c\0b\0a\0` for /a/b/c. */
function blob(path: string): Buffer {
  const parts = path.split('/').filter(Boolean).reverse();
  return Buffer.from(parts.map((p) => `${p}\0`).join(''), 'utf8');
}

function execRecord(t: Task, tsNs: number, exe: string, st: ExeStat, args: string[]): Buffer {
  const argBytes = Buffer.from(`${args.join('\0')}\0`, 'utf8');
  const exeBlob = blob(exe);
  const cwdBlob = blob('/');
  const name = Buffer.from(`${exe}\0`, 'utf8');
  const b = Buffer.alloc(
    PROC_EXEC.SIZE + argBytes.length + exeBlob.length + cwdBlob.length + name.length,
  );
  header(b, REC.PROC_EXEC, tsNs);
  task(b, PROC_EXEC.task, t);
  b.writeBigUInt64LE(BigInt(st.ino), PROC_EXEC.exe_ino);
  b.writeBigUInt64LE(BigInt(st.size), PROC_EXEC.exe_size);
  b.writeBigUInt64LE(st.mtimeNs, PROC_EXEC.exe_mtime_ns);
  b.writeUInt32LE(1, PROC_EXEC.exe_nlink);
  b.writeUInt32LE(0o100755, PROC_EXEC.exe_mode);
  b.writeUInt16LE(argBytes.length, PROC_EXEC.args_len);
  b.writeUInt16LE(exeBlob.length, PROC_EXEC.exe_path_len);
  b.writeUInt16LE(cwdBlob.length, PROC_EXEC.cwd_len);
  b.writeUInt16LE(name.length, PROC_EXEC.filename_len);
  Buffer.concat([argBytes, exeBlob, cwdBlob, name]).copy(b, PROC_EXEC.SIZE);
  return b;
}

function simpleRecord(type: number, size: number, t: Task, tsNs: number): Buffer {
  const b = Buffer.alloc(size);
  header(b, type, tsNs);
  task(b, PROC_FORK.task, t);
  return b;
}

interface ExeStat {
  ino: number;
  size: number;
  mtimeNs: bigint;
}

/**
 * A framed loader stream: a session leader's exec, then `n` fork/exec/exit of a child. The
 * executable is this very file, so the exec hash path runs for real (hashed once, then hits).
 * `first` > 1 continues an earlier stream from its child number `first` (without the leader).
 */
export function warmupStream(n: number, first = 1): Buffer {
  const exe = realpathSync(fileURLToPath(import.meta.url));
  const s = statSync(exe, { bigint: true });
  const st: ExeStat = { ino: Number(s.ino), size: Number(s.size), mtimeNs: s.mtimeNs };
  const frames: Buffer[] = [];
  const frame = (rec: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(rec.length);
    frames.push(len, rec);
  };
  const leader: Task = {
    pid: PID_BASE,
    ppid: 1,
    pgid: PID_BASE,
    sid: PID_BASE,
    startNs: BASE_NS,
    parentStartNs: 0,
  };
  let ts = BASE_NS + STEP_NS * (3 * first - 2);
  if (first === 1) frame(execRecord(leader, ts, exe, st, ['warmup', '--leader']));
  for (let i = first; i < first + n; i++) {
    const child: Task = {
      pid: PID_BASE + i,
      ppid: PID_BASE,
      pgid: PID_BASE,
      sid: PID_BASE,
      startNs: ts + STEP_NS,
      parentStartNs: leader.startNs,
    };
    frame(simpleRecord(REC.PROC_FORK, PROC_FORK.SIZE, child, ts + STEP_NS));
    frame(execRecord(child, ts + 2 * STEP_NS, exe, st, ['warmup', String(i)]));
    frame(simpleRecord(REC.PROC_EXIT, PROC_EXIT.SIZE, child, ts + 3 * STEP_NS));
    ts += 3 * STEP_NS;
  }
  return Buffer.concat(frames);
}

/**
 * Runs the stream through a throwaway frame reader and enricher, in loader-sized chunks. Times
 * are boot-time ns of today's magnitude (beyond V8's small integers, as real ones are), so the
 * optimised code is the code real records need. 6000 runs reach V8's top tier (TurboFan) for the
 * fork/exec/exit path; 2000 stop at the middle one. Returns the events enriched (and dropped).
 */
export function warmUp(names: NameCache, n = 6000): number {
  const out = new OutputBuffer();
  const enricher = new Enricher({
    out,
    names,
    execHashes: new ExecHashCache(),
    analyzer: new FileAnalyzer(),
    exclusions: parseExclusions([]),
    host: { bootId: 'warmup', pidNsIno: 0, hostname: 'warmup', kernel: '', architecture: '' },
    jsonDebug: false,
    ownPids: new Set(),
    procRoot: undefined,
    bootToRealNs: () => 1.7e18,
  });
  const reader = new FrameReader(
    (rec: Decoded) => enricher.onRecord(rec),
    () => {},
  );
  // Built and fed a loader batch at a time, so the warm-up never holds more than one batch.
  const batch = 200;
  for (let first = 1; first <= n; first += batch) {
    reader.push(warmupStream(Math.min(batch, n - first + 1), first));
    enricher.flushBatch();
    out.clear();
    // The loader's stats tick, which lets the table forget ended processes: without it the
    // warm-up's children would all stay and grow the heap (peak RSS) for nothing.
    enricher.onRecord({
      kind: 'stats',
      tsNs: BASE_NS + reader.stats.records * STEP_NS,
      records: 0,
      bytes: 0,
      cpuUserUs: 0,
      cpuSysUs: 0,
      drops: [],
      final: false,
    });
  }
  enricher.finish();
  let events = 0;
  for (const c of enricher.counts.values()) events += c;
  return events;
}
