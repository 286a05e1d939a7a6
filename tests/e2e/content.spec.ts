/**
 * The overview pages in a browser: home leaders, the history chart and its table alternative,
 * methodology's correction effect, categories, all checked against the data and scoring library.
 */
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { type Dataset, loadDataset, matrixRows } from '../../scoring/dataset.ts';
import { PLATFORM_IDS } from '../../scoring/schema.ts';
import { leaders, scorePlatform } from '../../scoring/score.ts';
import { commitsNewestFirst } from '../../src/lib/changes.ts';

let data: Dataset;
test.beforeAll(async () => {
  data = await loadDataset(resolve('data'));
});

test.describe('with JavaScript off', () => {
  test.use({ javaScriptEnabled: false });

  test('home names each platform’s leader among the products, measured sensors apart, and links the latest pull request', async ({
    page,
  }) => {
    await page.goto('/');
    for (const platform of PLATFORM_IDS) {
      const matrix = data.matrices[platform];
      const scores = scorePlatform(
        matrix,
        data.weights.platforms[platform],
        data.weights.statusValues,
      );
      const [leader] = leaders(scores);
      const card = page.locator('.platforms > li', {
        has: page.getByRole('heading', { name: matrix.platform.name }),
      });
      await expect(card).toContainText(`Leader: ${leader?.vendor} with ${leader?.score} points`);
      for (const m of scores.filter((s) => s.kind === 'sensor'))
        await expect(card.getByText(/^Measured by CI/)).toContainText(
          `${m.vendor}, ${m.score}, sensor #${m.rank}`,
        );
    }
    for (const status of data.statuses.list) {
      await expect(page.locator('.legend')).toContainText(status.label);
    }
    const latest = commitsNewestFirst(data.history.entries)[0];
    if (latest?.pr) {
      await expect(page.getByRole('link', { name: `PR #${latest.pr}` }).first()).toHaveAttribute(
        'href',
        `https://github.com/tsale/EDR-Telemetry/pull/${latest.pr}`,
      );
    }
  });

  test('categories lists every sub-category with its description and weight', async ({ page }) => {
    // About 130 articles checked one by one: 54 s alone on a loaded 2-core machine, near the 60 s default.
    test.setTimeout(150_000);
    await page.goto('/categories/');
    for (const platform of PLATFORM_IDS) {
      for (const { sub } of matrixRows(data.matrices[platform])) {
        const article = page.locator(`article:has(h4[id="${platform}-${sub.id}"])`);
        await expect(article.locator('h4')).toHaveText(sub.name);
        const description = data.descriptions.platforms[platform][sub.id];
        if (description) await expect(article).toContainText(description);
        await expect(article.locator('dd').first()).toHaveText(
          String(data.weights.platforms[platform][sub.id]),
        );
      }
    }
    const processCreation = page.locator('article:has(h4[id="windows-process-creation"])');
    const mitre = data.mitre.platforms.windows['process-creation']?.[0];
    if (mitre)
      await expect(processCreation.getByRole('link', { name: new RegExp(mitre.id) })).toBeVisible();
  });

  test('history has the score table and the newest changes without the chart', async ({ page }) => {
    await page.goto('/history/');
    const windows = page.getByRole('table', { name: /^Windows products/ });
    const scores = scorePlatform(
      data.matrices.windows,
      data.weights.platforms.windows,
      data.weights.statusValues,
    );
    const first = scores[0];
    await expect(windows.getByRole('row').nth(1).getByRole('rowheader')).toHaveText(
      first?.vendor ?? '?',
    );
    await expect(windows.getByRole('row').nth(1)).toContainText(String(first?.score));
    await expect(page.getByRole('link', { name: /^PR #\d+$/ }).first()).toBeVisible();
    await page.getByRole('link', { name: 'Older' }).first().click();
    await expect(page).toHaveURL(/\/history\/changes\/2\/$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Cell changes, page 2');
  });

  test('methodology shows the Windows ranking with and without corrections', async ({ page }) => {
    await page.goto('/methodology/');
    const table = page.getByRole('table', { name: /^Windows: with all corrections/ });
    await expect(table).toBeVisible();
    const harfanglab = table.getByRole('row', { name: /Harfanglab/ });
    // Upstream's files as-is rank Harfanglab first (the BITS weight key is misspelt there).
    await expect(harfanglab.getByRole('cell').nth(3)).toHaveText('1');
    await expect(page.locator('#correction-windows-bits-jobs-weight-key')).toContainText(
      'Undoing it alone moves',
    );
  });
});

test.describe('history chart', () => {
  test('draws the top products, adds a product when ticked and switches platform', async ({
    page,
  }) => {
    await page.goto('/history/');
    const chart = page.locator('.timeline-figure');
    await chart.scrollIntoViewIfNeeded();
    const lines = chart.locator('path.recharts-line-curve');
    await expect(lines).toHaveCount(5);
    const products = page.getByRole('group', { name: 'Products on the chart' });
    await expect(products.getByRole('checkbox', { checked: true })).toHaveCount(5);
    await products.getByRole('checkbox', { checked: false }).first().check();
    await expect(lines).toHaveCount(6);
    await page.getByLabel('Platform').selectOption('windows');
    const windowsTop = scorePlatform(
      data.matrices.windows,
      data.weights.platforms.windows,
      data.weights.statusValues,
    )[0];
    await expect(
      page
        .getByRole('group', { name: 'Products on the chart' })
        .getByRole('checkbox', { name: windowsTop?.vendor ?? '?', exact: true }),
    ).toBeChecked();
    await expect(lines).toHaveCount(5);
  });
});
