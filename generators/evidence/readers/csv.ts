/**
 * CSV records from a byte stream with csv-parse (RFC 4180: quoted fields may hold commas, doubled
 * quotes and line breaks, so a record can span several lines). The first record is the header;
 * each later record becomes one document keyed by the header's column names. A broken record is
 * reported with the line it starts on and skipped; the read goes on.
 */
import { type CsvError, type Parser, parse } from 'csv-parse';
import type { Doc } from './fields.ts';
import { MAX_LINE_BYTES } from './lines.ts';

export interface CsvSink {
  /** A record with its non-empty cells; `line` is the 1-based line it starts on. */
  record(doc: Doc, line: number): void;
  malformed(line: number, reason: string): void;
}

/** CSV cells are text; JSON-looking cells (arrays, objects) are read as JSON. */
function csvValue(cell: string): unknown {
  const c = cell.charCodeAt(0);
  if (c === 91 /* [ */ || c === 123 /* { */) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}

/** Why csv-parse skipped a record, in the reader's words (its own message for the rare rest). */
function reason(error: CsvError): string {
  const line = typeof error.lines === 'number' ? error.lines : '?';
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      const fields = Array.isArray(error.record) ? error.record.length : '?';
      const columns = Array.isArray(error.columns) ? error.columns.length : '?';
      return `${fields} fields where the header has ${columns}`;
    }
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `broken CSV: unexpected character after a closing quote on line ${line}`;
    case 'INVALID_OPENING_QUOTE':
      return `broken CSV: a quote inside an unquoted field on line ${line}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'broken CSV: a quoted field is never closed before the end of the file';
    case 'CSV_MAX_RECORD_SIZE':
      return `broken CSV: a record longer than ${MAX_LINE_BYTES} bytes (an unclosed quote?)`;
    default:
      return `broken CSV: ${error.message}`;
  }
}

/** Errors after which csv-parse stays inside a quoted field: the reader starts a fresh parser. */
const LOST_SYNC = new Set(['CSV_INVALID_CLOSING_QUOTE', 'CSV_MAX_RECORD_SIZE']);

/**
 * Feeds CSV lines, in order, to csv-parse's stream parser; records and broken records go to
 * `sink` while `push` runs. After a broken quote csv-parse would read the rest of the file as one
 * field, so the reader drops that record and goes on with a fresh parser on the next line, as a
 * person fixing the export would.
 * @example const csv = csvLineReader(sink); await streamLines(path, csv.push); await csv.finish();
 */
export function csvLineReader(sink: CsvSink): {
  push: (text: string, lineNo: number) => void;
  finish: () => Promise<void>;
} {
  let header: string[] | undefined;
  // Lines before the current parser's first one: its line numbers count from there.
  let offset = 0;
  // The line the previous record (or the header) ended on: the next one starts after it.
  let lastEnd = 0;
  let lostSync = false;
  const start = (): Parser => {
    const parser: Parser = parse({
      bom: true,
      columns:
        header ??
        ((names: string[]) => {
          header = names.map((name) => name.trim());
          lastEnd = offset + parser.info.lines;
          return header;
        }),
      max_record_size: MAX_LINE_BYTES,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error === undefined || lostSync) return;
        sink.malformed(lastEnd + 1, reason(error));
        lastEnd = typeof error.lines === 'number' ? offset + error.lines : lastEnd + 1;
        if (LOST_SYNC.has(error.code)) lostSync = true;
      },
      on_record: (record: Record<string, string>, info) => {
        const doc: Doc = {};
        for (const column in record) {
          const cell = record[column] as string;
          if (cell !== '') doc[column] = csvValue(cell);
        }
        sink.record(doc, lastEnd + 1);
        lastEnd = offset + info.lines;
        // Handled here, in input order; nothing is queued on the stream.
        return null;
      },
    });
    parser.resume();
    return parser;
  };
  let parser = start();
  return {
    push(text, lineNo) {
      parser.write(`${text}\n`);
      if (!lostSync) return;
      parser.destroy();
      offset = lineNo;
      lastEnd = lineNo;
      lostSync = false;
      parser = start();
    },
    finish: () =>
      new Promise<void>((resolve, reject) => {
        parser.once('error', reject);
        parser.once('end', resolve);
        parser.end();
      }),
  };
}
