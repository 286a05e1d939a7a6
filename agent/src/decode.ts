/**
 * Decodes the loader's records (agent/bpf/records.h) from bytes into plain objects. One decoder per
 * record type, in a table keyed by type, so a new family adds rows without touching the reader.
 * Everything is read little-endian at the named offsets of records.ts.
 */

import { type NetDecoded, netDecoders } from './net-decode.ts';
import {
  BPF_PROG_LOAD,
  CRED_CHANGE,
  DROP_ENTRY,
  DROP_REASONS,
  FILE_EVENT,
  FILE_PATH_OP,
  FILE_REF,
  HDR,
  LOADER_HELLO,
  LOADER_STATS,
  MEMFD_CREATE,
  MEMFD_NAME_LEN,
  MODULE_LOAD,
  PROC_EXEC,
  PROC_EXIT,
  PROC_VM,
  PTRACE,
  RAW_ACCESS,
  REC,
  TASK,
} from './records.ts';

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

interface Base {
  /** CLOCK_BOOTTIME ns of the event. */
  tsNs: number;
}

export interface ForkRec extends Base {
  kind: 'fork';
  task: TaskCtx;
}
export interface ExecRec extends Base {
  kind: 'exec';
  task: TaskCtx;
  exeIno: number;
  exeSize: number;
  exeMtimeNs: number;
  exeDev: number;
  exeNlink: number;
  exeMode: number;
  flags: number;
  oldTid: number;
  args: string[];
  executable: string;
  cwd: string;
  filename: string;
}
export interface ExitRec extends Base {
  kind: 'exit';
  task: TaskCtx;
  exitCode: number;
}
export interface SetsidRec extends Base {
  kind: 'setsid';
  task: TaskCtx;
}
export interface MemfdRec extends Base {
  kind: 'memfd';
  task: TaskCtx;
  flags: number;
  ret: number;
  name: string;
}
export interface FileEventRec extends Base {
  kind: 'file_create' | 'file_modify' | 'file_close' | 'image_load';
  task: TaskCtx;
  file: FileRef;
}
export interface FilePathOpRec extends Base {
  kind: 'file_rename' | 'file_unlink';
  task: TaskCtx;
  ret: number;
  flags: number;
  oldName: string;
  newName: string;
  oldDir: string;
  newDir: string;
}
export interface PtraceRec extends Base {
  kind: 'ptrace';
  task: TaskCtx;
  request: number;
  addr: string;
  ret: number;
  targetPid: number;
}
export interface ProcVmRec extends Base {
  kind: 'proc_vm';
  task: TaskCtx;
  ret: number;
  localIovcnt: number;
  remoteIovcnt: number;
  targetPid: number;
  write: boolean;
}
export interface BpfProgLoadRec extends Base {
  kind: 'bpf_prog_load';
  task: TaskCtx;
  ret: number;
  progType: number;
  attachType: number;
  insnCnt: number;
  progName: string;
}
export interface RawAccessRec extends Base {
  kind: 'raw_access';
  task: TaskCtx;
  file: FileRef;
  rdev: number;
}
export interface CredChangeRec extends Base {
  kind: 'cred_change';
  task: TaskCtx;
  ret: number;
  syscall: number;
  args: [number, number, number];
  old: { uid: number; euid: number; suid: number; gid: number; egid: number; sgid: number };
}
export interface ModuleLoadRec extends Base {
  kind: 'module_load';
  task: TaskCtx;
  taints: number;
  name: string;
}
export interface HelloRec extends Base {
  kind: 'hello';
  bootToRealNs: number;
  loaderPid: number;
  features: number;
  families: number;
  ringBytes: number;
  drainMs: number;
}
export interface DropCount {
  type: number;
  reason: (typeof DROP_REASONS)[number];
  count: number;
}
export interface StatsRec extends Base {
  kind: 'stats';
  records: number;
  bytes: number;
  cpuUserUs: number;
  cpuSysUs: number;
  drops: DropCount[];
  final: boolean;
}

export type Decoded =
  | ForkRec
  | ExecRec
  | ExitRec
  | SetsidRec
  | MemfdRec
  | FileEventRec
  | FilePathOpRec
  | PtraceRec
  | ProcVmRec
  | BpfProgLoadRec
  | RawAccessRec
  | CredChangeRec
  | ModuleLoadRec
  | HelloRec
  | StatsRec
  | NetDecoded;

