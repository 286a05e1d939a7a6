/**
 * "Your own weights" on /scores/: a reader changes weights by typing and clicking, and the
 * ranking shown equals what scoring/score.ts computes for the same weights; the link keeps them.
 */
import { resolve } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { type Dataset, loadDataset } from '../../scoring/dataset.ts';
import type { PlatformId } from '../../scoring/schema.ts';
import { leaders, scorePlatform } from '../../scoring/score.ts';

let data: Dataset;
test.beforeAll(async () => {
  data = await loadDataset(resolve('data'));
});

function expectedRanking(platform: PlatformId, overrides: Record<string, number>) {
  const weights = { ...data.weights.platforms[platform], ...overrides };
  return scorePlatform(data.matrices[platform], weights, data.weights.statusValues);
}

async function rankingRows(page: Page, platformName: string) {
  const table = page.getByRole('table', { name: `Ranking of ${platformName} with your weights` });
  await expect(table).toBeVisible();
  return table.getByRole('row');
}

async function openLab(page: Page, path = '/scores/') {
  await page.goto(path);
  await page.locator('#your-weights').scrollIntoViewIfNeeded();
  await expect(
    page.getByRole('group', { name: 'Platform' }).getByRole('radio').first(),
  ).toBeEnabled();
}

test('typing a weight re-ranks with the scoring library and the link restores it', async ({
  page,
}) => {
  await openLab(page);
  await page
    .getByRole('group', { name: 'Platform' })
    .getByRole('radio', { name: 'Windows' })
    .check();
  const bits = data.matrices.windows.categories
    .flatMap((c) => c.subCategories)
    .find((s) => s.id === 'bits-jobs-activity');
  if (!bits) throw new Error('no BITS Jobs Activity row on Windows');
  const box = page.getByRole('textbox', { name: new RegExp(`^${bits.name} \\(`) });
  await box.click();
  await box.press('Control+A');
  await page.keyboard.type('0');
  const expected = expectedRanking('windows', { [bits.id]: 0 });
  const rows = await rankingRows(page, 'Windows');
  await expect(rows.nth(1).getByRole('rowheader')).toHaveText(expected[0]?.vendor ?? '?');
  await expect(rows.nth(1)).toContainText((expected[0]?.score ?? -1).toFixed(2));
  await expect(page).toHaveURL(/windows=bits-jobs-activity:0/);

  await page.reload();
  await page.locator('#your-weights').scrollIntoViewIfNeeded();
  await expect(page.getByRole('textbox', { name: new RegExp(`^${bits.name} \\(`) })).toHaveValue(
    '0',
  );
  const again = await rankingRows(page, 'Windows');
  await expect(again.nth(1).getByRole('rowheader')).toHaveText(expected[0]?.vendor ?? '?');
});

test('zeroing a category re-ranks as the scoring library does, and restoring undoes it', async ({
  page,
}) => {
  await openLab(page);
  const category = data.matrices.linux.categories[0];
  if (!category) throw new Error('no Linux category');
  await page.getByRole('button', { name: `Zero ${category.name}` }).click();
  const zeroed = Object.fromEntries(category.subCategories.map((s) => [s.id, 0]));
  const expected = expectedRanking('linux', zeroed);
  const rows = await rankingRows(page, 'Linux');
  for (const [i, score] of expected.slice(0, 3).entries()) {
    await expect(rows.nth(i + 1)).toContainText(score.vendor);
    await expect(rows.nth(i + 1)).toContainText(score.score.toFixed(2));
  }
  await page.getByRole('button', { name: `Restore ${category.name}` }).click();
  const published = expectedRanking('linux', {});
  await expect(rows.nth(1)).toContainText(published[0]?.vendor ?? '?');
  await expect(rows.nth(1)).toContainText((published[0]?.score ?? -1).toFixed(2));
});

test('the lab ranks measured sensors among sensors, after the products, and names the best product first', async ({
  page,
}) => {
  await openLab(page);
  const expected = expectedRanking('linux', {});
  const rows = await rankingRows(page, 'Linux');
  await expect(rows).toHaveCount(expected.length + 1);
  for (const [i, score] of expected.entries()) {
    const rank = rows
      .nth(i + 1)
      .getByRole('cell')
      .first();
    await expect(rank).toHaveText(
      score.kind === 'sensor' ? `sensor #${score.rank}` : `#${score.rank}`,
    );
  }
  const [leader] = leaders(expected);
  await expect(page.locator('.lab-summary')).toContainText(
    `${leader?.vendor} ranks first among products`,
  );
});

test('an invalid weight is refused with a message and the last valid weight still counts', async ({
  page,
}) => {
  await openLab(page);
  const sub = data.matrices.linux.categories[0]?.subCategories[0];
  if (!sub) throw new Error('no Linux row');
  const box = page.getByRole('textbox', { name: new RegExp(`^${sub.name} \\(`) });
  await box.fill('abc');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  const published = data.weights.platforms.linux[sub.id];
  await expect(page.getByText(`the score uses ${published}.`, { exact: false })).toBeVisible();
  const rows = await rankingRows(page, 'Linux');
  const ranking = expectedRanking('linux', {});
  await expect(rows.nth(1)).toContainText((ranking[0]?.score ?? -1).toFixed(2));
});
