/** A systemd service unit file named after the run id: created, modified, deleted. */
import type { Generator } from '../generator.types.ts';
import { removeUnit, unitFile, writeUnit } from '../lib/unit-files.ts';

function unitText(runId: string, description: string, execStart: string): string {
  return `# Created by the EDR Telemetry Matrix generator, run ${runId}; removed when the run ends.\n[Unit]\nDescription=${description}\n\n[Service]\nType=oneshot\nExecStart=${execStart}\n`;
}

export const serviceUnit: Generator = {
  name: 'service_unit',
  summary:
    'Creates /etc/systemd/system/etm-<run id>.service, modifies it and deletes it; daemon-reload only when systemd is PID 1.',
  subCategories: ['service-creation', 'service-modification', 'service-deletion'],
  needsRoot: true,
  touches: '/etc/systemd/system/etm-<run id>.service only (created and removed)',
  unavailable: (host) =>
    host.systemUnitDir === undefined
      ? 'There is no /etc/systemd/system on this host, so there is nowhere a service unit would be read from.'
      : undefined,
  async run(ctx, host) {
    const unit = unitFile(host, ctx.runId, 'service');
    const trueBin = host.bin.true ?? '/bin/true';
    writeUnit(
      ctx,
      host,
      unit,
      unitText(ctx.runId, `etm test service ${ctx.runId}`, trueBin),
      ['service-creation'],
      true,
    );
    writeUnit(
      ctx,
      host,
      unit,
      unitText(ctx.runId, `etm test service ${ctx.runId} (modified)`, `${trueBin} ${ctx.runId}`),
      ['service-modification'],
      false,
    );
    removeUnit(ctx, host, unit, ['service-deletion']);
  },
};
