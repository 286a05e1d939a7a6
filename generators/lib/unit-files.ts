/** systemd unit files named after the run id: write, rewrite, remove, with a daemon-reload only
 * when systemd is PID 1 (otherwise the manifest says no reload happened). */
import { closeSync, constants, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SubCategoryId } from '../manifest.schema.ts';
import { runCommand } from './commands.ts';
import { flagNames } from './errno.ts';
import { contentFacts } from './file-facts.ts';
import type { HostCapabilities } from './host.ts';
import type { RunContext } from './recorder.ts';

const FLAGS = {
  O_WRONLY: constants.O_WRONLY,
  O_CREAT: constants.O_CREAT,
  O_EXCL: constants.O_EXCL,
  O_TRUNC: constants.O_TRUNC,
};

export interface UnitFile {
  name: string;
  path: string;
  type: 'service' | 'timer';
}

export function unitFile(host: HostCapabilities, runId: string, type: UnitFile['type']): UnitFile {
  const name = `${runId}.${type}`;
  return { name, path: join(host.systemUnitDir ?? '/etc/systemd/system', name), type };
}

async function reload(
  ctx: RunContext,
  host: HostCapabilities,
  phase: 'action' | 'cleanup',
): Promise<void> {
  if (!host.systemdIsPid1 || host.bin.systemctl === undefined) return;
  const systemctl = host.bin.systemctl;
  await ctx.step(
    {
      phase,
      subCategories: [],
      operation: 'systemctl daemon-reload',
      via: 'command',
      args: { argv: [systemctl, 'daemon-reload'] },
    },
    () => runCommand(systemctl, ['daemon-reload']),
  );
}

/** Writes (or rewrites) a unit file; registers its removal the first time. */
export async function writeUnit(
  ctx: RunContext,
  host: HostCapabilities,
  unit: UnitFile,
  content: string,
  subCategories: SubCategoryId[],
  create: boolean,
): Promise<void> {
  if (create) {
    ctx.onCleanup(`remove ${unit.path}`, async () => {
      if (!existsSync(unit.path)) return;
      await removeUnit(ctx, host, unit, [], 'cleanup');
    });
  }
  const flags = create
    ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL
    : constants.O_WRONLY | constants.O_TRUNC;
  const data = Buffer.from(content);
  await ctx.step(
    {
      subCategories,
      operation: create ? 'create' : 'write',
      via: 'node',
      args: {
        path: unit.path,
        flags: { value: flags, names: flagNames(flags, FLAGS) },
        mode: 0o644,
        unit: { ...unit, daemonReload: host.systemdIsPid1 },
      },
      ...(host.systemdIsPid1
        ? {}
        : {
            note: `systemd is not PID 1 here (PID 1 is ${host.pid1}), so no daemon-reload happened: the unit file exists but systemd never loaded it.`,
          }),
    },
    () => {
      const fd = openSync(unit.path, flags, 0o644);
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
      return {
        result: { ok: true, returnValue: data.length },
        args: { file: { path: unit.path, kind: 'systemd-unit', ...contentFacts(data) } },
      };
    },
  );
  await reload(ctx, host, 'action');
}

export async function removeUnit(
  ctx: RunContext,
  host: HostCapabilities,
  unit: UnitFile,
  subCategories: SubCategoryId[],
  phase: 'action' | 'cleanup' = 'action',
): Promise<void> {
  await ctx.step(
    {
      phase,
      subCategories,
      operation: 'unlink',
      via: 'node',
      args: { path: unit.path, unit: { ...unit, daemonReload: host.systemdIsPid1 } },
    },
    () => {
      unlinkSync(unit.path);
      return { result: { ok: true, returnValue: 0 } };
    },
  );
  await reload(ctx, host, phase);
}
