/**
 * Shared helpers for the browser tests: the list of built pages (from dist/, so every page the
 * build emits is visited) and a collector of console errors, page errors and CSP violations.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Page } from '@playwright/test';

/** Same folder as playwright.config.ts serves. */
const DIST = process.env.E2E_DIST ?? 'dist';
/** Generated assets, not pages. */
const NOT_PAGES = new Set(['_astro', 'pagefind', 'api']);

/** Site paths of every HTML page in dist/, e.g. "/", "/linux/", "/history/changes/2/". */
export function builtPages(dist = DIST): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!(dir === dist && NOT_PAGES.has(name))) walk(path);
      } else if (name === 'index.html') {
        const rel = relative(dist, dir).split(sep).join('/');
        pages.push(rel ? `/${rel}/` : '/');
      }
    }
  };
  walk(dist);
  return pages.sort();
}

/** Starts recording everything a reader's console would show as an error. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (
      msg.type() === 'error' ||
      (msg.type() === 'warning' && /Content.Security.Policy/i.test(msg.text()))
    )
      errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    errors.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return errors;
}

/** Scrolls to the bottom so `client:visible` islands hydrate, then waits for the network to settle. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight) {
      window.scrollTo(0, y);
      await new Promise((r) => requestAnimationFrame(() => r(null)));
    }
    window.scrollTo(0, 0);
  });
  await page.waitForLoadState('networkidle');
}
