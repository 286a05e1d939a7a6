/**
 * Strict judgement of upstream's files. Upstream's own scorer silently scores a missing weight or an
 * unknown status as 0; here each such defect becomes a located issue, all of them in one run.
 */
import { join } from 'node:path';
import type { DataIssue } from '../issues.ts';
import type { PlatformId } from '../schema.ts';
import { slugify } from '../slug.ts';
import { type StatusCatalog, suggestLabel } from '../statuses.ts';
import {
  CATEGORY_KEY,
  HISTORY_FILE,
  MITRE_FILE,
  MITRE_KEY,
  SUB_CATEGORY_KEY,
  UPSTREAM_PLATFORMS,
  type UpstreamBundle,
  type UpstreamRow,
  upstreamFileNames,
  WEIGHTS_FILE,
} from './bundle.ts';

const ROW_KEYS = new Set([CATEGORY_KEY, SUB_CATEGORY_KEY]);

/** Vendors of a matrix: the columns present on more than half of its rows, in first-row order. */
export function matrixVendors(rows: readonly UpstreamRow[]): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!ROW_KEYS.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].filter(([, n]) => n > rows.length / 2).map(([key]) => key);
}

/** The category of every row, carried forward from the last row that names one. */
export function carriedCategories(rows: readonly UpstreamRow[]): (string | undefined)[] {
  let current: string | undefined;
  return rows.map((row) => {
    const value = row[CATEGORY_KEY];
    if (typeof value === 'string' && value.trim() !== '') current = value;
    return current;
  });
}

const isBlank = (value: unknown) => value === null || value === undefined || value === '';

function rowRef(rows: readonly UpstreamRow[], index: number) {
  const sub = rows[index]?.[SUB_CATEGORY_KEY];
  return { number: index + 1, subCategory: typeof sub === 'string' ? sub : '(no sub-category)' };
}

function validateMatrix(
  platform: PlatformId,
  rows: readonly UpstreamRow[],
  statuses: StatusCatalog,
  dir: string,
): DataIssue[] {
  const file = join(dir, upstreamFileNames(platform).matrix);
  const issues: DataIssue[] = [];
  if (rows.length === 0) return issues;
  const vendors = matrixVendors(rows);
  const vendorSet = new Set(vendors);
  const seenIds = new Map<string, number>();
  const labels = statuses.list.map((s) => `"${s.label}"`).join(', ');

  rows.forEach((row, index) => {
    const ref = rowRef(rows, index);
    const sub = row[SUB_CATEGORY_KEY];
    if (typeof sub !== 'string' || sub.trim() === '') {
      issues.push({
        file,
        row: ref,
        message: `"${SUB_CATEGORY_KEY}" is missing or blank; every row names its sub-category.`,
      });
    } else {
      const id = slugify(sub);
      const first = seenIds.get(id);
      if (first !== undefined) {
        issues.push({
          file,
          row: ref,
          message: `duplicate sub-category: row ${first} is already "${rows[first - 1]?.[SUB_CATEGORY_KEY]}". Merge or rename one of them.`,
        });
      } else seenIds.set(id, index + 1);
    }
    const category = row[CATEGORY_KEY];
    if (index === 0 && isBlank(category)) {
      issues.push({
        file,
        row: ref,
        message: `the first row has no "${CATEGORY_KEY}"; later rows inherit the category from it, so it must be named.`,
      });
    } else if (!(CATEGORY_KEY in row)) {
      issues.push({
        file,
        row: ref,
        message: `the "${CATEGORY_KEY}" column is missing (use null on rows that continue the category above).`,
      });
    } else if (!isBlank(category) && (typeof category !== 'string' || category.trim() === '')) {
      issues.push({
        file,
        row: ref,
        message: `"${CATEGORY_KEY}" must be a name, "" or null; received ${JSON.stringify(category)}.`,
      });
    }
    for (const vendor of vendors) {
      if (!(vendor in row)) {
        issues.push({
          file,
          row: ref,
          vendor,
          message: 'the vendor is missing from this row; every row has one cell per vendor.',
        });
      }
    }
    for (const [key, value] of Object.entries(row)) {
      if (ROW_KEYS.has(key)) continue;
      if (!vendorSet.has(key)) {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message:
            'this vendor appears on this row only; add it to every row or remove it (a misspelt vendor name?).',
        });
        continue;
      }
      if (typeof value !== 'string' || !statuses.byLabel.has(value)) {
        const hint = typeof value === 'string' ? suggestLabel(statuses, value) : undefined;
        issues.push({
          file,
          row: ref,
          vendor: key,
          message: `unknown status ${JSON.stringify(value)}; expected one of ${labels}${hint ? ` (did you mean "${hint}"?)` : ''}.`,
        });
      }
    }
  });
  return issues;
}

