/** Image load: dlopen of a shared library copied into the temp dir (so the path is unique), a call
 * into it, dlclose; plus a dlopen the loader must refuse (not an ELF file). */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Generator } from '../generator.types.ts';
import { sha256Hex } from '../lib/file-facts.ts';
import { loadLibrary } from '../lib/native.ts';

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib64',
  '/lib',
];

/** zlib: present on every distro, no constructors with side effects, a trivial function to call. */
function findZlib(): string | undefined {
  return LIB_DIRS.map((d) => join(d, 'libz.so.1')).find((p) => existsSync(p));
}

function mappedAt(path: string): string | undefined {
  const line = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .find((l) => l.endsWith(path));
  const start = line?.split('-')[0];
  return start === undefined ? undefined : `0x${start.replace(/^0+(?=.)/, '')}`;
}

export const imageLoad: Generator = {
  name: 'image_load',
  summary:
    'Copies libz.so.1 into its temp dir, dlopens it, calls zlibVersion(), dlcloses it; a dlopen of a non-ELF file fails.',
  subCategories: ['image-load', 'file-creation'],
  needsRoot: false,
  touches: 'its own temp dir /tmp/etm-<run id>-* only',
  unavailable: () =>
    findZlib() === undefined ? 'No libz.so.1 found to copy (install zlib1g).' : undefined,
  async run(ctx) {
    const source = findZlib() as string;
    const dir = ctx.tempDir();
    const path = join(dir, `lib${ctx.runId}.so.1`);
    await ctx.step(
      {
        phase: 'setup',
        subCategories: ['file-creation'],
        operation: 'copy',
        via: 'node',
        args: { path: source, newPath: path },
      },
      () => {
        copyFileSync(source, path);
        return { result: { ok: true, returnValue: 0 } };
      },
    );
    const sha256 = sha256Hex(readFileSync(path));
    let handle: ReturnType<typeof loadLibrary> | undefined;
    await ctx.step(
      {
        subCategories: ['image-load'],
        operation: 'dlopen',
        via: 'node',
        args: { library: { path, sourcePath: source, sha256, symbol: 'zlibVersion' } },
        note: 'dlopen(RTLD_NOW) through koffi; the loader mmaps the file with PROT_EXEC.',
      },
      () => {
        handle = loadLibrary(path);
        ctx.onCleanup('dlclose', () => handle?.unload());
        const version = handle.call('const char *zlibVersion(void)');
        const at = mappedAt(path);
        return {
          result: { ok: typeof version === 'string' && at !== undefined, returnValue: 0 },
          args: {
            library: {
              path,
              sourcePath: source,
              sha256,
              symbol: 'zlibVersion',
              ...(at === undefined ? {} : { mappedAt: at }),
            },
          },
          note: `zlibVersion() returned ${String(version)}.`,
        };
      },
    );
    await ctx.step(
      { subCategories: [], operation: 'dlclose', via: 'node', args: { library: { path } } },
      () => {
        handle?.unload();
        handle = undefined;
        return { result: { ok: true, returnValue: 0 } };
      },
    );
    const fake = join(dir, `libfake-${ctx.runId}.so`);
    writeFileSync(fake, `not an ELF object ${ctx.runId}\n`);
    await ctx.step(
      {
        subCategories: ['image-load'],
        operation: 'dlopen',
        via: 'node',
        args: { library: { path: fake } },
        expect: 'failure',
        note: 'The file is text: the loader reads its header and refuses it ("invalid ELF header"); nothing is mapped.',
      },
      () => {
        const lib = loadLibrary(fake);
        lib.unload();
        return { result: { ok: true, returnValue: 0 } };
      },
    );
  },
};
