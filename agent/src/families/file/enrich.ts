/**
 * ECS events of the file family. Creation and modification wait for the file's close (or its
 * writer's exit, or PENDING_MAX_NS) so their content facts describe the finished file: an open
 * file's events are held by its cookie (the kernel's struct file), moved to `closed` when it
 * closes, and analysed at the end of the batch. Rename, deletion, raw block-device reads and
 * library loads are written at once.
 */
import { fileMembers, fileType, hashMembers, mode } from '../../ecs.ts';
import type { EnrichContext } from '../../event.ts';
import type { FileAnalyzer, FileFacts, SkipReason } from '../../hashes.ts';
import type { FileEventRec, FilePathOpRec, FileRec, RawAccessRec } from './decode.ts';
import { AT_REMOVEDIR } from './records.ts';

const q = JSON.stringify;

/** Stale pending file events are emitted after this long without a close (ns). */
const PENDING_MAX_NS = 2e9;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** A creation or modification event waiting for its file's close. */
interface PendingFile {
  action: 'creation' | 'modification';
  pid: number;
  path: string;
  ino: number;
  mode: number;
  tsNs: number;
  /** The event up to its process, rendered when the file was opened. */
  head: Buffer;
}

/** A `dev_t` as the kernel stores it: 12 bits of major above 20 bits of minor. */
const MINORBITS = 20;
const MINORMASK = (1 << MINORBITS) - 1;

export class FileEnricher {
  private readonly ctx: EnrichContext;
  private readonly analyzer: FileAnalyzer;
  /** Open files' events by cookie. */
  private readonly pending = new Map<string, PendingFile[]>();
  /** Cookies of pending files by writer pid, so an exit flushes its files without a scan. */
  private readonly pendingByPid = new Map<number, Set<string>>();
  /** Closed files waiting for the end of the current batch of records (see flushBatch). */
  private closed: PendingFile[][] = [];

  constructor(ctx: EnrichContext, analyzer: FileAnalyzer) {
    this.ctx = ctx;
    this.analyzer = analyzer;
  }

  onRecord(rec: FileRec): void {
    switch (rec.kind) {
      case 'file_create':
      case 'file_modify':
        this.opened(rec);
        return;
      case 'file_close':
        this.close(rec.file.cookie);
        return;
      case 'image_load':
        this.imageLoad(rec);
        return;
      case 'raw_access':
        this.rawAccess(rec);
        return;
      case 'file_rename':
      case 'file_unlink':
        this.pathOp(rec);
        return;
    }
  }

  /** A process ended: the files it still had open are closed implicitly. */
  writerExited(pid: number): void {
    const cookies = this.pendingByPid.get(pid);
    if (!cookies) return;
    this.pendingByPid.delete(pid);
    for (const c of cookies) this.close(c);
  }

  /** On every loader stats record: finishes files open too long (all of them on the final one). */
  tick(tsNs: number, final: boolean): void {
    this.closeWhere((p) => final || tsNs - p.tsNs > PENDING_MAX_NS);
  }

  /** At the end of each batch of records: analyses the files closed in it and writes their events. */
  flushBatch(): void {
    const closed = this.closed;
    this.closed = [];
    for (const list of closed) this.writeFacts(list);
  }

  /** At the end of the stream: closes every file still open. */
  finish(): void {
    this.closeWhere(() => true);
  }

