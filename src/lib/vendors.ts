/**
 * Vendors across platforms for the vendor and compare pages: one entry per vendor id with its
 * scores, per-category coverage, gaps, reasoned cells and rank history on each platform.
 */
import type { Dataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, type PlatformId, type StatusId, type Vendor } from '../../scoring/schema.ts';
import { categoryCoverage, type VendorScore } from '../../scoring/score.ts';
import { reasonText } from './cell.ts';
import { vendorColumns } from './matrix.ts';
import { replayPlatform } from './timeline.ts';

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
  vendorsOnPlatform: number;
  categories: VendorCategoryCoverage[];
  /** Cells whose status earns no points (no, pending response), heaviest weight first. */
  gaps: CellRef[];
  /**
   * Cells whose status takes a reason (partial coverage and the like), with the reason or
   * `NO_REASON_GIVEN` when upstream gave none.
   */
  reasoned: (CellRef & { reason: string })[];
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

/** Every vendor id that appears on any platform, in order of first appearance. */
export function vendorSummaries(data: Dataset): VendorSummary[] {
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
    for (const { vendor, score } of columns) {
      const categories: VendorCategoryCoverage[] = [];
      const gaps: CellRef[] = [];
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
          if (values[cell.status] === 0) gaps.push(ref);
          const reason = reasonText(cell.reason, statusOf(cell.status));
          if (reason) reasoned.push({ ...ref, reason });
        }
        categories.push(coverage);
      }
      gaps.sort((a, b) => b.weight - a.weight);
      const rankHistory: RankPoint[] = [];
      for (const point of timeline.points) {
        const mine = point.scores[vendor.id];
        if (mine === undefined) continue;
        const all = Object.values(point.scores);
        const entry = {
          date: point.date,
          pr: point.pr,
          commit: point.commit,
          score: mine,
          rank: rankOf(mine, all),
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
        vendorsOnPlatform: columns.length,
        categories,
        gaps,
        reasoned,
        rankHistory,
      });
      byId.set(vendor.id, summary);
    }
  }
  return [...byId.values()];
}
