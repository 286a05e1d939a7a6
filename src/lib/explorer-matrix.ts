/**
 * Rebuilds a scoreable `PlatformMatrix` from the island's compact `ExplorerData` in the browser,
 * so /scores/ ships ranks (a few KB) instead of the full matrices and still scores with
 * `scoring/score.ts`, the same code the build uses.
 */
import type { PlatformMatrix } from '../../scoring/schema.ts';
import type { ExplorerData } from './explorer-data.ts';

export function toPlatformMatrix(data: ExplorerData): PlatformMatrix {
  return {
    schemaVersion: 1,
    platform: { id: data.platform.id, name: data.platform.name, upstreamName: data.platform.id },
    vendors: data.vendors.map((v) => ({
      id: v.id,
      name: v.name,
      source: v.measured ? 'measured' : 'claimed',
      kind: v.kind,
    })),
    categories: data.categories.map((category, ci) => ({
      id: category.id,
      name: category.name,
      subCategories: data.rows
        .filter((row) => row.category === ci)
        .map((row) => ({
          id: row.id,
          name: row.name,
          cells: Object.fromEntries(
            data.vendors.flatMap((vendor, vi) => {
              const status = data.statuses[row.cells[vi] ?? -1];
              return status ? [[vendor.id, { status: status.id }]] : [];
            }),
          ),
        })),
    })),
  };
}

/** Published weights of a platform, keyed by sub-category id, from the compact rows. */
export function rowWeights(data: ExplorerData): Record<string, number> {
  return Object.fromEntries(data.rows.map((r) => [r.id, r.weight]));
}
