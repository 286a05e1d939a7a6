/**
 * Every page the build emits: loads without console errors, page errors, failed requests or CSP
 * violations, and axe finds no WCAG 2.2 AA violation in the light or the dark theme.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { builtPages, settle, watchErrors } from './site.ts';

const pages = builtPages();
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];

test('the build has every page the site links from its navigation', () => {
  expect(
    pages.length,
    'dist/ is empty: run "npm run build" before the browser tests',
  ).toBeGreaterThan(0);
  for (const path of [
    '/',
    '/linux/',
    '/windows/',
    '/macos/',
    '/categories/',
    '/history/',
    '/methodology/',
    '/contribute/',
    '/search/',
  ]) {
    expect(pages).toContain(path);
  }
});

/**
 * The dark theme is one `prefers-color-scheme` block in global.css that changes colours only, so
 * the page is loaded and fully checked once, then re-checked in dark with axe's colour rules:
 * half the page loads and full axe passes of checking both themes from scratch.
 */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

function violations(results: Awaited<ReturnType<AxeBuilder['analyze']>>): string[] {
  return results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join('\n  ')}`,
  );
}

// Two axe passes per test (the full one and the dark theme's colours): the largest pages (the
// Windows matrix, the categories page) need more than the default minute on a loaded 2-core host.
test.describe.configure({ timeout: 180_000 });

for (const path of pages) {
  test(`${path} loads cleanly and passes axe (light, then dark colours)`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'light' });
    const errors = watchErrors(page);
    const response = await page.goto(path);
    expect(response?.status()).toBe(200);
    await settle(page);
    expect(errors).toEqual([]);
    expect(violations(await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze())).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(
      await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches),
      'the dark scheme applies without a reload',
    ).toBe(true);
    const dark = await new AxeBuilder({ page }).withRules(COLOUR_RULES).analyze();
    expect(violations(dark)).toEqual([]);
    expect(errors).toEqual([]);
  });
}
