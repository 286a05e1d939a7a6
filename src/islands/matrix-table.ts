/**
 * The TanStack Table setup of the matrix island, defined once at module scope: registered
 * features, and a column factory run once per matrix (vendors come from data, so columns are
 * built from props, never re-created on render).
 */
import {
  type ColumnDef,
  columnFilteringFeature,
  columnOrderingFeature,
  columnVisibilityFeature,
  createColumnHelper,
  createFilteredRowModel,
  createSortedRowModel,
  type FilterFn,
  rowSortingFeature,
  type SortFn,
  tableFeatures,
} from '@tanstack/react-table';
import type { ExplorerData, ExplorerRow } from '../lib/explorer-data.ts';
import { hasWantedCell, matchesQuery, rowFilterText } from '../lib/explorer-filter.ts';

export const features = tableFeatures({
  columnVisibilityFeature,
  columnOrderingFeature,
  columnFilteringFeature,
  filteredRowModel: createFilteredRowModel(),
  rowSortingFeature,
  sortedRowModel: createSortedRowModel(),
});
export type Features = typeof features;

/** Hidden helper columns: category order (always the first sort key) and the three filters. */
export const CATEGORY_COLUMN = 'category';
export const TEXT_COLUMN = 'text';
export const STATUS_COLUMN = 'statuses';
export const BASIS_COLUMN = 'bases';

/**
 * Filter value of the status and basis columns: the values wanted (status ranks, basis indices)
 * and the vendor columns they apply to.
 */
export interface CellFilterValue {
  wanted: readonly number[];
  vendorIndices: readonly number[];
}

const helper = createColumnHelper<Features, ExplorerRow>();

/** A missing cell sorts after every status. */
const ABSENT_RANK = 99;

/**
 * Status order is the catalog's rank (best first), never label text: "No" must not sort before
 * "Partially" because N < P.
 */
const byStatusRank: SortFn<Features, ExplorerRow> = (a, b, columnId) => {
  const ra = a.getValue<number>(columnId);
  const rb = b.getValue<number>(columnId);
  return (ra < 0 ? ABSENT_RANK : ra) - (rb < 0 ? ABSENT_RANK : rb);
};

const byNumber: SortFn<Features, ExplorerRow> = (a, b, columnId) =>
  a.getValue<number>(columnId) - b.getValue<number>(columnId);

// The rules live in lib/explorer-filter.ts, shared with the script that filters before hydration.
const includesText: FilterFn<Features, ExplorerRow> = (row, columnId, value: string) =>
  matchesQuery(row.getValue<string>(columnId), value);

const wantedCell: FilterFn<Features, ExplorerRow> = (row, columnId, value: CellFilterValue) =>
  hasWantedCell(row.getValue<number[]>(columnId), value.wanted, value.vendorIndices);

/** Columns for one matrix: the helper columns, the sub-category column, one column per vendor. */
export function buildColumns(data: ExplorerData): ColumnDef<Features, ExplorerRow, unknown>[] {
  return helper.columns([
    helper.accessor((row) => row.category, { id: CATEGORY_COLUMN, sortFn: byNumber }),
    helper.accessor(
      (row) => rowFilterText(row.name, row.id, data.categories[row.category]?.name ?? ''),
      { id: TEXT_COLUMN, filterFn: includesText },
    ),
    helper.accessor((row) => row.cells, { id: STATUS_COLUMN, filterFn: wantedCell }),
    helper.accessor((row) => row.bases, { id: BASIS_COLUMN, filterFn: wantedCell }),
    ...data.vendors.map((vendor, i) =>
      helper.accessor((row) => row.cells[i] ?? -1, { id: vendor.id, sortFn: byStatusRank }),
    ),
  ]) as ColumnDef<Features, ExplorerRow, unknown>[];
}
