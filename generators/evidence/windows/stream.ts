/**
 * Byte and line streaming shared by the Windows readers: gzip recognised by its magic bytes on the
 * stream itself (exports get renamed; several gzip members one after another are read as one),
 * and JSON lines split on the newline byte with each line's number and byte offset kept, so a
 * malformed record can be located.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One line longer than this is not an event anyone exports; it is cut to keep memory bounded. */
export const MAX_RECORD_BYTES = 16 << 20;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('A capture stream must yield bytes (Buffer or Uint8Array).');
}

/** Opens a capture file as a byte stream (large chunks: captures are read end to end). */
export function openFile(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * The stream's bytes, gunzipped when they start with gzip's magic bytes (1f 8b). `onGzip` is told
 * which before the first chunk is yielded.
 */
export async function* decompressed(
  input: Readable,
  onGzip: (gzip: boolean) => void,
): AsyncGenerator<Buffer> {
  const it = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  try {
    while (head.length < 2) {
      const r = await it.next();
      if (r.done === true) break;
      head = Buffer.concat([head, toBuffer(r.value)]);
    }
    const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    onGzip(gzip);
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      for (;;) {
        const r = await it.next();
        if (r.done === true) return;
        yield toBuffer(r.value);
      }
    }
    if (!gzip) {
      yield* rest();
      return;
    }
    const source = Readable.from(rest(), { objectMode: false });
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    source.on('error', (error) => gunzip.destroy(error));
    for await (const chunk of source.pipe(gunzip) as AsyncIterable<Buffer>) yield chunk;
  } finally {
    input.destroy();
  }
}

export interface Line {
  text: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte in the (decompressed) stream. */
  offset: number;
}

/**
 * Splits bytes into lines (LF or CRLF), dropping a UTF-8 byte order mark on the first line. A line
 * longer than `MAX_RECORD_BYTES` is cut (and then fails to parse, which locates it).
 */
export async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  let offset = 0;
  const make = (buf: Buffer): Line => {
    lineNo++;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 0x0d) end--;
    let text = buf.toString('utf8', 0, end);
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const line = { text, line: lineNo, offset };
    offset += buf.length + 1;
    return line;
  };
  for await (const chunk of chunks) {
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      const whole = carry === undefined ? piece : Buffer.concat([carry, piece]);
      carry = undefined;
      yield make(whole);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const piece = chunk.subarray(start);
      if (carry === undefined) carry = Buffer.from(piece);
      else if (carry.length < MAX_RECORD_BYTES) carry = Buffer.concat([carry, piece]);
    }
  }
  if (carry !== undefined && carry.length > 0) yield make(carry);
}

/** Parses one JSON line into an object, or says why it is not one. */
export function parseJsonObject(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'a JSON value that is not an object' };
  return { ok: true, value: value as Record<string, unknown> };
}
