/**
 * Whole files through the `Sanitizer`: a capture (JSON lines of any exporter, CSV with a header
 * row, or plain text lines such as auditd's log) or a manifest, read once to learn the names it
 * holds and once to write it sanitised. Lines stay lines, so an evidence record's
 * "capture:line" citations keep pointing at the same event.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Doc } from './readers/fields.ts';
import { firstLines, streamLines } from './readers/lines.ts';
import { escapeStandIns, type Sanitizer } from './sanitize.ts';

/** How a file is taken apart for sanitising. */
export type FileShape = 'json-lines' | 'json' | 'csv' | 'text';

/** Thrown for a file the sanitiser cannot read safely; the message says what to do. */
export class SanitizeError extends Error {
  override name = 'SanitizeError';
}

/** The file's shape, from its first bytes and lines. */
export async function fileShape(path: string): Promise<FileShape> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new SanitizeError(
      `${path}: the file is UTF-16 (as PowerShell's > writes it). Convert it to UTF-8 first, e.g. Get-Content ${path} | Set-Content -Encoding utf8 out.xml, then package out.xml.`,
    );
  }
  const lines = await firstLines(path, 3);
  const first = lines[0]?.trim() ?? '';
  if (first.startsWith('{')) {
    try {
      JSON.parse(first);
      return 'json-lines';
    } catch {
      return 'json';
    }
  }
  if (first.startsWith('[')) return 'json';
  // A header row of named columns, not an audit record or an XML element.
  if (/^[^<{=\s][^=<]*,[^=<]*$/.test(first)) return 'csv';
  return 'text';
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

async function readText(path: string): Promise<string> {
  const bytes = await readFile(path);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString(
    'utf8',
  );
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function csvRecords(text: string, path: string): { columns: string[]; rows: string[][] } {
  try {
    const records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    const [columns = [], ...rows] = records;
    return { columns, rows };
  } catch (error) {
    throw new SanitizeError(
      `${path}: the CSV cannot be parsed (${(error as Error).message}); fix the export and package it again.`,
    );
  }
}

function parseJson(text: string, path: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SanitizeError(
      `${path}${line === undefined ? '' : `:${line}`}: not JSON (${(error as Error).message}); nothing was written. Fix or remove that line and package again.`,
    );
  }
}

/** First pass: learns the host, domain and user names a file holds. */
export async function learnFile(path: string, shape: FileShape, s: Sanitizer): Promise<void> {
  if (shape === 'json') return s.learn(parseJson(await readText(path), path));
  if (shape === 'csv') {
    const { columns, rows } = csvRecords(await readText(path), path);
    for (const row of rows) s.learn(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ''])));
    return;
  }
  await streamLines(path, (raw, line) => {
    const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (text.trim() === '') return;
    if (shape === 'json-lines') s.learn(parseJson(text, path, line));
    else s.learnText(text);
  });
}

export interface SanitizedFile {
  /** The sanitised text (UTF-8, LF line ends). */
  text: string;
  /** SHA-256 of `text`'s bytes. */
  sha256: string;
}

/**
 * Second pass: the file's sanitised text. JSON lines are rewritten one object per line (empty
 * lines kept, so line numbers hold), a JSON file is written indented, a CSV is written back
 * with the same columns, and text lines are sanitised as text.
 */
export async function sanitizeFile(
  path: string,
  shape: FileShape,
  s: Sanitizer,
): Promise<SanitizedFile> {
  let text: string;
  if (shape === 'json') {
    const value = parseJson(await readText(path), path);
    text = `${JSON.stringify(s.value(value), null, 2)}\n`;
  } else if (shape === 'csv') {
    const { columns, rows } = csvRecords(await readText(path), path);
    const out = [columns.map(csvCell).join(',')];
    for (const row of rows) {
      const doc = s.doc(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ''])) as Doc);
      out.push(columns.map((c) => csvCell(doc[c])).join(','));
    }
    text = `${out.join('\n')}\n`;
  } else {
    const out: string[] = [];
    let xml = false;
    await streamLines(path, (raw, lineNo) => {
      const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (line.trim() === '') out.push(line);
      else if (shape === 'json-lines')
        out.push(JSON.stringify(s.value(parseJson(line, path, lineNo))));
      else {
        // wevtutil's XML: a stand-in must stay text inside an element.
        if (out.every((l) => l.trim() === '')) xml = line.trimStart().startsWith('<');
        out.push(xml ? escapeStandIns(s.text(line)) : s.text(line));
      }
    });
    text = `${out.join('\n')}\n`;
  }
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}
