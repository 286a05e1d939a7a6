/**
 * ECS events of the process family: fork, exec (with the executable's hashes, exec chain and
 * inline interpreter script), end, session_begin, memfd_create. The process table is updated
 * for every record, excluded or not, so lineage stays right.
 */
import { hashMembers, previousMember } from '../../ecs.ts';
import type { EnrichContext } from '../../event.ts';
import type { ExecHashCache } from '../../hashes.ts';
import { scriptArgsExt } from '../script/interpreter.ts';
import type { ExecRec, ExitRec, ForkRec, MemfdRec, ProcessRec, SetsidRec } from './decode.ts';
import { EXECF } from './records.ts';

const q = JSON.stringify;

/** `MFD_*` flags of memfd_create(2). */
const MFD = {
  CLOEXEC: 0x1,
  ALLOW_SEALING: 0x2,
  HUGETLB: 0x4,
  NOEXEC_SEAL: 0x8,
  EXEC: 0x10,
} as const;

/** The prefix of a memfd's path: it lives at the root of the kernel's internal shm mount. */
const MEMFD_PREFIX = '/memfd:';

export class ProcessEnricher {
  private readonly ctx: EnrichContext;
  private readonly execHashes: ExecHashCache;

  constructor(ctx: EnrichContext, execHashes: ExecHashCache) {
    this.ctx = ctx;
    this.execHashes = execHashes;
  }

  onRecord(rec: ProcessRec): void {
    switch (rec.kind) {
      case 'fork':
        this.fork(rec);
        return;
      case 'exec':
        this.exec(rec);
        return;
      case 'exit':
        this.exit(rec);
        return;
      case 'setsid':
        this.setsid(rec);
        return;
      case 'memfd':
        this.memfd(rec);
        return;
    }
  }

  private fork(rec: ForkRec): void {
    const child = this.ctx.processes.fork(rec.task);
    if (this.ctx.events.isExcluded(child, rec.task)) return;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'start',
      action: 'fork',
      proc: child,
    });
  }

  private exec(rec: ExecRec): void {
    const noLink = (rec.flags & EXECF.EXE_NO_LINK) !== 0;
    const executable = noLink ? `${rec.executable} (deleted)` : rec.executable;
    const p = this.ctx.processes.exec(rec.task, executable, rec.args, rec.cwd);
    // Before hashing: an excluded process's executable is not read.
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    const digest = this.execHashes.get(
      { dev: rec.exeDev, ino: rec.exeIno, size: rec.exeSize, mtimeNs: rec.exeMtimeNs },
      [`/proc/${rec.task.pid}/exe`, rec.executable],
    );
    const memfdName =
      noLink && rec.executable.startsWith(MEMFD_PREFIX)
        ? rec.executable.slice(MEMFD_PREFIX.length)
        : undefined;
    const ext: string[] = [];
    if (typeof digest === 'string') ext.push(`"hash_skipped":"${digest}"`);
    if (noLink) ext.push('"exe_deleted":true');
    if (memfdName !== undefined) ext.push(`"memfd":{"name":${q(memfdName)}}`);
    if (rec.flags & EXECF.ARGS_TRUNCATED) ext.push('"args_truncated":true');
    const script = scriptArgsExt(p.name, rec.args);
    if (script) ext.push(script);
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'start',
      action: 'exec',
      proc: p,
      procExtra:
        previousMember(p) +
        (typeof digest === 'string' ? '' : `,${hashMembers(digest)}`) +
        (ext.length ? `,"Ext":{${ext.join(',')}}` : ''),
    });
  }

  private exit(rec: ExitRec): void {
    const p = this.ctx.processes.exit(rec.task, rec.tsNs);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    // The shell's convention: 128 + signal when killed, else the exit status.
    const status = rec.exitCode;
    const sig = status & 0x7f;
    const code = sig ? 128 + sig : (status >> 8) & 0xff;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'end',
      action: 'end',
      proc: p,
      procExtra: `,"exit_code":${code},"end":"${this.ctx.events.iso(rec.tsNs)}"`,
    });
  }

  private setsid(rec: SetsidRec): void {
    const p = this.ctx.processes.setsid(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'change',
      action: 'session_begin',
      proc: p,
    });
  }

  private memfd(rec: MemfdRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    const f = rec.flags;
    const flag =
      `"allow_seal":${(f & MFD.ALLOW_SEALING) !== 0},"exec":${(f & MFD.EXEC) !== 0},"noexec_seal":${(f & MFD.NOEXEC_SEAL) !== 0}` +
      `,"hugetlb":${(f & MFD.HUGETLB) !== 0},"cloexec":${(f & MFD.CLOEXEC) !== 0}`;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: 'process',
      type: 'info',
      action: 'memfd_create',
      outcome: rec.ret >= 0 ? 'success' : 'failure',
      proc: p,
      procExtra: `,"Ext":{"memfd":{"name":${q(rec.name)},"flags":${f},"flag":{${flag}}${rec.ret >= 0 ? `,"fd":${rec.ret}` : ''}}}`,
    });
  }
}
