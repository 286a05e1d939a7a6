/**
 * The 404 page as `npm start` serves it for unknown paths (status 404, clean console, axe in
 * both themes, usable without JavaScript), the FAQ and criteria pages in the build, and the
 * preview images decoding in Chromium at their advertised size.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { builtPages, settle, watchErrors } from './site.ts';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];
const MISSING = '/no-such-page/';

test('the build has the FAQ and the inclusion criteria pages', () => {
  const pages = builtPages();
  expect(pages).toContain('/faq/');
  expect(pages).toContain('/criteria/');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`an unknown path gets the 404 page, cleanly and axe-clean (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const errors = watchErrors(page);
    const response = await page.goto(MISSING);
    expect(response?.status()).toBe(404);
    await settle(page);
    // The page's own 404 is the point; anything else failing is an error.
    expect(errors.filter((e) => !e.includes(MISSING) && !e.includes('404 (Not Found)'))).toEqual(
      [],
    );
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
    const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  });
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the 404 page links to every matrix and its search form opens the search page', async ({
    page,
  }) => {
    await page.goto(MISSING);
    const main = page.getByRole('main');
    for (const name of ['Linux matrix', 'Windows matrix', 'macOS matrix'])
      await expect(main.getByRole('link', { name })).toBeVisible();
    await main.getByRole('searchbox').fill('dns');
    await main.getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(/\/search\/\?q=dns$/);
  });
});

test('every preview image a page names decodes in Chromium at 1200×630', async ({ page }) => {
  const paths = new Set<string>();
  for (const path of ['/', '/linux/', '/windows/', '/macos/', '/vendors/elastic/', '/faq/']) {
    await page.goto(path);
    const url = await page.locator('meta[property="og:image"]').getAttribute('content');
    expect(url, path).toBeTruthy();
    paths.add(new URL(url ?? '').pathname);
  }
  for (const path of paths) {
    const response = await page.goto(path);
    expect(response?.headers()['content-type'], path).toContain('image/png');
    const size = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }, path);
    expect(size, path).toEqual([1200, 630]);
  }
});
