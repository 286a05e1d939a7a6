/**
 * Raw access read: 512 bytes read from a block device opened read-only. The host's disk is tried
 * first; when the kernel refuses it (device cgroups in VMs and containers), a loop device backed by
 * a file of the run's own is attached read-only, read and detached.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Generator } from '../generator.types.ts';
import { runCommand } from '../lib/commands.ts';
import { NotPossible, StepFailed } from '../lib/errors.ts';
import { sha256Hex } from '../lib/file-facts.ts';
import type { RunContext } from '../lib/recorder.ts';
import type { Action } from '../manifest.schema.ts';

async function readDevice(
  ctx: RunContext,
  path: string,
  device: string,
  expect: Action['expect'],
  expectedSha256?: string,
): Promise<Action> {
  return ctx.step(
    {
      subCategories: ['raw-access-read'],
      operation: 'read',
      via: 'node',
      args: {
        path,
        flags: { value: constants.O_RDONLY, names: ['O_RDONLY'] },
        blockDevice: { path, device, offset: 0, length: 512 },
      },
      expect,
      note: 'openat(O_RDONLY) of the block device, pread of 512 bytes at offset 0, close. Only the SHA-256 of the bytes is recorded.',
    },
    () => {
      const fd = openSync(path, constants.O_RDONLY);
      const buffer = Buffer.alloc(512);
      let n: number;
      try {
        n = readSync(fd, buffer, 0, 512, 0);
      } finally {
        closeSync(fd);
      }
      const sha256 = sha256Hex(buffer.subarray(0, n));
      const ok = n === 512 && (expectedSha256 === undefined || sha256 === expectedSha256);
      return {
        result: {
          ok,
          returnValue: n,
          ...(ok
            ? {}
            : {
                message:
                  n === 512
                    ? 'the bytes read differ from the backing file'
                    : `short read of ${n} bytes`,
              }),
        },
        args: { blockDevice: { path, device, offset: 0, length: n, sha256 } },
      };
    },
  );
}

function deviceNumber(path: string): string {
  const out = runCommand('/usr/bin/stat', ['-L', '-c', '%Hr:%Lr', path]);
  return out.stdout.trim() || 'unknown';
}

export const rawAccessRead: Generator = {
  name: 'raw_access_read',
  summary:
    'Reads the first 512 bytes of the disk block device read-only; if the kernel refuses, of a loop device it attaches read-only to a file of its own.',
  subCategories: ['raw-access-read'],
  needsRoot: true,
  rootReason: 'open a block device and attach a loop device',
  touches:
    'reads 512 bytes of a block device; may attach and detach one loop device backed by its temp dir',
  unavailable: (host) =>
    host.blockDevice === undefined && host.bin.losetup === undefined
      ? 'No non-empty block device and no losetup to make one (install util-linux).'
      : undefined,
  hostNote: (host) =>
    host.blockDevice === undefined
      ? 'No disk block device: reads a loop device of its own.'
      : `Reads ${host.blockDevice.path} (${host.blockDevice.device}); a loop device of its own if the kernel refuses.`,
  async run(ctx, host) {
    if (host.blockDevice !== undefined) {
      const disk = await readDevice(ctx, host.blockDevice.path, host.blockDevice.device, 'either');
      if (disk.result.ok) return;
      ctx.log(
        `  ${host.blockDevice.path} refused (${disk.result.errnoName ?? disk.result.message}); using a loop device`,
      );
    }
    const losetup = host.bin.losetup;
    if (losetup === undefined) {
      throw new NotPossible(
        'The disk cannot be opened and there is no losetup to attach a loop device (install util-linux).',
      );
    }
    const image = join(ctx.tempDir(), `${ctx.runId}-raw.img`);
    const content = Buffer.concat([
      Buffer.from(`ETM RAW ACCESS ${ctx.runId}\n`),
      randomBytes(4096),
    ]).subarray(0, 4096);
    writeFileSync(image, content);
    let loop: string | undefined;
    ctx.onCleanup('detach loop device', async () => {
      if (loop === undefined) return;
      const device = loop;
      await ctx.step(
        {
          phase: 'cleanup',
          subCategories: [],
          operation: 'losetup --detach',
          via: 'command',
          args: { path: device, argv: [losetup, '--detach', device] },
        },
        () => runCommand(losetup, ['--detach', device]),
      );
    });
    const attach = await ctx.step(
      {
        phase: 'setup',
        subCategories: [],
        operation: 'losetup',
        via: 'command',
        args: { path: image, argv: [losetup, '--find', '--show', '--read-only', image] },
      },
      () => {
        const out = runCommand(losetup, ['--find', '--show', '--read-only', image]);
        const device = out.stdout.trim();
        if (out.result.ok && device.startsWith('/dev/')) loop = device;
        return { ...out, ...(loop === undefined ? {} : { args: { newPath: loop } }) };
      },
    );
    if (loop === undefined) {
      throw new NotPossible(
        `No block device can be read here: losetup failed (${attach.result.message ?? 'no device'}).`,
      );
    }
    const read = await readDevice(
      ctx,
      loop,
      deviceNumber(loop),
      'success',
      sha256Hex(content.subarray(0, 512)),
    );
    if (!read.result.ok) throw new StepFailed('Reading the loop device failed.');
    const device = loop;
    await ctx.step(
      {
        subCategories: [],
        operation: 'losetup --detach',
        via: 'command',
        args: { path: device, argv: [losetup, '--detach', device] },
      },
      () => {
        const out = runCommand(losetup, ['--detach', device]);
        if (out.result.ok) loop = undefined;
        return out;
      },
    );
  },
};
