/**
 * Builds the whole site (astro build + Pagefind, as `npm run build`) with a non-default origin
 * and reads what it wrote: every page's link-preview tags, each preview image (exists, decodes
 * with an independent reader, 1200×630, at most 100 KiB), the sitemap, robots.txt, the 404, FAQ
 * and criteria pages, and what the search index leaves out.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import { CARD_HEIGHT, CARD_MAX_BYTES, CARD_WIDTH } from '../../src/lib/og/og.types.ts';
import { decodePng } from './png-decode.ts';

const root = resolve(import.meta.dirname, '../..');
const ORIGIN = 'https://matrix.example.test';

let work: string;
let dist: string;
/** Site path ("/linux/", "/404/") → HTML. */
const pages = new Map<string, string>();

function meta(html: string, key: string): string | undefined {
  const attr = key.startsWith('og:') ? 'property' : 'name';
  const m = new RegExp(`<meta ${attr}="${key.replace(/:/g, ':')}" content="([^"]*)"`).exec(html);
  return m?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'previews-'));
  dist = join(work, 'dist');
  const result = spawnSync(process.execPath, ['scripts/build.ts', '--out-dir', dist], {
    cwd: root,
    env: { ...process.env, EDR_MATRIX_SITE_URL: ORIGIN, ASTRO_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(
      `The build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  for (const e of await readdir(dist, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.html')) continue;
    const rel = relative(dist, join(e.parentPath, e.name)).split(sep).join('/');
    const path = rel === '404.html' ? '/404/' : `/${rel.replace(/index\.html$/, '')}`;
    pages.set(path, await readFile(join(e.parentPath, e.name), 'utf8'));
  }
}, 300_000);

afterAll(() => rm(work, { recursive: true, force: true }));

describe('link previews', () => {
  it('gives every page og:* and twitter:card tags at the configured origin', () => {
    expect(pages.size).toBeGreaterThan(40);
    for (const [path, html] of pages) {
      const title = /<title>([^<]*)<\/title>/.exec(html)?.[1];
      expect(meta(html, 'og:title'), path).toBe(title?.replace(/&amp;/g, '&'));
      expect(meta(html, 'og:description'), path).toBeTruthy();
      expect(meta(html, 'og:type'), path).toBe('website');
      expect(meta(html, 'og:url'), path).toBe(`${ORIGIN}${path}`);
      const canonical = /<link rel="canonical" href="([^"]+)"/.exec(html)?.[1];
      if (path === '/404/') expect(canonical, path).toBeUndefined();
      else expect(canonical, path).toBe(`${ORIGIN}${path}`);
      const image = meta(html, 'og:image') ?? '';
      expect(image, path).toMatch(new RegExp(`^${ORIGIN}/og/[a-z0-9/-]+\\.png$`));
      expect(meta(html, 'og:image:width'), path).toBe(String(CARD_WIDTH));
      expect(meta(html, 'og:image:height'), path).toBe(String(CARD_HEIGHT));
      expect(meta(html, 'og:image:type'), path).toBe('image/png');
      expect(meta(html, 'og:image:alt')?.length ?? 0, path).toBeGreaterThan(40);
      expect(meta(html, 'og:image:alt'), path).toContain('CC BY-NC 4.0');
      expect(meta(html, 'twitter:card'), path).toBe('summary_large_image');
      expect(meta(html, 'twitter:image'), path).toBe(image);
      expect(meta(html, 'twitter:image:alt'), path).toBe(meta(html, 'og:image:alt'));
    }
  });

  it('points every page at an image that exists, decodes, is 1200×630 and at most 100 KiB', async () => {
    const images = new Set([...pages.values()].map((html) => meta(html, 'og:image') ?? ''));
    for (const url of images) {
      const file = join(dist, new URL(url).pathname);
      const bytes = await readFile(file);
      expect(bytes.length, url).toBeLessThanOrEqual(CARD_MAX_BYTES);
      const png = decodePng(bytes);
      expect([png.width, png.height], url).toEqual([CARD_WIDTH, CARD_HEIGHT]);
      // Not blank: a card has a background, text and at least one more fill.
      expect(new Set(png.pixels).size, url).toBeGreaterThan(8);
    }
  });

  it('gives matrices and vendors images of their own, and history pages a shared one', () => {
    const image = (path: string) => meta(pages.get(path) ?? '', 'og:image');
    expect(image('/linux/')).toBe(`${ORIGIN}/og/linux.png`);
    expect(image('/windows/')).toBe(`${ORIGIN}/og/windows.png`);
    expect(image('/vendors/elastic/')).toBe(`${ORIGIN}/og/vendors/elastic.png`);
    expect(image('/history/changes/2/')).toBe(image('/history/'));
    expect(image('/faq/')).toBe(`${ORIGIN}/og/pages/faq.png`);
  });

  it('draws the heat map from the data: the linux image uses the full-points colour', async () => {
    const png = decodePng(await readFile(join(dist, 'og/linux.png')));
    expect(png.pixels.includes(0x1f7a4d)).toBe(true);
  });

  it('keeps every image small (reported: total and largest)', async () => {
    const dir = join(dist, 'og');
    const sizes: number[] = [];
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
      if (e.isFile()) sizes.push((await stat(join(e.parentPath, e.name))).size);
    const data = await loadDataset(join(root, 'data'));
    const vendorIds = new Set(
      (['linux', 'windows', 'macos'] as const).flatMap((p) =>
        data.matrices[p].vendors.map((v) => v.id),
      ),
    );
    expect(sizes.length).toBe(3 + vendorIds.size + 12);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CARD_MAX_BYTES);
  });
});

describe('sitemap and robots.txt', () => {
  it('lists every canonical URL but the 404 and search pages, at the configured origin', async () => {
    const index = await readFile(join(dist, 'sitemap-index.xml'), 'utf8');
    expect(index).toContain(`<loc>${ORIGIN}/sitemap-0.xml</loc>`);
    const sitemap = await readFile(join(dist, 'sitemap-0.xml'), 'utf8');
    const listed = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]).sort();
    const canonical = [...pages.values()]
      .map((html) => /<link rel="canonical" href="([^"]+)"/.exec(html)?.[1])
      .filter((url): url is string => url !== undefined && url !== `${ORIGIN}/search/`)
      .sort();
    expect(listed).toEqual(canonical);
    expect(listed).toContain(`${ORIGIN}/faq/`);
    expect(listed).toContain(`${ORIGIN}/criteria/`);
    expect(listed.some((u) => /\/(404|search)\/?$/.test(u ?? ''))).toBe(false);
  });

  it('writes robots.txt naming the sitemap', async () => {
    const robots = await readFile(join(dist, 'robots.txt'), 'utf8');
    expect(robots).toContain(`Sitemap: ${ORIGIN}/sitemap-index.xml`);
    expect(robots).toContain('Disallow: /pagefind/');
  });
});

describe('the new pages', () => {
  it('builds a 404 page in the layout, unindexed, with platform links and a search form', () => {
    const html = pages.get('/404/') ?? '';
    expect(html).toContain('<meta name="robots" content="noindex">');
    for (const p of ['linux', 'windows', 'macos']) expect(html).toContain(`href="/${p}/"`);
    expect(html).toMatch(/<form[^>]*action="\/search\/"[^>]*method="get"/);
    expect(html).toContain('class="site-footer"');
  });

  it('leaves the 404 and search pages out of the Pagefind index', async () => {
    const dir = join(dist, 'pagefind', 'fragment');
    const urls: string[] = [];
    for (const name of await readdir(dir)) {
      const text = gunzipSync(await readFile(join(dir, name))).toString('utf8');
      const url = /"url":"([^"]+)"/.exec(text)?.[1];
      if (url) urls.push(url);
    }
    expect(urls).toContain('/faq/');
    expect(urls).toContain('/criteria/');
    expect(urls).toContain('/linux/');
    expect(urls.filter((u) => /^\/(404|search)/.test(u))).toEqual([]);
  });

  it('renders the FAQ status table from statuses.json and weights.json', async () => {
    const data = await loadDataset(join(root, 'data'));
    const html = pages.get('/faq/') ?? '';
    const table = /<table class="data"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    for (const status of data.statuses.list) {
      const row = new RegExp(
        `${status.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</span>[\\s\\S]*?<td class="num"[^>]*>${data.weights.statusValues[status.id]}</td>`,
      );
      expect(table, status.label).toMatch(row);
    }
    expect(html).toContain(data.provenance.upstream.commit.slice(0, 7));
    for (const id of [
      'higher-score',
      'telemetry',
      'evidence',
      'not-tested',
      'dispute',
      'add-product',
    ])
      expect(html).toContain(`id="${id}"`);
    expect(html).toContain('href="/contribute/');
    expect(html).toContain('href="/criteria/');
  });

  it('states the inclusion criteria with the evidence package', () => {
    const html = pages.get('/criteria/') ?? '';
    for (const part of [
      'Operating system build',
      'Sensor version',
      'Policy and settings',
      'UTC times',
      'Raw events',
      'generator manifest',
    ])
      expect(html).toContain(part);
    expect(html).toContain('id="vendor-evidence"');
  });
});
