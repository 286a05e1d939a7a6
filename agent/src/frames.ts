/**
 * Splits the loader's byte stream into records: u32 little-endian length, then the record, whose
 * header repeats the length. Bad input never stops the stream: a frame whose header disagrees is
 * skipped and reported, an impossible length makes the reader scan forward for the next plausible
 * frame, unknown record types are counted, and bytes left over at the end are reported as a
 * truncated record.
 */
import { MalformedRecordError, type RawRecord, readHeader } from './decode.ts';
import { DECODERS, type Decoded } from './decoders.ts';
import { HDR, RECORD_VERSION } from './records.ts';

/** Largest record the loader can produce (BPF scratch is 16 KiB; stats are smaller). */
const MAX_RECORD_BYTES = 64 * 1024;

export interface FrameProblem {
  /** Byte offset in the stream where the problem starts. */
  streamOffset: number;
  message: string;
}

export interface FrameStats {
  records: number;
  bytes: number;
  malformed: number;
  unknownTypes: Map<number, number>;
  skippedBytes: number;
}

export class FrameReader {
  readonly stats: FrameStats = {
    records: 0,
    bytes: 0,
    malformed: 0,
    unknownTypes: new Map(),
    skippedBytes: 0,
  };
  private pending: Buffer | undefined;
  private streamOffset = 0;
  private readonly onRecord: (rec: Decoded) => void;
  private readonly onProblem: (p: FrameProblem) => void;

  constructor(onRecord: (rec: Decoded) => void, onProblem: (p: FrameProblem) => void) {
    this.onRecord = onRecord;
    this.onProblem = onProblem;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = view.getUint32(off, true);
      if (len < HDR.SIZE || len > MAX_RECORD_BYTES) {
        this.problem(off, `frame length ${len} is outside ${HDR.SIZE}..${MAX_RECORD_BYTES} bytes`);
        const next = this.resync(buf, view, off + 1);
        this.stats.skippedBytes += next - off;
        off = next;
        continue;
      }
      if (buf.length - off - 4 < len) break;
      this.handle({ buf, view, off: off + 4, size: len });
      off += 4 + len;
    }
    this.streamOffset += off;
    if (off < buf.length) this.pending = buf.subarray(off);
  }

  /** Ends the stream; reports a partial record left over. */
  end(): void {
    if (this.pending && this.pending.length > 0) {
      const have = this.pending.length;
      const want = have >= 4 ? this.pending.readUInt32LE(0) + 4 : 4;
      this.problem(0, `stream ended inside a record: ${have} of ${want} bytes arrived`);
      this.stats.skippedBytes += have;
    }
    this.pending = undefined;
  }

  private handle(r: RawRecord): void {
    const h = readHeader(r);
    if (h.size !== r.size || h.version !== RECORD_VERSION) {
      this.problem(
        r.off - 4,
        h.size !== r.size
          ? `record header says ${h.size} bytes but its frame is ${r.size} bytes`
          : `record version ${h.version} is not the supported version ${RECORD_VERSION}`,
      );
      return;
    }
    const decode = DECODERS.get(h.type);
    if (!decode) {
      this.stats.unknownTypes.set(h.type, (this.stats.unknownTypes.get(h.type) ?? 0) + 1);
      return;
    }
    let rec: Decoded;
    try {
      rec = decode(r, h.tsNs);
    } catch (error) {
      if (!(error instanceof MalformedRecordError)) throw error;
      this.problem(r.off - 4, `type ${h.type}: ${error.message}`);
      return;
    }
    this.stats.records++;
    this.stats.bytes += r.size;
    this.onRecord(rec);
  }

  /** The next offset that looks like a frame start (length matches header size and version). */
  private resync(buf: Buffer, view: DataView, from: number): number {
    for (let o = from; o + 4 + HDR.SIZE <= buf.length; o++) {
      const len = view.getUint32(o, true);
      if (len < HDR.SIZE || len > MAX_RECORD_BYTES) continue;
      if (view.getUint32(o + 4 + HDR.size, true) !== len) continue;
      if (view.getUint16(o + 4 + HDR.version, true) !== RECORD_VERSION) continue;
      return o;
    }
    // Keep the tail: a frame may start in it once more bytes arrive.
    return Math.max(from, buf.length - (4 + HDR.SIZE) + 1);
  }

  private problem(bufOffset: number, message: string): void {
    this.stats.malformed++;
    this.onProblem({ streamOffset: this.streamOffset + bufOffset, message });
  }
}
