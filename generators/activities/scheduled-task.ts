/**
 * A scheduled task: a crontab entry for a test account (added with crontab, listed, removed), or,
 * without cron, a systemd timer unit when systemd runs.
 */
import type { Generator } from '../generator.types.ts';
import { runCommand } from '../lib/commands.ts';
import { type HostCapabilities, requireBin } from '../lib/host.ts';
import type { RunContext } from '../lib/recorder.ts';
import { createTestUser } from '../lib/test-user.ts';
import { removeUnit, unitFile, writeUnit } from '../lib/unit-files.ts';

const CRON_SPOOL = '/var/spool/cron/crontabs';

async function viaCrontab(ctx: RunContext, host: HostCapabilities): Promise<void> {
  const crontab = requireBin(host, 'crontab');
  // A fresh account owns a crontab nobody else has: no existing crontab is ever edited.
  const user = await createTestUser(ctx, host, {
    shell: '/usr/sbin/nologin',
    phase: 'setup',
    subCategories: ['user-account-created'],
  });
  const entry = `*/5 * * * * /bin/true ${ctx.runId}`;
  const spoolPath = `${CRON_SPOOL}/${user.name}`;
  ctx.onCleanup(`crontab -r for ${user.name}`, () => {
    runCommand(crontab, ['-u', user.name, '-r']);
  });
  await ctx.step(
    {
      subCategories: ['scheduled-task'],
      operation: 'crontab',
      via: 'command',
      args: {
        argv: [crontab, '-u', user.name, '-'],
        crontab: { user: user.name, spoolPath, entry },
      },
      note: 'Installs a one-line crontab from stdin; cron would run /bin/true every 5 minutes.',
    },
    () => runCommand(crontab, ['-u', user.name, '-'], { input: `${entry}\n` }),
  );
  await ctx.step(
    {
      subCategories: [],
      operation: 'crontab -l',
      via: 'command',
      args: {
        argv: [crontab, '-u', user.name, '-l'],
        crontab: { user: user.name, spoolPath, entry },
      },
    },
    () => {
      const out = runCommand(crontab, ['-u', user.name, '-l']);
      return out.stdout.includes(entry)
        ? out
        : {
            ...out,
            result: { ...out.result, ok: false, message: 'the entry is not in the crontab' },
          };
    },
  );
  await ctx.step(
    {
      subCategories: ['scheduled-task'],
      operation: 'crontab -r',
      via: 'command',
      args: {
        argv: [crontab, '-u', user.name, '-r'],
        crontab: { user: user.name, spoolPath, entry },
      },
      note: 'Removes the crontab again.',
    },
    () => runCommand(crontab, ['-u', user.name, '-r']),
  );
  await ctx.step(
    {
      subCategories: [],
      operation: 'crontab -l',
      via: 'command',
      args: {
        argv: [crontab, '-u', user.name, '-l'],
        crontab: { user: user.name, spoolPath, entry },
      },
      expect: 'failure',
      note: 'Listing after removal: crontab answers "no crontab for <user>" and exits 1.',
    },
    () => runCommand(crontab, ['-u', user.name, '-l']),
  );
}

async function viaTimer(ctx: RunContext, host: HostCapabilities): Promise<void> {
  const timer = unitFile(host, ctx.runId, 'timer');
  const service = unitFile(host, ctx.runId, 'service');
  const trueBin = host.bin.true ?? '/bin/true';
  await writeUnit(
    ctx,
    host,
    service,
    `[Unit]\nDescription=etm scheduled task ${ctx.runId}\n\n[Service]\nType=oneshot\nExecStart=${trueBin}\n`,
    [],
    true,
  );
  await writeUnit(
    ctx,
    host,
    timer,
    `[Unit]\nDescription=etm timer ${ctx.runId}\n\n[Timer]\nOnCalendar=*:0/5\n\n[Install]\nWantedBy=timers.target\n`,
    ['scheduled-task'],
    true,
  );
  await removeUnit(ctx, host, timer, ['scheduled-task']);
  await removeUnit(ctx, host, service, []);
}

export const scheduledTask: Generator = {
  name: 'scheduled_task',
  summary:
    'Adds and removes a crontab entry for a test account, or without cron writes and removes a systemd timer unit when systemd runs.',
  subCategories: ['scheduled-task'],
  needsRoot: true,
  rootReason: 'create the test account and its crontab, or write a timer unit',
  touches:
    'with cron: a test account etm-<run id> and its crontab in /var/spool/cron/crontabs; with systemd: /etc/systemd/system/etm-<run id>.timer/.service (all removed)',
  unavailable: (host) => {
    if (host.bin.crontab !== undefined && host.bin.useradd !== undefined) return undefined;
    if (host.systemdIsPid1 && host.systemUnitDir !== undefined) return undefined;
    return `No scheduler here: cron is not installed (no crontab command) and systemd is not PID 1 (PID 1 is ${host.pid1}). Install cron (apt-get install cron) or run on a host booted with systemd.`;
  },
  hostNote: (host) =>
    host.bin.crontab !== undefined
      ? `Uses cron (${host.bin.crontab}).`
      : host.systemdIsPid1
        ? 'Uses a systemd timer unit (no cron installed); it is written, never started.'
        : undefined,
  async run(ctx, host) {
    if (host.bin.crontab !== undefined) await viaCrontab(ctx, host);
    else await viaTimer(ctx, host);
  },
};
