/**
 * Products and sensors ranked apart in every view, Not Tested counted apart from gaps, and
 * measured-versus-claimed disagreements read from the evidence files.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, loadDataset } from '../../scoring/dataset.ts';
import type { PlatformMatrix } from '../../scoring/schema.ts';
import { leaders, scorePlatform } from '../../scoring/score.ts';
import { loadDisagreements } from '../../src/lib/disagreements.ts';
import { explorerData } from '../../src/lib/explorer-data.ts';
import { toPlatformMatrix } from '../../src/lib/explorer-matrix.ts';
import { byKindThenRank, kindCount, rankOfKind, rankText } from '../../src/lib/ranking.ts';
import { countUntested, untestedText } from '../../src/lib/untested.ts';
import { vendorSummaries } from '../../src/lib/vendors.ts';

let data: Dataset;
beforeAll(async () => {
  data = await loadDataset(resolve(import.meta.dirname, '../../data'));
});

/** The Linux dataset with one measured cell set to Not Tested. */
function withUntested(base: Dataset, vendorId: string, subId: string): Dataset {
  const linux = structuredClone(base.matrices.linux) as PlatformMatrix;
  for (const c of linux.categories)
    for (const s of c.subCategories)
      if (s.id === subId) s.cells[vendorId] = { status: 'not-tested', reason: 'no module' };
  return { ...base, matrices: { ...base.matrices, linux } };
}

describe('rank text', () => {
  it('reads a product rank as a place in the list and a sensor rank as a place among sensors', () => {
    expect(rankText({ kind: 'product', rank: 2 })).toBe('#2');
    expect(rankText({ kind: 'sensor', rank: 1 })).toBe('sensor #1');
    expect(rankOfKind({ kind: 'product', rank: 1 }, 15)).toBe('1 of 15 products');
    expect(rankOfKind({ kind: 'sensor', rank: 2 }, 2)).toBe('2 of 2 sensors');
    expect(rankOfKind({ kind: 'sensor', rank: 1 }, 1)).toBe('1 of 1 sensor');
  });

  it('orders products by rank before sensors by rank', () => {
    const list = [
      { kind: 'sensor', rank: 1 },
      { kind: 'product', rank: 2 },
      { kind: 'product', rank: 1 },
    ] as const;
    expect([...list].sort(byKindThenRank)).toEqual([list[2], list[1], list[0]]);
    expect(kindCount(list, 'product')).toBe(2);
  });
});

describe('sensors in the views', () => {
  it('makes C-Prot product #1 on Linux and ranks the measured rows among sensors', () => {
    const scores = scorePlatform(
      data.matrices.linux,
      data.weights.platforms.linux,
      data.weights.statusValues,
    );
    expect(leaders(scores).map((s) => s.vendorId)).toEqual(['c-prot']);
    const explorer = explorerData(data, 'linux');
    const cprot = explorer.vendors.find((v) => v.id === 'c-prot');
    expect(cprot && rankText(cprot)).toBe('#1');
    const sensors = explorer.vendors.filter((v) => v.kind === 'sensor');
    expect(sensors.map((v) => v.id).sort()).toEqual(['auditd-laurel', 'reference-agent']);
    expect(sensors.map((v) => rankText(v)).sort()).toEqual(['sensor #1', 'sensor #2']);
  });

  it('keeps sensors apart when the weights lab rescores the island data', () => {
    const explorer = explorerData(data, 'linux');
    const zero = Object.fromEntries(
      explorer.rows.map((r) => [r.id, r.id === 'driver-load' ? 1 : 0]),
    );
    const ranked = scorePlatform(toPlatformMatrix(explorer), zero, data.weights.statusValues);
    // Every score is 0 or close: products still come first and no sensor holds a product rank.
    const firstSensor = ranked.findIndex((s) => s.kind === 'sensor');
    expect(ranked.slice(firstSensor).every((s) => s.kind === 'sensor')).toBe(true);
    expect(leaders(ranked).every((s) => s.kind === 'product')).toBe(true);
  });

  it('gives vendor pages a rank out of their own kind, also in the rank history', () => {
    const agent = vendorSummaries(data).find((v) => v.id === 'reference-agent');
    const linux = agent?.platforms.find((p) => p.platform === 'linux');
    expect(linux?.score.kind).toBe('sensor');
    expect(linux?.vendorsOfKind).toBe(2);
    const cprot = vendorSummaries(data)
      .find((v) => v.id === 'c-prot')
      ?.platforms.find((p) => p.platform === 'linux');
    expect(cprot && rankOfKind(cprot.score, cprot.vendorsOfKind)).toBe(
      `1 of ${data.matrices.linux.vendors.filter((v) => v.kind === 'product').length} products`,
    );
    for (const point of cprot?.rankHistory ?? [])
      expect(point.of).toBeLessThanOrEqual(cprot?.vendorsOfKind ?? 0);
  });
});

