/**
 * Provenance in the browser: a cell's panel lists its assertions (with and without JavaScript),
 * the basis markers are explained by a legend, both pass axe while open, and the weights lab's
 * "evidence-backed cells only" switch works from the keyboard and lives in the link.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];
const MEASURED = 'dns-query--reference-agent';

async function axe(page: import('@playwright/test').Page, selector: string) {
  const results = await new AxeBuilder({ page }).include(selector).withTags(AXE_TAGS).analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes[0]?.target.join(' ')})`);
}

test('a measured cell’s panel lists its assertion: who, version, host, window, how verified, link', async ({
  page,
}) => {
  await page.goto(`/linux/#${MEASURED}`);
  const panel = page.locator(`#${MEASURED}`);
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('listitem')).toContainText('Measured');
  await expect(panel).toContainText('measured by CI');
  for (const label of ['Tester', 'Product', 'Host', 'Time window', 'Sensor'])
    await expect(panel.getByRole('term').filter({ hasText: label })).toBeVisible();
  await expect(panel.getByRole('link', { name: 'evidence record' })).toHaveAttribute(
    'href',
    /\/data\/evidence\/reference-agent\.json#dns-query$/,
  );
  expect(await axe(page, `#${MEASURED}`)).toEqual([]);
});

test('the cell itself carries a marker that does not rely on colour, and says its basis in its name', async ({
  page,
}) => {
  await page.goto('/linux/');
  const cell = page.locator(`td[data-basis="measured"] a[href="#${MEASURED}"]`);
  await expect(cell).toHaveAccessibleName(/\(measured\)$/);
  await expect(cell.locator('.basis')).toHaveText('M');
  // Every cell states its basis for filters, claims included.
  const bases = await page
    .locator('#static-matrix td[data-status]')
    .evaluateAll((tds) => [...new Set(tds.map((td) => td.getAttribute('data-basis')))].sort());
  expect(bases).toContain('claimed');
  expect(bases).toContain('measured');
  expect(bases.every((b) => b !== null)).toBe(true);
});

test('without JavaScript a claimed cell’s panel links its pull request, or the commit of a direct one', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/linux/');
  for (const [source, name] of [
    ['/pull/', /^PR #\d+$/],
    ['/commit/', /^commit [0-9a-f]{7}$/],
  ] as const) {
    const id = await page
      .locator(`.cell-detail:has(a[href*="${source}"])`)
      .first()
      .getAttribute('id');
    expect(id, source).toBeTruthy();
    await page.goto(`/linux/#${id}`);
    const panel = page.locator(`[id="${id}"]`);
    await expect(panel).toBeVisible();
    await expect(panel).toContainText('claimed in');
    await expect(panel.getByRole('link', { name }).first()).toBeVisible();
  }
  await context.close();
});

test('the legend explains every marker and passes axe when open', async ({ page }) => {
  // The smallest matrix page: the legend is the same component on all three.
  await page.goto('/macos/');
  await page.getByText('How to read a cell').click();
  const legend = page.locator('.basis-legend');
  await expect(page.getByRole('heading', { name: 'How each status is known' })).toBeVisible();
  const markers: [string, string][] = [
    ['E', 'evidence'],
    ['M', 'measured'],
    ['≠', 'assertions disagree'],
    ['?', 'untested'],
  ];
  for (const [symbol, words] of markers) {
    await expect(legend.getByRole('term').filter({ hasText: words })).toContainText(symbol);
  }
  expect(await axe(page, '.legend-box')).toEqual([]);
});

test('the weights lab counts only evidence-backed cells from the keyboard, and the link keeps it', async ({
  page,
}) => {
  await page.goto('/scores/#your-weights');
  const lab = page.locator('.lab');
  await lab.scrollIntoViewIfNeeded();
  const toggle = page.getByRole('checkbox', { name: /Count only evidence-backed cells/ });
  await expect(toggle).toBeEnabled();
  const scoreOf = async (name: string) =>
    Number(
      await page
        .getByRole('table', { name: /Ranking of Linux with your weights/ })
        .getByRole('row', { name: new RegExp(name) })
        .getByRole('cell')
        .nth(1)
        .textContent(),
    );
  const sensorBefore = await scoreOf('reference agent');
  await toggle.focus();
  await page.keyboard.press('Space');
  await expect(toggle).toBeChecked();
  await expect(page).toHaveURL(/[?&]backed=1/);
  await expect(page.locator('.lab-summary')).toContainText('evidence-backed cells count');
  // The reference agent is measured in every cell, so its score stands; products whose cells are
  // claims only fall to 0.
  expect(await scoreOf('reference agent')).toBe(sensorBefore);
  await page.reload();
  await expect(
    page.getByRole('checkbox', { name: /Count only evidence-backed cells/ }),
  ).toBeChecked();
  expect(await axe(page, '.lab')).toEqual([]);
});
