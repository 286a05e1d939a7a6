/**
 * The compare page's pure parts: which vendors a link asks for, the default comparison, and
 * which rows differ. Browser-safe (no zod, no node:fs).
 */
import type { ExplorerData } from './explorer-data.ts';

export const MIN_COMPARE = 2;
export const MAX_COMPARE = 4;

/**
 * Vendor ids from `?v=a,b` (or `?v=a&v=b`, what a no-JS form submits): known ids only, no
 * duplicates, at most MAX_COMPARE.
 */
export function parseCompareParam(search: string, known: ReadonlySet<string>): string[] {
  const params = new URLSearchParams(search);
  const ids = params
    .getAll('v')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => known.has(v));
  return [...new Set(ids)].slice(0, MAX_COMPARE);
}

/** `?v=a,b` for a list of vendor ids. */
export function compareQuery(ids: readonly string[]): string {
  return ids.length > 0 ? `v=${ids.map(encodeURIComponent).join(',')}` : '';
}

/**
 * The comparison shown when a link names fewer than two vendors: the two best vendors present
 * on every platform, by summed share of the best possible score.
 */
export function defaultComparison(platforms: readonly ExplorerData[]): string[] {
  const totals = new Map<string, { share: number; seen: number }>();
  for (const p of platforms) {
    const best = Math.max(...p.vendors.map((v) => v.score), 0);
    for (const v of p.vendors) {
      const t = totals.get(v.id) ?? { share: 0, seen: 0 };
      t.share += best > 0 ? v.score / best : 0;
      t.seen += 1;
      totals.set(v.id, t);
    }
  }
  return [...totals]
    .sort((a, b) => b[1].seen - a[1].seen || b[1].share - a[1].share || a[0].localeCompare(b[0]))
    .slice(0, MIN_COMPARE)
    .map(([id]) => id);
}

/** True when the listed statuses (ranks; -1 = vendor absent from the row) are not all equal. */
export function rowDiffers(ranks: readonly number[]): boolean {
  return ranks.some((r) => r !== ranks[0]);
}
