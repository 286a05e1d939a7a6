/** Who covers a sub-category, grouped by status in the catalog's order (best first). */
import type { PlatformMatrix, StatusDefinition, SubCategory } from '../../scoring/schema.ts';
import type { StatusCatalog } from '../../scoring/statuses.ts';

export interface CoverageGroup {
  status: StatusDefinition;
  /** Vendor names in the matrix's column order; measured vendors say so. */
  vendors: string[];
}

export function coverageByStatus(
  sub: SubCategory,
  vendors: PlatformMatrix['vendors'],
  statuses: StatusCatalog,
): CoverageGroup[] {
  return statuses.list
    .map((status) => ({
      status,
      vendors: vendors
        .filter((v) => sub.cells[v.id]?.status === status.id)
        .map((v) => (v.source === 'measured' ? `${v.name} (measured)` : v.name)),
    }))
    .filter((g) => g.vendors.length > 0);
}

/** Vendors whose cell earns points at all (status value above 0). */
export function coveringCount(
  sub: SubCategory,
  vendors: PlatformMatrix['vendors'],
  values: Readonly<Record<string, number>>,
): number {
  return vendors.filter((v) => {
    const status = sub.cells[v.id]?.status;
    return status !== undefined && (values[status] ?? 0) > 0;
  }).length;
}
