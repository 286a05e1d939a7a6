/**
 * The matrix as pages draw it: vendors with their scores, each cell's history, and the links a
 * cell's detail panel offers. Pure functions over the validated dataset.
 */
import type {
  HistoryEntry,
  PlatformId,
  PlatformMatrix,
  Vendor,
  WeightsFile,
} from '../../scoring/schema.ts';
import { scorePlatform, type VendorScore } from '../../scoring/score.ts';
import { cellId } from './cell.ts';
import { PROJECT_REPO_URL } from './site.ts';

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