function validateExplanations(
  platform: PlatformId,
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
  dir: string,
): DataIssue[] {
  const { matrix, explanations } = bundle.platforms[platform];
  const file = join(dir, upstreamFileNames(platform).explanations);
  const issues: DataIssue[] = [];
  if (matrix.length === 0 || explanations.length === 0) return issues;
  const vendors = new Set(matrixVendors(matrix));
  const categories = carriedCategories(matrix);
  const matrixRows = new Map<string, { row: UpstreamRow; category: string | undefined }>();
  matrix.forEach((row, i) => {
    const sub = row[SUB_CATEGORY_KEY];
    if (typeof sub === 'string') matrixRows.set(sub, { row, category: categories[i] });
  });
  const seen = new Map<string, number>();

  explanations.forEach((row, index) => {
    const ref = rowRef(explanations, index);
    const sub = row[SUB_CATEGORY_KEY];
    if (typeof sub !== 'string' || sub.trim() === '') {
      issues.push({ file, row: ref, message: `"${SUB_CATEGORY_KEY}" is missing or blank.` });
      return;
    }
    const earlier = seen.get(sub);
    if (earlier !== undefined) {
      issues.push({
        file,
        row: ref,
        message: `duplicate explanation row: row ${earlier} already explains "${sub}".`,
      });
    }
    seen.set(sub, index + 1);
    const target = matrixRows.get(sub);
    if (!target) {
      issues.push({
        file,
        row: ref,
        message: `this explanation row matches no row of the matrix (${upstreamFileNames(platform).matrix}); rows are matched by sub-category name.`,
      });
      return;
    }
    const category = row[CATEGORY_KEY];
    if (
      typeof category === 'string' &&
      category !== '' &&
      target.category !== undefined &&
      category !== target.category
    ) {
      issues.push({
        file,
        row: ref,
        message: `category "${category}" differs from the matrix, which files "${sub}" under "${target.category}".`,
      });
    }
    for (const [key, cell] of Object.entries(row)) {
      if (ROW_KEYS.has(key)) continue;
      if (!vendors.has(key)) {
        const kind = /categor/i.test(key) ? 'column' : 'vendor';
        issues.push({
          file,
          row: ref,
          vendor: key,
          message:
            kind === 'column'
              ? `unknown column "${key}" (a misspelt "${CATEGORY_KEY}"?).`
              : `the explanation names a vendor the matrix does not have; vendor names must match the matrix exactly.`,
        });
        continue;
      }
      if (cell === '') continue;
      const status = target.row[key];
      const statusDef = typeof status === 'string' ? statuses.byLabel.get(status) : undefined;
      if (typeof cell === 'string') {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message:
            cell.trim() === ''
              ? `blank reason ${JSON.stringify(cell)}; a cell without a reason is "".`
              : `the reason is a plain string; write it as { "<status>": "<reason>" } so it says which status it explains.`,
        });
        continue;
      }
      if (typeof cell !== 'object' || cell === null || Array.isArray(cell)) {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message: `the cell must be "" or { "<status>": "<reason>" }; received ${JSON.stringify(cell)}.`,
        });
        continue;
      }
      const entries = Object.entries(cell);
      const [entry] = entries;
      if (entries.length !== 1 || !entry) {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message: 'the cell must hold exactly one { "<status>": "<reason>" } pair.',
        });
        continue;
      }
      const [label, reason] = entry;
      if (typeof reason !== 'string' || reason.trim() === '') {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message: `the reason for "${label}" is blank; remove the cell's reason or write one.`,
        });
      }
      if (!statusDef) continue; // the matrix issue already names the bad status
      if (!statusDef.takesReason) {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message: `a reason is given (keyed "${label}") but the cell's status is "${statusDef.label}", which takes none. Remove the reason or correct the status.`,
        });
      } else if (label !== statusDef.label) {
        issues.push({
          file,
          row: ref,
          vendor: key,
          message: `the reason is keyed "${label}" but the cell's status is "${statusDef.label}".`,
        });
      }
    }
  });
  return issues;
}

