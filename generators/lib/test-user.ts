/** A uniquely named local account (its name is the run id) for the user and logon generators. */
import { randomBytes } from 'node:crypto';
import type { SubCategoryId } from '../manifest.schema.ts';
import { runCommand } from './commands.ts';
import { StepFailed } from './errors.ts';
import { type HostCapabilities, lookupUser, requireBin } from './host.ts';
import type { RunContext } from './recorder.ts';

/** Registers the userdel cleanup first, then runs useradd; returns the account's facts. */
export async function createTestUser(
  ctx: RunContext,
  host: HostCapabilities,
  options: { shell: string; phase: 'setup' | 'action'; subCategories: SubCategoryId[] },
): Promise<{ name: string; uid: number; gid: number }> {
  const name = ctx.runId;
  const useradd = requireBin(host, 'useradd');
  const userdel = requireBin(host, 'userdel');
  ctx.onCleanup(`userdel ${name}`, async () => {
    if (lookupUser(name) === undefined) return;
    await ctx.step(
      {
        phase: 'cleanup',
        subCategories: ['user-account-deleted'],
        operation: 'userdel',
        via: 'command',
        args: { user: { name }, argv: [userdel, name] },
      },
      () => runCommand(userdel, [name]),
    );
  });
  const comment = `etm test account ${name}`;
  const args = [
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    options.shell,
    '--comment',
    comment,
    name,
  ];
  await ctx.step(
    {
      phase: options.phase,
      subCategories: options.subCategories,
      operation: 'useradd',
      via: 'command',
      args: {
        user: { name, shell: options.shell, comment, home: '/nonexistent' },
        argv: [useradd, ...args],
      },
    },
    () => {
      const out = runCommand(useradd, args);
      const entry = lookupUser(name);
      return {
        ...out,
        ...(entry === undefined
          ? {}
          : {
              args: {
                user: {
                  name,
                  uid: entry.uid,
                  gid: entry.gid,
                  shell: entry.shell,
                  comment,
                  home: entry.home,
                },
              },
            }),
      };
    },
  );
  const entry = lookupUser(name);
  if (entry === undefined)
    throw new StepFailed(`useradd reported success but ${name} is not in /etc/passwd.`);
  return { name, uid: entry.uid, gid: entry.gid };
}

/** Gives the test account a random password through chpasswd (PAM), returned for su. */
export async function setPassword(
  ctx: RunContext,
  host: HostCapabilities,
  name: string,
): Promise<string> {
  const password = `Etm-${randomBytes(12).toString('base64url')}`;
  const chpasswd = requireBin(host, 'chpasswd');
  await ctx.step(
    {
      phase: 'setup',
      subCategories: ['user-account-modified'],
      operation: 'chpasswd',
      via: 'command',
      args: { user: { name }, argv: [chpasswd] },
      note: 'Sets a random password (not recorded) so su can authenticate.',
    },
    () => runCommand(chpasswd, [], { input: `${name}:${password}\n` }),
  );
  return password;
}
