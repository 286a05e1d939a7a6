/**
 * The platform matrices in a real browser: the static HTML holds the whole matrix (checked against
 * the dataset, with JavaScript off too), no sideways page scroll at phone and desktop widths, and
 * the island's filters, vendor choice, ordering, sorting, URL state and export used as a reader
 * would.
 */
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { type Dataset, loadDataset, matrixRows } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, STATUS_IDS, type StatusId } from '../../scoring/schema.ts';
import { scorePlatform } from '../../scoring/score.ts';
import { type Disagreement, loadDisagreements } from '../../src/lib/disagreements.ts';
import { rankText } from '../../src/lib/ranking.ts';

let data: Dataset;
let disagreements: Map<string, Disagreement>;
test.beforeAll(async () => {
  data = await loadDataset(resolve('data'));
  disagreements = await loadDisagreements(
    () => readdir(resolve('data/evidence')),
    (name) => readFile(resolve('data/evidence', name), 'utf8'),
  );
});

/** The static table (what no-JS readers and crawlers get). */
const staticTable = (page: Page) => page.locator('#static-matrix table');
/** Rows the current view shows: the island draws its view on the static table itself. */
const shownRows = (page: Page) => staticTable(page).locator('tbody tr[data-sub]:visible');
/** Hydrated once the island marks its toolbar ready. */
const hydrated = (page: Page) => page.locator('.explorer form[data-ready]');

test.describe('static matrix', () => {
  for (const platform of PLATFORM_IDS) {
    test(`${platform}: every sub-category, category and vendor of the data is in the HTML, JavaScript off`, async ({
      browser,
    }) => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`/${platform}/`);
      const matrix = data.matrices[platform];
      const table = staticTable(page);
      const rowHeaders = (await table.locator('tbody th[scope="row"]').allInnerTexts()).map((t) =>
        t.trim(),
      );
      const rows = matrixRows(matrix);
      expect(rowHeaders).toHaveLength(rows.length);
      rows.forEach(({ sub }, i) => {
        expect(rowHeaders[i]).toContain(sub.name);
      });
      const groups = await table.locator('th[scope="rowgroup"]').allInnerTexts();
      expect(groups).toHaveLength(matrix.categories.length);
      matrix.categories.forEach((c, i) => {
        expect(groups[i]).toContain(c.name);
      });
      const vendorHeaders = await table.locator('thead th[scope="col"]').allInnerTexts();
      expect(vendorHeaders).toHaveLength(matrix.vendors.length + 1);
      const scores = scorePlatform(
        matrix,
        data.weights.platforms[platform],
        data.weights.statusValues,
      );
      for (const vendor of matrix.vendors) {
        const header = vendorHeaders.find((h) => h.includes(vendor.name));
        expect(header, vendor.name).toBeDefined();
        const score = scores.find((s) => s.vendorId === vendor.id);
        expect(header).toContain((score?.score ?? -1).toFixed(2));
        // A sensor's rank reads as a rank among sensors, never as a place among products.
        if (score) expect(header).toContain(rankText(score));
        if (score?.kind === 'sensor') expect(header).toMatch(/sensor #\d/);
      }
      // Every cell is present as a link to its permalink, with its status label as text.
      const cellLinks = table.locator('tbody td a[href^="#"]');
      expect(await cellLinks.count()).toBe(rows.length * matrix.vendors.length);
      await context.close();
    });
  }

  test('a cell permalink opens its detail without JavaScript', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const matrix = data.matrices.linux;
    const vendor = matrix.vendors[0];
    const sub = matrix.categories[0]?.subCategories[0];
    if (!vendor || !sub) throw new Error('the Linux matrix has no vendor or row');
    await page.goto('/linux/');
    await staticTable(page).locator(`a[href="#${sub.id}--${vendor.id}"]`).click();
    const detail = page.locator(`[id="${sub.id}--${vendor.id}"]`);
    await expect(detail).toBeVisible();
    await expect(detail.getByRole('heading')).toContainText(`${vendor.name} · ${sub.name}`);
    const cell = sub.cells[vendor.id];
    const label = cell && data.statuses.byId.get(cell.status)?.label;
    if (!label) throw new Error(`no status for ${sub.id}/${vendor.id}`);
    await expect(detail).toContainText(label);
    await expect(detail).toContainText('History:');
    await expect(detail.getByRole('link', { name: 'Dispute this cell' })).toHaveAttribute(
      'href',
      /^https:\/\/github\.com\/[^?]+\/issues\/new\?title=Dispute\+linux\//,
    );
    await detail.getByRole('link', { name: 'Close' }).click();
    await expect(detail).toBeHidden();
    await context.close();
  });

  test('a cell where measured and claimed differ shows both statuses and the cause without JavaScript', async ({
    browser,
  }) => {
    const [key, differs] = [...disagreements].find(([k]) => k.startsWith('linux/')) ?? [];
    // The committed auditd + LAUREL evidence differs from upstream's Auditd column on Linux.
    expect(differs, 'data/evidence/ records a disagreement on Linux').toBeTruthy();
    if (!differs || !key) return;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const id = key.slice('linux/'.length);
    await page.goto(`/linux/#${id}`);
    const detail = page.locator(`[id="${id}"]`);
    await expect(detail).toBeVisible();
    const label = (s: StatusId) => data.statuses.byId.get(s)?.label ?? s;
    await expect(detail).toContainText('Measured and claimed differ');
    await expect(detail).toContainText(
      `(measured) ${data.statuses.byId.get(differs.measured)?.symbol} ${label(differs.measured)}`,
    );
    await expect(detail).toContainText(
      `(claimed) ${data.statuses.byId.get(differs.claimed)?.symbol} ${label(differs.claimed)}`,
    );
    await expect(detail).toContainText(differs.explanation.slice(0, 60));
    await context.close();
  });
});

