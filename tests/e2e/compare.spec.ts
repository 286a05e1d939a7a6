/** Compare: choosing two to four products by ticking boxes, differences marked as the data says. */
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { type Dataset, loadDataset, matrixRows } from '../../scoring/dataset.ts';

let data: Dataset;
test.beforeAll(async () => {
  data = await loadDataset(resolve('data'));
});

test('a shared link compares the named products and marks exactly the rows that differ', async ({
  page,
}) => {
  const [a, b] = data.matrices.linux.vendors;
  if (!a || !b) throw new Error('need two Linux vendors');
  await page.goto(`/compare/?v=${a.id},${b.id}`);
  await expect(page.getByText(`Comparing ${a.name}, ${b.name}.`)).toBeVisible();
  const rows = matrixRows(data.matrices.linux);
  const differing = rows.filter(({ sub }) => sub.cells[a.id]?.status !== sub.cells[b.id]?.status);
  await page.getByRole('checkbox', { name: 'Show only rows that differ' }).check();
  const table = page.getByRole('table', { name: /^Linux:/ });
  await expect(table).toContainText(`${differing.length} of ${rows.length} sub-categories`);
  await expect(table.locator('tbody tr.differs')).toHaveCount(differing.length);
});

test('ticking products adds columns, up to four, and the link follows', async ({ page }) => {
  const vendors = data.matrices.windows.vendors;
  const [a, b, c, d, e] = vendors;
  if (!a || !b || !c || !d || !e) throw new Error('need five Windows vendors');
  await page.goto(`/compare/?v=${a.id},${b.id}`);
  const chooser = page.getByRole('group', { name: /^Products to compare/ });
  await expect(chooser.getByRole('checkbox', { name: c.name, exact: true })).toBeEnabled();
  await chooser.getByRole('checkbox', { name: c.name, exact: true }).check();
  await chooser.getByRole('checkbox', { name: d.name, exact: true }).check();
  await expect(chooser.getByRole('checkbox', { name: e.name, exact: true })).toBeDisabled();
  const headers = page.getByRole('table', { name: /^Windows:/ }).locator('thead th[scope="col"]');
  await expect(headers).toHaveCount(5);
  await expect(page).toHaveURL(new RegExp(`v=${a.id}(%2C|,)${b.id}(%2C|,)${c.id}(%2C|,)${d.id}`));
  await chooser.getByRole('checkbox', { name: a.name, exact: true }).uncheck();
  await expect(headers).toHaveCount(4);
  await expect(chooser.getByRole('checkbox', { name: e.name, exact: true })).toBeEnabled();
});
