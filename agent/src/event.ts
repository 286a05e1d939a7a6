/**
 * The one writer of ECS event lines. Every event, whatever its family, has the same head
 * (`@timestamp`, `ecs`, `event`, `host`, `user`, `process` with lineage) and family members
 * after it; EventWriter renders the head and the process block, the families give the rest
 * through an EventSpec. EnrichContext is what a family's enricher may use.
 */

import type { TaskCtx } from './decode.ts';
import { ECS_VERSION, imageMembersBuf, procMembers, userMembersBuf } from './ecs.ts';
import { type Exclusions, excludesPath } from './exclusions.ts';
import { OutputBuffer } from './output.ts';
import type { Lineage, Proc, ProcessTable } from './processes.ts';
import type { NameCache } from './users.ts';

const q = JSON.stringify;

export interface HostInfo {
  bootId: string;
  pidNsIno: number;
  hostname: string;
  kernel: string;
  architecture: string;
}

/** One ECS event, less its head. */
export interface EventSpec {
  /** The decoded record, written as event.original with --json-debug. */
  rec: unknown;
  tsNs: number;
  /** event.category: one value or several. */
  category: string | readonly string[];
  /** event.type: one value or several. */
  type: string | readonly string[];
  action: string;
  outcome?: 'success' | 'failure' | 'unknown' | undefined;
  /** The process, with lineage; undefined when it is not known (then `fallbackProcess` is used). */
  proc?: Proc | undefined;
  /** Members added inside "process":{...}, each starting with a comma. */
  procExtra?: string;
  /** `"process":{...}` when proc is undefined. */
  fallbackProcess?: string;
  /** `"user":{...}` (and optionally `,"group":{...}`) replacing the process's user. */
  user?: string;
  /** Top-level members after the process, each starting with a comma. */
  top?: string;
}

/** What a family's enricher works with: the process table, names, exclusion rules and the writer. */
export interface EnrichContext {
  readonly processes: ProcessTable;
  readonly names: NameCache;
  readonly events: EventWriter;
}

function list(v: string | readonly string[]): string {
  return typeof v === 'string' ? `["${v}"]` : q(v);
}

export interface EventWriterOptions {
  out: OutputBuffer;
  names: NameCache;
  exclusions: Exclusions;
  host: HostInfo;
  /** Adds the decoded record as event.original. */
  jsonDebug: boolean;
  /** The process table (created when the stream starts). */
  processes: () => ProcessTable;
}

export class EventWriter {
  /** Events written, by event.action. */
  readonly counts = new Map<string, number>();
  /** Events dropped by the exclusion rules. */
  excluded = 0;
  /** ns to add to a record's CLOCK_BOOTTIME time to get Unix-epoch ns. */
  bootToRealNs = 0;
  private seq = 0;
  private readonly o: EventWriterOptions;
  private readonly hostBuf: Buffer;
  /** Where held heads are rendered before they are copied out (see hold). */
  private readonly scratch: OutputBuffer;
  /** Where a process's lineage is rendered before it is cached on the process. */
  private readonly lineageScratch = new OutputBuffer(1 << 12);
  /** eventPrefix's renderings by event.action. */
  private readonly prefixes = new Map<
    string,
    { category: EventSpec['category']; type: EventSpec['type']; json: string }
  >();
  private isoSec = -1;
  private isoPrefix = '';

  constructor(o: EventWriterOptions, scratch: OutputBuffer) {
    this.o = o;
    this.scratch = scratch;
    const h = o.host;
    const host =
      `{"hostname":${q(h.hostname)},"name":${q(h.hostname)},"architecture":${q(h.architecture)}` +
      `,"os":{"type":"linux","kernel":${q(h.kernel)}},"boot":{"id":${q(h.bootId)}},"pid_ns_ino":"${h.pidNsIno}"}`;
    this.hostBuf = Buffer.from(`,"host":${host}`, 'utf8');
  }

  /** Writes one whole event. */
  write(e: EventSpec): void {
    this.count(e.action);
    this.head(this.o.out, e);
    this.o.out.str(`${e.top ?? ''}}\n`);
  }

  /**
   * Renders an event's head now (its time, sequence number and process as they are now) and
   * returns it, for an event whose members are known only later; writeHeld finishes it.
   */
  hold(e: EventSpec): Buffer {
    this.head(this.scratch, e);
    return this.scratch.take();
  }

  /** Writes a held head, then `rest` (the members after the process and the closing brace). */
  writeHeld(action: string, head: Buffer, rest: string): void {
    this.count(action);
    this.o.out.bytes(head);
    this.o.out.str(rest);
  }

  /**
   * Whether the exclusion rules drop an event of this process or about one of these paths;
   * counts it when they do.
   */
  isExcluded(p: Proc | undefined, t: TaskCtx | undefined, ...paths: string[]): boolean {
    const ex = this.o.exclusions;
    let hit = false;
    for (const path of paths) if (excludesPath(ex, path)) hit = true;
    if (!hit && p && t) {
      if (ex.uids.size && (ex.uids.has(t.uid) || ex.uids.has(t.euid))) hit = true;
      else if (ex.names.size && (ex.names.has(p.name) || ex.names.has(t.comm))) hit = true;
      else hit = ex.paths.length > 0 && p.executable !== '' && excludesPath(ex, p.executable);
    }
    if (hit) this.excluded++;
    return hit;
  }

