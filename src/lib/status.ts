/** Status helpers the site needs beyond the catalog in `scoring/statuses.ts`. */
import { STATUS_IDS, type StatusId } from '../../scoring/schema.ts';

/** 0 for the best status; the same order as `StatusCatalog.rank`, usable without a catalog. */
export function statusRank(id: StatusId): number {
  return STATUS_IDS.indexOf(id);
}

/**
 * The project's own status for a cell nobody could test. It earns 0 points but says nothing
 * about the product, so summaries count it apart from gaps (never as "No" or "Pending Response").
 */
export const NOT_TESTED: StatusId = 'not-tested';

/**
 * "3 cells untested", or undefined when none is: the phrase every coverage summary uses.
 *
 * @example untestedText(1) // '1 cell untested'
 */
export function untestedText(count: number): string | undefined {
  if (count === 0) return undefined;
  return `${count} cell${count === 1 ? '' : 's'} untested`;
}

/** How many of `statuses` are Not Tested. */
export function countUntested(statuses: Iterable<StatusId | undefined>): number {
  let n = 0;
  for (const s of statuses) if (s === NOT_TESTED) n += 1;
  return n;
}
