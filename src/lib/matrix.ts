/**
 * The matrix as pages and the island draw it: rows grouped by category with weights, vendors
 * with their scores, and the per-cell permalink id. Pure functions over the validated dataset.
 */
import { matrixRows } from '../../scoring/dataset.ts';
import type {
  Cell,
  HistoryEntry,
  PlatformId,
  PlatformMatrix,
  StatusId,
  Vendor,
  WeightsFile,
} from '../../scoring/schema.ts';
import { scorePlatform, type VendorScore } from '../../scoring/score.ts';
import { PROJECT_REPO_URL } from './site.ts';

/**
 * The fragment id of one cell's detail: `<subCategoryId>--<vendorId>`. Ids are slugs with single
 * hyphens, so the double hyphen separates them unambiguously.
 */
export function cellId(subCategoryId: string, vendorId: string): string {
  return `${subCategoryId}--${vendorId}`;
}

/** Reverses `cellId`; undefined for fragments that are not cell ids. */
export function parseCellId(id: string): { subCategoryId: string; vendorId: string } | undefined {
  const parts = id.split('--');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { subCategoryId: parts[0], vendorId: parts[1] };
}

export interface VendorColumn {
  vendor: Vendor;
  score: VendorScore;
}

/** Vendors in the matrix's own order (upstream's column order), each with its score and rank. */
export function vendorColumns(matrix: PlatformMatrix, weights: WeightsFile): VendorColumn[] {
  const scores = scorePlatform(matrix, weights.platforms[matrix.platform.id], weights.statusValues);
  const byId = new Map(scores.map((s) => [s.vendorId, s]));
  return matrix.vendors.flatMap((vendor) => {
    const score = byId.get(vendor.id);
    return score ? [{ vendor, score }] : [];
  });
}

/**
 * Groups a platform's history by cell, oldest first, for the per-cell history in detail panels.
 * Ordered by instant, not by date string: upstream commits carry different UTC offsets, so
 * "…T09:00+03:00" sorts after "…T07:00+00:00" as text though it happened earlier. The sort is
 * stable, so changes of one commit keep their file order.
 */
export function historyByCell(
  entries: readonly HistoryEntry[],
  platform: PlatformId,
): Map<string, HistoryEntry[]> {
  const out = new Map<string, HistoryEntry[]>();
  for (const entry of entries) {
    if (entry.platform !== platform) continue;
    const key = cellId(entry.subCategoryId, entry.vendorId);
    const list = out.get(key);
    if (list) list.push(entry);
    else out.set(key, [entry]);
  }
  for (const list of out.values()) list.sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
  return out;
}

/**
 * A "new issue" link on the project's repository naming the cell by its ids in the title. Ids, not
 * display names: a Windows page carries 1,300+ of these links and every byte is parsed on a phone
 * before the page responds; the ids are unambiguous and need no escaping.
 *
 * @example disputeUrl('linux', 'dns-query', 'auditd') // …/issues/new?title=Dispute+linux/dns-query/auditd
 */
export function disputeUrl(platform: PlatformId, subCategoryId: string, vendorId: string): string {
  const title = ['Dispute', `${platform}/${subCategoryId}/${vendorId}`]
    .map((part) => encodeURIComponent(part).replaceAll('%2F', '/'))
    .join('+');
  return `${PROJECT_REPO_URL}/issues/new?title=${title}`;
}

/** Where a measured cell's evidence record lives in the repository (`cell.evidence.ref`). */
export function evidenceUrl(ref: string): string {
  const [path, anchor] = ref.split('#', 2);
  return `${PROJECT_REPO_URL}/blob/main/data/${path ?? ref}${anchor ? `#${anchor}` : ''}`;
}

/** Rows in reading order with their category, for pages that walk the matrix flat. */
export { matrixRows };

/** The status of a vendor's cell, or undefined when the vendor is not in this row. */
export function cellOf(
  sub: PlatformMatrix['categories'][number]['subCategories'][number],
  vendorId: string,
): Cell | undefined {
  return sub.cells[vendorId];
}

/** Counts cells per status, in catalog order, for coverage summaries. */
export function countStatuses(cells: readonly (Cell | undefined)[]): Map<StatusId, number> {
  const out = new Map<StatusId, number>();
  for (const cell of cells) if (cell) out.set(cell.status, (out.get(cell.status) ?? 0) + 1);
  return out;
}
