/**
 * The methodology quotes the display rule (which assertion the matrix shows and scores) from its
 * one implementation's documentation, `scoring/provenance.ts`; the quote must not drift from it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const words = (text: string) => text.replace(/\s+/g, ' ').trim();

function documentedRule(): string {
  const source = readFileSync(join('scoring/provenance.ts'), 'utf8');
  const start = source.indexOf('THE DISPLAY RULE');
  const end = source.indexOf('*/', start);
  if (start < 0 || end < 0)
    throw new Error('scoring/provenance.ts no longer documents THE DISPLAY RULE.');
  const body = source.slice(source.indexOf('\n', start), end);
  return words(body.replace(/^\s*\*/gm, ''));
}

function quotedRule(): string {
  const page = readFileSync(join('src/pages/methodology.astro'), 'utf8');
  const quote = /<blockquote class="rule">\s*<p>([\s\S]*?)<\/p>/.exec(page)?.[1];
  if (!quote) throw new Error('src/pages/methodology.astro has no <blockquote class="rule">.');
  return words(quote);
}

function join(path: string) {
  return resolve(root, path);
}

describe('the methodology’s display rule', () => {
  it('quotes scoring/provenance.ts word for word', () => {
    expect(documentedRule()).toMatch(/^The matrix shows and scores/);
    expect(quotedRule()).toBe(documentedRule());
  });
});
