/**
 * Loads and validates the project's `data/` folder. Everything that shows or scores telemetry
 * (the score CLI, the site, the evidence tool) reads data through here, so invalid data never
 * scores silently: it throws a `DataValidationError` listing every problem with its location.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  type LocatedAssertion,
  loadMeasuredAssertions,
  loadPackageAssertions,
} from './assertions-files.ts';
import { type DataIssue, DataValidationError, type Locator, parseData } from './issues.ts';
import { type ReadText, readJsonFile, readUtf8 } from './json-file.ts';
import { matrixRows } from './rows.ts';
import {
  type CorrectionsFile,
  CorrectionsFileSchema,
  type DescriptionsFile,
  DescriptionsFileSchema,
  HistoryFileSchema,
  MeasuredRowSchema,
  MitreFileSchema,
  PLATFORM_IDS,
  type PlatformId,
  type PlatformMatrix,
  PlatformMatrixSchema,
  ProvenanceSchema,
  StatusesFileSchema,
  UpstreamLayoutSchema,
  type WeightsFile,
  WeightsFileSchema,
} from './schema.ts';
import { type StatusCatalog, statusCatalog } from './statuses.ts';

/** Where each file lives inside `data/`; the only place these names are spelt. */
export const DATA_FILES = {
  statuses: 'statuses.json',
  weights: 'weights.json',
  corrections: 'corrections.json',
  provenance: 'provenance.json',
  history: 'history.json',
  mitre: 'mitre.json',
  descriptions: 'descriptions.json',
  layout: 'upstream-layout.json',
  matrix: (platform: PlatformId) => `matrices/${platform}.json`,
  measuredDir: 'measured',
} as const;

/** What scoring needs: statuses, weights and the three matrices (measured rows merged in). */
export interface CoreData {
  statuses: StatusCatalog;
  weights: WeightsFile;
  matrices: Record<PlatformId, PlatformMatrix>;
}

export interface Dataset extends CoreData {
  provenance: z.infer<typeof ProvenanceSchema>;
  corrections: CorrectionsFile;
  history: z.infer<typeof HistoryFileSchema>;
  mitre: z.infer<typeof MitreFileSchema>;
  descriptions: DescriptionsFile;
  layout: z.infer<typeof UpstreamLayoutSchema>;
  /**
   * Assertions that do not come from upstream: evidence packages'
   * (`evidence/<package>/assertions.json`) and the measured rows' (`measured/` with their
   * evidence records). `provenance.ts` builds each cell's provenance from these and the history.
   */
  assertions: LocatedAssertion[];
}

export { matrixRows };

function matrixLocator(raw: unknown): Locator {
  return (path) => {
    const m = raw as {
      categories?: { subCategories?: { name?: unknown }[] }[];
      vendors?: { id?: unknown; name?: unknown }[];
    };
    if (
      path[0] !== 'categories' ||
      typeof path[1] !== 'number' ||
      path[2] !== 'subCategories' ||
      typeof path[3] !== 'number'
    ) {
      return {};
    }
    let number = 0;
    const cats = m.categories ?? [];
    for (let c = 0; c < path[1]; c++) number += cats[c]?.subCategories?.length ?? 0;
    number += path[3] + 1;
    const sub = cats[path[1]]?.subCategories?.[path[3]];
    const vendorId = path[4] === 'cells' && typeof path[5] === 'string' ? path[5] : undefined;
    const vendorName = m.vendors?.find((v) => v.id === vendorId)?.name;
    return {
      row: { number, subCategory: typeof sub?.name === 'string' ? sub.name : '?' },
      ...(vendorId ? { vendor: typeof vendorName === 'string' ? vendorName : vendorId } : {}),
    };
  };
}