test.describe('page width', () => {
  for (const platform of PLATFORM_IDS) {
    for (const width of [375, 1440]) {
      // Checks overflow only; the screenshot is attached for a human to look at, not compared.
      test(`${platform} at ${width} px does not scroll sideways`, async ({ page }, testInfo) => {
        await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
        await page.goto(`/${platform}/`);
        await expect(staticTable(page)).toBeVisible();
        // The page itself must not scroll sideways; the matrix scrolls inside its container.
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow).toBeLessThanOrEqual(0);
        const path = testInfo.outputPath(`${platform}-${width}.png`);
        await page.screenshot({ path, fullPage: false });
        await testInfo.attach(`${platform}-${width}`, { path, contentType: 'image/png' });
      });
    }
  }
});

test.describe('matrix island (Linux)', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/linux/');
    // The island hydrates on the reader's first interaction, as a person moving the mouse would.
    await page.mouse.move(200, 200);
    // Loading and running the island can take a while on a busy machine; nothing else waits on it.
    await expect(hydrated(page)).toBeAttached({ timeout: 30_000 });
  });

  test('typing a filter shows only matching rows and keeps the view in the URL', async ({
    page,
  }) => {
    const total = matrixRows(data.matrices.linux).length;
    const filter = page.getByLabel('Filter sub-categories');
    await filter.click();
    await page.keyboard.type('dns');
    await expect(page.getByText(`Showing 1 of ${total} sub-categories`)).toBeVisible();
    await expect(shownRows(page)).toHaveCount(1);
    await expect(shownRows(page).first()).toContainText('DNS Query');
    await expect(page).toHaveURL(/[?&]q=dns/);

    await page.reload();
    await expect(page.getByLabel('Filter sub-categories')).toHaveValue('dns');
    await expect(shownRows(page)).toHaveCount(1);
  });

  test('choosing a status shows the rows where a shown product has it', async ({ page }) => {
    const matrix = data.matrices.linux;
    const status = data.statuses.byId.get('partially');
    if (!status) throw new Error('no "partially" status');
    const expected = matrixRows(matrix).filter(({ sub }) =>
      Object.values(sub.cells).some((c) => c.status === 'partially'),
    ).length;
    await page.getByText(/^Statuses/).click();
    await page.getByRole('checkbox', { name: status.label, exact: true }).check();
    await expect(
      page.getByText(`Showing ${expected} of ${matrixRows(matrix).length} sub-categories`),
    ).toBeVisible();
    await expect(shownRows(page)).toHaveCount(expected);
    await expect(page).toHaveURL(/[?&]s=partially/);
  });

  test('choosing Not Tested shows its rows, drawn as Not Tested and never as No', async ({
    page,
  }) => {
    const matrix = data.matrices.linux;
    const untested = matrixRows(matrix).filter(({ sub }) =>
      Object.values(sub.cells).some((c) => c.status === 'not-tested'),
    );
    // Driver Load cannot run on the measuring host, so the measured Linux rows hold Not Tested.
    expect(untested.length, 'Linux cells that are Not Tested in data/').toBeGreaterThan(0);
    await page.getByText(/^Statuses/).click();
    await page.getByRole('checkbox', { name: 'Not Tested', exact: true }).check();
    await expect(shownRows(page)).toHaveCount(untested.length);
    await expect(page).toHaveURL(/[?&]s=not-tested/);
    const cells = shownRows(page).locator('td[data-status="not-tested"]');
    await expect(cells.first()).toHaveText(/^🧪 Not Tested/);
    // Not Tested has no tint of its own and a dashed outline: it never borrows No's red.
    const [untestedBg, noBg] = await page.evaluate(() => {
      const probe = (status: string) => {
        const td = document.createElement('td');
        td.dataset.status = status;
        document.querySelector('#static-matrix table tbody tr')?.append(td);
        const bg = getComputedStyle(td).backgroundColor;
        td.remove();
        return bg;
      };
      return [probe('not-tested'), probe('no')];
    });
    expect(untestedBg).not.toBe(noBg);
    await expect(cells.first()).toHaveCSS('outline-style', 'dashed');
  });

  test('choosing how cells are known shows the rows with such a cell, and folding a category hides its rows', async ({
    page,
  }) => {
    const category = data.matrices.linux.categories[0];
    if (!category) throw new Error('no Linux category');
    const fold = staticTable(page).getByRole('button', { name: category.name, exact: true });
    await fold.click();
    await expect(fold).toHaveAttribute('aria-expanded', 'false');
    await expect(
      staticTable(page).locator(`tbody[data-category="${category.id}"] tr[data-sub]:visible`),
    ).toHaveCount(0);
    await expect(page).toHaveURL(new RegExp(`[?&]c=${category.id}`));
    await fold.click();
    await expect(fold).toHaveAttribute('aria-expanded', 'true');

    // The static table marks each cell's basis (lib/cell.ts); the filter reads the island's data.
    const measuredRows = await staticTable(page)
      .locator('tbody tr[data-sub]:has(td[data-basis="measured"])')
      .count();
    expect(measuredRows, 'Linux rows with a measured cell').toBeGreaterThan(0);
    await page.getByText(/^How known/).click();
    await page.getByRole('checkbox', { name: /^M? ?measured \(\d+ cells\)$/ }).check();
    await expect(shownRows(page)).toHaveCount(measuredRows);
    await expect(page).toHaveURL(/[?&]b=measured/);
    await page.getByText(/^How known/).click();
  });

  test('hiding and reordering products changes the columns and the link', async ({ page }) => {
    const vendors = data.matrices.linux.vendors;
    const [first, second] = vendors;
    if (!first || !second) throw new Error('need two Linux vendors');
    await page.getByText(/^Products \(/).click();
    await page.getByRole('checkbox', { name: first.name, exact: true }).uncheck();
    await expect(
      page.getByText(`${vendors.length - 1} of ${vendors.length} products`),
    ).toBeVisible();
    const headers = staticTable(page).locator('thead th[scope="col"]:visible');
    await expect(headers).toHaveCount(vendors.length);
    await expect(headers.nth(1)).toContainText(second.name);
    await expect(page).toHaveURL(/[?&]v=/);

    const third = vendors[2];
    if (!third) throw new Error('need three Linux vendors');
    await page.getByRole('button', { name: `Move ${third.name} left` }).click();
    await expect(headers.nth(1)).toContainText(third.name);
    await expect(headers.nth(2)).toContainText(second.name);

    // The link restores the same view in a fresh page (the island writes the address once the
    // reader pauses, so wait for the new order to reach it).
    await expect(page).toHaveURL(new RegExp(`[?&]v=${third.id}(?:%2C|,)${second.id}`));
    const url = page.url();
    const other = await page.context().newPage();
    await other.goto(url);
    await expect(staticTable(other).locator('thead th[scope="col"]:visible').nth(1)).toContainText(
      third.name,
    );
    await other.close();
  });

  test('sorting by a product orders each category by that product’s status', async ({ page }) => {
    const vendor = data.matrices.linux.vendors[0];
    if (!vendor) throw new Error('no Linux vendor');
    await page.getByLabel('Filter sub-categories').fill('file');
    // The island adds a sort button to each vendor header of the static table.
    const name = `Sort by ${vendor.name}`;
    const sortButton = staticTable(page)
      .locator('thead')
      .getByRole('button', { name, exact: true });
    const header = staticTable(page)
      .locator('thead th')
      .filter({ has: page.getByRole('button', { name, exact: true }) });
    await sortButton.click();
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    await expect(page).toHaveURL(new RegExp(`[?&]sort=${vendor.id}`));
    const ranks = async () => {
      const groups = staticTable(page).locator('tbody:visible');
      const out: number[][] = [];
      for (let g = 0; g < (await groups.count()); g++) {
        const cells = groups.nth(g).locator('tr[data-sub]:visible');
        const labels: number[] = [];
        for (let r = 0; r < (await cells.count()); r++) {
          const status = await cells
            .nth(r)
            .locator('td:visible')
            .first()
            .getAttribute('data-status');
          labels.push(STATUS_IDS.indexOf(status as StatusId));
        }
        out.push(labels);
      }
      return out;
    };
    for (const group of await ranks()) expect(group).toEqual([...group].sort((a, b) => a - b));
    await sortButton.click();
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    for (const group of await ranks()) expect(group).toEqual([...group].sort((a, b) => b - a));
  });

  test('exports the current view as CSV and JSON', async ({ page }) => {
    await page.getByLabel('Filter sub-categories').fill('user');
    // The filter matches a row's name, id or category name.
    const expected = matrixRows(data.matrices.linux).filter(({ sub, category }) =>
      `${sub.name} ${sub.id} ${category.name}`.toLowerCase().includes('user'),
    ).length;
    await expect(shownRows(page)).toHaveCount(expected);

    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(csvDownload.suggestedFilename()).toBe('linux-matrix.csv');
    const csv = await readFile((await csvDownload.path()) as string, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(expected + 1);
    expect(lines[0]).toContain('Sub-category');
    for (const v of data.matrices.linux.vendors) expect(lines[0]).toContain(v.name);

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    const json = JSON.parse(await readFile((await jsonDownload.path()) as string, 'utf8')) as {
      platform: string;
      rows: unknown[];
      vendors: unknown[];
    };
    expect(json.platform).toBe('linux');
    expect(json.rows).toHaveLength(expected);
    expect(json.vendors).toHaveLength(data.matrices.linux.vendors.length);
  });
});