/** A record as it arrives: a view on its bytes (valid only during the call). */
export interface RawRecord {
  buf: Buffer;
  view: DataView;
  /** Offset of the record (its header) in buf. */
  off: number;
  size: number;
}

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
    comm: cstr(r.buf, o + TASK.comm, o + TASK.comm + 16),
  };
}

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

function decodeFileRef(r: RawRecord, at: number, pathAt: number): FileRef {
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

export type Decoder = (r: RawRecord, tsNs: number) => Decoded;

function decodeExec(r: RawRecord, tsNs: number): ExecRec {
  need(r, PROC_EXEC.SIZE, 'exec');
  const v = r.view;
  const o = r.off;
  const argsLen = v.getUint16(o + PROC_EXEC.args_len, true);
  const exeLen = v.getUint16(o + PROC_EXEC.exe_path_len, true);
  const cwdLen = v.getUint16(o + PROC_EXEC.cwd_len, true);
  const fnLen = v.getUint16(o + PROC_EXEC.filename_len, true);
  fits(r, PROC_EXEC.SIZE, argsLen + exeLen + cwdLen + fnLen, 'exec');
  let p = o + PROC_EXEC.SIZE;
  const argStr = r.buf.toString('utf8', p, p + argsLen);
  // argv is NUL separated with a trailing NUL; a truncated argv has none.
  const args = argsLen === 0 ? [] : argStr.split('\0');
  if (args.length > 0 && args[args.length - 1] === '') args.pop();
  p += argsLen;
  const executable = pathFromBlob(r.buf, p, exeLen);
  p += exeLen;
  const cwd = pathFromBlob(r.buf, p, cwdLen);
  p += cwdLen;
  const filename = cstr(r.buf, p, p + fnLen);
  return {
    kind: 'exec',
    tsNs,
    task: decodeTask(r, PROC_EXEC.task),
    exeIno: u64(v, o + PROC_EXEC.exe_ino),
    exeSize: u64(v, o + PROC_EXEC.exe_size),
    exeMtimeNs: u64(v, o + PROC_EXEC.exe_mtime_ns),
    exeDev: v.getUint32(o + PROC_EXEC.exe_dev, true),
    exeNlink: v.getUint32(o + PROC_EXEC.exe_nlink, true),
    exeMode: v.getUint32(o + PROC_EXEC.exe_mode, true),
    flags: v.getUint32(o + PROC_EXEC.flags, true),
    oldTid: v.getUint32(o + PROC_EXEC.old_tid, true),
    args,
    executable,
    cwd,
    filename,
  };
}

function decodePathOp(r: RawRecord, tsNs: number, kind: FilePathOpRec['kind']): FilePathOpRec {
  need(r, FILE_PATH_OP.SIZE, kind);
  const v = r.view;
  const o = r.off;
  const oldLen = v.getUint16(o + FILE_PATH_OP.old_len, true);
  const newLen = v.getUint16(o + FILE_PATH_OP.new_len, true);
  const oldDirLen = v.getUint16(o + FILE_PATH_OP.old_dir_len, true);
  const newDirLen = v.getUint16(o + FILE_PATH_OP.new_dir_len, true);
  fits(r, FILE_PATH_OP.SIZE, oldLen + newLen + oldDirLen + newDirLen, kind);
  let p = o + FILE_PATH_OP.SIZE;
  const oldName = cstr(r.buf, p, p + oldLen);
  p += oldLen;
  const newName = cstr(r.buf, p, p + newLen);
  p += newLen;
  const oldDir = oldDirLen ? pathFromBlob(r.buf, p, oldDirLen) : '';
  p += oldDirLen;
  const newDir = newDirLen ? pathFromBlob(r.buf, p, newDirLen) : '';
  return {
    kind,
    tsNs,
    task: decodeTask(r, FILE_PATH_OP.task),
    ret: s64(v, o + FILE_PATH_OP.ret),
    flags: v.getUint32(o + FILE_PATH_OP.flags, true),
    oldName,
    newName,
    oldDir,
    newDir,
  };
}

function fileEvent(kind: FileEventRec['kind']): Decoder {
  return (r, tsNs) => {
    need(r, FILE_EVENT.SIZE, kind);
    return {
      kind,
      tsNs,
      task: decodeTask(r, FILE_EVENT.task),
      file: decodeFileRef(r, FILE_EVENT.file, FILE_EVENT.SIZE),
    };
  };
}

/** Decoders by record type. Add a row per new record type. */
export const DECODERS: ReadonlyMap<number, Decoder> = new Map<number, Decoder>([
  [
    REC.PROC_FORK,
    (r, tsNs) => {
      need(r, 112, 'fork');
      return { kind: 'fork', tsNs, task: decodeTask(r, 16) };
    },
  ],
  [REC.PROC_EXEC, decodeExec],
  [
    REC.PROC_EXIT,
    (r, tsNs) => {
      need(r, PROC_EXIT.SIZE, 'exit');
      return {
        kind: 'exit',
        tsNs,
        task: decodeTask(r, PROC_EXIT.task),
        exitCode: r.view.getUint32(r.off + PROC_EXIT.exit_code, true),
      };
    },
  ],
  [
    REC.PROC_SETSID,
    (r, tsNs) => {
      need(r, 112, 'setsid');
      return { kind: 'setsid', tsNs, task: decodeTask(r, 16) };
    },
  ],
  [
    REC.MEMFD_CREATE,
    (r, tsNs) => {
      need(r, MEMFD_CREATE.SIZE, 'memfd_create');
      const o = r.off + MEMFD_CREATE.name;
      return {
        kind: 'memfd',
        tsNs,
        task: decodeTask(r, MEMFD_CREATE.task),
        flags: r.view.getUint32(r.off + MEMFD_CREATE.flags, true),
        ret: r.view.getInt32(r.off + MEMFD_CREATE.ret, true),
        name: cstr(r.buf, o, o + MEMFD_NAME_LEN),
      };
    },
  ],
  [REC.FILE_CREATE, fileEvent('file_create')],
  [REC.FILE_MODIFY, fileEvent('file_modify')],
  [REC.FILE_CLOSE, fileEvent('file_close')],
  [REC.IMAGE_LOAD, fileEvent('image_load')],
  [REC.FILE_RENAME, (r, tsNs) => decodePathOp(r, tsNs, 'file_rename')],
  [REC.FILE_UNLINK, (r, tsNs) => decodePathOp(r, tsNs, 'file_unlink')],
  [
    REC.PTRACE,
    (r, tsNs) => {
      need(r, PTRACE.SIZE, 'ptrace');
      const v = r.view;
      const o = r.off;
      return {
        kind: 'ptrace',
        tsNs,
        task: decodeTask(r, PTRACE.task),
        request: s64(v, o + PTRACE.request),
        addr: `0x${v.getBigUint64(o + PTRACE.addr, true).toString(16)}`,
        ret: s64(v, o + PTRACE.ret),
        targetPid: v.getUint32(o + PTRACE.target_pid, true),
      };
    },
  ],
  [
    REC.PROC_VM,
    (r, tsNs) => {
      need(r, PROC_VM.SIZE, 'process_vm');
      const v = r.view;
      const o = r.off;
      return {
        kind: 'proc_vm',
        tsNs,
        task: decodeTask(r, PROC_VM.task),
        ret: s64(v, o + PROC_VM.ret),
        localIovcnt: u64(v, o + PROC_VM.local_iovcnt),
        remoteIovcnt: u64(v, o + PROC_VM.remote_iovcnt),
        targetPid: v.getUint32(o + PROC_VM.target_pid, true),
        write: v.getUint32(o + PROC_VM.write, true) === 1,
      };
    },
  ],
  [
    REC.BPF_PROG_LOAD,
    (r, tsNs) => {
      need(r, BPF_PROG_LOAD.SIZE, 'bpf_prog_load');
      const v = r.view;
      const o = r.off;
      return {
        kind: 'bpf_prog_load',
        tsNs,
        task: decodeTask(r, BPF_PROG_LOAD.task),
        ret: s64(v, o + BPF_PROG_LOAD.ret),
        progType: v.getUint32(o + BPF_PROG_LOAD.prog_type, true),
        attachType: v.getUint32(o + BPF_PROG_LOAD.expected_attach_type, true),
        insnCnt: v.getUint32(o + BPF_PROG_LOAD.insn_cnt, true),
        progName: cstr(r.buf, o + BPF_PROG_LOAD.prog_name, o + BPF_PROG_LOAD.prog_name + 16),
      };
    },
  ],
  [
    REC.RAW_ACCESS,
    (r, tsNs) => {
      need(r, RAW_ACCESS.SIZE, 'raw_access');
      return {
        kind: 'raw_access',
        tsNs,
        task: decodeTask(r, RAW_ACCESS.task),
        file: decodeFileRef(r, RAW_ACCESS.file, RAW_ACCESS.SIZE),
        rdev: r.view.getUint32(r.off + RAW_ACCESS.rdev, true),
      };
    },
  ],
  [
    REC.CRED_CHANGE,
    (r, tsNs) => {
      need(r, CRED_CHANGE.SIZE, 'cred_change');
      const v = r.view;
      const o = r.off;
      const g = (at: number) => v.getUint32(o + at, true);
      return {
        kind: 'cred_change',
        tsNs,
        task: decodeTask(r, CRED_CHANGE.task),
        ret: s64(v, o + CRED_CHANGE.ret),
        syscall: g(CRED_CHANGE.syscall),
        args: [g(CRED_CHANGE.arg0), g(CRED_CHANGE.arg1), g(CRED_CHANGE.arg2)],
        old: {
          uid: g(CRED_CHANGE.old_uid),
          euid: g(CRED_CHANGE.old_euid),
          suid: g(CRED_CHANGE.old_suid),
          gid: g(CRED_CHANGE.old_gid),
          egid: g(CRED_CHANGE.old_egid),
          sgid: g(CRED_CHANGE.old_sgid),
        },
      };
    },
  ],
  [
    REC.MODULE_LOAD,
    (r, tsNs) => {
      need(r, MODULE_LOAD.SIZE, 'module_load');
      const o = r.off + MODULE_LOAD.name;
      return {
        kind: 'module_load',
        tsNs,
        task: decodeTask(r, MODULE_LOAD.task),
        taints: r.view.getUint32(r.off + MODULE_LOAD.taints, true),
        name: cstr(r.buf, o, o + 64),
      };
    },
  ],
  [
    REC.LOADER_HELLO,
    (r, tsNs) => {
      need(r, LOADER_HELLO.SIZE, 'loader hello');
      const v = r.view;
      const o = r.off;
      return {
        kind: 'hello',
        tsNs,
        bootToRealNs: s64(v, o + LOADER_HELLO.boot_to_real_ns),
        loaderPid: v.getUint32(o + LOADER_HELLO.loader_pid, true),
        features: v.getUint32(o + LOADER_HELLO.features, true),
        families: v.getUint32(o + LOADER_HELLO.families, true),
        ringBytes: v.getUint32(o + LOADER_HELLO.ring_bytes, true),
        drainMs: v.getUint32(o + LOADER_HELLO.drain_ms, true),
      };
    },
  ],
  [
    REC.LOADER_STATS,
    (r, tsNs) => {
      need(r, LOADER_STATS.SIZE, 'loader stats');
      const v = r.view;
      const o = r.off;
      const n = v.getUint32(o + LOADER_STATS.n_drops, true);
      fits(r, LOADER_STATS.SIZE, n * DROP_ENTRY.SIZE, 'loader stats');
      const drops: DropCount[] = [];
      for (let i = 0; i < n; i++) {
        const e = o + LOADER_STATS.SIZE + i * DROP_ENTRY.SIZE;
        drops.push({
          type: v.getUint16(e + DROP_ENTRY.type, true),
          reason: DROP_REASONS[v.getUint16(e + DROP_ENTRY.reason, true) & 3] ?? 'reserved',
          count: u64(v, e + DROP_ENTRY.count),
        });
      }
      return {
        kind: 'stats',
        tsNs,
        records: u64(v, o + LOADER_STATS.records),
        bytes: u64(v, o + LOADER_STATS.bytes),
        cpuUserUs: u64(v, o + LOADER_STATS.cpu_user_us),
        cpuSysUs: u64(v, o + LOADER_STATS.cpu_sys_us),
        drops,
        final: v.getUint32(o + LOADER_STATS.final, true) === 1,
      };
    },
  ],
  ...netDecoders(REC),
]);

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
