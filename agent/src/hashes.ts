/**
 * Content facts computed in user space: executable hashes (cached by the kernel's view of the file:
 * dev, inode, size, mtime, so a cache hit costs no syscall) and, for created or modified files,
 * size, Shannon entropy, header bytes and hashes after close, bounded by size and by a byte rate.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { ssdeep } from '../../scripts/lib/ssdeep.ts';

export interface Digest {
  sha256: string;
  md5: string;
  /** Created or modified files within the fuzzy-hash bounds only. */
  ssdeep?: string;
}

/** Why content facts are missing: too big, over the rate budget, or the file could not be read. */
export type SkipReason = 'size' | 'rate' | 'unreadable' | 'replaced';

const CHUNK = 1 << 20;
const chunk = Buffer.allocUnsafe(CHUNK);

interface ReadResult {
  digest: Digest;
  entropy: number;
  header: string;
  size: number;
}

/**
 * Reads an open fd to the end (at most maxBytes), hashing and counting bytes; with `fuzzy`, also
 * the ssdeep of the content (which needs all of it at once, so only for small files).
 */
function readAll(fd: number, size: number, wantEntropy: boolean, fuzzy = false): ReadResult {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const counts = wantEntropy ? new Float64Array(256) : undefined;
  const content = fuzzy ? Buffer.allocUnsafe(size) : undefined;
  let header = '';
  let total = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, CHUNK, total);
    if (n <= 0) break;
    const part = chunk.subarray(0, n);
    if (total < 16) header += part.subarray(0, 16 - total).toString('hex');
    sha.update(part);
    md5.update(part);
    if (counts) for (let i = 0; i < n; i++) (counts[part[i] as number] as number)++;
    if (content) part.copy(content, total);
    total += n;
    if (total > size) break; // grew while reading: what was read is what is reported
  }
  const fuzzyHash =
    content && total <= size ? { ssdeep: ssdeep(content.subarray(0, total)) } : undefined;
  let entropy = 0;
  if (counts && total > 0) {
    for (let b = 0; b < 256; b++) {
      const c = counts[b] as number;
      if (c > 0) {
        const p = c / total;
        entropy -= p * Math.log2(p);
      }
    }
  }
  return {
    digest: { sha256: sha.digest('hex'), md5: md5.digest('hex'), ...fuzzyHash },
    entropy,
    header,
    size: total,
  };
}

/** Opens the first candidate path that is the expected inode. */
function openExpected(
  paths: readonly string[],
  ino: number,
): { fd: number; size: number } | 'replaced' | 'unreadable' {
  let sawOther = false;
  for (const path of paths) {
    // stat first: a vanished file is the common failure, and exceptions are slow on the hot path.
    const pre = statSync(path, { throwIfNoEntry: false });
    if (!pre) continue;
    if (pre.ino !== ino) {
      sawOther = true;
      continue;
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      continue;
    }
    const st = fstatSync(fd);
    if (st.ino === ino && st.isFile()) return { fd, size: st.size };
    sawOther = true;
    closeSync(fd);
  }
  return sawOther ? 'replaced' : 'unreadable';
}

export interface ExecKey {
  dev: number;
  ino: number;
  size: number;
  mtimeNs: number;
}

/** Executable hashes by (dev, inode, size, mtime). */
export class ExecHashCache {
  private readonly cache = new Map<string, Digest | 'size'>();
  readonly stats = { hits: 0, misses: 0, bytesHashed: 0 };
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(maxBytes = 64 << 20, maxEntries = 8192) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
  }

  /** `paths` are tried in order; /proc/<pid>/exe first works for memfd and deleted files too. */
  get(key: ExecKey, paths: readonly string[]): Digest | SkipReason {
    const k = `${key.dev}:${key.ino}:${key.size}:${key.mtimeNs}`;
    const hit = this.cache.get(k);
    if (hit !== undefined) {
      this.stats.hits++;
      return hit;
    }
    this.stats.misses++;
    if (key.size > this.maxBytes) {
      this.remember(k, 'size');
      return 'size';
    }
    const opened = openExpected(paths, key.ino);
    if (typeof opened === 'string') return opened;
    try {
      const r = readAll(opened.fd, key.size, false);
      this.stats.bytesHashed += r.size;
      this.remember(k, r.digest);
      return r.digest;
    } catch {
      return 'unreadable';
    } finally {
      closeSync(opened.fd);
    }
  }

  private remember(k: string, v: Digest | 'size'): void {
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(k, v);
  }
}

export interface FileFacts {
  size: number;
  entropy?: number;
  header?: string;
  digest?: Digest;
  skipped?: SkipReason;
}

/** A bytes-per-second budget that refills continuously, up to one second's worth. */
class ByteBudget {
  private tokens: number;
  private last: number;
  private readonly perSec: number;

  constructor(perSec: number, now: number) {
    this.perSec = perSec;
    this.tokens = perSec;
    this.last = now;
  }

  take(bytes: number, now: number): boolean {
    this.tokens = Math.min(this.perSec, this.tokens + ((now - this.last) / 1000) * this.perSec);
    this.last = now;
    if (bytes > this.tokens) return false;
    this.tokens -= bytes;
    return true;
  }
}

/** ssdeep costs about 30 ns per byte here (hashing about 3): its own, smaller bounds. */
const FUZZY_MAX_BYTES = 256 << 10;
const FUZZY_BYTES_PER_SEC = 1 << 20;

/** Content analysis of created/modified files, within a size cap and a bytes-per-second budget. */
export class FileAnalyzer {
  private readonly budget: ByteBudget;
  private readonly fuzzyBudget: ByteBudget;
  private readonly maxBytes: number;
  private readonly now: () => number;
  readonly stats = { analyzed: 0, skipped: 0, bytes: 0, fuzzy: 0 };

  constructor(maxBytes = 16 << 20, bytesPerSec = 16 << 20, now: () => number = Date.now) {
    this.maxBytes = maxBytes;
    this.now = now;
    this.budget = new ByteBudget(bytesPerSec, now());
    this.fuzzyBudget = new ByteBudget(FUZZY_BYTES_PER_SEC, now());
  }

  analyze(path: string, ino: number): FileFacts | SkipReason {
    const opened = openExpected([path], ino);
    if (typeof opened === 'string') {
      this.stats.skipped++;
      return opened;
    }
    try {
      const t = this.now();
      const over =
        opened.size > this.maxBytes
          ? 'size'
          : !this.budget.take(opened.size, t)
            ? 'rate'
            : undefined;
      if (over) {
        // Header bytes are cheap and still useful when the rest is skipped.
        const n = readSync(opened.fd, chunk, 0, 16, 0);
        this.stats.skipped++;
        return { size: opened.size, header: chunk.subarray(0, n).toString('hex'), skipped: over };
      }
      const fuzzy = opened.size <= FUZZY_MAX_BYTES && this.fuzzyBudget.take(opened.size, t);
      const r = readAll(opened.fd, opened.size, true, fuzzy);
      if (r.digest.ssdeep !== undefined) this.stats.fuzzy++;
      this.stats.analyzed++;
      this.stats.bytes += r.size;
      return { size: r.size, entropy: r.entropy, header: r.header, digest: r.digest };
    } catch {
      this.stats.skipped++;
      return 'unreadable';
    } finally {
      closeSync(opened.fd);
    }
  }
}
