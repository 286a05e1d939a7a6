/**
 * The enricher's output: NDJSON bytes assembled in one growing buffer. Cached fragments (a
 * process's members, the host object) are copied as pre-encoded bytes, so an event costs a few
 * memcpys instead of building, flattening and UTF-8 encoding a 1.6 KB string.
 */
export class OutputBuffer {
  private buf: Buffer;
  private off = 0;

  constructor(initial = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.off;
  }

  /** Appends a string as UTF-8. */
  str(s: string): void {
    this.reserve(s.length * 3);
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  /** Appends pre-encoded bytes. */
  bytes(b: Buffer): void {
    this.reserve(b.length);
    // TypedArray set: a plain memmove; Buffer#copy validates its arguments in JavaScript first,
    // which costs more than copying a few hundred bytes.
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  /** A copy of what was written, exactly sized (for writers that keep the bytes); then clears. */
  take(): Buffer {
    // allocUnsafe + copy: Buffer.from(a buffer) takes the generic array-like path, several times slower.
    const out = Buffer.allocUnsafe(this.off);
    this.buf.copy(out, 0, 0, this.off);
    this.off = 0;
    return out;
  }

  /** What was written, without copying: valid until the next write. Call clear() when done. */
  view(): Buffer {
    return this.buf.subarray(0, this.off);
  }

  /** Forgets what was written, keeping the buffer (no allocation per batch, no GC churn). */
  clear(): void {
    this.off = 0;
  }

  private reserve(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }
}
