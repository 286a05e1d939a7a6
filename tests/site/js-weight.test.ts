import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importsInModule, pageScripts, scriptsInHtml, totalGzip } from '../bench/js-weight.ts';

let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'js-weight-'));
  await mkdir(join(dist, 'linux'), { recursive: true });
  await mkdir(join(dist, '_astro'), { recursive: true });
  await writeFile(
    join(dist, 'linux', 'index.html'),
    `<html><head><script type="module" src="/_astro/page.js"></script>
<script type="application/json">{"not":"code"}</script>
<script>console.log("inline")</script></head>
<body><astro-island component-url="/_astro/Island.js" renderer-url="/_astro/client.js"></astro-island></body></html>`,
  );
  await writeFile(join(dist, '_astro', 'page.js'), 'import{a}from"./shared.js";a();');
  await writeFile(
    join(dist, '_astro', 'Island.js'),
    'import"./shared.js";const l=()=>import("./lazy.js");',
  );
  await writeFile(join(dist, '_astro', 'client.js'), 'export const c=1;');
  await writeFile(join(dist, '_astro', 'shared.js'), `export const a=()=>"${'x'.repeat(5000)}";`);
  await writeFile(join(dist, '_astro', 'lazy.js'), 'export default 1;');
});
afterAll(() => rm(dist, { recursive: true, force: true }));

describe('scriptsInHtml', () => {
  it('finds external, island and inline scripts but not data blocks', () => {
    const html =
      '<script src="/a.js"></script><script type="application/ld+json">{}</script><link rel="modulepreload" href="/b.js">';
    expect(scriptsInHtml(html)).toEqual({ urls: ['/a.js', '/b.js'], inline: [] });
  });
});

describe('importsInModule', () => {
  it('finds static and dynamic relative imports in minified code', () => {
    expect(importsInModule('import{x as y}from"./a.js";import"../b.js";import("./c.js")')).toEqual([
      './a.js',
      '../b.js',
      './c.js',
    ]);
  });
});

describe('pageScripts', () => {
  it('follows every import once and measures each file gzipped', async () => {
    const scripts = await pageScripts(dist, '/linux/');
    expect(scripts.map((s) => s.source).sort()).toEqual(
      [
        '/_astro/Island.js',
        '/_astro/client.js',
        '/_astro/lazy.js',
        '/_astro/page.js',
        '/_astro/shared.js',
        'inline #1',
      ].sort(),
    );
    const shared = scripts.find((s) => s.source === '/_astro/shared.js');
    expect(shared?.bytes).toBeGreaterThan(5000);
    expect(shared?.gzipBytes).toBeLessThan(200);
    expect(totalGzip(scripts)).toBe(scripts.reduce((n, s) => n + s.gzipBytes, 0));
  });

  it('fails loudly when a referenced script is missing from dist/', async () => {
    await writeFile(join(dist, 'linux', 'broken.html'), '<script src="/_astro/nope.js"></script>');
    await expect(pageScripts(dist, '/linux/broken.html')).rejects.toThrow(/nope\.js/);
  });
});
