/**
 * What every family's decoder shares: the raw record view, little-endian readers for the named
 * offsets of records.ts, the task context and file reference that records embed, path blobs, and
 * the length checks that turn a short or inconsistent record into a MalformedRecordError. The
 * decoders themselves are in families/<family>/decode.ts, gathered by decoders.ts.
 */
import { COMM_LEN, FILE_REF, HDR, TASK } from './records.ts';

/** A record whose bytes do not match its declared layout. */
export class MalformedRecordError extends Error {
  override name = 'MalformedRecordError';
}

/** The task context every kernel record carries (`struct rec_task`). */
export interface TaskCtx {
  pid: number;
  tid: number;
  ppid: number;
  pgid: number;
  sid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  suid: number;
  sgid: number;
  ttyMajor: number;
  ttyMinor: number;
  pidnsIno: number;
  /** Group leader start, CLOCK_BOOTTIME ns (may lose sub-µs precision beyond 104 days of uptime). */
  startNs: number;
  /** The same start in clock ticks (USER_HZ = 100), exactly as /proc/<pid>/stat reports it. */
  startTicks: number;
  parentStartTicks: number;
  cgroupId: number;
  comm: string;
}

/** An open file as a record names it (`struct rec_file_ref` and the path blob after the struct). */
export interface FileRef {
  cookie: string;
  ino: number;
  size: number;
  dev: number;
  mode: number;
  flags: number;
  fd: number;
  nlink: number;
  path: string;
  pathFlags: number;
}

/** What every decoded record has. */
export interface RecordBase {
  /** CLOCK_BOOTTIME ns of the event. */
  tsNs: number;
}

/** A record as it arrives: a view on its bytes (valid only during the call). */
export interface RawRecord {
  buf: Buffer;
  view: DataView;
  /** Offset of the record (its header) in buf. */
  off: number;
  size: number;
}

/** Decodes one record type; throws MalformedRecordError when the bytes do not fit the layout. */
export type Decoder<T> = (r: RawRecord, tsNs: number) => T;

/** A family's rows for decoders.ts's table: record type → its decoder. */
export type DecoderRows<T> = readonly (readonly [number, Decoder<T>])[];

const U32 = 4294967296;

export function u64(v: DataView, o: number): number {
  return v.getUint32(o + 4, true) * U32 + v.getUint32(o, true);
}

export function s64(v: DataView, o: number): number {
  return v.getInt32(o + 4, true) * U32 + v.getUint32(o, true);
}

/** ns → clock ticks (USER_HZ 100) exactly, from the two 32-bit halves: 2^32 = 429 * 1e7 + 4967296. */
function ticks(v: DataView, o: number): number {
  const hi = v.getUint32(o + 4, true);
  const lo = v.getUint32(o, true);
  return hi * 429 + Math.floor((hi * 4967296 + lo) / 1e7);
}

/** A NUL-terminated string inside [start, end). */
export function cstr(buf: Buffer, start: number, end: number): string {
  let nul = buf.indexOf(0, start);
  if (nul < 0 || nul > end) nul = end;
  return buf.toString('utf8', start, nul);
}

/**
 * A path blob (components leaf first, each NUL terminated) → absolute path. An empty blob is the
 * root directory: the walk stopped at the root without naming anything.
 */
export function pathFromBlob(buf: Buffer, start: number, len: number): string {
  if (len === 0) return '/';
  const parts = buf.toString('utf8', start, start + len).split('\0');
  let path = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (p) path += `/${p}`;
  }
  return path || '/';
}

/** The `struct rec_task` at offset `at` of the record. */
export function decodeTask(r: RawRecord, at: number): TaskCtx {
  const v = r.view;
  const o = r.off + at;
  return {
    pid: v.getUint32(o + TASK.pid, true),
    tid: v.getUint32(o + TASK.tid, true),
    ppid: v.getUint32(o + TASK.ppid, true),
    pgid: v.getUint32(o + TASK.pgid, true),
    sid: v.getUint32(o + TASK.sid, true),
    uid: v.getUint32(o + TASK.uid, true),
    gid: v.getUint32(o + TASK.gid, true),
    euid: v.getUint32(o + TASK.euid, true),
    egid: v.getUint32(o + TASK.egid, true),
    suid: v.getUint32(o + TASK.suid, true),
    sgid: v.getUint32(o + TASK.sgid, true),
    ttyMajor: v.getUint32(o + TASK.tty_major, true),
    ttyMinor: v.getUint32(o + TASK.tty_minor, true),
    pidnsIno: v.getUint32(o + TASK.pidns_ino, true),
    startNs: u64(v, o + TASK.start_ns),
    startTicks: ticks(v, o + TASK.start_ns),
    parentStartTicks: ticks(v, o + TASK.parent_start_ns),
    cgroupId: u64(v, o + TASK.cgroup_id),
    comm: cstr(r.buf, o + TASK.comm, o + TASK.comm + COMM_LEN),
  };
}

/** Checks that the record holds at least its fixed part. */
export function need(r: RawRecord, size: number, what: string): void {
  if (r.size < size) {
    throw new MalformedRecordError(
      `${what} record is ${r.size} bytes, shorter than its fixed part of ${size} bytes`,
    );
  }
}

/** Checks that variable parts declared by length fields fit in the record. */
export function fits(r: RawRecord, fixed: number, total: number, what: string): void {
  if (fixed + total > r.size) {
    throw new MalformedRecordError(
      `${what} record declares ${total} bytes of strings after its ${fixed}-byte fixed part, but is only ${r.size} bytes long`,
    );
  }
}

/** The `struct rec_file_ref` at offset `at`, its path blob at `pathAt`. */
export function decodeFileRef(r: RawRecord, at: number, pathAt: number): FileRef {
  const v = r.view;
  const o = r.off + at;
  const pathLen = v.getUint16(o + FILE_REF.path_len, true);
  fits(r, pathAt, pathLen, 'file');
  return {
    // An opaque key: the two halves are enough, and cheaper than a BigInt.
    cookie: `${v.getUint32(o + FILE_REF.cookie + 4, true)}:${v.getUint32(o + FILE_REF.cookie, true)}`,
    ino: u64(v, o + FILE_REF.ino),
    size: u64(v, o + FILE_REF.size),
    dev: v.getUint32(o + FILE_REF.dev, true),
    mode: v.getUint32(o + FILE_REF.mode, true),
    flags: v.getUint32(o + FILE_REF.f_flags, true),
    fd: v.getInt32(o + FILE_REF.fd, true),
    nlink: v.getUint32(o + FILE_REF.nlink, true),
    path: pathLen ? pathFromBlob(r.buf, r.off + pathAt, pathLen) : '',
    pathFlags: v.getUint16(o + FILE_REF.path_flags, true),
  };
}

/** Reads the common header of a raw record. */
export function readHeader(r: RawRecord): {
  type: number;
  version: number;
  size: number;
  tsNs: number;
} {
  const v = r.view;
  return {
    type: v.getUint16(r.off + HDR.type, true),
    version: v.getUint16(r.off + HDR.version, true),
    size: v.getUint32(r.off + HDR.size, true),
    tsNs: u64(v, r.off + HDR.ts_ns),
  };
}
