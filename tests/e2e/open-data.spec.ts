/**
 * The published open data as a client sees it: every file the API index lists is served as JSON
 * with its schema, and the Atom feed is well-formed XML a feed reader (here DOMParser) accepts.
 */
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { loadDataset } from '../../scoring/dataset.ts';
import { shownMatrices } from '../../scoring/provenance.ts';

test('every file in /api/v1/index.json is served, parses, and names a schema that is served too', async ({
  request,
}) => {
  const index = (await (await request.get('/api/v1/index.json')).json()) as {
    files: { path: string; schema: string }[];
  };
  expect(index.files.length).toBeGreaterThan(10);
  for (const file of index.files) {
    const data = await request.get(file.path);
    expect(data.status(), file.path).toBe(200);
    expect(data.headers()['content-type']).toMatch(/json/);
    // Throws (and fails the test) when the body is not JSON.
    expect(await data.json()).toBeTruthy();
    const schema = (await (await request.get(file.schema)).json()) as {
      $schema?: string;
      $id?: string;
    };
    expect(schema.$schema, file.schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(new RegExp(`${file.schema.replaceAll('.', '\\.')}$`));
  }
  const data = await loadDataset(resolve('data'));
  const linux = (await (await request.get('/api/v1/matrices/linux.json')).json()) as {
    categories: { subCategories: { cells: Record<string, Record<string, unknown>> }[] }[];
  };
  // Each served cell is the shown matrix's cell plus its provenance, newest first.
  for (const sub of linux.categories.flatMap((c) => c.subCategories)) {
    for (const cell of Object.values(sub.cells)) {
      const provenance = cell.provenance as { date: string; status: string }[];
      expect(provenance.length).toBeGreaterThan(0);
      const dates = provenance.map((p) => Date.parse(p.date));
      expect(dates).toEqual([...dates].sort((a, b) => b - a));
      delete cell.provenance;
      delete cell.basis;
      delete cell.disagreement;
    }
  }
  expect(linux).toEqual(JSON.parse(JSON.stringify(shownMatrices(data).linux)));
});

test('the Atom feed is well-formed and links each change to its pull request or commit', async ({
  page,
  request,
}) => {
  const xml = await (await request.get('/feed.xml')).text();
  await page.goto('/');
  const feed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const atom = 'http://www.w3.org/2005/Atom';
    const entries = [...doc.getElementsByTagNameNS(atom, 'entry')];
    return {
      error: doc.getElementsByTagName('parsererror').length,
      root: `${doc.documentElement.namespaceURI} ${doc.documentElement.localName}`,
      entries: entries.length,
      links: entries.map(
        (e) => e.getElementsByTagNameNS(atom, 'link')[0]?.getAttribute('href') ?? '',
      ),
      content: entries[0]?.getElementsByTagNameNS(atom, 'content')[0]?.textContent ?? '',
    };
  }, xml);
  expect(feed.error).toBe(0);
  expect(feed.root).toBe('http://www.w3.org/2005/Atom feed');
  expect(feed.entries).toBe(50);
  for (const link of feed.links) {
    expect(link).toMatch(
      /^https:\/\/github\.com\/tsale\/EDR-Telemetry\/(pull\/\d+|commit\/[0-9a-f]{40})$/,
    );
  }
  expect(feed.content).toMatch(/^<ul><li>/);
  await expect(page.locator('link[rel="alternate"][type="application/atom+xml"]')).toHaveAttribute(
    'href',
    '/feed.xml',
  );
});
