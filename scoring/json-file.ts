/**
 * Reading JSON the way maintainers' editors write it: a UTF-8 BOM is fine; empty files and a key
 * written twice in one object are not.
 */
import { readFile } from 'node:fs/promises';
import { findDuplicateKeys } from './duplicate-keys.ts';
import { type DataIssue, formatPath, type Locator } from './issues.ts';

export type ReadText = (path: string) => Promise<string>;

export const readUtf8: ReadText = (path) => readFile(path, 'utf8');

export type JsonResult = { ok: true; value: unknown } | { ok: false; issues: DataIssue[] };

/**
 * Parses JSON text; returns issues instead of throwing so callers can collect all problems.
 * `locate` names the row and vendor of a duplicate key from the parsed value, as the file's
 * schema errors do.
 */
export function parseJsonText(
  text: string,
  file: string,
  locate?: (value: unknown) => Locator,
): JsonResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    return {
      ok: false,
      issues: [{ file, message: 'the file is empty; it must hold a JSON document.' }],
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [
        { file, message: `the file is not valid JSON (${reason}). Fix the syntax and run again.` },
      ],
    };
  }
  const duplicates = findDuplicateKeys(body);
  if (duplicates.length === 0) return { ok: true, value };
  const locator = locate?.(value);
  return {
    ok: false,
    issues: duplicates.map((d) => {
      const path = formatPath(d.path);
      return {
        file,
        ...locator?.([...d.path, d.key]),
        ...(path ? { path } : {}),
        message: `key "${d.key}" is written twice in one object (line ${d.first.line}, column ${d.first.column} and line ${d.second.line}, column ${d.second.column}); JSON keeps only the last, so a reader of the file sees a value that is not used. Keep one of them.`,
      };
    }),
  };
}

/** Reads and parses one JSON file; a missing file is reported as an issue, not thrown. */
export async function readJsonFile(
  path: string,
  file: string,
  read: ReadText = readUtf8,
  locate?: (value: unknown) => Locator,
): Promise<JsonResult> {
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'the file does not exist'
        : `the file cannot be read (${code ?? String(error)})`;
    return { ok: false, issues: [{ file, message: `${why}.` }] };
  }
  return parseJsonText(text, file, locate);
}
