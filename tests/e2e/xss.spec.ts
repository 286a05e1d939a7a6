/**
 * Every string from data is escaped: the site is built from a copy of data/ where a vendor, a
 * sub-category, a reason and a description carry markup, then served and opened in Chromium. No
 * script may run and the markup must read as text.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { settle } from './site.ts';

const EVIL_VENDOR = '<img src=x onerror=alert(1)>';
const EVIL_SUB = '<script>alert(2)</script>';
const EVIL_REASON = '"><svg onload=alert(3)>';
const EVIL_DESCRIPTION = '<b onmouseover=alert(4)>bold</b> & more';
const PORT = 4334;
const origin = `http://127.0.0.1:${PORT}`;
const astro = resolve('node_modules/.bin/astro');

let work: string;
let server: ChildProcess | undefined;
let vendorId = '';
let subId = '';

interface MatrixFile {
  vendors: { id: string; name: string }[];
  categories: {
    subCategories: {
      id: string;
      name: string;
      cells: Record<string, { status: string; reason?: string }>;
    }[];
  }[];
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  work = await mkdtemp(join(tmpdir(), 'xss-site-'));
  const data = join(work, 'data');
  await cp(resolve('data'), data, { recursive: true });
  const file = join(data, 'matrices', 'linux.json');
  const matrix = JSON.parse(await readFile(file, 'utf8')) as MatrixFile;
  const vendor = matrix.vendors[0];
  const sub = matrix.categories[0]?.subCategories[0];
  if (!vendor || !sub) throw new Error('the Linux matrix has no vendor or row');
  vendor.name = EVIL_VENDOR;
  vendorId = vendor.id;
  sub.name = EVIL_SUB;
  subId = sub.id;
  const reasoned = matrix.categories
    .flatMap((c) => c.subCategories)
    .flatMap((s) => Object.values(s.cells))
    .find((c) => c.reason !== undefined);
  if (!reasoned) throw new Error('no Linux cell with a reason');
  reasoned.reason = EVIL_REASON;
  await writeFile(file, JSON.stringify(matrix));
  const descriptionsFile = join(data, 'descriptions.json');
  const descriptions = JSON.parse(await readFile(descriptionsFile, 'utf8')) as {
    platforms: { linux: Record<string, string> };
  };
  descriptions.platforms.linux[sub.id] = EVIL_DESCRIPTION;
  await writeFile(descriptionsFile, JSON.stringify(descriptions));

  const build = spawnSync(astro, ['build', '--outDir', join(work, 'dist')], {
    env: { ...process.env, EDR_MATRIX_DATA_DIR: data },
    encoding: 'utf8',
  });
  if (build.status !== 0)
    throw new Error(`The hostile-data build failed:\n${build.stdout}\n${build.stderr}`);
  server = spawn(
    astro,
    [
      'preview',
      '--outDir',
      join(work, 'dist'),
      '--host',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--ignore-lock',
    ],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${origin}/`);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`The preview of the hostile build did not answer on ${origin}.`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});

test.afterAll(async () => {
  server?.kill('SIGTERM');
  if (work) await rm(work, { recursive: true, force: true });
});

for (const path of [
  '/',
  '/linux/',
  '/categories/',
  '/history/',
  '/methodology/',
  '/scores/',
  '/vendors/',
]) {
  test(`${path} runs no script from data and shows the markup as text`, async ({ page }) => {
    const dialogs: string[] = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    const response = await page.goto(`${origin}${path}`);
    // Every one of these pages exists; a missing one is a failure, not a reason to skip.
    expect(response?.status(), path).toBe(200);
    await settle(page);
    await page.mouse.move(10, 10);
    expect(dialogs).toEqual([]);
    // Markup from data would appear as elements, or as script text Astro or React emitted.
    const injected = await page.evaluate(
      () =>
        document.querySelectorAll('img[src="x"], svg[onload], b[onmouseover]').length +
        [...document.scripts].filter((s) => s.textContent?.includes('alert(')).length,
    );
    expect(injected).toBe(0);
    if (path === '/linux/' || path === '/categories/') {
      await expect(page.getByText(EVIL_VENDOR).first()).toBeAttached();
    }
  });
}

test('the matrix keeps the hostile names as text in its headers, cells and detail panel', async ({
  page,
}) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
  await page.goto(`${origin}/linux/#${subId}--${vendorId}`);
  await expect(page.locator('#static-matrix thead')).toContainText(EVIL_VENDOR);
  await expect(page.locator('#static-matrix tbody th[scope="row"]').first()).toContainText(
    EVIL_SUB,
  );
  await expect(page.locator(`[id="${subId}--${vendorId}"] h2`)).toContainText(
    `${EVIL_VENDOR} · ${EVIL_SUB}`,
  );
  await expect(page.getByText(EVIL_REASON).first()).toBeAttached();
  // The island writes the same names into its toolbar and the table's sort buttons once it
  // hydrates, on the reader's first interaction.
  await page.mouse.move(200, 200);
  await page.getByLabel('Filter sub-categories').fill('process');
  await expect(page.locator('.explorer form[data-ready]')).toBeAttached();
  await expect(
    page.locator('#static-matrix thead').getByRole('button', { name: `Sort by ${EVIL_VENDOR}` }),
  ).toBeAttached();
  const vendorPage = await page.goto(`${origin}/vendors/${vendorId}/`);
  if (vendorPage?.status() === 200) {
    await expect(page.getByRole('heading', { level: 1 })).toContainText(EVIL_VENDOR);
  }
  await page.goto(`${origin}/categories/`);
  await expect(page.locator(`article:has(h4[id="linux-${subId}"])`)).toContainText(
    EVIL_DESCRIPTION,
  );
  expect(dialogs).toEqual([]);
});
