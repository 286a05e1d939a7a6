import { describe, expect, it } from 'vitest';
import {
  hasWantedCell,
  matchesQuery,
  rowFilterText,
  summaryText,
} from '../../src/lib/explorer-filter.ts';

describe('the matrix filter rules (island and pre-hydration script alike)', () => {
  const dns = rowFilterText('DNS Query', 'dns-query', 'Network Activity');

  it('matches typed text in a row’s name, id or category name, in any case, trimmed', () => {
    for (const typed of ['dns', 'DNS', ' query ', 'dns-query', 'network act', ''])
      expect(matchesQuery(dns, typed), typed).toBe(true);
    for (const typed of ['dnsq', 'process', 'activity dns'])
      expect(matchesQuery(dns, typed), typed).toBe(false);
  });

  it('keeps a row when one of the shown vendors’ cells has a wanted value', () => {
    const cells = [0, 6, -1, 2];
    expect(hasWantedCell(cells, [6], [0, 1])).toBe(true);
    // The vendor holding 6 is hidden: the row goes.
    expect(hasWantedCell(cells, [6], [0, 3])).toBe(false);
    // A vendor without a cell never matches, not even a wanted -1.
    expect(hasWantedCell(cells, [2], [2])).toBe(false);
    expect(hasWantedCell(cells, [], [0, 1, 2, 3])).toBe(false);
  });

  it('says the same summary sentence the island renders', () => {
    expect(summaryText({ shown: 1, total: 57 }, { shown: 23, total: 23 })).toBe(
      'Showing 1 of 57 sub-categories and 23 of 23 products.',
    );
  });
});