/** Cross-file rules zod cannot see: every vendor in every row, weights matching rows, reasons allowed. */
export function checkMatrix(
  matrix: PlatformMatrix,
  weights: WeightsFile,
  statuses: StatusCatalog,
  file: string,
): DataIssue[] {
  const issues: DataIssue[] = [];
  const vendorIds = new Set<string>();
  for (const vendor of matrix.vendors) {
    if (vendorIds.has(vendor.id))
      issues.push({ file, vendor: vendor.name, message: 'the vendor is listed twice.' });
    vendorIds.add(vendor.id);
  }
  const categoryIds = new Set<string>();
  for (const category of matrix.categories) {
    if (categoryIds.has(category.id))
      issues.push({ file, message: `category "${category.name}" (${category.id}) appears twice.` });
    categoryIds.add(category.id);
  }
  const platformWeights = weights.platforms[matrix.platform.id];
  const seen = new Map<string, number>();
  for (const { sub, number } of matrixRows(matrix)) {
    const row = { number, subCategory: sub.name };
    const first = seen.get(sub.id);
    if (first !== undefined)
      issues.push({
        file,
        row,
        message: `duplicate sub-category id "${sub.id}" (also row ${first}).`,
      });
    seen.set(sub.id, number);
    if (!(sub.id in platformWeights)) {
      issues.push({
        file,
        row,
        message: `the sub-category has no weight in ${DATA_FILES.weights} (platforms.${matrix.platform.id}.${sub.id}).`,
      });
    }
    for (const vendor of matrix.vendors) {
      if (!(vendor.id in sub.cells))
        issues.push({
          file,
          row,
          vendor: vendor.name,
          message: 'the vendor has no cell on this row.',
        });
    }
    for (const [vendorId, cell] of Object.entries(sub.cells)) {
      if (!vendorIds.has(vendorId)) {
        issues.push({
          file,
          row,
          vendor: vendorId,
          message: "this cell names a vendor that is not in the platform's vendor list.",
        });
      }
      const def = statuses.byId.get(cell.status);
      if (cell.reason !== undefined && def && !def.takesReason) {
        issues.push({
          file,
          row,
          vendor: vendorId,
          message: `a reason is given but status "${def.label}" takes none.`,
        });
      }
    }
  }
  for (const id of Object.keys(platformWeights)) {
    if (!seen.has(id)) {
      issues.push({
        file: DATA_FILES.weights,
        path: `platforms.${matrix.platform.id}.${id}`,
        message: `the weight names no sub-category of the ${matrix.platform.name} matrix.`,
      });
    }
  }
  return issues;
}

/** Adds a measured vendor's row to its platform's matrix, reporting rows it does not cover. */
function mergeMeasured(
  matrix: PlatformMatrix,
  row: z.infer<typeof MeasuredRowSchema>,
  file: string,
): DataIssue[] {
  const issues: DataIssue[] = [];
  if (matrix.vendors.some((v) => v.id === row.vendor.id)) {
    return [
      {
        file,
        vendor: row.vendor.name,
        message: `the vendor id "${row.vendor.id}" is already used by the ${matrix.platform.name} matrix.`,
      },
    ];
  }
  matrix.vendors.push(row.vendor);
  const known = new Set<string>();
  for (const { sub, number } of matrixRows(matrix)) {
    known.add(sub.id);
    const cell = row.cells[sub.id];
    if (cell) sub.cells[row.vendor.id] = cell;
    else
      issues.push({
        file,
        row: { number, subCategory: sub.name },
        vendor: row.vendor.name,
        message: 'the measured row has no cell for this sub-category.',
      });
  }
  for (const id of Object.keys(row.cells)) {
    if (!known.has(id))
      issues.push({
        file,
        vendor: row.vendor.name,
        path: `cells.${id}`,
        message: `no sub-category "${id}" in the ${matrix.platform.name} matrix.`,
      });
  }
  return issues;
}

async function readValidated<S extends z.ZodType>(
  dir: string,
  name: string,
  schema: S,
  issues: DataIssue[],
  read: ReadText,
  locate?: (raw: unknown) => Locator,
): Promise<z.infer<S> | undefined> {
  const file = join(dir, name);
  const json = await readJsonFile(file, file, read, locate);
  if (!json.ok) {
    issues.push(...json.issues);
    return undefined;
  }
  const parsed = parseData(schema, json.value, file, locate?.(json.value));
  if (!parsed.ok) {
    issues.push(...parsed.issues);
    return undefined;
  }
  return parsed.data;
}

async function listMeasured(dir: string): Promise<string[]> {
  try {
    const names = await readdir(join(dir, DATA_FILES.measuredDir));
    return names
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => `${DATA_FILES.measuredDir}/${n}`);
  } catch {
    return [];
  }
}

/**
 * Loads statuses, weights and matrices (with measured rows). Throws `DataValidationError` with
 * every problem found across all files.
 */
