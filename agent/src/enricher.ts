/**
 * Turns decoded records into ECS NDJSON lines: process lineage from the process table, user and
 * group names from the name cache, executable hashes from the hash cache, and file content facts
 * after the file is closed. One method per record kind; unknown kinds never reach here (the frame
 * reader counts them).
 */
import type {
  BpfProgLoadRec,
  CredChangeRec,
  Decoded,
  ExecRec,
  FileEventRec,
  FilePathOpRec,
  HelloRec,
  MemfdRec,
  ModuleLoadRec,
  ProcVmRec,
  PtraceRec,
  RawAccessRec,
  StatsRec,
  TaskCtx,
} from './decode.ts';
import {
  AGENT_TYPE,
  anemic,
  ECS_VERSION,
  fileMembers,
  fileType,
  hashMembers,
  imageMembersBuf,
  mode,
  previousMember,
  procMembers,
  userMembers,
  userMembersBuf,
} from './ecs.ts';
import { type Exclusions, excludesPath } from './exclusions.ts';
import type { ExecHashCache, FileAnalyzer, FileFacts, SkipReason } from './hashes.ts';
import { type FamilyEvent, NetEnricher, scriptArgsExt } from './net-enrich.ts';
import type { OutputBuffer } from './output.ts';
import { type Proc, ProcessTable } from './processes.ts';
import { EXECF } from './records.ts';
import type { NameCache } from './users.ts';

export interface HostInfo {
  bootId: string;
  pidNsIno: number;
  hostname: string;
  kernel: string;
  architecture: string;
}

export interface EnricherOptions {
  /** Receives the NDJSON output; the caller takes it after each batch. */
  out: OutputBuffer;
  names: NameCache;
  execHashes: ExecHashCache;
  analyzer: FileAnalyzer;
  exclusions: Exclusions;
  host: HostInfo;
  /** Adds the decoded record as event.original. */
  jsonDebug: boolean;
  /** Processes whose records are dropped (the agent itself), besides the loader named in hello. */
  ownPids: ReadonlySet<number>;
  /** The agent's own process, the loader's parent, named on its start and stop events (live only). */
  agentPid?: number;
  /** Seed the process table from this /proc root when the stream starts; undefined = no seeding. */
  procRoot: string | undefined;
  /** Monotonic clock fallback for the boot→wall offset if the stream lacks a hello record. */
  bootToRealNs: () => number;
}

interface PendingFile {
  action: 'creation' | 'modification';
  pid: number;
  path: string;
  ino: number;
  mode: number;
  tsNs: number;
  /** Everything of the line before the file object. */
  head: string;
}

const PTRACE_NAMES: Record<number, string> = {
  0: 'PTRACE_TRACEME',
  1: 'PTRACE_PEEKTEXT',
  2: 'PTRACE_PEEKDATA',
  3: 'PTRACE_PEEKUSER',
  4: 'PTRACE_POKETEXT',
  5: 'PTRACE_POKEDATA',
  6: 'PTRACE_POKEUSER',
  7: 'PTRACE_CONT',
  8: 'PTRACE_KILL',
  9: 'PTRACE_SINGLESTEP',
  12: 'PTRACE_GETREGS',
  13: 'PTRACE_SETREGS',
  14: 'PTRACE_GETFPREGS',
  15: 'PTRACE_SETFPREGS',
  16: 'PTRACE_ATTACH',
  17: 'PTRACE_DETACH',
  24: 'PTRACE_SYSCALL',
  0x4200: 'PTRACE_SETOPTIONS',
  0x4201: 'PTRACE_GETEVENTMSG',
  0x4202: 'PTRACE_GETSIGINFO',
  0x4203: 'PTRACE_SETSIGINFO',
  0x4204: 'PTRACE_GETREGSET',
  0x4205: 'PTRACE_SETREGSET',
  0x4206: 'PTRACE_SEIZE',
  0x4207: 'PTRACE_INTERRUPT',
  0x4208: 'PTRACE_LISTEN',
};
/** Requests that write to the tracee: event.type change rather than access. */
const PTRACE_WRITES = new Set([4, 5, 6, 13, 15, 0x4205]);

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

/** Stale pending file events are emitted after this long without a close (ns). */
const PENDING_MAX_NS = 2e9;

const q = JSON.stringify;

