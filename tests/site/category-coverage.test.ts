/**
 * Category weight and per-category coverage come from `scoring/score.ts` alone; these tests hold
 * them against a reference computed another way: straight from the JSON files in data/, read with
 * JSON.parse, in integer hundredths so no float sum is shared with the code under test.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, loadDataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS } from '../../scoring/schema.ts';
import { categoryCoverage, categoryWeight } from '../../scoring/score.ts';

const dataDir = resolve(import.meta.dirname, '../../data');
const readJson = (path: string): unknown =>
  JSON.parse(readFileSync(resolve(dataDir, path), 'utf8'));

interface RawMatrix {
  vendors: { id: string }[];
  categories: {
    id: string;
    subCategories: { id: string; cells: Record<string, { status: string }> }[];
  }[];
}
interface RawWeights {
  statusValues: Record<string, number>;
  platforms: Record<string, Record<string, number>>;
}

const rawWeights = readJson('weights.json') as RawWeights;
const hundredths = (n: number) => Math.round(n * 100);

let data: Dataset;
beforeAll(async () => {
  data = await loadDataset(dataDir);
});

describe('categoryWeight', () => {
  it('is the sum of the weights data/weights.json gives the category’s sub-categories', () => {
    for (const platform of PLATFORM_IDS) {
      const raw = readJson(`matrices/${platform}.json`) as RawMatrix;
      const weights = rawWeights.platforms[platform] ?? {};
      for (const category of raw.categories) {
        let expected = 0;
        for (const sub of category.subCategories) expected += hundredths(weights[sub.id] ?? 0);
        const loaded = data.matrices[platform].categories.find((c) => c.id === category.id);
        if (!loaded) throw new Error(`${platform}/${category.id} missing from the dataset`);
        expect(
          hundredths(categoryWeight(loaded, data.weights.platforms[platform])),
          `${platform}/${category.id}`,
        ).toBe(expected);
      }
    }
  });

  it('counts a sub-category without a weight as 0', () => {
    const category = { id: 'c', name: 'C', subCategories: [{ id: 'a', name: 'A', cells: {} }] };
    expect(categoryWeight(category, {})).toBe(0);
  });
});

describe('categoryCoverage', () => {
  it('earns status value × weight per cell and could earn the best value × weight per row', () => {
    const best = Math.max(...Object.values(rawWeights.statusValues));
    for (const platform of PLATFORM_IDS) {
      const raw = readJson(`matrices/${platform}.json`) as RawMatrix;
      const weights = rawWeights.platforms[platform] ?? {};
      for (const vendor of raw.vendors) {
        for (const category of raw.categories) {
          let earned = 0;
          let possible = 0;
          for (const sub of category.subCategories) {
            const w = hundredths(weights[sub.id] ?? 0);
            possible += hundredths(best) * w;
            const cell = sub.cells[vendor.id];
            if (cell) earned += hundredths(rawWeights.statusValues[cell.status] ?? Number.NaN) * w;
          }
          const loaded = data.matrices[platform].categories.find((c) => c.id === category.id);
          if (!loaded) throw new Error(`${platform}/${category.id} missing from the dataset`);
          const got = categoryCoverage(
            loaded,
            vendor.id,
            data.weights.platforms[platform],
            data.weights.statusValues,
          );
          // Reference in ten-thousandths (value and weight both in hundredths), rounded to 0.01.
          const where = `${platform}/${category.id}/${vendor.id}`;
          expect(hundredths(got.earned), where).toBe(Math.round(earned / 100));
          expect(hundredths(got.possible), where).toBe(Math.round(possible / 100));
        }
      }
    }
  });
});