  private opened(rec: FileEventRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    const path = rec.file.path;
    if (this.ctx.events.isExcluded(p, rec.task, path)) return;
    const action = rec.kind === 'file_create' ? 'creation' : 'modification';
    // A cookie is a struct file address: one freed unseen (exec with O_CLOEXEC) can come back
    // for another file. Then the old events are finished now rather than merged.
    const prev = this.pending.get(rec.file.cookie);
    if (prev && (prev[0]?.ino !== rec.file.ino || prev[0]?.pid !== rec.task.pid)) {
      this.close(rec.file.cookie);
    }
    const list = this.pending.get(rec.file.cookie) ?? [];
    list.push({
      action,
      pid: rec.task.pid,
      path,
      ino: rec.file.ino,
      mode: rec.file.mode,
      tsNs: rec.tsNs,
      head: this.ctx.events.hold({
        rec,
        tsNs: rec.tsNs,
        category: 'file',
        type: rec.kind === 'file_create' ? 'creation' : 'change',
        action,
        proc: p,
      }),
    });
    this.pending.set(rec.file.cookie, list);
    let cookies = this.pendingByPid.get(rec.task.pid);
    if (!cookies) {
      cookies = new Set();
      this.pendingByPid.set(rec.task.pid, cookies);
    }
    cookies.add(rec.file.cookie);
  }

  /** Moves a file's pending events to the end-of-batch analysis. */
  private close(cookie: string): void {
    const list = this.pending.get(cookie);
    if (!list) return;
    this.pending.delete(cookie);
    for (const f of list) this.pendingByPid.get(f.pid)?.delete(cookie);
    this.closed.push(list);
  }

  private closeWhere(which: (p: PendingFile) => boolean): void {
    for (const [cookie, list] of this.pending) {
      if (list.some(which)) this.close(cookie);
    }
  }

  /** Analyses the file once and writes every event waiting on it. */
  private writeFacts(list: PendingFile[]): void {
    const first = list[0];
    if (!first) return;
    const isReg = (first.mode & S_IFMT) === S_IFREG;
    const facts: FileFacts | SkipReason = isReg
      ? this.analyzer.analyze(first.path, first.ino)
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
    for (const f of list) this.ctx.events.writeHeld(f.action, f.head, body);
  }

  private pathOp(rec: FilePathOpRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    const oldPath = resolvePath(rec.oldDir, rec.oldName);
    if (rec.kind === 'file_unlink') {
      if (this.ctx.events.isExcluded(p, rec.task, oldPath)) return;
      const dir = (rec.flags & AT_REMOVEDIR) !== 0;
      this.ctx.events.write({
        rec,
        tsNs: rec.tsNs,
        category: 'file',
        type: 'deletion',
        action: 'deletion',
        outcome: 'success',
        proc: p,
        top: `,"file":{${fileMembers(oldPath)},"type":"${dir ? 'dir' : 'file'}"}`,
      });
      return;
    }
    const newPath = resolvePath(rec.newDir, rec.newName);
    if (this.ctx.events.isExcluded(p, rec.task, newPath, oldPath)) return;
    const slash = oldPath.lastIndexOf('/');
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'file',
      type: 'change',
      action: 'rename',
      outcome: 'success',
      proc: p,
      top: `,"file":{${fileMembers(newPath)},"Ext":{"original":{"path":${q(oldPath)},"name":${q(oldPath.slice(slash + 1))}}}}`,
    });
  }

  /** A block device opened for reading, bypassing the file system. */
  private rawAccess(rec: RawAccessRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    const f = rec.file;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'file',
      type: 'access',
      action: 'raw_access_read',
      outcome: 'success',
      proc: p,
      top: `,"file":{${fileMembers(f.path)},"inode":"${f.ino}","type":"block_device","mode":"${mode(f.mode)}","Ext":{"device":{"major":${rec.rdev >>> MINORBITS},"minor":${rec.rdev & MINORMASK}}}}`,
    });
  }

  /** ECS puts a loaded library under `dll` on every OS (Elastic Defend's library events). */
  private imageLoad(rec: FileEventRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    const f = rec.file;
    if (this.ctx.events.isExcluded(p, rec.task, f.path)) return;
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'library',
      type: 'start',
      action: 'load',
      proc: p,
      top: `,"dll":{"path":${q(f.path)},"name":${q(name)},"Ext":{"inode":"${f.ino}","size":${f.size}}}`,
    });
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