/** The key a `keep-without-reason` correction is known by in `validateUpstream`. */
export const reasonlessKey = (platform: PlatformId, subCategory: string, vendor: string) =>
  `${platform}\u0000${subCategory}\u0000${vendor}`;

/**
 * Upstream keeps its explanation files row for row with its matrices: a matrix row without an
 * explanation row loses every reason in it without a word, so it is reported like an extra row;
 * and a cell whose status requires a reason (Partially) must have one.
 */
function validateReasonParity(
  platform: PlatformId,
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
  dir: string,
  keptWithoutReason: ReadonlySet<string>,
): DataIssue[] {
  const { matrix, explanations } = bundle.platforms[platform];
  const names = upstreamFileNames(platform);
  const issues: DataIssue[] = [];
  if (matrix.length === 0 || explanations.length === 0) return issues;
  const explained = new Map<string, UpstreamRow>();
  for (const row of explanations) {
    const sub = row[SUB_CATEGORY_KEY];
    if (typeof sub === 'string' && !explained.has(sub)) explained.set(sub, row);
  }
  matrix.forEach((row, index) => {
    const sub = row[SUB_CATEGORY_KEY];
    if (typeof sub !== 'string') return;
    const ref = rowRef(matrix, index);
    const explanation = explained.get(sub);
    if (!explanation) {
      issues.push({
        file: join(dir, names.explanations),
        row: ref,
        message: `no explanation row for matrix row ${ref.number} "${sub}" (${names.matrix}); upstream keeps the two files row for row, and without it every reason in the row is lost. Add the row, with "" for cells that have no reason.`,
      });
      return;
    }
    for (const [vendor, status] of Object.entries(row)) {
      if (ROW_KEYS.has(vendor) || typeof status !== 'string') continue;
      if (!statuses.byLabel.get(status)?.requiresReason) continue;
      const cell = explanation[vendor];
      const reasonless = cell === undefined || (typeof cell === 'string' && cell.trim() === '');
      if (!reasonless || keptWithoutReason.has(reasonlessKey(platform, sub, vendor))) continue;
      issues.push({
        file: join(dir, names.explanations),
        row: ref,
        vendor,
        message: `the cell is "${status}" in ${names.matrix} but has no reason; a reader cannot tell what is covered. Add the reason, or list the cell in data/corrections.json as "keep-without-reason".`,
      });
    }
  });
  return issues;
}

