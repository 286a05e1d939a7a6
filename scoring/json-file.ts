/** Reading JSON the way maintainers' editors write it: a UTF-8 BOM is fine, empty files are not. */
import { readFile } from 'node:fs/promises';
import type { DataIssue } from './issues.ts';

export type ReadText = (path: string) => Promise<string>;

export const readUtf8: ReadText = (path) => readFile(path, 'utf8');

/** Parses JSON text; returns an issue instead of throwing so callers can collect all problems. */
export function parseJsonText(
  text: string,
  file: string,
): { ok: true; value: unknown } | { ok: false; issue: DataIssue } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    return {
      ok: false,
      issue: { file, message: 'the file is empty; it must hold a JSON document.' },
    };
  }
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issue: {
        file,
        message: `the file is not valid JSON (${reason}). Fix the syntax and run again.`,
      },
    };
  }
}

/** Reads and parses one JSON file; a missing file is reported as an issue, not thrown. */
export async function readJsonFile(
  path: string,
  file: string,
  read: ReadText = readUtf8,
): Promise<{ ok: true; value: unknown } | { ok: false; issue: DataIssue }> {
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'the file does not exist'
        : `the file cannot be read (${code ?? String(error)})`;
    return { ok: false, issue: { file, message: `${why}.` } };
  }
  return parseJsonText(text, file);
}
