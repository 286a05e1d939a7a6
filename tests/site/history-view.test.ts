import { describe, expect, it } from 'vitest';
import statusesFile from '../../data/statuses.json' with { type: 'json' };
import type { PlatformMatrix } from '../../scoring/schema.ts';
import type { PlatformTimeline } from '../../scoring/score.schema.ts';
import { statusCatalog } from '../../scoring/statuses.ts';
import { coverageByStatus, coveringCount } from '../../src/lib/coverage.ts';
import { paginate, summarise } from '../../src/lib/history-view.ts';

const point = (date: string, scores: Record<string, number>) => ({
  date,
  commit: 'a'.repeat(40),
  pr: null,
  changes: 1,
  scores,
});

describe('summarise', () => {
  const timeline: PlatformTimeline = {
    platform: 'linux',
    vendors: [
      { id: 'acme', name: 'Acme' },
      { id: 'late', name: 'Late' },
    ],
    points: [
      point('2023-01-01T00:00:00+00:00', { acme: 5 }),
      point('2024-06-01T00:00:00+00:00', { acme: 3 }),
      point('2025-03-01T00:00:00+00:00', { acme: 3, late: 2 }),
      point('2025-07-01T00:00:00+00:00', { acme: 8, late: 2 }),
    ],
  };

  it('gives first, a year before the last commit, latest, range and the number of moves', () => {
    expect(summarise(timeline, ['acme', 'late', 'gone'])).toEqual([
      {
        id: 'acme',
        name: 'Acme',
        first: { date: '2023-01-01T00:00:00+00:00', score: 5 },
        yearAgo: 3,
        latest: 8,
        low: 3,
        high: 8,
        moves: 2,
      },
      {
        id: 'late',
        name: 'Late',
        first: { date: '2025-03-01T00:00:00+00:00', score: 2 },
        yearAgo: undefined,
        latest: 2,
        low: 2,
        high: 2,
        moves: 0,
      },
    ]);
  });
});

describe('paginate', () => {
  it('splits into pages and always returns at least one', () => {
    expect(paginate([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(paginate([], 10)).toEqual([[]]);
  });
});

describe('coverageByStatus', () => {
  const catalog = statusCatalog(statusesFile as Parameters<typeof statusCatalog>[0]);
  const vendors: PlatformMatrix['vendors'] = [
    { id: 'b', name: 'Bee', source: 'claimed', kind: 'product' },
    { id: 'a', name: 'Ant', source: 'claimed', kind: 'product' },
    { id: 'm', name: 'Meter', source: 'measured', kind: 'sensor', note: 'Measured here.' },
  ];
  const sub = {
    id: 'dns-query',
    name: 'DNS Query',
    cells: {
      a: { status: 'no' as const },
      b: { status: 'yes' as const },
      m: { status: 'yes' as const },
    },
  };

  it('groups vendors by status, best status first, keeping column order and marking measured ones', () => {
    expect(coverageByStatus(sub, vendors, catalog).map((g) => [g.status.id, g.vendors])).toEqual([
      ['yes', ['Bee', 'Meter (measured)']],
      ['no', ['Ant']],
    ]);
  });

  it('counts vendors whose status earns points', () => {
    expect(coveringCount(sub, vendors, { yes: 1, no: 0 })).toBe(2);
  });
});
