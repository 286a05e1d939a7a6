/**
 * Writes the project's data back in upstream's format (matrices, explanations, weights), so
 * corrections and new evidence can flow back upstream as a plain diff. Measured vendors are ours,
 * not upstream's, and are left out.
 */
import type { Dataset } from '../dataset.ts';
import { matrixRows } from '../dataset.ts';
import type { PlatformId, PlatformMatrix } from '../schema.ts';
import { PLATFORM_IDS } from '../schema.ts';
import {
  CATEGORY_KEY,
  SUB_CATEGORY_KEY,
  type UpstreamRow,
  upstreamFileNames,
  WEIGHTS_FILE,
} from './bundle.ts';

type ExportData = Pick<Dataset, 'statuses' | 'weights' | 'matrices' | 'layout'>;

function claimedVendors(matrix: PlatformMatrix) {
  return matrix.vendors.filter((v) => v.source === 'claimed');
}

function exportMatrix(data: ExportData, platform: PlatformId): UpstreamRow[] {
  const matrix = data.matrices[platform];
  const blank = data.layout.platforms[platform]?.matrixBlankCategory ?? null;
  const vendors = claimedVendors(matrix);
  return matrixRows(matrix).map(({ category, sub, si }) => {
    const row: UpstreamRow = {
      [CATEGORY_KEY]: si === 0 ? category.name : blank,
      [SUB_CATEGORY_KEY]: sub.name,
    };
    for (const vendor of vendors) {
      const cell = sub.cells[vendor.id];
      row[vendor.name] = cell ? data.statuses.byId.get(cell.status)?.label : undefined;
    }
    return row;
  });
}

function exportExplanations(data: ExportData, platform: PlatformId): UpstreamRow[] {
  const matrix = data.matrices[platform];
  const layout = data.layout.platforms[platform]?.explanations;
  const vendors = claimedVendors(matrix);
  const rows = matrixRows(matrix);
  const byId = new Map(rows.map((r) => [r.sub.id, r]));
  // Upstream's own row order and columns where known; rows added since go last with every vendor.
  const order = layout?.rows.filter((r) => byId.has(r.subCategory)) ?? [];
  const known = new Set(order.map((r) => r.subCategory));
  for (const { sub, si } of rows) {
    if (!known.has(sub.id)) {
      order.push({
        subCategory: sub.id,
        category: si === 0 ? 'name' : 'blank',
        vendors: vendors.map((v) => v.id),
      });
    }
  }
  return order.map((entry) => {
    const { category, sub } = byId.get(entry.subCategory) ?? (rows[0] as (typeof rows)[number]);
    const row: UpstreamRow = {
      [CATEGORY_KEY]: entry.category === 'name' ? category.name : (layout?.blankCategory ?? null),
      [SUB_CATEGORY_KEY]: sub.name,
    };
    const columns = new Set(entry.vendors);
    for (const vendor of vendors) {
      const cell = sub.cells[vendor.id];
      // A reason on a vendor the row had no column for still has to travel upstream.
      if (!columns.has(vendor.id) && cell?.reason === undefined) continue;
      const label = cell ? data.statuses.byId.get(cell.status)?.label : undefined;
      row[vendor.name] = cell?.reason !== undefined && label ? { [label]: cell.reason } : '';
    }
    return row;
  });
}

export interface UpstreamFiles {
  /** File name → parsed JSON content. */
  [fileName: string]: unknown;
}

/** Every upstream file the project can regenerate, keyed by upstream's file name. */
export function exportUpstream(data: ExportData): UpstreamFiles {
  const files: UpstreamFiles = {};
  for (const platform of PLATFORM_IDS) {
    const names = upstreamFileNames(platform);
    files[names.matrix] = exportMatrix(data, platform);
    files[names.explanations] = exportExplanations(data, platform);
  }
  const weights: Record<string, Record<string, number>> = {};
  for (const platform of PLATFORM_IDS) {
    const platformWeights = data.weights.platforms[platform];
    weights[platform] = Object.fromEntries(
      matrixRows(data.matrices[platform])
        .filter(({ sub }) => sub.id in platformWeights)
        .map(({ sub }) => [sub.name, platformWeights[sub.id] as number]),
    );
  }
  files[WEIGHTS_FILE] = {
    source: data.weights.source,
    statusValues: Object.fromEntries(
      data.statuses.list
        .filter((s) => s.origin === 'upstream')
        .map((s) => [s.label, data.weights.statusValues[s.id]]),
    ),
    weights,
  };
  return files;
}
