/**
 * Where a measured row and a claimed column of the same product disagree (auditd + LAUREL beside
 * upstream's Auditd on Linux). The evidence tool writes the comparison, with the cause in a
 * sentence, into `data/evidence/<measured vendor>.json` (`comparison`); the site only reads it and
 * shows each differing cell's two statuses and that sentence in both cells' panels and on both
 * vendor pages.
 */
import { z } from 'zod';
import { EvidenceFileSchema } from '../../generators/evidence/evidence-file.schema.ts';
import type { PlatformId, StatusId } from '../../scoring/schema.ts';
import { cellId } from './cell.ts';

/**
 * Only the parts the site reads, with the evidence tool's own field schemas: the rest of the file
 * (captures, samples) belongs to the evidence tool and may grow without breaking the site.
 */
const ComparisonPartSchema = z.looseObject({
  platform: EvidenceFileSchema.shape.platform,
  comparison: EvidenceFileSchema.shape.comparison,
});

/** One sub-category on which the measured row and the claimed column differ. */
export interface Disagreement {
  platform: PlatformId;
  subCategoryId: string;
  measuredVendorId: string;
  claimedVendorId: string;
  /** The claimed column's display name as the evidence tool names it ("Auditd"). */
  claimedName: string;
  measured: StatusId;
  claimed: StatusId;
  /** The cause, in the evidence tool's words. */
  explanation: string;
}

/**
 * Reads every `evidence/*.json` under `dir` through `read`/`list` (passed in for tests) and returns
 * the disagreements, each keyed under both cells it concerns (`platform/<cellId>`), so the
 * measured cell and the claimed cell find the same entry.
 */
export async function loadDisagreements(
  list: () => Promise<string[]>,
  read: (name: string) => Promise<string>,
): Promise<Map<string, Disagreement>> {
  const out = new Map<string, Disagreement>();
  for (const name of (await list()).filter((n) => n.endsWith('.json')).sort()) {
    const parsed = ComparisonPartSchema.safeParse(JSON.parse(await read(name)));
    if (!parsed.success) {
      throw new Error(
        `data/evidence/${name} → comparison: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Re-run the evidence tool (npm run evidence:refresh) or fix the file.`,
      );
    }
    const { platform, comparison } = parsed.data;
    if (!comparison) continue;
    const measuredVendorId = name.replace(/\.json$/, '');
    for (const [subCategoryId, cell] of Object.entries(comparison.cells)) {
      if (cell.agree) continue;
      const entry: Disagreement = {
        platform,
        subCategoryId,
        measuredVendorId,
        claimedVendorId: comparison.vendor,
        claimedName: comparison.name,
        measured: cell.measured,
        claimed: cell.claimed,
        explanation: cell.explanation,
      };
      out.set(disagreementKey(platform, subCategoryId, measuredVendorId), entry);
      out.set(disagreementKey(platform, subCategoryId, comparison.vendor), entry);
    }
  }
  return out;
}

/** The key a cell's disagreement is stored under. */
export function disagreementKey(platform: PlatformId, subCategoryId: string, vendorId: string) {
  return `${platform}/${cellId(subCategoryId, vendorId)}`;
}
