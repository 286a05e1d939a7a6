/**
 * RFC 4180 records from a line stream: quoted fields may hold commas, doubled quotes and line
 * breaks, so a record can span several lines. Stateful, one record at a time.
 */

export type CsvOutcome =
  | { kind: 'record'; fields: string[]; firstLine: number }
  | { kind: 'pending' }
  | { kind: 'error'; message: string; firstLine: number };

/** A quoted field still open after this many lines is a broken export, not a long value. */
const MAX_RECORD_LINES = 10_000;

/** Splits one complete record; returns undefined when a quoted field is still open. */
export function splitCsvRecord(text: string): string[] | undefined | { error: string } {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return undefined;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text.charCodeAt(i) !== 44) {
        return { error: `unexpected character after a closing quote at column ${i + 1}` };
      }
      i++;
      if (i === n) {
        fields.push('');
        return fields;
      }
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      const value = text.slice(i, end);
      if (value.includes('"')) {
        return {
          error: `a quote inside an unquoted field at column ${i + 1 + value.indexOf('"')}`,
        };
      }
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
      if (i === n) {
        fields.push('');
        return fields;
      }
    }
  }
}

/** Feeds lines in order; emits a record once its quotes are balanced. */
export class CsvRecordReader {
  #pending: string | undefined;
  #firstLine = 0;
  #lines = 0;

  push(line: string, lineNo: number): CsvOutcome {
    if (this.#pending === undefined) {
      this.#pending = line;
      this.#firstLine = lineNo;
      this.#lines = 1;
    } else {
      this.#pending += `\n${line}`;
      this.#lines++;
    }
    const split = splitCsvRecord(this.#pending);
    if (split === undefined) {
      if (this.#lines < MAX_RECORD_LINES) return { kind: 'pending' };
      const firstLine = this.#firstLine;
      this.#pending = undefined;
      return {
        kind: 'error',
        firstLine,
        message: `a quoted field opened here is still open ${MAX_RECORD_LINES} lines later`,
      };
    }
    const firstLine = this.#firstLine;
    this.#pending = undefined;
    if (!Array.isArray(split)) return { kind: 'error', firstLine, message: split.error };
    return { kind: 'record', fields: split, firstLine };
  }

  /** At end of input: a record left open is an unterminated quote. */
  finish(): CsvOutcome | undefined {
    if (this.#pending === undefined) return undefined;
    const firstLine = this.#firstLine;
    this.#pending = undefined;
    return {
      kind: 'error',
      firstLine,
      message: 'a quoted field is never closed before the end of the file',
    };
  }
}