  /** ISO time of a boot-time ns; the date-time part is formatted once per second (hot path). */
  iso(tsNs: number): string {
    const ms = Math.floor((tsNs + this.bootToRealNs) / 1e6);
    const sec = Math.floor(ms / 1000);
    if (sec !== this.isoSec) {
      this.isoSec = sec;
      this.isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
    }
    const frac = ms - sec * 1000;
    return `${this.isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  }

  /** `,"Target":{"process":{...}}` for the process an event acts on, its pid alone when unknown. */
  target(pid: number): string {
    const t = this.o.processes().get(pid);
    return t
      ? `,"Target":{"process":{${procMembers(t, this.o.names)}}}`
      : `,"Target":{"process":{"pid":${pid}}}`;
  }

  /**
   * `","ecs":{..},"event":{"kind":..,"category":..,"type":..,"action":..,"sequence":`, rendered
   * once per action and reused while its category and type are the same values.
   */
  private eventPrefix(e: EventSpec): string {
    const c = this.prefixes.get(e.action);
    if (c !== undefined && c.category === e.category && c.type === e.type) return c.json;
    const json =
      `","ecs":{"version":"${ECS_VERSION}"}` +
      `,"event":{"kind":"event","category":${list(e.category)},"type":${list(e.type)},"action":"${e.action}"` +
      ',"sequence":';
    this.prefixes.set(e.action, { category: e.category, type: e.type, json });
    return json;
  }

  private count(action: string): void {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
  }

  /** Everything of the event up to and including the process: cached members copied as bytes. */
  private head(out: OutputBuffer, e: EventSpec): void {
    out.str(
      `{"@timestamp":"${this.iso(e.tsNs)}${this.eventPrefix(e)}${++this.seq}` +
        `${e.outcome ? `,"outcome":"${e.outcome}"` : ''}` +
        `${this.o.jsonDebug ? `,"original":${q(q(e.rec))}` : ''}}`,
    );
    out.bytes(this.hostBuf);
    const p = e.proc;
    if (e.user !== undefined) out.str(`,${e.user}`);
    else if (p) {
      out.str(',');
      out.bytes(userMembersBuf(p, this.o.names));
    }
    if (p) {
      out.str(',');
      this.processBlock(out, p, e.procExtra ?? '');
    } else if (e.fallbackProcess !== undefined) {
      out.str(`,${e.fallbackProcess}`);
    }
  }

  /** The `"process":{...}` member with its parent and leaders (ECS RFC 0030). */
  private processBlock(out: OutputBuffer, p: Proc, extra: string): void {
    out.str(`"process":{${p.anemicJson}`);
    out.bytes(imageMembersBuf(p, this.o.names));
    if (extra) out.str(extra);
    out.bytes(this.lineage(p));
  }

  /**
   * The process block after the process's own members: parent, leaders and the closing brace.
   * Rendered once and reused while every object it was rendered from is the same (a fork, its
   * exec and its end share it, and so do siblings: it is kept on the parent when there is one),
   * checked by reference on each event.
   */
  private lineage(p: Proc): Buffer {
    const t = this.o.processes();
    const names = this.o.names;
    const parent = t.parentOf(p);
    const parentImage = parent ? imageMembersBuf(parent, names) : undefined;
    const pgl = parent ? t.get(parent.pgid) : undefined;
    const gl = t.get(p.pgid);
    const glImage = gl ? imageMembersBuf(gl, names) : undefined;
    const sl = t.get(p.sid);
    const slImage = sl ? imageMembersBuf(sl, names) : undefined;
    const el = p.entryLeader;
    const elImage = el ? imageMembersBuf(el, names) : undefined;
    const c = parent ? parent.childLineage : p.lineage;
    if (
      c !== undefined &&
      c.parent === parent &&
      c.parentImage === parentImage &&
      c.pgl === pgl &&
      c.ppid === p.ppid &&
      c.gl === gl &&
      c.glImage === glImage &&
      c.sl === sl &&
      c.slImage === slImage &&
      c.el === el &&
      c.elImage === elImage &&
      c.elType === el?.entryType
    )
      return c.buf;
    const out = this.lineageScratch;
    if (parent && parentImage) {
      out.str(`,"parent":{${parent.anemicJson}`);
      out.bytes(parentImage);
      // A leader as RFC 0030's "anemic" object: entity_id, pid, start.
      out.str(pgl ? `,"group_leader":{${pgl.anemicJson}}}` : '}');
    } else if (p.ppid) {
      out.str(`,"parent":{"pid":${p.ppid}}`);
    }
    if (gl && glImage) {
      out.str(`,"group_leader":{${gl.anemicJson}`);
      out.bytes(glImage);
      out.str('}');
    }
    if (sl && slImage) {
      out.str(`,"session_leader":{${sl.anemicJson}`);
      out.bytes(slImage);
      out.str('}');
    }
    if (el && elImage) {
      out.str(`,"entry_leader":{${el.anemicJson}`);
      out.bytes(elImage);
      out.str(`,"entry_meta":{"type":${q(el.entryType ?? 'unknown')}}}`);
    }
    out.str('}');
    const buf = out.take();
    const rendered: Lineage = {
      parent,
      parentImage,
      pgl,
      ppid: p.ppid,
      gl,
      glImage,
      sl,
      slImage,
      el,
      elImage,
      elType: el?.entryType,
      buf,
    };
    if (parent) parent.childLineage = rendered;
    else p.lineage = rendered;
    return buf;
  }
}