export class Enricher {
  /** Events written, by event.action. */
  readonly counts = new Map<string, number>();
  excluded = 0;
  hello: HelloRec | undefined;
  lastStats: StatsRec | undefined;
  private table: ProcessTable | undefined;
  private bootToRealNs = 0;
  private seq = 0;
  private readonly pending = new Map<string, PendingFile[]>();
  /** Cookies of pending files by writer pid, so an exit flushes its files without a scan. */
  private readonly pendingByPid = new Map<number, Set<string>>();
  /** The agent_stop event, once the final stats record arrived: always the last event. */
  private stopEvent: (() => void) | undefined;
  /** Closed files waiting for the end of the current batch of records (see flushBatch). */
  private closed: PendingFile[][] = [];
  /** Renames seen in the current batch: old path → new path. */
  private readonly renamed = new Map<string, string>();
  private readonly o: EnricherOptions;
  private readonly net: NetEnricher;
  private readonly hostJson: string;
  private readonly hostBuf: Buffer;

  constructor(o: EnricherOptions) {
    this.o = o;
    const h = o.host;
    this.hostJson =
      `{"hostname":${q(h.hostname)},"name":${q(h.hostname)},"architecture":${q(h.architecture)}` +
      `,"os":{"type":"linux","kernel":${q(h.kernel)}},"boot":{"id":${q(h.bootId)}},"pid_ns_ino":"${h.pidNsIno}"}`;
    this.hostBuf = Buffer.from(`,"host":${this.hostJson},`, 'utf8');
    this.net = new NetEnricher(this, o.names);
  }

  /** Writes one event for the families enriched in net-enrich.ts (network, dns, audit, bash). */
  familyEvent(e: FamilyEvent): void {
    const p = e.proc;
    if (p && e.task && this.excludedProc(p, e.task)) {
      this.excluded++;
      return;
    }
    const user = e.user ?? (p ? userMembers(p, this.o.names) : undefined);
    const proc = p ? this.processBlock(p, e.procExtra ?? '') : e.fallbackProcess;
    this.emit(
      e.action,
      `{"@timestamp":"${this.iso(e.tsNs)}","ecs":{"version":"${ECS_VERSION}"}` +
        `,"event":{"kind":"event","category":${q(e.category)},"type":${q(e.type)},"action":"${e.action}"` +
        `,"sequence":${++this.seq}${e.outcome ? `,"outcome":"${e.outcome}"` : ''}${this.original(e.rec)}}` +
        `,"host":${this.hostJson}${user ? `,${user}` : ''}${proc ? `,${proc}` : ''}${e.top}}\n`,
    );
  }

  get processes(): ProcessTable {
    if (!this.table) this.start(this.o.bootToRealNs());
    return this.table as ProcessTable;
  }

  onRecord(rec: Decoded): void {
    switch (rec.kind) {
      case 'hello':
        this.hello = rec;
        this.start(rec.bootToRealNs);
        this.lifecycle(
          rec,
          'agent_start',
          'start',
          `attached: families 0x${rec.families.toString(16)}, ring buffer ${rec.ringBytes} bytes, drained every ${rec.drainMs} ms`,
        );
        return;
      case 'stats':
        this.lastStats = rec;
        this.processes.sweep(rec.tsNs);
        this.flushPending((p) => rec.final || rec.tsNs - p.tsNs > PENDING_MAX_NS);
        this.net.tick();
        if (rec.final) {
          const dropped = rec.drops.reduce((n, d) => n + d.count, 0);
          // Written by flushBatch, after the file events this batch still holds.
          this.stopEvent = () =>
            this.lifecycle(
              rec,
              'agent_stop',
              'end',
              `detached: ${rec.records} records read, ${dropped} dropped in the kernel`,
            );
        }
        return;
      case 'dns_packet':
      case 'audit_user':
        return this.net.onRecord(rec);
    }
    if (this.o.ownPids.has(rec.task.pid) || rec.task.pid === this.hello?.loaderPid) return;
    switch (rec.kind) {
      case 'fork':
        return this.fork(rec.task, rec.tsNs, rec);
      case 'exec':
        return this.exec(rec);
      case 'exit':
        return this.exit(rec.task, rec.tsNs, rec.exitCode, rec);
      case 'setsid':
        return this.setsid(rec.task, rec.tsNs, rec);
      case 'memfd':
        return this.memfd(rec);
      case 'file_create':
      case 'file_modify':
        return this.fileOpened(rec);
      case 'file_close':
        return this.fileClosed(rec);
      case 'image_load':
        return this.imageLoad(rec);
      case 'file_rename':
      case 'file_unlink':
        return this.pathOp(rec);
      case 'ptrace':
        return this.ptrace(rec);
      case 'proc_vm':
        return this.procVm(rec);
      case 'bpf_prog_load':
        return this.bpfProgLoad(rec);
      case 'raw_access':
        return this.rawAccess(rec);
      case 'cred_change':
        return this.credChange(rec);
      case 'module_load':
        return this.moduleLoad(rec);
      case 'net_connect':
      case 'net_accept':
      case 'net_listen':
      case 'net_state':
      case 'bash_readline':
        return this.net.onRecord(rec);
    }
  }

