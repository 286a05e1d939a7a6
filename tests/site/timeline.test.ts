import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import type { HistoryEntry, StatusId, StatusValues } from '../../scoring/schema.ts';
import { PLATFORM_IDS } from '../../scoring/schema.ts';
import { scorePlatform } from '../../scoring/score.ts';
import { finalStatuses, groupByCommit, replayPlatform } from '../../src/lib/timeline.ts';

const values: StatusValues = {
  yes: 1,
  'via-enabling-telemetry': 1,
  partially: 0.5,
  'via-event-logs': 0.5,
  'pending-response': 0,
  'not-tested': 0,
  no: 0,
};

function change(
  commit: string,
  date: string,
  sub: string,
  vendor: string,
  old: StatusId | null,
  next: StatusId | null,
): HistoryEntry {
  return {
    date,
    commit: commit.repeat(40).slice(0, 40),
    pr: commit === 'b' ? 7 : null,
    platform: 'linux',
    category: 'Cat',
    subCategory: sub.toUpperCase(),
    subCategoryId: sub,
    vendor: vendor.toUpperCase(),
    vendorId: vendor,
    old,
    new: next,
  };
}

const history: HistoryEntry[] = [
  change('a', '2024-01-01T10:00:00+00:00', 'proc', 'acme', null, 'yes'),
  change('a', '2024-01-01T10:00:00+00:00', 'file', 'acme', null, 'no'),
  change('a', '2024-01-01T10:00:00+00:00', 'proc', 'zeta', null, 'partially'),
  change('a', '2024-01-01T10:00:00+00:00', 'gone', 'zeta', null, 'yes'),
  change('b', '2024-02-01T09:00:00+02:00', 'file', 'acme', 'no', 'via-event-logs'),
  change('c', '2024-03-01T10:00:00+00:00', 'proc', 'zeta', 'partially', null),
];

describe('replayPlatform', () => {
  it('scores the matrix after each commit with the given weights, rows without weight earning 0', () => {
    const timeline = replayPlatform(history, 'linux', { proc: 2, file: 1 }, values);
    expect(
      timeline.points.map((p) => ({ pr: p.pr, changes: p.changes, scores: p.scores })),
    ).toEqual([
      { pr: null, changes: 4, scores: { acme: 2, zeta: 1 } },
      { pr: 7, changes: 1, scores: { acme: 2.5, zeta: 1 } },
      { pr: null, changes: 1, scores: { acme: 2.5, zeta: 0 } },
    ]);
    expect(timeline.vendors).toEqual([
      { id: 'acme', name: 'ACME' },
      { id: 'zeta', name: 'ZETA' },
    ]);
  });

  it('drops a vendor from a point once none of its cells remain', () => {
    const onlyZeta = history.filter((e) => e.vendorId === 'zeta');
    onlyZeta.push(change('d', '2024-04-01T00:00:00+00:00', 'gone', 'zeta', 'yes', null));
    const timeline = replayPlatform(onlyZeta, 'linux', { proc: 2, gone: 1 }, values);
    expect(timeline.points.map((p) => p.scores)).toEqual([{ zeta: 2 }, { zeta: 1 }, {}]);
  });

  it('ignores other platforms', () => {
    const windows = history.map((e) => ({ ...e, platform: 'windows' as const }));
    expect(replayPlatform(windows, 'linux', { proc: 1 }, values).points).toEqual([]);
  });
});

describe('groupByCommit', () => {
  it('keeps the order of first appearance even when dates are not in order as strings', () => {
    const at = (i: number) => {
      const entry = history[i];
      if (!entry) throw new Error(`no history entry ${i}`);
      return entry;
    };
    const groups = groupByCommit([at(4), at(0), at(5), at(1)]);
    expect(groups.map((g) => g.length)).toEqual([1, 2, 1]);
  });
});

describe('replay of the real history', () => {
  it('ends exactly at the current matrices and their scores', async () => {
    const data = await loadDataset(resolve('data'));
    for (const platform of PLATFORM_IDS) {
      const final = finalStatuses(data.history.entries, platform);
      for (const category of data.matrices[platform].categories) {
        for (const sub of category.subCategories) {
          for (const [vendor, cell] of Object.entries(sub.cells)) {
            if (data.matrices[platform].vendors.find((v) => v.id === vendor)?.source !== 'claimed')
              continue;
            expect(final.get(sub.id)?.get(vendor), `${platform} ${sub.id} ${vendor}`).toBe(
              cell.status,
            );
          }
        }
      }
      const weights = data.weights.platforms[platform];
      const last = replayPlatform(
        data.history.entries,
        platform,
        weights,
        data.weights.statusValues,
      ).points.at(-1);
      const claimed = data.matrices[platform].vendors.filter((v) => v.source === 'claimed');
      for (const score of scorePlatform(
        data.matrices[platform],
        weights,
        data.weights.statusValues,
      )) {
        if (!claimed.some((v) => v.id === score.vendorId)) continue;
        expect(last?.scores[score.vendorId], `${platform} ${score.vendor}`).toBe(score.score);
      }
    }
  });
});
