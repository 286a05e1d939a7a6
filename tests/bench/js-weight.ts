/**
 * How much JavaScript a built page can load: every script its HTML references (inline, external,
 * module preloads, Astro island components and renderers) plus every module those import,
 * statically or dynamically, measured gzipped from the files in `dist/`. An upper bound on what
 * a visit downloads, independent of what a test run happened to trigger.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ScriptWeight {
  /** Site path of the file, or "inline #n" for a script in the HTML. */
  source: string;
  bytes: number;
  gzipBytes: number;
}

const gz = (text: string | Buffer) => gzipSync(text, { level: 9 }).length;

/** Site paths of scripts an HTML document refers to, and the text of its inline scripts. */
export function scriptsInHtml(html: string): { urls: string[]; inline: string[] } {
  const urls = new Set<string>();
  const inline: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const attrs = m[1] ?? '';
    const type = /\btype=["']?([^"'\s>]+)/i.exec(attrs)?.[1];
    if (type && !/^(module|text\/javascript|application\/javascript)$/i.test(type)) continue;
    const src = /\bsrc=["']?([^"'\s>]+)/i.exec(attrs)?.[1];
    if (src) urls.add(src);
    else if ((m[2] ?? '').trim()) inline.push(m[2] ?? '');
  }
  for (const m of html.matchAll(/<link\b[^>]*rel=["']?modulepreload[^>]*>/gi)) {
    const href = /\bhref=["']?([^"'\s>]+)/i.exec(m[0])?.[1];
    if (href) urls.add(href);
  }
  for (const m of html.matchAll(/\b(?:component-url|renderer-url)=["']([^"']+)["']/gi)) {
    if (m[1]) urls.add(m[1]);
  }
  return { urls: [...urls], inline };
}

/** Relative module specifiers a bundled file imports (`from"./x.js"`, `import("./y.js")`). */
export function importsInModule(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(
    /(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+|\/[^"']+)["']/g,
  )) {
    if (m[1]) found.add(m[1]);
  }
  return [...found];
}

function sitePathOf(url: string, base: string): string | undefined {
  if (/^[a-z]+:/i.test(url) && !url.startsWith('http://127.0.0.1')) return undefined;
  const path = url.startsWith('http') ? new URL(url).pathname : url;
  return path.startsWith('/') ? path : posix.join(posix.dirname(base), path);
}

/** Every script a page can load, each gzipped; follows imports through `distDir`. */
export async function pageScripts(
  distDir: string,
  pagePath: string,
  read: (file: string) => Promise<Buffer> = (file) => readFile(file),
): Promise<ScriptWeight[]> {
  const htmlFile = join(distDir, pagePath.endsWith('/') ? `${pagePath}index.html` : pagePath);
  const html = (await read(htmlFile)).toString('utf8');
  const { urls, inline } = scriptsInHtml(html);
  const weights: ScriptWeight[] = inline.map((code, i) => ({
    source: `inline #${i + 1}`,
    bytes: Buffer.byteLength(code),
    gzipBytes: gz(code),
  }));
  const queue = urls.flatMap((u) => sitePathOf(u, pagePath) ?? []);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    const body = await read(join(distDir, decodeURIComponent(path)));
    weights.push({ source: path, bytes: body.length, gzipBytes: gz(body) });
    for (const spec of importsInModule(body.toString('utf8'))) {
      const next = sitePathOf(spec, path);
      if (next && !seen.has(next)) queue.push(next);
    }
  }
  return weights;
}

export const totalGzip = (weights: readonly ScriptWeight[]) =>
  weights.reduce((sum, w) => sum + w.gzipBytes, 0);