  /**
   * Call after each batch of records: analyses the files closed in it. Deferring to the end of the
   * batch lets a rename that follows the close (write, close, mv) point the analysis at the new name.
   */
  flushBatch(): void {
    const closed = this.closed;
    this.closed = [];
    for (const list of closed) this.emitFiles(list);
    this.renamed.clear();
    const stop = this.stopEvent;
    this.stopEvent = undefined;
    stop?.();
  }

  /** Emits file events still waiting for a close (end of stream). */
  finish(): void {
    this.net.tick();
    this.flushPending(() => true);
    this.flushBatch();
  }

  private start(bootToRealNs: number): void {
    this.bootToRealNs = bootToRealNs;
    this.table = new ProcessTable({
      bootId: this.o.host.bootId,
      pidNsIno: this.o.host.pidNsIno,
      bootToRealNs,
    });
    if (this.o.procRoot) this.table.seedFromProc(this.o.procRoot);
  }

  private excludedProc(p: Proc, t: TaskCtx): boolean {
    const ex = this.o.exclusions;
    if (ex.uids.size && (ex.uids.has(t.uid) || ex.uids.has(t.euid))) return true;
    if (ex.names.size && (ex.names.has(p.name) || ex.names.has(t.comm))) return true;
    return ex.paths.length > 0 && p.executable !== '' && excludesPath(ex, p.executable);
  }

  private isoSec = -1;
  private isoPrefix = '';

