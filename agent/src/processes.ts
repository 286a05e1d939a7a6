/**
 * The process table behind ECS RFC 0030 enrichment: every live process (seeded from /proc at
 * start, then kept current from fork/exec/setsid/exit records) with its entity id, exec chain and
 * entry leader, so parent and leader fields are map lookups, never syscalls.
 */
import { hash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { TaskCtx } from './decode.ts';

interface PrevExec {
  executable: string;
  args: string[];
}

export interface Proc {
  pid: number;
  startTicks: number;
  entityId: string;
  /** ISO time the process started. */
  start: string;
  /** `"entity_id":..,"pid":..,"start":..`, fixed for the life of the entry. */
  anemicJson: string;
  ppid: number;
  parentStartTicks: number;
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
  executable: string;
  name: string;
  args: string[];
  cwd: string;
  previous: PrevExec[];
  /** The entry leader (first process of how the session was entered), itself for an entry leader. */
  entryLeader: Proc | undefined;
  /** ECS entry_meta.type, set on entry leaders. */
  entryType: string | undefined;
  /** Cached image members (see ecs.ts imageMembers), rebuilt after exec or a credential change. */
  json: string | undefined;
  /** Cached top-level user/group members, rebuilt after a credential change. */
  userJson: string | undefined;
  /** The same two caches as UTF-8 bytes, with the string each was encoded from. */
  jsonBuf: Buffer | undefined;
  jsonBufOf: string | undefined;
  userBuf: Buffer | undefined;
  userBufOf: string | undefined;
  /** Boot-time ns at which it ended, for delayed removal. */
  endedNs: number | undefined;
  /** The rendered parent and leaders, and what they were rendered from (event.ts lineage). */
  lineage: Lineage | undefined;
  /**
   * The same for this process's children, which share it while their group, session and entry
   * leaders are the same (every child of a fork+exec loop): rendered once, not once per child.
   */
  childLineage: Lineage | undefined;
}

/** A process's rendered lineage and the objects it came from, compared by reference. */
export interface Lineage {
  parent: Proc | undefined;
  parentImage: Buffer | undefined;
  pgl: Proc | undefined;
  ppid: number;
  gl: Proc | undefined;
  glImage: Buffer | undefined;
  sl: Proc | undefined;
  slImage: Buffer | undefined;
  el: Proc | undefined;
  elImage: Buffer | undefined;
  elType: string | undefined;
  buf: Buffer;
}

/** How long an ended process stays for late events that name it (children, file closes). */
const GRAVE_NS = 5e9;
const PREVIOUS_MAX = 8;

/** Parent names that start a new way into the host; anything else inherits its parent's entry. */
const ENTRY_PARENTS: ReadonlyMap<string, string> = new Map([
  ['sshd', 'sshd'],
  ['sshd-session', 'sshd'],
  ['login', 'terminal'],
  ['agetty', 'terminal'],
  ['getty', 'terminal'],
  ['containerd-shim', 'container'],
  ['containerd-shim-runc-v2', 'container'],
  ['runc', 'container'],
  ['conmon', 'container'],
  ['kubelet', 'kubelet'],
  ['ssm-session-worker', 'ssm'],
]);

export interface ProcessTableOptions {
  bootId: string;
  /** Inode of the init pid namespace: pids in records are init-namespace pids. */
  pidNsIno: number;
  /** ns to add to CLOCK_BOOTTIME to get Unix-epoch ns. */
  bootToRealNs: number;
}

export class ProcessTable {
  private readonly procs = new Map<number, Proc>();
  private readonly opts: ProcessTableOptions;
  private readonly graves: Proc[] = [];

  constructor(opts: ProcessTableOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.procs.size;
  }

  /** ECS process.entity_id: hash of (boot id, pid namespace inode, pid, start in clock ticks). */
  entityId(pid: number, startTicks: number): string {
    return hash(
      'sha256',
      `${this.opts.bootId}:${this.opts.pidNsIno}:${pid}:${startTicks}`,
      'base64url',
    ).slice(0, 32);
  }

  get(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  /** The process for a record's task, creating a minimal entry if it predates what we know. */
  forTask(t: TaskCtx): Proc {
    const p = this.procs.get(t.pid);
    if (p && p.startTicks === t.startTicks) {
      this.updateCreds(p, t);
      return p;
    }
    const created = this.create(t.pid, t.startTicks, (t.startNs + this.opts.bootToRealNs) / 1e6);
    this.fillFromTask(created, t);
    created.name = t.comm;
    this.link(created);
    return created;
  }

  parentOf(p: Proc): Proc | undefined {
    const q = this.procs.get(p.ppid);
    return q && (q.startTicks === p.parentStartTicks || p.parentStartTicks === 0) ? q : undefined;
  }

  /** fork: the child starts as a copy of the parent's image. */
  fork(t: TaskCtx): Proc {
    const parent = this.procs.get(t.ppid);
    const child = this.create(t.pid, t.startTicks, (t.startNs + this.opts.bootToRealNs) / 1e6);
    this.fillFromTask(child, t);
    if (parent) {
      child.executable = parent.executable;
      child.name = parent.name;
      child.args = parent.args;
      child.cwd = parent.cwd;
      if (sameImage(child, parent)) {
        // Same image and credentials: share the rendered members (the hot path of fork+exec).
        child.json = parent.json;
        child.jsonBuf = parent.jsonBuf;
        child.jsonBufOf = parent.jsonBufOf;
      }
    } else {
      child.name = t.comm;
    }
    this.link(child);
    return child;
  }

  /** exec: the old image joins the exec chain. */
  exec(t: TaskCtx, executable: string, args: string[], cwd: string): Proc {
    const p = this.forTask(t);
    if (p.executable) {
      p.previous = [{ executable: p.executable, args: p.args }, ...p.previous].slice(
        0,
        PREVIOUS_MAX,
      );
    }
    p.executable = executable;
    p.name = basename(executable);
    p.args = args;
    p.cwd = cwd;
    this.fillFromTask(p, t);
    p.json = undefined;
    return p;
  }

  setsid(t: TaskCtx): Proc {
    const p = this.forTask(t);
    this.fillFromTask(p, t);
    this.link(p);
    p.json = undefined;
    return p;
  }

  exit(t: TaskCtx, tsNs: number): Proc {
    const p = this.forTask(t);
    p.endedNs = tsNs;
    this.graves.push(p);
    return p;
  }

  /** Drops processes that ended more than GRAVE_NS before nowNs. */
  sweep(nowNs: number): void {
    // Graves are in end order: find the first one still young, then drop the prefix in one splice.
    let n = 0;
    for (; n < this.graves.length; n++) {
      const g = this.graves[n] as Proc;
      if (nowNs - (g.endedNs ?? nowNs) < GRAVE_NS) break;
      if (this.procs.get(g.pid) === g) this.procs.delete(g.pid);
    }
    if (n > 0) this.graves.splice(0, n);
  }

  /** Reads every process from /proc (pids seen from the init namespace). */
  seedFromProc(procRoot = '/proc', clkTck = 100): number {
    const entries: Proc[] = [];
    for (const name of readdirSync(procRoot)) {
      if (!/^\d+$/.test(name)) continue;
      const p = readProc(procRoot, Number(name), clkTck, this);
      if (p) entries.push(p);
    }
    entries.sort((a, b) => a.startTicks - b.startTicks);
    for (const p of entries) {
      if (this.procs.has(p.pid)) continue;
      p.parentStartTicks = this.procs.get(p.ppid)?.startTicks ?? 0;
      this.link(p);
    }
    return entries.length;
  }

  private isoSec = Number.NaN;
  private isoPrefix = '';

  /** ISO time of an epoch ms; the date-time part is formatted once per second (many starts share it). */
  private iso(ms: number): string {
    const whole = Math.floor(ms);
    const sec = Math.floor(whole / 1000);
    if (sec !== this.isoSec) {
      this.isoSec = sec;
      this.isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
    }
    const frac = whole - sec * 1000;
    return `${this.isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  }

  /** Unix-epoch ms of a start time given in clock ticks since boot. */
  startMsFromTicks(ticks: number): number {
    return (ticks * 1e7 + this.opts.bootToRealNs) / 1e6;
  }

  /** Builds a process entry; the caller fills identity fields. */
  create(pid: number, startTicks: number, startMs: number): Proc {
    const entityId = this.entityId(pid, startTicks);
    const start = this.iso(startMs);
    const p: Proc = {
      pid,
      startTicks,
      entityId,
      start,
      anemicJson: `"entity_id":"${entityId}","pid":${pid},"start":"${start}"`,
      ppid: 0,
      parentStartTicks: 0,
      pgid: 0,
      sid: 0,
      uid: 0,
      gid: 0,
      euid: 0,
      egid: 0,
      suid: 0,
      sgid: 0,
      ttyMajor: 0,
      ttyMinor: 0,
      executable: '',
      name: '',
      args: [],
      cwd: '',
      previous: [],
      entryLeader: undefined,
      entryType: undefined,
      json: undefined,
      userJson: undefined,
      jsonBuf: undefined,
      jsonBufOf: undefined,
      userBuf: undefined,
      userBufOf: undefined,
      endedNs: undefined,
      lineage: undefined,
      childLineage: undefined,
    };
    return p;
  }

  /** Registers p and decides its entry leader. */
  private link(p: Proc): void {
    this.procs.set(p.pid, p);
    const parent = this.procs.get(p.ppid);
    const type =
      p.pid === 1
        ? 'init'
        : p.sid === p.pid
          ? p.ppid === 1 || p.ppid === 0
            ? 'init'
            : parent
              ? ENTRY_PARENTS.get(parent.name)
              : undefined
          : undefined;
    if (type) {
      p.entryLeader = p;
      p.entryType = type;
    } else if (parent?.entryLeader) {
      p.entryLeader = parent.entryLeader;
      p.entryType = undefined;
    } else if (!parent && p.sid === p.pid) {
      p.entryLeader = p;
      p.entryType = 'unknown';
    }
  }

  private fillFromTask(p: Proc, t: TaskCtx): void {
    p.ppid = t.ppid;
    p.parentStartTicks = t.parentStartTicks;
    p.pgid = t.pgid;
    p.sid = t.sid;
    p.ttyMajor = t.ttyMajor;
    p.ttyMinor = t.ttyMinor;
    this.updateCreds(p, t);
  }

  private updateCreds(p: Proc, t: TaskCtx): void {
    if (
      p.uid !== t.uid ||
      p.euid !== t.euid ||
      p.gid !== t.gid ||
      p.egid !== t.egid ||
      p.suid !== t.suid ||
      p.sgid !== t.sgid
    ) {
      p.uid = t.uid;
      p.gid = t.gid;
      p.euid = t.euid;
      p.egid = t.egid;
      p.suid = t.suid;
      p.sgid = t.sgid;
      p.json = undefined;
      p.userJson = undefined;
    }
  }
}

function sameImage(a: Proc, b: Proc): boolean {
  return (
    a.uid === b.uid &&
    a.euid === b.euid &&
    a.suid === b.suid &&
    a.gid === b.gid &&
    a.egid === b.egid &&
    a.sgid === b.sgid &&
    a.ttyMajor === b.ttyMajor &&
    a.ttyMinor === b.ttyMinor
  );
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** One /proc/<pid> entry, or undefined if it vanished while being read. */
function readProc(
  root: string,
  pid: number,
  clkTck: number,
  table: ProcessTable,
): Proc | undefined {
  try {
    const stat = readFileSync(`${root}/${pid}/stat`, 'latin1');
    // comm may contain spaces and parentheses: fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    const num = (i: number) => Number(f[i - 3]);
    const startTicks = Math.round((num(22) * 100) / clkTck);
    const status = readFileSync(`${root}/${pid}/status`, 'latin1');
    const ids = (key: string) =>
      (/^(\w+):\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status.slice(status.indexOf(`\n${key}:`) + 1)) ?? [])
        .slice(2)
        .map(Number);
    const [uid = 0, euid = 0, suid = 0] = ids('Uid');
    const [gid = 0, egid = 0, sgid = 0] = ids('Gid');
    const cmdline = readFileSync(`${root}/${pid}/cmdline`, 'utf8');
    const args = cmdline ? cmdline.replace(/\0$/, '').split('\0') : [];
    let executable = '';
    let cwd = '';
    try {
      executable = readlinkSync(`${root}/${pid}/exe`);
      cwd = readlinkSync(`${root}/${pid}/cwd`);
    } catch {
      // Kernel threads have neither.
    }
    const ttyNr = num(7);
    const p = table.create(pid, startTicks, table.startMsFromTicks(startTicks));
    Object.assign(p, {
      ppid: num(4),
      pgid: num(5),
      sid: num(6),
      ttyMajor: (ttyNr >> 8) & 0xfff,
      ttyMinor: (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00),
      uid,
      gid,
      euid,
      egid,
      suid,
      sgid,
      executable,
      name: executable ? basename(executable) : comm,
      args,
      cwd,
    });
    return p;
  } catch {
    return undefined;
  }
}
