/**
 * The matrix as pages draw it: vendors with their scores, and the links a cell's detail panel
 * offers (each cell's history is its provenance, `scoring/provenance.ts`). Pure functions over the validated dataset.
 */
import type { PlatformId, PlatformMatrix, Vendor, WeightsFile } from '../../scoring/schema.ts';
import { scorePlatform, type VendorScore } from '../../scoring/score.ts';
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