  /** ISO time of a boot-time ns; the date-time part is formatted once per second (hot path). */
  private iso(tsNs: number): string {
    const ms = Math.floor((tsNs + this.bootToRealNs) / 1e6);
    const sec = Math.floor(ms / 1000);
    if (sec !== this.isoSec) {
      this.isoSec = sec;
      this.isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
    }
    const frac = ms - sec * 1000;
    return `${this.isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  }

  /** The `"process":{...}` member with lineage. */
  private processBlock(p: Proc, extra: string): string {
    const t = this.processes;
    const names = this.o.names;
    let s = `"process":{${procMembers(p, names)}${extra}`;
    const parent = t.parentOf(p);
    if (parent) {
      const pgl = t.get(parent.pgid);
      s += `,"parent":{${procMembers(parent, names)}${pgl ? `,"group_leader":{${anemic(pgl)}}` : ''}}`;
    } else if (p.ppid) {
      s += `,"parent":{"pid":${p.ppid}}`;
    }
    const gl = t.get(p.pgid);
    if (gl) s += `,"group_leader":{${procMembers(gl, names)}}`;
    const sl = t.get(p.sid);
    if (sl) s += `,"session_leader":{${procMembers(sl, names)}}`;
    const el = p.entryLeader;
    if (el) {
      s += `,"entry_leader":{${procMembers(el, names)},"entry_meta":{"type":${q(el.entryType ?? 'unknown')}}}`;
    }
    return `${s}}`;
  }

  private head(
    tsNs: number,
    category: string,
    type: string,
    action: string,
    outcome: string | undefined,
    p: Proc,
    procExtra: string,
    original: string,
  ): string {
    const names = this.o.names;
    return (
      `{"@timestamp":"${this.iso(tsNs)}","ecs":{"version":"${ECS_VERSION}"}` +
      `,"event":{"kind":"event","category":["${category}"],"type":["${type}"],"action":"${action}"` +
      `,"sequence":${++this.seq}${outcome ? `,"outcome":"${outcome}"` : ''}${original}}` +
      `,"host":${this.hostJson},${userMembers(p, names)},${this.processBlock(p, procExtra)}`
    );
  }

  /** processBlock written straight into the output, cached members copied as bytes (hot path). */
  private writeProcessBlock(p: Proc, extra: string): void {
    const t = this.processes;
    const names = this.o.names;
    const out = this.o.out;
    out.str(`"process":{${p.anemicJson}`);
    out.bytes(imageMembersBuf(p, names));
    if (extra) out.str(extra);
    const parent = t.parentOf(p);
    if (parent) {
      out.str(`,"parent":{${parent.anemicJson}`);
      out.bytes(imageMembersBuf(parent, names));
      const pgl = t.get(parent.pgid);
      out.str(pgl ? `,"group_leader":{${anemic(pgl)}}}` : '}');
    } else if (p.ppid) {
      out.str(`,"parent":{"pid":${p.ppid}}`);
    }
    const gl = t.get(p.pgid);
    if (gl) {
      out.str(`,"group_leader":{${gl.anemicJson}`);
      out.bytes(imageMembersBuf(gl, names));
      out.str('}');
    }
    const sl = t.get(p.sid);
    if (sl) {
      out.str(`,"session_leader":{${sl.anemicJson}`);
      out.bytes(imageMembersBuf(sl, names));
      out.str('}');
    }
    const el = p.entryLeader;
    if (el) {
      out.str(`,"entry_leader":{${el.anemicJson}`);
      out.bytes(imageMembersBuf(el, names));
      out.str(`,"entry_meta":{"type":${q(el.entryType ?? 'unknown')}}}`);
    }
    out.str('}');
  }

  /** One whole event for a process, written straight into the output; `top` closes it. */
  private writeEvent(
    tsNs: number,
    category: string,
    type: string,
    action: string,
    outcome: string | undefined,
    p: Proc,
    procExtra: string,
    original: string,
    top: string,
  ): void {
    const out = this.o.out;
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
    out.str(
      `{"@timestamp":"${this.iso(tsNs)}","ecs":{"version":"${ECS_VERSION}"}` +
        `,"event":{"kind":"event","category":["${category}"],"type":["${type}"],"action":"${action}"` +
        `,"sequence":${++this.seq}${outcome ? `,"outcome":"${outcome}"` : ''}${original}}`,
    );
    out.bytes(this.hostBuf);
    out.bytes(userMembersBuf(p, this.o.names));
    out.str(',');
    this.writeProcessBlock(p, procExtra);
    out.str(`${top}}\n`);
  }

  private original(rec: Decoded): string {
    return this.o.jsonDebug ? `,"original":${q(q(rec))}` : '';
  }

  /**
   * The sensor's own start (after every family attached) and clean stop (after detaching), as
   * EDRs report theirs; an agent that dies without a final stats record has no stop event.
   */
  private lifecycle(rec: HelloRec | StatsRec, action: string, type: string, message: string): void {
    const loader = this.hello?.loaderPid ?? 0;
    const parent = this.o.agentPid ? `,"parent":{"pid":${this.o.agentPid}}` : '';
    this.familyEvent({
      rec,
      tsNs: rec.tsNs,
      category: ['host'],
      type: [type],
      action,
      outcome: 'success',
      fallbackProcess: `"process":{"pid":${loader},"name":"agent-loader"${parent}}`,
      top: `,"agent":{"type":"${AGENT_TYPE}"},"message":${q(`reference agent ${message}`)}`,
    });
  }

  private emit(action: string, line: string): void {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
    this.o.out.str(line);
  }

  private simple(
    rec: Decoded & { task: TaskCtx },
    p: Proc,
    category: string,
    type: string,
    action: string,
    outcome: string | undefined,
    procExtra: string,
    top: string,
  ): void {
    if (this.excludedProc(p, rec.task)) {
      this.excluded++;
      return;
    }
    this.writeEvent(
      rec.tsNs,
      category,
      type,
      action,
      outcome,
      p,
      procExtra,
      this.original(rec),
      top,
    );
  }

  private fork(t: TaskCtx, _tsNs: number, rec: Decoded & { task: TaskCtx }): void {
    const child = this.processes.fork(t);
    this.simple(rec, child, 'process', 'start', 'fork', undefined, '', '');
  }

  private exec(rec: ExecRec): void {
    const noLink = (rec.flags & EXECF.EXE_NO_LINK) !== 0;
    const executable = noLink ? `${rec.executable} (deleted)` : rec.executable;
    const p = this.processes.exec(rec.task, executable, rec.args, rec.cwd);
    if (this.excludedProc(p, rec.task)) {
      this.excluded++;
      return;
    }
    const digest = this.o.execHashes.get(
      { dev: rec.exeDev, ino: rec.exeIno, size: rec.exeSize, mtimeNs: rec.exeMtimeNs },
      [`/proc/${rec.task.pid}/exe`, rec.executable],
    );
    // A memfd lives at the root of the kernel's internal shm mount: "/memfd:<name>".
    const memfdName =
      noLink && rec.executable.startsWith('/memfd:')
        ? rec.executable.slice('/memfd:'.length)
        : undefined;
    const ext: string[] = [];
    if (typeof digest === 'string') ext.push(`"hash_skipped":"${digest}"`);
    if (noLink) ext.push('"exe_deleted":true');
    if (memfdName !== undefined) ext.push(`"memfd":{"name":${q(memfdName)}}`);
    if (rec.flags & EXECF.ARGS_TRUNCATED) ext.push('"args_truncated":true');
    const script = scriptArgsExt(p.name, rec.args);
    if (script) ext.push(script);
    const extra =
      previousMember(p) +
      (typeof digest === 'string' ? '' : `,${hashMembers(digest)}`) +
      (ext.length ? `,"Ext":{${ext.join(',')}}` : '');
    this.writeEvent(
      rec.tsNs,
      'process',
      'start',
      'exec',
      undefined,
      p,
      extra,
      this.original(rec),
      '',
    );
  }

  private exit(t: TaskCtx, tsNs: number, status: number, rec: Decoded & { task: TaskCtx }): void {
    const p = this.processes.exit(t, tsNs);
    const cookies = this.pendingByPid.get(t.pid);
    if (cookies) {
      this.pendingByPid.delete(t.pid);
      for (const c of cookies) this.closePending(c);
    }
    const sig = status & 0x7f;
    const code = sig ? 128 + sig : (status >> 8) & 0xff;
    this.simple(
      rec,
      p,
      'process',
      'end',
      'end',
      undefined,
      `,"exit_code":${code},"end":"${this.iso(tsNs)}"`,
      '',
    );
  }

  private setsid(t: TaskCtx, _tsNs: number, rec: Decoded & { task: TaskCtx }): void {
    const p = this.processes.setsid(t);
    this.simple(rec, p, 'process', 'change', 'session_begin', undefined, '', '');
  }

  private memfd(rec: MemfdRec): void {
    const p = this.processes.forTask(rec.task);
    const f = rec.flags;
    const flag =
      `"allow_seal":${(f & 0x2) !== 0},"exec":${(f & 0x10) !== 0},"noexec_seal":${(f & 0x8) !== 0}` +
      `,"hugetlb":${(f & 0x4) !== 0},"cloexec":${(f & 0x1) !== 0}`;
    const extra = `,"Ext":{"memfd":{"name":${q(rec.name)},"flags":${f},"flag":{${flag}}${rec.ret >= 0 ? `,"fd":${rec.ret}` : ''}}}`;
    this.simple(
      rec,
      p,
      'process',
      'info',
      'memfd_create',
      rec.ret >= 0 ? 'success' : 'failure',
      extra,
      '',
    );
  }

  private fileOpened(rec: FileEventRec): void {
    const p = this.processes.forTask(rec.task);
    const path = rec.file.path;
    if (this.excludedProc(p, rec.task) || excludesPath(this.o.exclusions, path)) {
      this.excluded++;
      return;
    }
    const action = rec.kind === 'file_create' ? 'creation' : 'modification';
    const type = rec.kind === 'file_create' ? 'creation' : 'change';
    // A cookie is a struct file address: one freed unseen (exec with O_CLOEXEC) can come back
    // for another file. Then the old events are finished now rather than merged.
    const prev = this.pending.get(rec.file.cookie);
    if (prev && (prev[0]?.ino !== rec.file.ino || prev[0]?.pid !== rec.task.pid)) {
      this.closePending(rec.file.cookie);
    }
    const list = this.pending.get(rec.file.cookie) ?? [];
    list.push({
      action,
      pid: rec.task.pid,
      path,
      ino: rec.file.ino,
      mode: rec.file.mode,
      tsNs: rec.tsNs,
      head: this.head(rec.tsNs, 'file', type, action, undefined, p, '', this.original(rec)),
    });
    this.pending.set(rec.file.cookie, list);
    let cookies = this.pendingByPid.get(rec.task.pid);
    if (!cookies) {
      cookies = new Set();
      this.pendingByPid.set(rec.task.pid, cookies);
    }
    cookies.add(rec.file.cookie);
  }

  private fileClosed(rec: FileEventRec): void {
    this.closePending(rec.file.cookie);
  }

  /** Moves a file's pending events to the end-of-batch analysis. */
  private closePending(cookie: string): void {
    const list = this.pending.get(cookie);
    if (!list) return;
    this.pending.delete(cookie);
    for (const f of list) this.pendingByPid.get(f.pid)?.delete(cookie);
    this.closed.push(list);
  }

  private flushPending(which: (p: PendingFile) => boolean): void {
    for (const [cookie, list] of this.pending) {
      if (list.some(which)) this.closePending(cookie);
    }
  }

  /** Analyses the file once and writes every event waiting on it. */
  private emitFiles(list: PendingFile[]): void {
    const first = list[0];
    if (!first) return;
    const isReg = (first.mode & 0o170000) === 0o100000;
    const facts: FileFacts | SkipReason = isReg
      ? this.o.analyzer.analyze(first.path, first.ino)
      : 'unreadable';
    let body = `,"file":{${fileMembers(first.path)},"inode":"${first.ino}","type":"${fileType(first.mode)}","mode":"${mode(first.mode)}"`;
    if (typeof facts === 'string') {
      body += `,"Ext":{"analysis_skipped":"${facts}"}`;
    } else {
      body += `,"size":${facts.size}`;
      if (facts.digest) body += `,${hashMembers(facts.digest)}`;
      const ext: string[] = [];
      if (facts.entropy !== undefined)
        ext.push(`"entropy":${Math.round(facts.entropy * 1e6) / 1e6}`);
      if (facts.header !== undefined) ext.push(`"header_bytes":"${facts.header}"`);
      if (facts.skipped) ext.push(`"analysis_skipped":"${facts.skipped}"`);
      if (ext.length) body += `,"Ext":{${ext.join(',')}}`;
    }
    body += '}}\n';
    for (const f of list) this.emit(f.action, f.head + body);
  }

  private pathOp(rec: FilePathOpRec): void {
    const p = this.processes.forTask(rec.task);
    const oldPath = resolvePath(rec.oldDir, rec.oldName);
    if (rec.kind === 'file_unlink') {
      if (excludesPath(this.o.exclusions, oldPath)) {
        this.excluded++;
        return;
      }
      const dir = (rec.flags & 0x200) !== 0; // AT_REMOVEDIR
      this.simple(
        rec,
        p,
        'file',
        'deletion',
        'deletion',
        'success',
        '',
        `,"file":{${fileMembers(oldPath)},"type":"${dir ? 'dir' : 'file'}"}`,
      );
      return;
    }
    const newPath = resolvePath(rec.newDir, rec.newName);
    this.renamed.set(oldPath, newPath);
    if (excludesPath(this.o.exclusions, newPath) || excludesPath(this.o.exclusions, oldPath)) {
      this.excluded++;
      return;
    }
    const slash = oldPath.lastIndexOf('/');
    this.simple(
      rec,
      p,
      'file',
      'change',
      'rename',
      'success',
      '',
      `,"file":{${fileMembers(newPath)},"Ext":{"original":{"path":${q(oldPath)},"name":${q(oldPath.slice(slash + 1))}}}}`,
    );
  }

  private target(pid: number): string {
    const t = this.processes.get(pid);
    return t
      ? `,"Target":{"process":{${procMembers(t, this.o.names)}}}`
      : `,"Target":{"process":{"pid":${pid}}}`;
  }

  private ptrace(rec: PtraceRec): void {
    const p = this.processes.forTask(rec.task);
    const name = PTRACE_NAMES[rec.request] ?? `PTRACE_${rec.request}`;
    const type = PTRACE_WRITES.has(rec.request) ? 'change' : 'access';
    const extra = `,"Ext":{"ptrace":{"request":${rec.request},"request_name":"${name}","addr":"${rec.addr}"}}`;
    const target = rec.request === 0 ? this.target(p.ppid) : this.target(rec.targetPid);
    this.simple(
      rec,
      p,
      'process',
      type,
      'ptrace',
      rec.ret >= 0 ? 'success' : 'failure',
      extra,
      target,
    );
  }

  private procVm(rec: ProcVmRec): void {
    const p = this.processes.forTask(rec.task);
    const action = rec.write ? 'process_vm_writev' : 'process_vm_readv';
    const extra = `,"Ext":{"process_vm":{"bytes":${rec.ret >= 0 ? rec.ret : 0},"local_iovcnt":${rec.localIovcnt},"remote_iovcnt":${rec.remoteIovcnt}}}`;
    this.simple(
      rec,
      p,
      'process',
      rec.write ? 'change' : 'access',
      action,
      rec.ret >= 0 ? 'success' : 'failure',
      extra,
      this.target(rec.targetPid),
    );
  }

  private bpfProgLoad(rec: BpfProgLoadRec): void {
    const p = this.processes.forTask(rec.task);
    const extra =
      `,"Ext":{"bpf":{"prog_type":${rec.progType},"prog_type_name":"${BPF_PROG_TYPES[rec.progType] ?? 'unknown'}"` +
      `,"prog_name":${q(rec.progName)},"insn_cnt":${rec.insnCnt},"expected_attach_type":${rec.attachType}}}`;
    this.simple(
      rec,
      p,
      'process',
      'info',
      'bpf_prog_load',
      rec.ret >= 0 ? 'success' : 'failure',
      extra,
      '',
    );
  }

  private rawAccess(rec: RawAccessRec): void {
    const p = this.processes.forTask(rec.task);
    const f = rec.file;
    this.simple(
      rec,
      p,
      'file',
      'access',
      'raw_access_read',
      'success',
      '',
      `,"file":{${fileMembers(f.path)},"inode":"${f.ino}","type":"block_device","mode":"${mode(f.mode)}","Ext":{"device":{"major":${rec.rdev >>> 20},"minor":${rec.rdev & 0xfffff}}}}`,
    );
  }

  /** ECS puts a loaded library under `dll` on every OS (Elastic Defend's library events). */
  private imageLoad(rec: FileEventRec): void {
    const p = this.processes.forTask(rec.task);
    const f = rec.file;
    if (excludesPath(this.o.exclusions, f.path)) {
      this.excluded++;
      return;
    }
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    this.simple(
      rec,
      p,
      'library',
      'start',
      'load',
      undefined,
      '',
      `,"dll":{"path":${q(f.path)},"name":${q(name)},"Ext":{"inode":"${f.ino}","size":${f.size}}}`,
    );
  }

  private credChange(rec: CredChangeRec): void {
    const p = this.processes.forTask(rec.task);
    const name = CRED_SYSCALLS[rec.syscall] ?? 'unknown';
    const action = rec.syscall <= 4 ? 'uid_change' : 'gid_change';
    const o = rec.old;
    const n = this.o.names;
    const extra =
      `,"Ext":{"cred_change":{"syscall":"${name}","args":[${rec.args.map((a) => (a === 0xffffffff ? -1 : a)).join(',')}]` +
      `,"previous":{"user":${n.userJson(o.euid)},"real_user":${n.userJson(o.uid)},"saved_user":${n.userJson(o.suid)}` +
      `,"group":${n.groupJson(o.egid)},"real_group":${n.groupJson(o.gid)},"saved_group":${n.groupJson(o.sgid)}}}}`;
    this.simple(
      rec,
      p,
      'process',
      'change',
      action,
      rec.ret >= 0 ? 'success' : 'failure',
      extra,
      '',
    );
  }

  private moduleLoad(rec: ModuleLoadRec): void {
    const p = this.processes.forTask(rec.task);
    this.simple(
      rec,
      p,
      'driver',
      'start',
      'module_load',
      'success',
      '',
      `,"driver":{"name":${q(rec.name)},"Ext":{"taints":${rec.taints}}}`,
    );
  }
}

/** Joins a name as passed to a syscall with the directory it was relative to, lexically. */
export function resolvePath(dir: string, name: string): string {
  const full = name.startsWith('/') ? name : `${dir === '/' ? '' : dir}/${name}`;
  const out: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
