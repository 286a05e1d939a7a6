import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, loadDataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS } from '../../scoring/schema.ts';
import { scorePlatform } from '../../scoring/score.ts';
import { cellId } from '../../src/lib/cell.ts';
import { explorerData } from '../../src/lib/explorer-data.ts';
import { rowWeights, toPlatformMatrix } from '../../src/lib/explorer-matrix.ts';
import { disputeUrl, evidenceUrl } from '../../src/lib/matrix.ts';
import { PROJECT_REPO_URL } from '../../src/lib/site.ts';
import { rankOf, vendorSummaries } from '../../src/lib/vendors.ts';

let data: Dataset;
beforeAll(async () => {
  data = await loadDataset(resolve(import.meta.dirname, '../../data'));
});

describe('cell permalinks', () => {
  it('joins sub-category and vendor ids with a double hyphen', () => {
    expect(cellId('dns-query', 'carbon-black-cloud')).toBe('dns-query--carbon-black-cloud');
  });
});

describe('dispute and evidence links', () => {
  it('opens a new issue on the project repository with the cell in the title', () => {
    const url = new URL(disputeUrl('linux', 'dns-query', 'carbon-black-cloud'));
    expect(`${url.origin}${url.pathname}`).toBe(`${PROJECT_REPO_URL}/issues/new`);
    expect(url.searchParams.get('title')).toBe('Dispute linux/dns-query/carbon-black-cloud');
    // Anything outside the slug alphabet is still escaped, never passed through.
    expect(new URL(disputeUrl('linux', 'a&b', 'c d')).searchParams.get('title')).toBe(
      'Dispute linux/a&b/c d',
    );
  });

  it('points evidence refs at the file under data/ with its anchor', () => {
    expect(evidenceUrl('evidence/agent.json#dns-query')).toBe(
      `${PROJECT_REPO_URL}/blob/main/data/evidence/agent.json#dns-query`,
    );
    expect(evidenceUrl('evidence/agent.json')).toBe(
      `${PROJECT_REPO_URL}/blob/main/data/evidence/agent.json`,
    );
  });
});

describe('the compact island data', () => {
  it('rebuilds matrices that score exactly like the build does, on every platform', () => {
    for (const platform of PLATFORM_IDS) {
      const compact = explorerData(data, platform);
      const rebuilt = toPlatformMatrix(compact);
      const values = data.weights.statusValues;
      expect(scorePlatform(rebuilt, rowWeights(compact), values), platform).toEqual(
        scorePlatform(data.matrices[platform], data.weights.platforms[platform], values),
      );
    }
  });

  it('carries every sub-category and vendor of the matrix', () => {
    const compact = explorerData(data, 'windows');
    const matrix = data.matrices.windows;
    expect(compact.vendors.map((v) => v.id)).toEqual(matrix.vendors.map((v) => v.id));
    expect(compact.rows.map((r) => r.id)).toEqual(
      matrix.categories.flatMap((c) => c.subCategories.map((s) => s.id)),
    );
  });
});

describe('vendor summaries', () => {
  it('ranks with ties sharing a rank', () => {
    expect(rankOf(10, [12, 10, 10, 3])).toBe(2);
    expect(rankOf(3, [12, 10, 10, 3])).toBe(4);
  });

  it('adds category points up to the vendor score on each platform', () => {
    for (const vendor of vendorSummaries(data)) {
      for (const p of vendor.platforms) {
        const sum = p.categories.reduce((s, c) => s + c.earned, 0);
        expect(Math.round(sum * 100) / 100, `${vendor.id} on ${p.platform}`).toBeCloseTo(
          p.score.score,
          1,
        );
        for (const gap of p.gaps) expect(data.weights.statusValues[gap.status]).toBe(0);
        for (const r of p.reasoned) {
          expect(r.reason).toBeTruthy();
          expect(data.statuses.byId.get(r.status)?.takesReason, r.subCategoryId).toBe(true);
        }
      }
    }
  });
});
