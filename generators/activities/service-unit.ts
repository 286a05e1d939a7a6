/** A systemd service unit file named after the run id: created, modified, deleted. */
import { closeSync, constants, openSync } from 'node:fs';
import type { Generator } from '../generator.types.ts';
import { removeUnit, unitFile, writeUnit } from '../lib/unit-files.ts';

const EXCL_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

function unitText(runId: string, description: string, execStart: string): string {
  return `# Created by the EDR Telemetry Matrix generator, run ${runId}; removed when the run ends.\n[Unit]\nDescription=${description}\n\n[Service]\nType=oneshot\nExecStart=${execStart}\n`;
}

export const serviceUnit: Generator = {
  name: 'service_unit',
  summary:
    'Creates /etc/systemd/system/etm-<run id>.service, modifies it and deletes it; daemon-reload only when systemd is PID 1.',
  subCategories: ['service-creation', 'service-modification', 'service-deletion'],
  needsRoot: true,
  rootReason: 'write to /etc/systemd/system',
  touches: '/etc/systemd/system/etm-<run id>.service only (created and removed)',
  unavailable: (host) =>
    host.systemUnitDir === undefined
      ? 'There is no /etc/systemd/system on this host, so there is nowhere a service unit would be read from.'
      : undefined,
  hostNote: (host) =>
    host.systemdIsPid1
      ? undefined
      : `systemd is not PID 1 (PID 1 is ${host.pid1}): the unit file is created, changed and removed, but systemd never loads it (no daemon-reload).`,
  async run(ctx, host) {
    const unit = unitFile(host, ctx.runId, 'service');
    const trueBin = host.bin.true ?? '/bin/true';
    await writeUnit(
      ctx,
      host,
      unit,
      unitText(ctx.runId, `etm test service ${ctx.runId}`, trueBin),
      ['service-creation'],
      true,
    );
    await ctx.step(
      {
        subCategories: ['service-creation'],
        operation: 'create',
        via: 'node',
        args: {
          path: unit.path,
          flags: { value: EXCL_CREATE, names: ['O_WRONLY', 'O_CREAT', 'O_EXCL'] },
        },
        expect: 'failure',
        note: 'Creating the same unit again with O_EXCL: the kernel answers EEXIST and the file is unchanged.',
      },
      () => {
        closeSync(openSync(unit.path, EXCL_CREATE, 0o644));
        return { result: { ok: true, returnValue: 0 } };
      },
    );
    await writeUnit(
      ctx,
      host,
      unit,
      unitText(ctx.runId, `etm test service ${ctx.runId} (modified)`, `${trueBin} ${ctx.runId}`),
      ['service-modification'],
      false,
    );
    await removeUnit(ctx, host, unit, ['service-deletion']);
  },
};
