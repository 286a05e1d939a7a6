/**
 * A reader who taps the filter box and types at once, before the matrix island has loaded: the
 * island's script is held back at the network, so the keystrokes land while only the static page
 * and its small pre-filter script run. Every character must reach the box, the static table must
 * filter, and the island must take over the text, caret and focus unchanged when it arrives.
 * Functional only; how fast this is lives in `npm run bench:site`.
 */
import { resolve } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { type Dataset, loadDataset, matrixRows } from '../../scoring/dataset.ts';

let data: Dataset;
test.beforeAll(async () => {
  data = await loadDataset(resolve('data'));
});

const shownRows = (page: Page) => page.locator('#static-matrix tbody tr[data-sub]:visible');
const filterBox = (page: Page) => page.getByLabel('Filter sub-categories');

/** Sub-categories whose name, id or category name hold `text`, worked out here from the data. */
function expectedRows(text: string): string[] {
  return matrixRows(data.matrices.windows)
    .filter(({ sub, category }) =>
      [sub.name, sub.id, category.name].some((s) => s.toLowerCase().includes(text)),
    )
    .map(({ sub }) => sub.id);
}

async function caret(page: Page) {
  return filterBox(page).evaluate((el: HTMLInputElement) => ({
    start: el.selectionStart,
    end: el.selectionEnd,
    focused: document.activeElement === el,
  }));
}

test('keystrokes typed before the island loads all land, filter the table and survive hydration', async ({
  page,
}) => {
  // Two page loads and a held request; a loaded machine needs more than the default minute.
  test.slow();
  let release: () => void = () => {};
  const held = new Promise<void>((done) => {
    release = done;
  });
  let asked = false;
  await page.route(/\/_astro\/MatrixExplorer\.[^/]+\.js$/, async (route) => {
    asked = true;
    await held;
    await route.continue();
  });
  await page.goto('/windows/');

  // The first tap on the box, then typing at once: nothing waits for the island.
  await filterBox(page).click();
  await page.keyboard.type('dns');
  await page.keyboard.press('ArrowLeft');
  await expect(filterBox(page)).toHaveValue('dns');
  expect(await caret(page)).toEqual({ start: 2, end: 2, focused: true });
  const wanted = expectedRows('dns');
  expect(wanted.length, 'Windows rows matching "dns" in data/').toBeGreaterThan(0);
  await expect(shownRows(page)).toHaveCount(wanted.length);
  expect(await shownRows(page).evaluateAll((rows) => rows.map((r) => r.dataset.sub))).toEqual(
    wanted,
  );
  const total = matrixRows(data.matrices.windows).length;
  await expect(page.getByText(`Showing ${wanted.length} of ${total} sub-categories`)).toBeVisible();
  // The island was asked for (the tap started it) and has not run yet.
  expect(asked).toBe(true);
  await expect(page.locator('.explorer form[data-ready]')).toHaveCount(0);

  release();
  await expect(page.locator('.explorer form[data-ready]')).toBeAttached({ timeout: 30_000 });
  await expect(filterBox(page)).toHaveValue('dns');
  expect(await caret(page)).toEqual({ start: 2, end: 2, focused: true });
  await expect(page).toHaveURL(/[?&]q=dns(&|$)/);
  await expect(shownRows(page)).toHaveCount(wanted.length);

  // Typing goes on where the caret was left, now through the island.
  await page.keyboard.type('x');
  await expect(filterBox(page)).toHaveValue('dnxs');
  expect(await caret(page)).toEqual({ start: 3, end: 3, focused: true });
  await expect(shownRows(page)).toHaveCount(expectedRows('dnxs').length);
  await expect(page).toHaveURL(/[?&]q=dnxs(&|$)/);
});

test('without JavaScript the toolbar stays hidden and the whole static table shows', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/windows/');
  await expect(page.locator('.explorer')).toBeHidden();
  await expect(shownRows(page)).toHaveCount(matrixRows(data.matrices.windows).length);
  // The sort and fold buttons come from the island; without it nothing pretends to work.
  await expect(page.locator('#static-matrix button')).toHaveCount(0);
  await context.close();
});
