/**
 * How a rank reads on the site. `scoring/score.ts` ranks products among products and the
 * open-source sensors this project measures among sensors; these helpers make a sensor's rank
 * read as a rank among sensors ("sensor #1"), never as a place in the products' list.
 * Browser-safe: the islands use them too.
 */
import type { VendorScore } from '../../scoring/score.schema.ts';

type Ranked = Pick<VendorScore, 'kind' | 'rank'>;

/**
 * The short rank shown beside a score in table headers.
 *
 * @example rankText({ kind: 'product', rank: 2 }) // '#2'
 * @example rankText({ kind: 'sensor', rank: 1 }) // 'sensor #1'
 */
export function rankText({ kind, rank }: Ranked): string {
  return kind === 'sensor' ? `sensor #${rank}` : `#${rank}`;
}

/**
 * A rank in words with the size of its list, e.g. "1 of 9 products" or "1 of 2 sensors".
 *
 * @example rankOfKind({ kind: 'sensor', rank: 1 }, 2) // '1 of 2 sensors'
 */
export function rankOfKind({ kind, rank }: Ranked, of: number): string {
  const noun = kind === 'sensor' ? 'sensor' : 'product';
  return `${rank} of ${of} ${noun}${of === 1 ? '' : 's'}`;
}

/** How many entries of `scores` share the kind of `score` (the length of its ranking). */
export function kindCount(scores: readonly Pick<VendorScore, 'kind'>[], kind: Ranked['kind']) {
  return scores.filter((s) => s.kind === kind).length;
}

/** Orders products before sensors, then by rank: the order rankings are listed in. */
export function byKindThenRank(a: Ranked, b: Ranked): number {
  return (a.kind === b.kind ? 0 : a.kind === 'product' ? -1 : 1) || a.rank - b.rank;
}
