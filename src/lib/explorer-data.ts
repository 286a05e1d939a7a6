/**
 * The plain data the matrix island receives as props: compact (status as a rank index per vendor,
 * no reasons or history, which the static detail panels already hold) so the page's HTML stays
 * small. Built at build time from the validated dataset.
 */
import type { Dataset } from '../../scoring/dataset.ts';
import { type CellKey, type CellProvenance, cellKey } from '../../scoring/provenance.ts';
import type { PlatformId, StatusId } from '../../scoring/schema.ts';
import { categoryWeight } from '../../scoring/score.ts';
import { BASIS_MARKERS, CELL_BASES, type CellBasis } from './cell.ts';
import { vendorColumns } from './matrix.ts';
import { cellBasis } from './provenance-view.ts';
import { statusRank } from './status.ts';
import { countUntested } from './untested.ts';

interface ExplorerStatus {
  id: StatusId;
  label: string;
  symbol: string;
}

interface ExplorerVendor {
  id: string;
  name: string;
  score: number;
  rank: number;
  measured: boolean;
  /** `sensor` columns are ranked among sensors, never against products. */
  kind: 'product' | 'sensor';
  /** Not Tested cells in this column, counted apart from the score's gaps. */
  untested: number;
}

interface ExplorerBasis {
  id: CellBasis;
  /** "claimed", "evidence", "measured", "assertions disagree", "untested". */
  label: string;
  /** The cell marker's character; empty for a plain claim, which has none. */
  symbol: string;
  /** Cells of the matrix resting on this basis. */
  cells: number;
}

interface ExplorerCategory {
  id: string;
  name: string;
  weight: number;
}

export interface ExplorerRow {
  id: string;
  name: string;
  /** Index into `categories`. */
  category: number;
  weight: number;
  /** Status rank per vendor (index into `statuses`), aligned with `vendors`; -1 when absent. */
  cells: number[];
  /** Indices of vendors whose cell carries a reason (shown as a marker; the text is in the panel). */
  reasons: number[];
  /** Indices of vendors whose cell links to measured evidence. */
  evidence: number[];
  /** Basis per vendor (index into `bases`, as the cell's `data-basis`); -1 when absent. */
  bases: number[];
}

export interface ExplorerData {
  platform: { id: PlatformId; name: string };
  /** In rank order (best first), so `statuses[cell]` is the cell's status. */
  statuses: ExplorerStatus[];
  vendors: ExplorerVendor[];
  /** What a cell rests on, in `CELL_BASES` order, so `bases[row.bases[i]]` is a cell's basis. */
  bases: ExplorerBasis[];
  categories: ExplorerCategory[];
  rows: ExplorerRow[];
}

/**
 * @param data the dataset as the page shows it (pass the shown matrices, as the static table
 *   draws them, so the island's filters and the table agree)
 * @param provenance each cell's provenance (`getProvenance().cells`); without it every cell reads
 *   as a plain claim
 */
export function explorerData(
  data: Pick<Dataset, 'matrices' | 'weights' | 'statuses'>,
  platform: PlatformId,
  provenance?: ReadonlyMap<CellKey, CellProvenance>,
): ExplorerData {
  const matrix = data.matrices[platform];
  const weights = data.weights.platforms[platform];
  const columns = vendorColumns(matrix, data.weights);
  const basisOf = (subId: string, vendorId: string): number =>
    CELL_BASES.indexOf(cellBasis(provenance?.get(cellKey(platform, subId, vendorId))));
  const rows = matrix.categories.flatMap((category, ci) =>
    category.subCategories.map((sub) => ({
      id: sub.id,
      name: sub.name,
      category: ci,
      weight: weights[sub.id] ?? 0,
      cells: columns.map(({ vendor }) => {
        const cell = sub.cells[vendor.id];
        return cell ? statusRank(cell.status) : -1;
      }),
      reasons: columns.flatMap(({ vendor }, i) => (sub.cells[vendor.id]?.reason ? [i] : [])),
      evidence: columns.flatMap(({ vendor }, i) => (sub.cells[vendor.id]?.evidence ? [i] : [])),
      bases: columns.map(({ vendor }) => (sub.cells[vendor.id] ? basisOf(sub.id, vendor.id) : -1)),
    })),
  );
  return {
    platform: { id: platform, name: matrix.platform.name },
    statuses: data.statuses.list.map(({ id, label, symbol }) => ({ id, label, symbol })),
    vendors: columns.map(({ vendor, score }) => ({
      id: vendor.id,
      name: vendor.name,
      score: score.score,
      rank: score.rank,
      measured: vendor.source === 'measured',
      kind: vendor.kind,
      untested: countUntested(
        matrix.categories.flatMap((c) => c.subCategories.map((s) => s.cells[vendor.id]?.status)),
      ),
    })),
    categories: matrix.categories.map((c) => ({
      id: c.id,
      name: c.name,
      weight: categoryWeight(c, weights),
    })),
    bases: CELL_BASES.map((id, i) => ({
      id,
      label: id === 'claimed' ? 'claimed' : BASIS_MARKERS[id].name.replace(/[()]/g, ''),
      symbol: id === 'claimed' ? '' : BASIS_MARKERS[id].symbol,
      cells: rows.reduce((n, row) => n + row.bases.filter((b) => b === i).length, 0),
    })),
    rows,
  };
}
