/** Copies of upstream's files in a temp folder, so a test can inject exactly one defect. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const UPSTREAM_FIXTURE = resolve('tests/fixtures/upstream');
export const DATA_DIR = resolve('data');

export async function copyUpstream(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'etm-upstream-'));
  await cp(UPSTREAM_FIXTURE, dir, { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type Row = Record<string, unknown>;
export interface WeightsJson {
  statusValues: Record<string, unknown>;
  weights: Record<string, Record<string, unknown>>;
}

/** Rewrites one JSON file of the copy through `edit` (the caller names the shape it expects). */
export async function editJson<T>(
  dir: string,
  file: string,
  edit: (value: T) => T | undefined,
): Promise<void> {
  const path = join(dir, file);
  const value = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, '')) as T;
  const next = edit(value) ?? value;
  await writeFile(path, JSON.stringify(next, null, 2));
}

export async function writeText(dir: string, file: string, text: string): Promise<void> {
  await writeFile(join(dir, file), text);
}
