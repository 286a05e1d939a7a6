/**
 * Not Tested, counted apart. Browser-safe and free of zod (type imports only): the matrix island
 * uses it, and a value import of `scoring/schema.ts` would ship zod to every reader.
 */
import type { StatusId } from '../../scoring/schema.ts';

/**
 * The project's own status for a cell nobody could test. It earns 0 points but says nothing
 * about the product, so summaries count it apart from gaps (never as "No" or "Pending Response").
 */
export const NOT_TESTED = 'not-tested' satisfies StatusId;

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
