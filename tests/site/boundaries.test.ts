/** The scoring library is pure and imported by the site, never the reverse (STYLE.md, layout). */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|mts)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('module boundaries', () => {
  it('scoring/ never imports from the site (src/)', () => {
    const offenders = sources(join(root, 'scoring')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      return specifiers
        .filter((s) => s.startsWith('.') && resolve(file, '..', s).startsWith(join(root, 'src')))
        .map((s) => `${relative(root, file)} imports ${s}`);
    });
    expect(offenders).toEqual([]);
  });
});