describe('Not Tested counted apart', () => {
  it('says how many cells are untested, and nothing when none is', () => {
    expect(untestedText(0)).toBeUndefined();
    expect(untestedText(1)).toBe('1 cell untested');
    expect(untestedText(3)).toBe('3 cells untested');
    expect(countUntested(['yes', 'not-tested', undefined, 'no', 'not-tested'])).toBe(2);
  });

  it('lists a Not Tested cell under untested on the vendor page, never among the gaps', () => {
    const changed = withUntested(data, 'reference-agent', 'dns-query');
    const linux = vendorSummaries(changed)
      .find((v) => v.id === 'reference-agent')
      ?.platforms.find((p) => p.platform === 'linux');
    expect(linux?.untested.map((c) => c.subCategoryId)).toContain('dns-query');
    expect(linux?.gaps.map((c) => c.subCategoryId)).not.toContain('dns-query');
    expect(linux?.gaps.every((g) => g.status !== 'not-tested')).toBe(true);
  });

  it('counts Not Tested cells per column for the matrix headers', () => {
    const changed = withUntested(data, 'reference-agent', 'dns-query');
    const before = explorerData(data, 'linux').vendors.find((v) => v.id === 'reference-agent');
    const after = explorerData(changed, 'linux').vendors.find((v) => v.id === 'reference-agent');
    expect((after?.untested ?? 0) - (before?.untested ?? 0)).toBe(
      data.matrices.linux.categories
        .flatMap((c) => c.subCategories)
        .find((s) => s.id === 'dns-query')?.cells['reference-agent']?.status === 'not-tested'
        ? 0
        : 1,
    );
  });
});

describe('measured-versus-claimed disagreements', () => {
  const file = (comparison: unknown) =>
    JSON.stringify({ platform: 'linux', captures: [], comparison });

  it('keys each differing cell under both columns and skips cells that agree', async () => {
    const found = await loadDisagreements(
      async () => ['auditd-laurel.json', 'notes.txt'],
      async () =>
        file({
          vendor: 'auditd',
          name: 'Auditd',
          cells: {
            'user-logon': {
              claimed: 'no',
              measured: 'yes',
              agree: false,
              explanation: 'The capture shows it.',
            },
            'file-creation': {
              claimed: 'yes',
              measured: 'yes',
              agree: true,
              explanation: 'Agree.',
            },
          },
        }),
    );
    expect([...found.keys()].sort()).toEqual([
      'linux/user-logon--auditd',
      'linux/user-logon--auditd-laurel',
    ]);
    expect(found.get('linux/user-logon--auditd')).toEqual({
      platform: 'linux',
      subCategoryId: 'user-logon',
      measuredVendorId: 'auditd-laurel',
      claimedVendorId: 'auditd',
      claimedName: 'Auditd',
      measured: 'yes',
      claimed: 'no',
      explanation: 'The capture shows it.',
    });
  });

  it('reads no disagreement from an evidence file without a comparison', async () => {
    const found = await loadDisagreements(
      async () => ['reference-agent.json'],
      async () => JSON.stringify({ platform: 'linux' }),
    );
    expect(found.size).toBe(0);
  });

  it('fails with the file and path when a comparison is malformed', async () => {
    await expect(
      loadDisagreements(
        async () => ['auditd-laurel.json'],
        async () => file({ vendor: 'auditd', name: 'Auditd', cells: { x: { claimed: 'Yes' } } }),
      ),
    ).rejects.toThrow(
      /^data\/evidence\/auditd-laurel\.json → comparison: comparison\.cells\.x\.claimed/,
    );
  });
});
