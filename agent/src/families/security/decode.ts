/**
 * Decoders of the security family's records: ptrace, process_vm_readv/writev, bpf program loads,
 * credential changes, module loads.
 */
import {
  cstr,
  type DecoderRows,
  decodeTask,
  need,
  type RecordBase,
  s64,
  type TaskCtx,
  u64,
} from '../../decode.ts';
import { REC } from '../../records.ts';
import {
  BPF_PROG_LOAD,
  BPF_PROG_NAME_LEN,
  CRED_CHANGE,
  MODULE_LOAD,
  MODULE_NAME_LEN,
  PROC_VM,
  PTRACE,
} from './records.ts';

export interface PtraceRec extends RecordBase {
  kind: 'ptrace';
  task: TaskCtx;
  request: number;
  addr: string;
  ret: number;
  targetPid: number;
}
export interface ProcVmRec extends RecordBase {
  kind: 'proc_vm';
  task: TaskCtx;
  ret: number;
  localIovcnt: number;
  remoteIovcnt: number;
  targetPid: number;
  write: boolean;
}
export interface BpfProgLoadRec extends RecordBase {
  kind: 'bpf_prog_load';
  task: TaskCtx;
  ret: number;
  progType: number;
  attachType: number;
  insnCnt: number;
  progName: string;
}
export interface CredChangeRec extends RecordBase {
  kind: 'cred_change';
  task: TaskCtx;
  ret: number;
  /** CRED_SYSCALL_*: 1-4 set*uid, 5-8 set*gid. */
  syscall: number;
  args: [number, number, number];
  old: { uid: number; euid: number; suid: number; gid: number; egid: number; sgid: number };
}
export interface ModuleLoadRec extends RecordBase {
  kind: 'module_load';
  task: TaskCtx;
  taints: number;
  name: string;
}

export type SecurityRec = PtraceRec | ProcVmRec | BpfProgLoadRec | CredChangeRec | ModuleLoadRec;

/** Rows for decoders.ts. */
export const SECURITY_DECODERS: DecoderRows<SecurityRec> = [
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
      const name = o + BPF_PROG_LOAD.prog_name;
      return {
        kind: 'bpf_prog_load',
        tsNs,
        task: decodeTask(r, BPF_PROG_LOAD.task),
        ret: s64(v, o + BPF_PROG_LOAD.ret),
        progType: v.getUint32(o + BPF_PROG_LOAD.prog_type, true),
        attachType: v.getUint32(o + BPF_PROG_LOAD.expected_attach_type, true),
        insnCnt: v.getUint32(o + BPF_PROG_LOAD.insn_cnt, true),
        progName: cstr(r.buf, name, name + BPF_PROG_NAME_LEN),
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
        name: cstr(r.buf, o, o + MODULE_NAME_LEN),
      };
    },
  ],
];
