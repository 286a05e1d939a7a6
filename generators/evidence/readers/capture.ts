/**
 * One capture file as a stream of events, whatever it was exported as: ECS NDJSON, LAUREL JSONL
 * or CSV with a header row. The format is detected from the first non-empty lines unless given.
 * Malformed lines are counted and the first few kept with their numbers; they never stop a read.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readAuditLog } from '../auditd-raw/read.ts';
import { detectAuditLog } from '../auditd-raw/record.ts';
import { csvLineReader } from './csv.ts';
import type { Doc } from './fields.ts';
import { firstLines, streamLines } from './lines.ts';

export const INPUT_FORMATS = ['ecs', 'laurel', 'csv'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export const FORMAT_NAMES: Record<InputFormat, string> = {
  ecs: 'ECS NDJSON',
  laurel: 'LAUREL JSONL',
  csv: 'CSV with a header row',
};

export interface CaptureEvent {
  source: string;
  /** 1-based line where the event starts. */
  line: number;
  format: InputFormat;
  doc: Doc;
  /** Event time in ms since the epoch, when the event carries one. */
  timeMs: number | undefined;
}

interface MalformedLine {
  source: string;
  line: number;
  reason: string;
}

export interface CaptureSummary {
  source: string;
  format: InputFormat | undefined;
  detected: boolean;
  /**
   * `audit.log` when the capture is auditd's own log, read into LAUREL's event shape (its format
   * is then `laurel`, so the LAUREL rules apply unchanged).
   */
  layout?: 'audit.log';
  gzip: boolean;
  bytes: number;
  lines: number;
  events: number;
  /** Events without a usable timestamp (they can still match by pid, path...). */
  untimed: number;
  malformed: number;
  /** The first malformed lines, in order. */
  malformedSamples: MalformedLine[];
}

/** Thrown when the format cannot be detected or the file cannot be read. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}

const KEEP_MALFORMED = 20;
const SNIFF_LINES = 5;
const LAUREL_ID = /^\d+\.\d+:\d+$/;

/** Decides the format from the first non-empty lines. */
export function detectFormat(lines: readonly string[]): InputFormat | undefined {
  for (const line of lines) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null) continue;
      const id = (value as Doc).ID;
      return typeof id === 'string' && LAUREL_ID.test(id) ? 'laurel' : 'ecs';
    } catch {}
  }
  const first = lines[0]?.trim();
  if (first === undefined || first.startsWith('{') || first.startsWith('[')) return undefined;
  // A raw auditd line (audit.log, ausearch --raw) has commas in its values (comm="a,b",
  // proctitle), but it is a record, not a CSV header.
  if (RAW_AUDIT_LINE.test(first)) return undefined;
  // A CSV header names columns; a SIEM export always has several.
  return first.includes(',') ? 'csv' : undefined;
}

/** `type=SYSCALL msg=audit(1700000000.123:456): ...`, optionally after `node=<host> `. */
const RAW_AUDIT_LINE = /^(?:node=\S+ )?type=[A-Z0-9_]+ msg=audit\(\d+\.\d+:\d+\):/;

/** `2026-05-18T09:12:01.101Z`: the shape nearly every exporter writes. */
const ISO_MS_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{1,9})Z$/;
let lastSecond = '';
let lastSecondMs = 0;

function timeFromIso(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value === '') return undefined;
  // Thousands of events share a second: parse the second once, add the fraction.
  const m = ISO_MS_Z.exec(value);
  if (m !== null) {
    const second = value.slice(0, 19);
    if (second !== lastSecond) {
      const base = Date.parse(`${second}Z`);
      if (Number.isNaN(base)) return undefined;
      lastSecond = second;
      lastSecondMs = base;
    }
    return lastSecondMs + Number(`${m[1]}00`.slice(0, 3));
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

type LineParser = (text: string, lineNo: number) => void;

interface Sink {
  event(e: CaptureEvent): void;
  malformed(line: number, reason: string): void;
}

function jsonObject(text: string, lineNo: number, sink: Sink): Doc | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    sink.malformed(lineNo, `not JSON (${(error as Error).message})`);
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sink.malformed(lineNo, 'a JSON value that is not an object');
    return undefined;
  }
  return value as Doc;
}

function ecsParser(source: string, sink: Sink): LineParser {
  return (text, lineNo) => {
    const doc = jsonObject(text, lineNo, sink);
    if (doc === undefined) return;
    sink.event({
      source,
      line: lineNo,
      format: 'ecs',
      doc,
      timeMs: timeFromIso(doc['@timestamp'] ?? doc.timestamp),
    });
  };
}

function laurelParser(source: string, sink: Sink): LineParser {
  return (text, lineNo) => {
    const doc = jsonObject(text, lineNo, sink);
    if (doc === undefined) return;
    const id = doc.ID;
    if (typeof id !== 'string' || !LAUREL_ID.test(id)) {
      sink.malformed(lineNo, 'a LAUREL record without its "ID" (seconds.millis:serial)');
      return;
    }
    sink.event({
      source,
      line: lineNo,
      format: 'laurel',
      doc,
      timeMs: Math.round(Number.parseFloat(id.slice(0, id.indexOf(':'))) * 1000),
    });
  };
}

/** Counts of a read that add up across the chunks of a parallel read. */
export type EventCounts = Pick<
  CaptureSummary,
  'events' | 'untimed' | 'malformed' | 'malformedSamples'
>;

