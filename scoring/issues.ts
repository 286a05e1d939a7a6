/**
 * Data problems as values: every validator returns a list of `DataIssue`s so a maintainer sees
 * all defects of a run at once, each located by file, row, vendor and key path.
 */
import type { z } from 'zod';

export interface RowRef {
  /** 1-based position of the row in its file, as a reader counts it. */
  number: number;
  subCategory: string;
}

export interface DataIssue {
  file: string;
  row?: RowRef;
  vendor?: string;
  /** Dot path inside the file, e.g. `categories[2].subCategories[0].cells.crowdstrike.status`. */
  path?: string;
  message: string;
}

/** Renders one issue: `data/linux.json, row 26 "Service Deletion", vendor "CrowdStrike": message`. */
export function formatIssue(issue: DataIssue): string {
  let where = issue.file;
  if (issue.row) where += `, row ${issue.row.number} "${issue.row.subCategory}"`;
  if (issue.vendor !== undefined) where += `, vendor "${issue.vendor}"`;
  if (issue.path) where += ` → ${issue.path}`;
  return `${where}: ${issue.message}`;
}

/** Thrown when data cannot be used; carries every issue found, not only the first. */
export class DataValidationError extends Error {
  readonly issues: readonly DataIssue[];
  constructor(issues: readonly DataIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`The data has ${count}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'DataValidationError';
    this.issues = issues;
  }
}

/** `["categories", 2, "name"]` → `categories[2].name` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, received ${JSON.stringify(issue.input)}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `missing (expected ${issue.expected})`;
  }
  return issue.message;
}

export type Locator = (path: readonly PropertyKey[]) => Pick<DataIssue, 'row' | 'vendor'>;

/**
 * Parses `value` with `schema`, turning every zod issue into a located `DataIssue`.
 * Callers never format zod output themselves.
 */
export function parseData<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  locate?: Locator,
): { ok: true; data: z.infer<S> } | { ok: false; issues: DataIssue[] } {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  const issues = result.error.issues.map((issue) => {
    const located = locate ? locate(issue.path) : {};
    const path = formatPath(issue.path);
    return {
      file,
      ...located,
      ...(path ? { path } : {}),
      message: describeZodIssue(issue),
    };
  });
  return { ok: false, issues };
}