function validateWeights(
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
  dir: string,
): DataIssue[] {
  const file = join(dir, WEIGHTS_FILE);
  const issues: DataIssue[] = [];
  const values = bundle.weights.statusValues;
  for (const s of statuses.list) {
    if (!(s.label in values))
      issues.push({ file, path: 'statusValues', message: `status "${s.label}" has no value.` });
  }
  for (const [label, value] of Object.entries(values)) {
    if (!statuses.byLabel.has(label)) {
      issues.push({ file, path: `statusValues.${label}`, message: `unknown status "${label}".` });
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      issues.push({
        file,
        path: `statusValues.${label}`,
        message: `a status value is a number from 0 to 1; received ${JSON.stringify(value)}.`,
      });
    }
  }
  for (const platform of Object.keys(UPSTREAM_PLATFORMS) as PlatformId[]) {
    const key = UPSTREAM_PLATFORMS[platform].weightsKey;
    const weights = bundle.weights.weights[key];
    const rows = bundle.platforms[platform].matrix;
    if (!weights) {
      if (rows.length > 0)
        issues.push({ file, path: `weights.${key}`, message: `no weights for ${key}.` });
      continue;
    }
    const names = new Set<string>();
    rows.forEach((row, index) => {
      const sub = row[SUB_CATEGORY_KEY];
      if (typeof sub !== 'string') return;
      names.add(sub);
      if (!(sub in weights)) {
        issues.push({
          file,
          row: rowRef(rows, index),
          path: `weights.${key}`,
          message: `the sub-category has no weight, so it would silently score 0 for every vendor. Add "${sub}" to weights.${key}.`,
        });
      }
    });
    for (const [name, weight] of Object.entries(weights)) {
      if (!names.has(name)) {
        issues.push({
          file,
          path: `weights.${key}.${name}`,
          message: `the weight names no sub-category of the ${key} matrix (misspelt, or the row was removed).`,
        });
      }
      if (typeof weight !== 'number' || !Number.isFinite(weight)) {
        issues.push({
          file,
          path: `weights.${key}.${name}`,
          message: `a weight is a number; received ${JSON.stringify(weight)}.`,
        });
      } else if (weight < 0) {
        issues.push({
          file,
          path: `weights.${key}.${name}`,
          message: `a weight cannot be negative; received ${weight}.`,
        });
      }
    }
  }
  return issues;
}

function validateMitre(bundle: UpstreamBundle, dir: string): DataIssue[] {
  const file = join(dir, MITRE_FILE);
  const names = new Set(bundle.platforms.windows.matrix.map((r) => r[SUB_CATEGORY_KEY]));
  const issues: DataIssue[] = [];
  bundle.mitre.forEach((row, index) => {
    const sub = row[SUB_CATEGORY_KEY];
    if (typeof row[MITRE_KEY] !== 'string') {
      issues.push({
        file,
        row: rowRef(bundle.mitre, index),
        message: `"${MITRE_KEY}" must be a string.`,
      });
    }
    if (typeof sub !== 'string' || !names.has(sub)) {
      issues.push({
        file,
        row: rowRef(bundle.mitre, index),
        message: 'this mapping names no sub-category of the Windows matrix.',
      });
    }
  });
  return issues;
}

function validateHistory(
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
  dir: string,
): DataIssue[] {
  const file = join(dir, HISTORY_FILE);
  const issues: DataIssue[] = [];
  bundle.history.forEach((entry, index) => {
    if (entry === null) return; // reported by the reader
    const line = `line ${index + 1}`;
    if (typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push({ file, message: `${line} is not a JSON object.` });
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const key of ['old', 'new'] as const) {
      const value = e[key];
      if (value !== null && (typeof value !== 'string' || !statuses.byLabel.has(value))) {
        issues.push({
          file,
          vendor: String(e.vendor),
          message: `${line}: unknown ${key} status ${JSON.stringify(value)}.`,
        });
      }
    }
  });
  return issues;
}

/** Every defect in an upstream bundle, each located by file, row, vendor and reason. */
export function validateUpstream(
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
  dir: string,
  /** Cells a correction keeps without a reason, as `reasonlessKey` gives them. */
  keptWithoutReason: ReadonlySet<string> = new Set(),
): DataIssue[] {
  const issues: DataIssue[] = [];
  for (const platform of Object.keys(UPSTREAM_PLATFORMS) as PlatformId[]) {
    issues.push(...validateMatrix(platform, bundle.platforms[platform].matrix, statuses, dir));
    issues.push(...validateExplanations(platform, bundle, statuses, dir));
    issues.push(...validateReasonParity(platform, bundle, statuses, dir, keptWithoutReason));
  }
  issues.push(...validateWeights(bundle, statuses, dir));
  issues.push(...validateMitre(bundle, dir));
  issues.push(...validateHistory(bundle, statuses, dir));
  return issues;
}
