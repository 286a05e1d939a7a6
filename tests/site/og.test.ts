/**
 * The preview helpers without a build: which image a page uses, the site origin setting, the
 * robots file, and the PNG encoder checked against an independent decoder.
 */
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import { scorePlatform } from '../../scoring/score.ts';
import { previewCards, previewFor, previewSlug } from '../../src/lib/og/cards.ts';
import { encodePng } from '../../src/lib/og/png.ts';
import { DEFAULT_SITE_ORIGIN, isUnlistedPage, robotsTxt, siteOrigin } from '../../src/lib/site.ts';
import { decodePng } from './png-decode.ts';

describe('previewSlug', () => {
  it('gives matrices, vendors and every other page their image', () => {
    expect(previewSlug('/')).toBe('pages/home');
    expect(previewSlug('/linux/')).toBe('linux');
    expect(previewSlug('/vendors/elastic/')).toBe('vendors/elastic');
    expect(previewSlug('/vendors/')).toBe('pages/vendors');
    expect(previewSlug('/faq/')).toBe('pages/faq');
    expect(previewSlug('/criteria/index.html')).toBe('pages/criteria');
  });

  it('lets pages of one kind share an image and sends unknown paths to the site card', () => {
    expect(previewSlug('/history/changes/3/')).toBe('pages/history');
    expect(previewSlug('/404/')).toBe('pages/site');
    expect(previewSlug('/no-such-page/')).toBe('pages/site');
    expect(previewSlug('/linux/extra/')).toBe('pages/site');
  });
});

describe('preview cards', () => {
  it('has a card with alt text for every page kind, built from the data', async () => {
    const data = await loadDataset('data');
    const cards = previewCards(data, 'https://example.test');
    for (const platform of ['linux', 'windows', 'macos'] as const) {
      const card = cards.get(platform);
      expect(card?.kind).toBe('matrix');
      expect(card?.alt).toContain(data.matrices[platform].platform.name);
      expect(card?.alt).toContain('CC BY-NC 4.0');
    }
    for (const vendor of data.matrices.linux.vendors)
      expect(cards.get(`vendors/${vendor.id}`)?.alt).toContain(vendor.name);
    expect(previewFor('/vendors/unknown/', cards).slug).toBe('pages/vendors');
    expect(previewFor('/history/changes/2/', cards).slug).toBe('pages/history');
    const linux = cards.get('linux');
    if (linux?.kind !== 'matrix') throw new Error('no linux matrix card');
    expect(linux.url).toBe('example.test/linux/');
    const ranking = scorePlatform(
      data.matrices.linux,
      data.weights.platforms.linux,
      data.weights.statusValues,
    );
    expect(linux.rows.map((r) => r.name)).toEqual(ranking.map((r) => r.vendor));
  });
});

describe('siteOrigin', () => {
  it('defaults to the placeholder and takes EDR_MATRIX_SITE_URL', () => {
    expect(siteOrigin({})).toBe(DEFAULT_SITE_ORIGIN);
    expect(siteOrigin({ EDR_MATRIX_SITE_URL: 'https://matrix.example.com/' })).toBe(
      'https://matrix.example.com',
    );
  });

  it('errors on a value that is not an http origin', () => {
    expect(() => siteOrigin({ EDR_MATRIX_SITE_URL: 'matrix' })).toThrowErrorMatchingInlineSnapshot(
      `[Error: EDR_MATRIX_SITE_URL is "matrix", which is not a URL. Set it to the site's origin, e.g. https://matrix.example.com, or unset it for https://edr-telemetry-matrix.example.org.]`,
    );
    expect(() =>
      siteOrigin({ EDR_MATRIX_SITE_URL: 'https://example.com/docs/' }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: EDR_MATRIX_SITE_URL is "https://example.com/docs/"; give only the origin (https://example.com): the site is built to be served from the root path.]`,
    );
    expect(() => siteOrigin({ EDR_MATRIX_SITE_URL: 'ftp://example.com' })).toThrow(/http or https/);
  });
});

describe('unlisted pages and robots.txt', () => {
  it('keeps the 404 and search pages unlisted, in any spelling of their path', () => {
    for (const p of ['/404', '/404/', '/404.html', '/search/', '/search/index.html'])
      expect(isUnlistedPage(p), p).toBe(true);
    for (const p of ['/', '/faq/', '/searching/', '/vendors/search/'])
      expect(isUnlistedPage(p), p).toBe(false);
  });

  it('names the sitemap at the site origin', () => {
    expect(robotsTxt('https://example.test')).toMatchInlineSnapshot(`
      "User-agent: *
      Allow: /
      Disallow: /pagefind/

      Sitemap: https://example.test/sitemap-index.xml
      "
    `);
  });
});

describe('encodePng', () => {
  const rgba = (pixels: number[]) =>
    Uint8Array.from(pixels.flatMap((p) => [(p >> 16) & 255, (p >> 8) & 255, p & 255, 255]));

  it('writes an indexed PNG that decodes to the same pixels', () => {
    const pixels = [0xffffff, 0x1f7a4d, 0xe2a52b, 0x1f7a4d, 0x000000, 0xffffff];
    const png = decodePng(encodePng(rgba(pixels), 3, 2));
    expect(png).toMatchObject({ width: 3, height: 2, colourType: 3 });
    expect([...png.pixels]).toEqual(pixels);
  });

  it('falls back to RGB above 256 colours', () => {
    const pixels = Array.from({ length: 300 }, (_, i) => i * 4099);
    const png = decodePng(encodePng(rgba(pixels), 20, 15));
    expect(png.colourType).toBe(2);
    expect([...png.pixels]).toEqual(pixels);
  });

  it('errors when the pixel buffer does not match the size', () => {
    expect(() => encodePng(new Uint8Array(8), 3, 1)).toThrow(/expected 12/);
  });
});
