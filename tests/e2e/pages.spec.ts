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

for (const path of pages) {
  test.describe(path, () => {
    for (const scheme of ['light', 'dark'] as const) {
      test(`loads cleanly and passes axe (${scheme})`, async ({ page }) => {
        await page.emulateMedia({ colorScheme: scheme });
        const errors = watchErrors(page);
        const response = await page.goto(path);
        expect(response?.status()).toBe(200);
        await settle(page);
        expect(errors).toEqual([]);
        const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
        const summary = results.violations.map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes
              .slice(0, 3)
              .map((n) => n.target.join(' '))
              .join('\n  ')}`,
        );
        expect(summary).toEqual([]);
      });
    }
  });
}