/** A sink that counts into `counts` (keeping the first malformed lines) and passes events on. */
function countingSink(
  source: string,
  counts: EventCounts,
  onEvent: (event: CaptureEvent) => void,
): Sink {
  return {
    event(e) {
      counts.events++;
      if (e.timeMs === undefined) counts.untimed++;
      onEvent(e);
    },
    malformed(line, reason) {
      counts.malformed++;
      if (counts.malformedSamples.length < KEEP_MALFORMED) {
        counts.malformedSamples.push({ source, line, reason });
      }
    },
  };
}

/** Adds a later chunk's counts to `into`, keeping the first malformed lines of the file. */
export function addCounts(into: EventCounts, chunk: EventCounts): void {
  into.events += chunk.events;
  into.untimed += chunk.untimed;
  into.malformed += chunk.malformed;
  for (const m of chunk.malformedSamples)
    if (into.malformedSamples.length < KEEP_MALFORMED) into.malformedSamples.push(m);
}

/**
 * The line handler of a JSON lines capture (ECS or LAUREL): one event per non-empty line, a
 * malformed line counted with its number. Used by the single read and by each worker of a
 * parallel read, so both read a line the same way.
 */
export function jsonLinesReader(
  format: 'ecs' | 'laurel',
  source: string,
  counts: EventCounts,
  onEvent: (event: CaptureEvent) => void,
): (raw: string, lineNo: number) => void {
  const sink = countingSink(source, counts, onEvent);
  const parse = format === 'ecs' ? ecsParser(source, sink) : laurelParser(source, sink);
  return (raw, lineNo) => {
    // Spreadsheet tools and Windows exports start files with a UTF-8 byte order mark.
    const text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (text.trim() !== '') parse(text, lineNo);
  };
}

/** What a capture is: its format, and whether it is auditd's own log read as LAUREL. */
export interface CaptureKind {
  format: InputFormat;
  layout?: 'audit.log';
}

/**
 * The capture's format: the one given, else detected from its first lines.
 * @throws CaptureError when it cannot be recognised or read.
 */
export async function captureKind(
  path: string,
  format: InputFormat | undefined,
): Promise<CaptureKind> {
  if (format !== undefined) return { format };
  try {
    const head = await firstLines(path, SNIFF_LINES);
    if (detectAuditLog(head)) return { format: 'laurel', layout: 'audit.log' };
    const detected = detectFormat(head);
    if (detected === undefined) {
      throw new CaptureError(
        `${path}: the capture format cannot be recognised from its first lines (${JSON.stringify(head[0]?.slice(0, 60) ?? '')}). Pass --input-format ecs, laurel or csv.`,
      );
    }
    return { format: detected };
  } catch (error) {
    throw captureError(path, error);
  }
}

/** A read failure in words: what happened to the file, and what to do. */
export function captureError(path: string, error: unknown): CaptureError {
  if (error instanceof CaptureError) return error;
  const e = error as NodeJS.ErrnoException;
  const why =
    e.code === 'ENOENT'
      ? 'the file does not exist'
      : e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR'
        ? 'it starts like gzip but the compressed data is damaged or cut short'
        : `it cannot be read (${e.code ?? e.message})`;
  return new CaptureError(`${path}: ${why}. Check the path and the file, then run again.`);
}

/** An empty summary for `path`. */
export function emptySummary(path: string, kind: CaptureKind | undefined): CaptureSummary {
  return {
    source: path,
    format: kind?.format,
    detected: false,
    gzip: false,
    bytes: 0,
    lines: 0,
    events: 0,
    untimed: 0,
    malformed: 0,
    malformedSamples: [],
  };
}

/**
 * Reads one capture, calling `onEvent` for every event in file order.
 * @example await readCapture('events.ndjson.gz', {}, (e) => count++)
 */
export async function readCapture(
  path: string,
  options: { format?: InputFormat | undefined },
  onEvent: (event: CaptureEvent) => void,
): Promise<CaptureSummary> {
  const kind = await captureKind(path, options.format);
  const summary = emptySummary(path, kind);
  summary.detected = options.format === undefined;
  const sink = countingSink(path, summary, onEvent);
  let stats: { bytes: number; lines: number; gzip: boolean };
  try {
    if (kind.layout === 'audit.log') return await readRawAuditLog(path, summary, sink);
    if (kind.format === 'csv') {
      const csv = csvLineReader({
        record: (doc, line) =>
          sink.event({
            source: path,
            line,
            format: 'csv',
            doc,
            timeMs: timeFromIso(doc['@timestamp'] ?? doc.timestamp),
          }),
        malformed: (line, reason) => sink.malformed(line, reason),
      });
      stats = await streamLines(path, csv.push);
      await csv.finish();
    } else {
      stats = await streamLines(path, jsonLinesReader(kind.format, path, summary, onEvent));
    }
  } catch (error) {
    throw captureError(path, error);
  }
  summary.gzip = stats.gzip;
  summary.bytes = stats.bytes;
  summary.lines = stats.lines;
  return summary;
}

/** auditd's own log, grouped into LAUREL-shaped events by the auditd-raw reader. */
async function readRawAuditLog(
  path: string,
  summary: CaptureSummary,
  sink: Sink,
): Promise<CaptureSummary> {
  summary.format = 'laurel';
  summary.layout = 'audit.log';
  const { events, stats } = readAuditLog(createReadStream(path), path);
  for await (const e of events) {
    sink.event({ source: path, line: e.line, format: 'laurel', doc: e.doc, timeMs: e.timeMs });
  }
  for (const m of stats.malformedSamples) sink.malformed(m.line, m.reason);
  // The reader counts every malformed line but keeps only the first ones.
  summary.malformed = stats.malformed;
  summary.gzip = stats.gzip;
  summary.bytes = (await stat(path)).size;
  summary.lines = stats.lines;
  return summary;
}
