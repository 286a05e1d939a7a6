import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFreshness } from '../../scripts/site-freshness.ts';

let root: string;
const at = (path: string, seconds: number) => utimes(join(root, path), seconds, seconds);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshness-'));
  await mkdir(join(root, 'data', 'matrices'), { recursive: true });
  await writeFile(join(root, 'data', 'matrices', 'linux.json'), '{}');
  await at('data/matrices/linux.json', 1000);
  await at('data/matrices', 1000);
  await at('data', 1000);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('checkFreshness', () => {
  it('builds when dist/index.html is missing', async () => {
    expect(await checkFreshness(root, 'dist', ['data'])).toEqual({
      build: true,
      reason: 'dist/index.html does not exist yet',
    });
  });

  it('keeps a build newer than every input', async () => {
    await mkdir(join(root, 'dist'));
    await writeFile(join(root, 'dist', 'index.html'), '');
    await at('dist/index.html', 2000);
    expect((await checkFreshness(root, 'dist', ['data', 'missing-folder'])).build).toBe(false);
  });

  it('rebuilds when a file deep inside an input changed after the build', async () => {
    await mkdir(join(root, 'dist'));
    await writeFile(join(root, 'dist', 'index.html'), '');
    await at('dist/index.html', 2000);
    await at('data/matrices/linux.json', 3000);
    expect(await checkFreshness(root, 'dist', ['data'])).toEqual({
      build: true,
      reason: 'data changed after the last build',
    });
  });
});
