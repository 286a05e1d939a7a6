/**
 * Upstream's files as read from disk, before any judgement: the input of validation,
 * corrections and conversion, and the output of export.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { DataIssue, Locator } from '../issues.ts';
import { parseData } from '../issues.ts';
import { parseJsonText, type ReadText, readUtf8 } from '../json-file.ts';
import type { PlatformId } from '../schema.ts';

/** Upstream's column names; the only place they are spelt. */
export const CATEGORY_KEY = 'Telemetry Feature Category';
export const SUB_CATEGORY_KEY = 'Sub-Category';
export const MITRE_KEY = 'MITRE ATT&CK Mappings';
/** Keys of a row that are not vendor columns (the misspelt category key included). */
const NON_VENDOR_KEYS = new Set([CATEGORY_KEY, SUB_CATEGORY_KEY, MITRE_KEY]);

/** Upstream's file-name suffix and weights key per platform. */
export const UPSTREAM_PLATFORMS: Record<
  PlatformId,
  { fileName: string; weightsKey: string; name: string }
> = {
  windows: { fileName: 'windows', weightsKey: 'windows', name: 'Windows' },
  linux: { fileName: 'linux', weightsKey: 'linux', name: 'Linux' },
  macos: { fileName: 'macOS', weightsKey: 'macos', name: 'macOS' },
};

export type UpstreamRow = Record<string, unknown>;

export interface UpstreamPlatformFiles {
  matrix: UpstreamRow[];
  explanations: UpstreamRow[];
}

export interface UpstreamBundle {
  platforms: Record<PlatformId, UpstreamPlatformFiles>;
  weights: {
    source: string;
    statusValues: Record<string, unknown>;
    weights: Record<string, Record<string, unknown>>;
  };
  mitre: UpstreamRow[];
  /** One parsed JSON value per line of matrix_history.jsonl; `null` marks a line that did not parse. */
  history: unknown[];
}

export const upstreamFileNames = (platform: PlatformId) => {
  const name = UPSTREAM_PLATFORMS[platform].fileName;
  return {
    matrix: `EDR_telem_${name}.json`,
    explanations: `partially_value_explanations_${name}.json`,
  };
};
export const WEIGHTS_FILE = 'weights.json';
export const MITRE_FILE = 'mitre_attack_mappings.json';
export const HISTORY_FILE = 'matrix_history.jsonl';

const RowsSchema = z.array(z.record(z.string(), z.unknown())).min(1, 'the file holds no rows');
const WeightsSchema = z.object({
  source: z.string(),
  statusValues: z.record(z.string(), z.unknown()),
  weights: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/**
 * Names the row of a path into one of upstream's row files: its 1-based number and sub-category,
 * and the vendor when the path ends at one of the row's vendor keys.
 */
function rowLocator(value: unknown): Locator {
  return (path) => {
    const index = path[0];
    if (typeof index !== 'number' || !Array.isArray(value)) return {};
    const row: unknown = value[index];
    const name =
      typeof row === 'object' &&
      row !== null &&
      typeof (row as Record<string, unknown>)[SUB_CATEGORY_KEY] === 'string'
        ? ((row as Record<string, unknown>)[SUB_CATEGORY_KEY] as string)
        : '?';
    const key = path[1];
    const vendor =
      path.length === 2 && typeof key === 'string' && !NON_VENDOR_KEYS.has(key)
        ? { vendor: key }
        : {};
    return { row: { number: index + 1, subCategory: name }, ...vendor };
  };
}

async function readRows(
  dir: string,
  name: string,
  read: ReadText,
  issues: DataIssue[],
): Promise<UpstreamRow[]> {
  const file = join(dir, name);
  let text: string;
  try {
    text = await read(file);
  } catch {
    issues.push({ file, message: 'the file does not exist; is --from the right upstream folder?' });
    return [];
  }
  const parsed = parseJsonText(text, file, rowLocator);
  if (!parsed.ok) {
    issues.push(...parsed.issues);
    return [];
  }
  const rows = parseData(RowsSchema, parsed.value, file, (path) =>
    typeof path[0] === 'number' ? { row: { number: path[0] + 1, subCategory: '?' } } : {},
  );
  if (!rows.ok) {
    issues.push(...rows.issues);
    return [];
  }
  return rows.data;
}

/**
 * Reads every upstream file from `dir`. Structural problems (missing, empty, invalid JSON, not an
 * array of rows) are returned as issues; content is judged later by `validateUpstream`.
 */
export async function readUpstream(
  dir: string,
  read: ReadText = readUtf8,
): Promise<{ bundle: UpstreamBundle; issues: DataIssue[] }> {
  const issues: DataIssue[] = [];
  const platforms = {} as Record<PlatformId, UpstreamPlatformFiles>;
  for (const platform of Object.keys(UPSTREAM_PLATFORMS) as PlatformId[]) {
    const names = upstreamFileNames(platform);
    platforms[platform] = {
      matrix: await readRows(dir, names.matrix, read, issues),
      explanations: await readRows(dir, names.explanations, read, issues),
    };
  }
  let weights: UpstreamBundle['weights'] = { source: '', statusValues: {}, weights: {} };
  const weightsFile = join(dir, WEIGHTS_FILE);
  try {
    const parsed = parseJsonText(await read(weightsFile), weightsFile);
    if (!parsed.ok) issues.push(...parsed.issues);
    else {
      const shaped = parseData(WeightsSchema, parsed.value, weightsFile);
      if (shaped.ok) weights = shaped.data;
      else issues.push(...shaped.issues);
    }
  } catch {
    issues.push({
      file: weightsFile,
      message: 'the file does not exist; is --from the right upstream folder?',
    });
  }
  const mitre = await readRows(dir, MITRE_FILE, read, issues);
  const history: unknown[] = [];
  const historyFile = join(dir, HISTORY_FILE);
  try {
    const text = await read(historyFile);
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        history.push(JSON.parse(line));
      } catch {
        issues.push({ file: historyFile, message: `line ${index + 1} is not valid JSON.` });
        history.push(null);
      }
    });
  } catch {
    issues.push({
      file: historyFile,
      message: 'the file does not exist; is --from the right upstream folder?',
    });
  }
  return { bundle: { platforms, weights, mitre, history }, issues };
}

/** A deep copy, so corrections never mutate what the caller read. */
export function cloneBundle(bundle: UpstreamBundle): UpstreamBundle {
  return structuredClone(bundle);
}

export function rowSubCategory(row: UpstreamRow): string | undefined {
  const value = row[SUB_CATEGORY_KEY];
  return typeof value === 'string' ? value : undefined;
}
