/**
 * Plain file system activity in the run's temp dir: create, write, truncate, chmod, rename,
 * hard link, symlink, unlink, mkdir/rmdir. What file-creation/modification/deletion telemetry sees.
 */
import {
  chmodSync,
  closeSync,
  constants,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Generator } from '../generator.types.ts';
import { flagNames } from '../lib/errno.ts';
import type { RunContext } from '../lib/recorder.ts';
import { createFile, factsOnDisk, OPEN_FLAGS } from './file-metadata.ts';

async function simple(
  ctx: RunContext,
  operation: string,
  subCategory: 'file-creation' | 'file-modification' | 'file-deletion',
  args: { path: string; newPath?: string; mode?: number; length?: number },
  act: () => void,
  withFacts = true,
): Promise<void> {
  await ctx.step({ subCategories: [subCategory], operation, via: 'node', args }, () => {
    act();
    const target = args.newPath ?? args.path;
    return {
      result: { ok: true, returnValue: 0 },
      ...(withFacts ? { args: { file: factsOnDisk(target, 'text') } } : {}),
    };
  });
}

export const fileActivity: Generator = {
  name: 'file_activity',
  summary:
    'Creates, writes, truncates, chmods, renames, hard-links, symlinks and deletes files and a directory in its temp dir.',
  subCategories: ['file-creation', 'file-modification', 'file-deletion'],
  needsRoot: false,
  touches: 'its own temp dir /tmp/etm-<run id>-* only',
  unavailable: () => undefined,
  async run(ctx) {
    const dir = ctx.tempDir();
    const sub = join(dir, 'subdir');
    const file = join(sub, 'notes.txt');
    const renamed = join(sub, 'notes-renamed.txt');
    const hard = join(dir, 'hardlink.txt');
    const soft = join(dir, 'symlink.txt');

    await simple(
      ctx,
      'mkdir',
      'file-creation',
      { path: sub, mode: 0o755 },
      () => mkdirSync(sub, 0o755),
      false,
    );
    await createFile(ctx, file, Buffer.from(`${ctx.runId} first line\n`), 'text', [
      'file-creation',
    ]);

    const flags = constants.O_WRONLY | constants.O_APPEND;
    const more = Buffer.from(`${ctx.runId} second line\n`);
    await ctx.step(
      {
        subCategories: ['file-modification'],
        operation: 'write',
        via: 'node',
        args: {
          path: file,
          flags: { value: flags, names: flagNames(flags, OPEN_FLAGS) },
          length: more.length,
        },
      },
      () => {
        const fd = openSync(file, flags);
        let written: number;
        try {
          written = writeSync(fd, more);
        } finally {
          closeSync(fd);
        }
        return {
          result: { ok: written === more.length, returnValue: written },
          args: { file: factsOnDisk(file, 'text') },
        };
      },
    );
    await simple(ctx, 'truncate', 'file-modification', { path: file, length: 10 }, () =>
      truncateSync(file, 10),
    );
    await simple(ctx, 'chmod', 'file-modification', { path: file, mode: 0o600 }, () =>
      chmodSync(file, 0o600),
    );
    await simple(ctx, 'rename', 'file-modification', { path: file, newPath: renamed }, () =>
      renameSync(file, renamed),
    );
    await simple(ctx, 'link', 'file-creation', { path: renamed, newPath: hard }, () =>
      linkSync(renamed, hard),
    );
    await simple(
      ctx,
      'symlink',
      'file-creation',
      { path: renamed, newPath: soft },
      () => symlinkSync(renamed, soft),
      false,
    );
    for (const path of [soft, hard, renamed]) {
      await simple(ctx, 'unlink', 'file-deletion', { path }, () => unlinkSync(path), false);
    }
    await simple(ctx, 'rmdir', 'file-deletion', { path: sub }, () => rmdirSync(sub), false);

    await ctx.step(
      {
        subCategories: ['file-deletion'],
        operation: 'unlink',
        via: 'node',
        args: { path: renamed },
        expect: 'failure',
        note: 'Deleting the already deleted file: the kernel answers ENOENT and nothing happens.',
      },
      () => {
        unlinkSync(renamed);
        return { result: { ok: true, returnValue: 0 } };
      },
    );
  },
};