export async function loadCoreData(dir: string, read: ReadText = readUtf8): Promise<CoreData> {
  const issues: DataIssue[] = [];
  const statusesFile = await readValidated(
    dir,
    DATA_FILES.statuses,
    StatusesFileSchema,
    issues,
    read,
  );
  const weights = await readValidated(dir, DATA_FILES.weights, WeightsFileSchema, issues, read);
  const matrices = {} as Record<PlatformId, PlatformMatrix>;
  for (const platform of PLATFORM_IDS) {
    const name = DATA_FILES.matrix(platform);
    const matrix = await readValidated(
      dir,
      name,
      PlatformMatrixSchema,
      issues,
      read,
      matrixLocator,
    );
    if (matrix && matrix.platform.id !== platform) {
      issues.push({
        file: join(dir, name),
        path: 'platform.id',
        message: `the file holds "${matrix.platform.id}" but is named for "${platform}".`,
      });
    }
    if (matrix) matrices[platform] = matrix;
  }
  for (const name of await listMeasured(dir)) {
    const row = await readValidated(dir, name, MeasuredRowSchema, issues, read);
    const matrix = row && matrices[row.platform];
    if (row && matrix) issues.push(...mergeMeasured(matrix, row, join(dir, name)));
  }
  if (statusesFile && weights) {
    const statuses = statusCatalog(statusesFile);
    for (const platform of PLATFORM_IDS) {
      const matrix = matrices[platform];
      if (matrix)
        issues.push(
          ...checkMatrix(matrix, weights, statuses, join(dir, DATA_FILES.matrix(platform))),
        );
    }
    if (issues.length === 0) return { statuses, weights, matrices };
  }
  throw new DataValidationError(issues);
}

/** Loads everything in `data/`, including history, MITRE mappings, descriptions and provenance. */
export async function loadDataset(dir: string, read: ReadText = readUtf8): Promise<Dataset> {
  const issues: DataIssue[] = [];
  let core: CoreData | undefined;
  try {
    core = await loadCoreData(dir, read);
  } catch (error) {
    if (!(error instanceof DataValidationError)) throw error;
    issues.push(...error.issues);
  }
  const provenance = await readValidated(
    dir,
    DATA_FILES.provenance,
    ProvenanceSchema,
    issues,
    read,
  );
  const corrections = await readValidated(
    dir,
    DATA_FILES.corrections,
    CorrectionsFileSchema,
    issues,
    read,
  );
  const history = await readValidated(dir, DATA_FILES.history, HistoryFileSchema, issues, read);
  const mitre = await readValidated(dir, DATA_FILES.mitre, MitreFileSchema, issues, read);
  const descriptions = await readValidated(
    dir,
    DATA_FILES.descriptions,
    DescriptionsFileSchema,
    issues,
    read,
  );
  const layout = await readValidated(dir, DATA_FILES.layout, UpstreamLayoutSchema, issues, read);
  if (core && descriptions) {
    for (const platform of PLATFORM_IDS) {
      const ids = new Set(matrixRows(core.matrices[platform]).map((r) => r.sub.id));
      for (const id of Object.keys(descriptions.platforms[platform])) {
        if (!ids.has(id))
          issues.push({
            file: join(dir, DATA_FILES.descriptions),
            path: `platforms.${platform}.${id}`,
            message: `no sub-category "${id}" in the ${platform} matrix.`,
          });
      }
    }
  }
  const assertions: LocatedAssertion[] = [];
  if (core) {
    for (const loaded of [
      await loadPackageAssertions(dir, core.matrices, read),
      await loadMeasuredAssertions(dir, core.matrices, read),
    ]) {
      assertions.push(...loaded.assertions);
      issues.push(...loaded.issues);
    }
  }
  if (core && mitre) {
    const ids = new Set(matrixRows(core.matrices.windows).map((r) => r.sub.id));
    for (const id of Object.keys(mitre.platforms.windows)) {
      if (!ids.has(id))
        issues.push({
          file: join(dir, DATA_FILES.mitre),
          path: `platforms.windows.${id}`,
          message: `no sub-category "${id}" in the Windows matrix.`,
        });
    }
  }
  if (
    issues.length > 0 ||
    !core ||
    !provenance ||
    !corrections ||
    !history ||
    !mitre ||
    !descriptions ||
    !layout
  ) {
    throw new DataValidationError(issues);
  }
  return { ...core, provenance, corrections, history, mitre, descriptions, layout, assertions };
}
