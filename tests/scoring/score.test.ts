import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCoreData } from '../../scoring/dataset.ts';
import type { PlatformMatrix, StatusValues } from '../../scoring/schema.ts';
import { maxScore, roundScore, scorePlatform } from '../../scoring/score.ts';
import { applyWeightOverrides } from '../../scoring/weight-overrides.ts';
import { DATA_DIR, UPSTREAM_FIXTURE } from './upstream-fixture.ts';

const values: StatusValues = {
  yes: 1,
  'via-enabling-telemetry': 1,
  partially: 0.5,
  'via-event-logs': 0.5,
  'pending-response': 0,
  'not-tested': 0,
  no: 0,
};

function tinyMatrix(
  cells: Record<
    string,
    Record<
      string,
      PlatformMatrix['categories'][number]['subCategories'][number]['cells'][string]['status']
    >
  >,
): PlatformMatrix {
  const vendors = Object.keys(Object.values(cells)[0] ?? {});
  return {
    schemaVersion: 1,
    platform: { id: 'linux', name: 'Linux', upstreamName: 'linux' },
    vendors: vendors.map((id) => ({
      id,
      name: id.toUpperCase(),
      source: 'claimed',
      kind: 'product',
    })),
    categories: [
      {
        id: 'c',
        name: 'C',
        subCategories: Object.entries(cells).map(([id, row]) => ({
          id,
          name: id,
          cells: Object.fromEntries(Object.entries(row).map(([v, status]) => [v, { status }])),
        })),
      },
    ],
  };
}

describe('scorePlatform', () => {
  it('sums status value × weight per vendor', () => {
    const matrix = tinyMatrix({
      a: { x: 'yes', y: 'partially' },
      b: { x: 'no', y: 'via-event-logs' },
    });
    const scores = scorePlatform(matrix, { a: 1, b: 0.7 }, values);
    expect(scores.map(({ vendorId, score }) => [vendorId, score])).toEqual(
      [
        ['y', 0.85],
        ['x', 1],
      ].sort((p, q) => Number(q[1]) - Number(p[1])),
    );
  });

  it('gives equal scores the same rank and skips the next', () => {
    const matrix = tinyMatrix({ a: { x: 'yes', y: 'yes', z: 'no' } });
    expect(scorePlatform(matrix, { a: 1 }, values).map((s) => [s.vendor, s.rank])).toEqual([
      ['X', 1],
      ['Y', 1],
      ['Z', 3],
    ]);
  });

  it('has no floating-point drift at 0.01', () => {
    // 0.1 + 0.2 and friends: 7 × 0.35 = 2.4499999999999997 in floats.
    const rows = Object.fromEntries(
      Array.from({ length: 7 }, (_, i) => [`r${i}`, { x: 'partially' as const }]),
    );
    const [x] = scorePlatform(
      tinyMatrix(rows),
      Object.fromEntries(Object.keys(rows).map((k) => [k, 0.7])),
      values,
    );
    expect(x?.score).toBe(2.45);
    expect(roundScore(36.949999999)).toBe(36.95);
  });

  it('reports the share of the maximum', () => {
    const matrix = tinyMatrix({ a: { x: 'yes' }, b: { x: 'no' } });
    expect(maxScore(matrix, { a: 1, b: 3 }, values)).toBe(4);
    expect(scorePlatform(matrix, { a: 1, b: 3 }, values)[0]?.share).toBe(0.25);
  });
});

describe('golden scores on the imported data', () => {
  it("matches upstream's published Linux and macOS scores exactly", async () => {
    const data = await loadCoreData(DATA_DIR);
    const published = JSON.parse(
      await readFile(join(UPSTREAM_FIXTURE, 'current_vendor_scores.json'), 'utf8'),
    ) as {
      platform: string;
      score: number;
      vendor_display_name: string;
    }[];
    for (const platform of ['linux', 'macos'] as const) {
      // Measured rows (data/measured/) are this project's own; upstream only scores claimed vendors.
      const claimed = new Set(
        data.matrices[platform].vendors.filter((v) => v.source === 'claimed').map((v) => v.id),
      );
      const ours = scorePlatform(
        data.matrices[platform],
        data.weights.platforms[platform],
        data.weights.statusValues,
      ).filter((s) => claimed.has(s.vendorId));
      const theirs = published.filter((p) => p.platform === platform);
      // Upstream publishes some vendors under longer display names, so compare the score lists.
      expect(ours.map((s) => s.score)).toEqual(theirs.map((p) => p.score).sort((a, b) => b - a));
    }
  });

  it('ranks Windows with the BITS Jobs weight restored: Uptycs first, Harfanglab fourth', async () => {
    const data = await loadCoreData(DATA_DIR);
    const windows = scorePlatform(
      data.matrices.windows,
      data.weights.platforms.windows,
      data.weights.statusValues,
    );
    expect(windows.slice(0, 4).map((s) => [s.rank, s.vendor, s.score])).toEqual([
      [1, 'Uptycs', 39.1],
      [2, 'Cortex XDR', 38.8],
      [3, 'C-Prot', 38.6],
      [4, 'Harfanglab', 38.35],
    ]);
  });
});

describe('applyWeightOverrides', () => {
  it('accepts ids and names and changes the ranking', async () => {
    const data = await loadCoreData(DATA_DIR);
    const result = applyWeightOverrides(
      data.weights,
      data.matrices,
      { linux: { 'process-creation': 5, 'DNS Query': 0 } },
      'w.json',
    );
    if (!result.ok) throw new Error('overrides rejected');
    expect(result.weights.platforms.linux['process-creation']).toBe(5);
    expect(result.weights.platforms.linux['dns-query']).toBe(0);
    expect(data.weights.platforms.linux['process-creation']).toBe(1);
  });

  it('rejects unknown platforms, unknown rows, negative and non-numeric weights, all at once', async () => {
    const data = await loadCoreData(DATA_DIR);
    const result = applyWeightOverrides(
      data.weights,
      data.matrices,
      { bsd: {}, linux: { 'no-such-row': 1, 'Process Creation': -2, 'dns-query': 'high' } },
      'w.json',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toMatchInlineSnapshot(`
      [
        "bsd: unknown platform; expected one of linux, windows, macos.",
        "linux.no-such-row: no sub-category with this id or name in the linux matrix.",
        "linux.Process Creation: a weight cannot be negative; received -2.",
        "linux.dns-query: a weight is a number; received "high".",
      ]
    `);
  });
});
