/**
 * ECS events of the security family: ptrace, process_vm_readv/writev, bpf program loads, uid/gid
 * changes, module loads. The tables name the kernel's numbers.
 */
import type { EnrichContext } from '../../event.ts';
import type {
  BpfProgLoadRec,
  CredChangeRec,
  ModuleLoadRec,
  ProcVmRec,
  PtraceRec,
  SecurityRec,
} from './decode.ts';

const q = JSON.stringify;

/** ptrace(2) requests by number (include/uapi/linux/ptrace.h). */
const PTRACE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'PTRACE_TRACEME'],
  [1, 'PTRACE_PEEKTEXT'],
  [2, 'PTRACE_PEEKDATA'],
  [3, 'PTRACE_PEEKUSER'],
  [4, 'PTRACE_POKETEXT'],
  [5, 'PTRACE_POKEDATA'],
  [6, 'PTRACE_POKEUSER'],
  [7, 'PTRACE_CONT'],
  [8, 'PTRACE_KILL'],
  [9, 'PTRACE_SINGLESTEP'],
  [12, 'PTRACE_GETREGS'],
  [13, 'PTRACE_SETREGS'],
  [14, 'PTRACE_GETFPREGS'],
  [15, 'PTRACE_SETFPREGS'],
  [16, 'PTRACE_ATTACH'],
  [17, 'PTRACE_DETACH'],
  [24, 'PTRACE_SYSCALL'],
  [0x4200, 'PTRACE_SETOPTIONS'],
  [0x4201, 'PTRACE_GETEVENTMSG'],
  [0x4202, 'PTRACE_GETSIGINFO'],
  [0x4203, 'PTRACE_SETSIGINFO'],
  [0x4204, 'PTRACE_GETREGSET'],
  [0x4205, 'PTRACE_SETREGSET'],
  [0x4206, 'PTRACE_SEIZE'],
  [0x4207, 'PTRACE_INTERRUPT'],
  [0x4208, 'PTRACE_LISTEN'],
]);
const PTRACE_TRACEME = 0;
/** Requests that write to the tracee: event.type change rather than access. */
const PTRACE_WRITES = new Set([4, 5, 6, 13, 15, 0x4205]);

/** `enum bpf_prog_type` by number (include/uapi/linux/bpf.h). */
const BPF_PROG_TYPES = [
  'unspec',
  'socket_filter',
  'kprobe',
  'sched_cls',
  'sched_act',
  'tracepoint',
  'xdp',
  'perf_event',
  'cgroup_skb',
  'cgroup_sock',
  'lwt_in',
  'lwt_out',
  'lwt_xmit',
  'sock_ops',
  'sk_skb',
  'cgroup_device',
  'sk_msg',
  'raw_tracepoint',
  'cgroup_sock_addr',
  'lwt_seg6local',
  'lirc_mode2',
  'sk_reuseport',
  'flow_dissector',
  'cgroup_sysctl',
  'raw_tracepoint_writable',
  'cgroup_sockopt',
  'tracing',
  'struct_ops',
  'ext',
  'lsm',
  'sk_lookup',
  'syscall',
  'netfilter',
];

/** `CRED_SYSCALL_*` of records.h by number: 1-4 change uids, 5-8 gids. */
const CRED_SYSCALLS = [
  '',
  'setuid',
  'setreuid',
  'setresuid',
  'setfsuid',
  'setgid',
  'setregid',
  'setresgid',
  'setfsgid',
];
const LAST_UID_SYSCALL = 4;
/** An id argument of -1: "leave unchanged". */
const ID_UNCHANGED = 0xffffffff;

export class SecurityEnricher {
  private readonly ctx: EnrichContext;

  constructor(ctx: EnrichContext) {
    this.ctx = ctx;
  }

  onRecord(rec: SecurityRec): void {
    switch (rec.kind) {
      case 'ptrace':
        this.ptrace(rec);
        return;
      case 'proc_vm':
        this.procVm(rec);
        return;
      case 'bpf_prog_load':
        this.bpfProgLoad(rec);
        return;
      case 'cred_change':
        this.credChange(rec);
        return;
      case 'module_load':
        this.moduleLoad(rec);
        return;
    }
  }

  private ptrace(rec: PtraceRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    const name = PTRACE_NAMES.get(rec.request) ?? `PTRACE_${rec.request}`;
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    // PTRACE_TRACEME names no pid: its tracer is the parent.
    const target = this.ctx.events.target(rec.request === PTRACE_TRACEME ? p.ppid : rec.targetPid);
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: PTRACE_WRITES.has(rec.request) ? 'change' : 'access',
      action: 'ptrace',
      outcome: rec.ret >= 0 ? 'success' : 'failure',
      proc: p,
      procExtra: `,"Ext":{"ptrace":{"request":${rec.request},"request_name":"${name}","addr":"${rec.addr}"}}`,
      top: target,
    });
  }

  private procVm(rec: ProcVmRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: rec.write ? 'change' : 'access',
      action: rec.write ? 'process_vm_writev' : 'process_vm_readv',
      outcome: rec.ret >= 0 ? 'success' : 'failure',
      proc: p,
      procExtra: `,"Ext":{"process_vm":{"bytes":${Math.max(rec.ret, 0)},"local_iovcnt":${rec.localIovcnt},"remote_iovcnt":${rec.remoteIovcnt}}}`,
      top: this.ctx.events.target(rec.targetPid),
    });
  }

  private bpfProgLoad(rec: BpfProgLoadRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'info',
      action: 'bpf_prog_load',
      outcome: rec.ret >= 0 ? 'success' : 'failure',
      proc: p,
      procExtra:
        `,"Ext":{"bpf":{"prog_type":${rec.progType},"prog_type_name":"${BPF_PROG_TYPES[rec.progType] ?? 'unknown'}"` +
        `,"prog_name":${q(rec.progName)},"insn_cnt":${rec.insnCnt},"expected_attach_type":${rec.attachType}}}`,
    });
  }

  private credChange(rec: CredChangeRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    const o = rec.old;
    const n = this.ctx.names;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'change',
      action: rec.syscall <= LAST_UID_SYSCALL ? 'uid_change' : 'gid_change',
      outcome: rec.ret >= 0 ? 'success' : 'failure',
      proc: p,
      procExtra:
        `,"Ext":{"cred_change":{"syscall":"${CRED_SYSCALLS[rec.syscall] ?? 'unknown'}","args":[${rec.args.map((a) => (a === ID_UNCHANGED ? -1 : a)).join(',')}]` +
        `,"previous":{"user":${n.userJson(o.euid)},"real_user":${n.userJson(o.uid)},"saved_user":${n.userJson(o.suid)}` +
        `,"group":${n.groupJson(o.egid)},"real_group":${n.groupJson(o.gid)},"saved_group":${n.groupJson(o.sgid)}}}}`,
    });
  }

  private moduleLoad(rec: ModuleLoadRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'driver',
      type: 'start',
      action: 'module_load',
      outcome: 'success',
      proc: p,
      top: `,"driver":{"name":${q(rec.name)},"Ext":{"taints":${rec.taints}}}`,
    });
  }
}
