/**
 * Decides whether the built site in `dist/` is older than what it is built from, so `npm start`
 * rebuilds only when data, pages or the scoring library changed since the last build.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Everything a build reads; a change to any of these makes `dist/` stale. */
export const BUILD_INPUTS = [
  'data',
  'src',
  'scoring',
  'public',
  'astro.config.mjs',
  'package.json',
] as const;

export interface FsLike {
  /** Modification time in ms, or undefined when the path does not exist. */
  mtime(path: string): Promise<number | undefined>;
  isDirectory(path: string): Promise<boolean>;
  list(dir: string): Promise<string[]>;
}

export const nodeFs: FsLike = {
  async mtime(path) {
    try {
      return (await stat(path)).mtimeMs;
    } catch {
      return undefined;
    }
  },
  async isDirectory(path) {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
  list: (dir) => readdir(dir),
};

/** The newest modification time of a file or of any file below a folder; undefined when absent. */
export async function newestMtime(path: string, fs: FsLike = nodeFs): Promise<number | undefined> {
  const own = await fs.mtime(path);
  if (own === undefined || !(await fs.isDirectory(path))) return own;
  let newest = own;
  for (const name of await fs.list(path)) {
    const child = await newestMtime(join(path, name), fs);
    if (child !== undefined && child > newest) newest = child;
  }
  return newest;
}

export type Freshness = { build: false; reason: string } | { build: true; reason: string };

/** Whether `distDir` must be (re)built from `inputs`, with the reason to tell the person waiting. */
export async function checkFreshness(
  root: string,
  distDir = 'dist',
  inputs: readonly string[] = BUILD_INPUTS,
  fs: FsLike = nodeFs,
): Promise<Freshness> {
  const builtAt = await fs.mtime(join(root, distDir, 'index.html'));
  if (builtAt === undefined) {
    return { build: true, reason: `${distDir}/index.html does not exist yet` };
  }
  for (const input of inputs) {
    const changed = await newestMtime(join(root, input), fs);
    if (changed !== undefined && changed > builtAt) {
      return { build: true, reason: `${input} changed after the last build` };
    }
  }
  return { build: false, reason: `${distDir}/ is newer than ${inputs.join(', ')}` };
}
