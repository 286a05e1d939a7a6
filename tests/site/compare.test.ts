import { describe, expect, it } from 'vitest';
import {
  compareQuery,
  defaultComparison,
  parseCompareParam,
  rowDiffers,
} from '../../src/lib/compare.ts';
import type { ExplorerData } from '../../src/lib/explorer-data.ts';

const known = new Set(['a', 'b', 'c', 'd', 'e']);

describe('compare links', () => {
  it('reads comma lists and repeated parameters, dropping unknown ids and duplicates', () => {
    expect(parseCompareParam('?v=a,zz,b', known)).toEqual(['a', 'b']);
    expect(parseCompareParam('?v=a&v=b&v=a', known)).toEqual(['a', 'b']);
  });

  it('keeps at most four vendors', () => {
    expect(parseCompareParam('?v=a,b,c,d,e', known)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('writes a readable comma list', () => {
    expect(compareQuery(['a', 'b'])).toBe('v=a,b');
    expect(compareQuery([])).toBe('');
  });
});

const platform = (id: 'linux' | 'windows', vendors: [string, number][]): ExplorerData => ({
  platform: { id, name: id },
  statuses: [],
  bases: [],
  categories: [],
  rows: [],
  vendors: vendors.map(([vid, score], i) => ({
    id: vid,
    name: vid,
    score,
    rank: i + 1,
    measured: false,
    kind: 'product' as const,
    untested: 0,
  })),
});

describe('defaultComparison', () => {
  it('prefers vendors listed on every platform, then the best summed share', () => {
    const platforms = [
      platform('linux', [
        ['solo', 30],
        ['a', 20],
        ['b', 10],
        ['c', 15],
      ]),
      platform('windows', [
        ['a', 10],
        ['b', 20],
        ['c', 5],
      ]),
    ];
    expect(defaultComparison(platforms)).toEqual(['b', 'a']);
  });
});

describe('rowDiffers', () => {
  it('is true only when statuses differ', () => {
    expect(rowDiffers([0, 0, 0])).toBe(false);
    expect(rowDiffers([0, 2])).toBe(true);
    expect(rowDiffers([0, -1])).toBe(true);
  });
});
