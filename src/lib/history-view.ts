/**
 * What the history page shows, computed once from the replayed timeline: chart series, a text
 * summary per vendor (the chart's table alternative), and the paging of the change feed.
 */
import type { Dataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, type PlatformId } from '../../scoring/schema.ts';
import type { PlatformTimeline } from '../../scoring/score.schema.ts';
import { scorePlatform } from '../../scoring/score.ts';
import type { TimelineSeries } from '../components/score-timeline.types.ts';
import { replayPlatform } from './timeline.ts';

interface VendorSummary {
  id: string;
  name: string;
  first: { date: string; score: number };
  yearAgo: number | undefined;
  latest: number;
  low: number;
  high: number;
  /** Commits after the first that changed this vendor's score. */
  moves: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Per current vendor: first, a year before the last commit, latest, lowest and highest score. */
export function summarise(
  timeline: PlatformTimeline,
  vendorIds: readonly string[],
): VendorSummary[] {
  const last = timeline.points.at(-1);
  const cutoff = last ? Date.parse(last.date) - YEAR_MS : 0;
  return vendorIds.flatMap((id) => {
    const seen = timeline.points.filter((p) => p.scores[id] !== undefined);
    const first = seen[0];
    const latest = seen.at(-1);
    if (!first || !latest) return [];
    const scores = seen.map((p) => p.scores[id] as number);
    const before = seen.filter((p) => Date.parse(p.date) <= cutoff).at(-1);
    let moves = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] !== scores[i - 1]) moves++;
    return [
      {
        id,
        name: timeline.vendors.find((v) => v.id === id)?.name ?? id,
        first: { date: first.date, score: first.scores[id] as number },
        yearAgo: before?.scores[id],
        latest: latest.scores[id] as number,
        low: Math.min(...scores),
        high: Math.max(...scores),
        moves,
      },
    ];
  });
}

export interface PlatformHistory {
  id: PlatformId;
  name: string;
  timeline: PlatformTimeline;
  /** Current vendors, best first. */
  summary: VendorSummary[];
  series: TimelineSeries;
}

/** Timelines of all platforms; charts and tables show only vendors still in the matrix. */
export function platformHistories(data: Dataset, initialCount = 5): PlatformHistory[] {
  return PLATFORM_IDS.map((id) => {
    const weights = data.weights.platforms[id];
    const timeline = replayPlatform(data.history.entries, id, weights, data.weights.statusValues);
    const ranked = scorePlatform(data.matrices[id], weights, data.weights.statusValues);
    const current = ranked.map((s) => s.vendorId);
    const summary = summarise(timeline, current);
    const inChart = new Set(summary.map((s) => s.id));
    return {
      id,
      name: data.matrices[id].platform.name,
      timeline,
      summary,
      series: {
        id,
        name: data.matrices[id].platform.name,
        vendors: summary.map((s) => ({ id: s.id, name: s.name })),
        initial: current.filter((v) => inChart.has(v)).slice(0, initialCount),
        points: timeline.points.map((p) => ({
          t: Date.parse(p.date),
          scores: Object.fromEntries(Object.entries(p.scores).filter(([v]) => inChart.has(v))),
        })),
      },
    };
  });
}

/** Splits a list into pages of `size` (at least one page, even when empty). */
export function paginate<T>(items: readonly T[], size: number): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size));
  return pages.length > 0 ? pages : [[]];
}

/** Commits per page of the HTML change feed and cell changes shown per commit. */
export const FEED_PAGE = { commits: 15, perCommit: 40 } as const;
