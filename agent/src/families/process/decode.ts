/** Decoders of the process family's records: fork, exec, exit, setsid, memfd_create. */
import {
  cstr,
  type DecoderRows,
  decodeTask,
  fits,
  need,
  pathFromBlob,
  type RawRecord,
  type RecordBase,
  type TaskCtx,
  u64,
} from '../../decode.ts';
import { REC } from '../../records.ts';
import {
  MEMFD_CREATE,
  MEMFD_NAME_LEN,
  PROC_EXEC,
  PROC_EXIT,
  PROC_FORK,
  PROC_SETSID,
} from './records.ts';

export interface ForkRec extends RecordBase {
  kind: 'fork';
  task: TaskCtx;
}
export interface ExecRec extends RecordBase {
  kind: 'exec';
  task: TaskCtx;
  exeIno: number;
  exeSize: number;
  exeMtimeNs: number;
  exeDev: number;
  exeNlink: number;
  exeMode: number;
  /** EXECF_* bits. */
  flags: number;
  oldTid: number;
  args: string[];
  executable: string;
  cwd: string;
  filename: string;
}
export interface ExitRec extends RecordBase {
  kind: 'exit';
  task: TaskCtx;
  /** The raw wait status. */
  exitCode: number;
}
export interface SetsidRec extends RecordBase {
  kind: 'setsid';
  task: TaskCtx;
}
export interface MemfdRec extends RecordBase {
  kind: 'memfd';
  task: TaskCtx;
  /** MFD_* flags as passed. */
  flags: number;
  ret: number;
  name: string;
}

export type ProcessRec = ForkRec | ExecRec | ExitRec | SetsidRec | MemfdRec;

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

/** Rows for decoders.ts. */
export const PROCESS_DECODERS: DecoderRows<ProcessRec> = [
  [
    REC.PROC_FORK,
    (r, tsNs) => {
      need(r, PROC_FORK.SIZE, 'fork');
      return { kind: 'fork', tsNs, task: decodeTask(r, PROC_FORK.task) };
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
      need(r, PROC_SETSID.SIZE, 'setsid');
      return { kind: 'setsid', tsNs, task: decodeTask(r, PROC_SETSID.task) };
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
];
