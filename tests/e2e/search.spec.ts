/** Site search on the static build: Pagefind loads lazily under the CSP and finds real content. */
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { loadDataset } from '../../scoring/dataset.ts';
import { watchErrors } from './site.ts';

test('typing a query finds the sub-category on the categories page, without console errors', async ({
  page,
}) => {
  const data = await loadDataset(resolve('data'));
  const description = data.descriptions.platforms.linux['memory-backed-file-creation'];
  expect(description).toBeDefined();
  const errors = watchErrors(page);
  const loaded: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/pagefind/')) loaded.push(r.url());
  });
  await page.goto('/search/');
  expect(loaded, 'Pagefind must not load before the reader searches').toEqual([]);
  const box = page.getByRole('searchbox', { name: /Search products/ });
  await box.click();
  await page.keyboard.type('memfd_create');
  await expect(page.getByRole('status')).toContainText(/match “memfd_create”/);
  const results = page.locator('#search-results');
  await expect(results.getByRole('link', { name: 'Categories' })).toBeVisible();
  await expect(
    results.getByRole('link', { name: 'Memory-Backed File Creation' }).first(),
  ).toHaveAttribute('href', /\/categories\/#linux-memory-backed-file-creation$/);
  await expect(results.locator('mark').first()).toBeVisible();
  await expect(page).toHaveURL(/\?q=memfd_create$/);
  expect(errors).toEqual([]);
});

test('a shared search link runs the search, and a product name finds its pages', async ({
  page,
}) => {
  await page.goto('/search/?q=CrowdStrike');
  await expect(page.getByRole('searchbox', { name: /Search products/ })).toHaveValue('CrowdStrike');
  await expect(page.getByRole('status')).toContainText(/pages? match “CrowdStrike”/);
  await expect(page.locator('#search-results > li')).not.toHaveCount(0);
});

test('a query with no match says so', async ({ page }) => {
  await page.goto('/search/');
  await page.getByRole('searchbox', { name: /Search products/ }).fill('zzqqxxnothing');
  await expect(page.getByRole('status')).toHaveText('No results for “zzqqxxnothing”.');
});

test('the search page points to the pages that list everything, for readers without JavaScript', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/search/');
  await expect(page.getByText('Search runs in your browser and needs JavaScript')).toBeVisible();
  await expect(page.getByRole('link', { name: 'categories page' })).toHaveAttribute(
    'href',
    '/categories/',
  );
  await context.close();
});
