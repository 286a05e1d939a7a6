/**
 * Vendors across platforms for the vendor and compare pages: one entry per vendor id with its
 * scores, per-category coverage, gaps, reasoned cells and rank history on each platform.
 */
import type { Dataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, type PlatformId, type StatusId, type Vendor } from '../../scoring/schema.ts';
import { categoryCoverage, type VendorScore } from '../../scoring/score.ts';
import { reasonText } from './cell.ts';
import { type Disagreement, disagreementKey } from './disagreements.ts';
import { vendorColumns } from './matrix.ts';
import { kindCount } from './ranking.ts';
import { replayPlatform } from './timeline.ts';
import { NOT_TESTED } from './untested.ts';

interface VendorCategoryCoverage {
  id: string;
  name: string;
  earned: number;
  possible: number;
  /** Cells per status id. */
  counts: Partial<Record<StatusId, number>>;
}

interface CellRef {
  subCategoryId: string;
  subCategory: string;
  category: string;
  status: StatusId;
  reason?: string;
  weight: number;
}

interface RankPoint {
  date: string;
  pr: number | null;
  commit: string;
  score: number;
  rank: number;
  of: number;
}

interface VendorPlatform {
  platform: PlatformId;
  platformName: string;
  vendor: Vendor;
  score: VendorScore;
  /** How many vendors of this one's kind the platform ranks: its rank is "n of this". */
  vendorsOfKind: number;
  categories: VendorCategoryCoverage[];
  /**
   * Cells whose status earns no points (no, pending response), heaviest weight first. Not Tested
   * cells earn none either but say nothing about the product: they are in `untested` instead.
   */
  gaps: CellRef[];
  /** Not Tested cells, heaviest weight first. */
  untested: CellRef[];
  /**
   * Cells with a reason to show: the reason given, or `reasonText`'s "no reason given upstream"
   * for a status that requires one (Partially) left without.
   */
  reasoned: (CellRef & { reason: string })[];
  /** Sub-categories where this vendor's column and a measured row of the same product differ. */
  disagreements: Disagreement[];
  /** One point per upstream commit that changed this vendor's score or rank. */
  rankHistory: RankPoint[];
}

export interface VendorSummary {
  id: string;
  name: string;
  platforms: VendorPlatform[];
}

/** Competition rank of `score` among `scores` (ties share a rank). */
export function rankOf(score: number, scores: readonly number[]): number {
  return 1 + scores.filter((s) => s > score).length;
}

/**
 * Every vendor id that appears on any platform, in order of first appearance.
 * `disagreements` (from `getDisagreements()`) fills each platform's `disagreements`.
 */
export function vendorSummaries(
  data: Dataset,
  disagreements: ReadonlyMap<string, Disagreement> = new Map(),
): VendorSummary[] {
  const byId = new Map<string, VendorSummary>();
  for (const platform of PLATFORM_IDS) {
    const matrix = data.matrices[platform];
    const weights = data.weights.platforms[platform];
    const values = data.weights.statusValues;
    const columns = vendorColumns(matrix, data.weights);
    const statusOf = (id: StatusId) => {
      const status = data.statuses.byId.get(id);
      if (!status) throw new Error(`Status "${id}" is missing from data/statuses.json.`);
      return status;
    };
    const timeline = replayPlatform(data.history.entries, platform, weights, values);
    const kindOf = new Map(matrix.vendors.map((v) => [v.id, v.kind]));
    const scores = columns.map((c) => c.score);
    for (const { vendor, score } of columns) {
      const categories: VendorCategoryCoverage[] = [];
      const gaps: CellRef[] = [];
      const untested: CellRef[] = [];
      const mine: Disagreement[] = [];
      const reasoned: (CellRef & { reason: string })[] = [];
      for (const category of matrix.categories) {
        const coverage: VendorCategoryCoverage = {
          id: category.id,
          name: category.name,
          ...categoryCoverage(category, vendor.id, weights, values),
          counts: {},
        };
        for (const sub of category.subCategories) {
          const cell = sub.cells[vendor.id];
          const weight = weights[sub.id] ?? 0;
          if (!cell) continue;
          coverage.counts[cell.status] = (coverage.counts[cell.status] ?? 0) + 1;
          const ref: CellRef = {
            subCategoryId: sub.id,
            subCategory: sub.name,
            category: category.name,
            status: cell.status,
            weight,
            ...(cell.reason ? { reason: cell.reason } : {}),
          };
          if (cell.status === NOT_TESTED) untested.push(ref);
          else if (values[cell.status] === 0) gaps.push(ref);
          const differs = disagreements.get(disagreementKey(platform, sub.id, vendor.id));
          if (differs) mine.push(differs);
          const reason = reasonText(cell.reason, statusOf(cell.status));
          if (reason) reasoned.push({ ...ref, reason });
        }
        categories.push(coverage);
      }
      gaps.sort((a, b) => b.weight - a.weight);
      untested.sort((a, b) => b.weight - a.weight);
      const rankHistory: RankPoint[] = [];
      for (const point of timeline.points) {
        const own = point.scores[vendor.id];
        if (own === undefined) continue;
        // Ranked among vendors of the same kind, as today's ranking is.
        const all = Object.entries(point.scores)
          .filter(([id]) => (kindOf.get(id) ?? 'product') === vendor.kind)
          .map(([, s]) => s);
        const entry = {
          date: point.date,
          pr: point.pr,
          commit: point.commit,
          score: own,
          rank: rankOf(own, all),
          of: all.length,
        };
        const last = rankHistory[rankHistory.length - 1];
        if (!last || last.score !== entry.score || last.rank !== entry.rank || last.of !== entry.of)
          rankHistory.push(entry);
      }
      const summary = byId.get(vendor.id) ?? { id: vendor.id, name: vendor.name, platforms: [] };
      summary.platforms.push({
        platform,
        platformName: matrix.platform.name,
        vendor,
        score,
        vendorsOfKind: kindCount(scores, vendor.kind),
        categories,
        gaps,
        untested,
        reasoned,
        disagreements: mine,
        rankHistory,
      });
      byId.set(vendor.id, summary);
    }
  }
  return [...byId.values()];
}
