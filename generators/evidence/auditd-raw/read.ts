/**
 * A plain auditd log (RAW or ENRICHED, gzipped or not) as a stream of LAUREL-shaped events.
 * Constant memory: one chunk, one line and the open events are held. A line that is no audit
 * record is counted and located by its number, never fatal.
 *
 * @example
 * const { events, stats } = readAuditLog(createReadStream('audit.log.gz'), 'audit.log.gz');
 * for await (const e of events) console.log(e.id, e.doc.SYSCALL);
 * console.log(stats.malformed, stats.malformedSamples);
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type AuditEvent, EventAssembler } from './event.ts';
import { parseAuditLine } from './record.ts';

export interface MalformedAuditLine {
  source: string;
  /** 1-based line number in the (decompressed) log. */
  line: number;
  reason: string;
}

export interface AuditLogStats {
  source: string;
  gzip: boolean;
  lines: number;
  records: number;
  events: number;
  /** Events with a problem (a missing EXECVE argument…); they are still yielded. */
  incomplete: number;
  malformed: number;
  /** The first malformed lines, in order. */
  malformedSamples: MalformedAuditLine[];
  /** RAW or ENRICHED, from the records seen (`mixed` when both occur). */
  logFormat: 'raw' | 'enriched' | 'mixed' | undefined;
}

const KEEP_MALFORMED = 20;

async function* chunksOf(input: Readable, stats: AuditLogStats): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first = await it.next();
  if (first.done === true) return;
  const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value, 'latin1');
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await it.next();
      if (next.done === true) return;
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value, 'latin1');
    }
  }
  // gzip by its magic bytes, never by file name.
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    stats.gzip = true;
    const gunzip = createGunzip();
    const source = all();
    (async () => {
      try {
        for await (const c of source) if (!gunzip.write(c)) await waitDrain(gunzip);
        gunzip.end();
      } catch (error) {
        gunzip.destroy(error as Error);
      }
    })();
    for await (const c of gunzip) yield c as Buffer;
    return;
  }
  yield* all();
}

function waitDrain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

/**
 * Lines as latin1 text (one char per byte), `\n`-separated, numbered from 1. Each line is its own
 * string, decoded from the bytes, never a slice of a chunk-sized string: an event left open
 * would otherwise keep its whole 1 MiB chunk alive.
 */
async function* linesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<[string, number]> {
  let rest: Buffer = Buffer.alloc(0);
  let n = 0;
  for await (const chunk of chunks) {
    const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      n++;
      yield [buf.toString('latin1', start, nl), n];
      start = nl + 1;
    }
    rest = Buffer.from(buf.subarray(start));
  }
  if (rest.length > 0) yield [rest.toString('latin1'), n + 1];
}

/**
 * Reads a plain audit.log from `input`; `source` names it in stats and malformed-line reports.
 * `stats` is final once `events` has been iterated to the end.
 */
export function readAuditLog(
  input: Readable,
  source: string,
): { events: AsyncIterable<AuditEvent>; stats: AuditLogStats } {
  const stats: AuditLogStats = {
    source,
    gzip: false,
    lines: 0,
    records: 0,
    events: 0,
    incomplete: 0,
    malformed: 0,
    malformedSamples: [],
    logFormat: undefined,
  };
  const count = (e: AuditEvent): AuditEvent => {
    stats.events++;
    if (e.problems.length > 0) stats.incomplete++;
    return e;
  };
  async function* events(): AsyncGenerator<AuditEvent> {
    const assembler = new EventAssembler();
    let raw = 0;
    let enriched = 0;
    for await (const [text, line] of linesOf(chunksOf(input, stats))) {
      stats.lines = line;
      if (text.trim() === '') continue;
      const parsed = parseAuditLine(text);
      if (!parsed.ok) {
        stats.malformed++;
        if (stats.malformedSamples.length < KEEP_MALFORMED) {
          stats.malformedSamples.push({ source, line, reason: parsed.reason });
        }
        continue;
      }
      stats.records++;
      // EXECVE continuation and EOE records carry no ENRICHED part in either format.
      if (parsed.record.hasEnriched) enriched++;
      else if (parsed.record.type === 'SYSCALL') raw++;
      for (const e of assembler.push(parsed.record, line)) yield count(e);
    }
    for (const e of assembler.flush()) yield count(e);
    stats.logFormat =
      enriched > 0 && raw > 0
        ? 'mixed'
        : enriched > 0
          ? 'enriched'
          : raw > 0 || stats.records > 0
            ? 'raw'
            : undefined;
  }
  return { events: events(), stats };
}
