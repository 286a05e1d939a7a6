/** A local account named after the run id: created, modified (comment, shell, lock), deleted. */
import type { Generator } from '../generator.types.ts';
import { runCommand } from '../lib/commands.ts';
import { lookupUser, requireBin } from '../lib/host.ts';
import { createTestUser } from '../lib/test-user.ts';

export const userAccount: Generator = {
  name: 'user_account',
  summary:
    'useradd of a test account named after the run id, a refused duplicate useradd, usermod (comment, shell, lock), userdel.',
  subCategories: ['user-account-created', 'user-account-modified', 'user-account-deleted'],
  needsRoot: true,
  rootReason: 'add, change and delete a local account',
  touches:
    '/etc/passwd, /etc/shadow, /etc/group, /etc/gshadow, /etc/subuid, /etc/subgid (one etm-<run id> entry, removed again; shadow keeps its usual *- backup files)',
  unavailable: (host) =>
    host.bin.useradd === undefined ||
    host.bin.usermod === undefined ||
    host.bin.userdel === undefined
      ? 'useradd/usermod/userdel are missing (install the passwd package).'
      : undefined,
  async run(ctx, host) {
    const useradd = requireBin(host, 'useradd');
    const usermod = requireBin(host, 'usermod');
    const userdel = requireBin(host, 'userdel');
    const user = await createTestUser(ctx, host, {
      shell: '/usr/sbin/nologin',
      phase: 'action',
      subCategories: ['user-account-created'],
    });

    await ctx.step(
      {
        subCategories: ['user-account-created'],
        operation: 'useradd',
        via: 'command',
        args: { user: { name: user.name }, argv: [useradd, user.name] },
        expect: 'failure',
        note: 'The name is taken: useradd exits 9 and changes nothing.',
      },
      () => runCommand(useradd, [user.name]),
    );

    const comment = `etm modified ${user.name}`;
    const modifications: Array<[string[], string]> = [
      [['--comment', comment, '--shell', '/bin/sh', user.name], 'comment and login shell'],
      [['--lock', user.name], 'password locked'],
    ];
    for (const [args, what] of modifications) {
      await ctx.step(
        {
          subCategories: ['user-account-modified'],
          operation: 'usermod',
          via: 'command',
          args: { user: { name: user.name, uid: user.uid }, argv: [usermod, ...args] },
          note: `Changes the ${what}.`,
        },
        () => {
          const out = runCommand(usermod, args);
          const entry = lookupUser(user.name);
          return {
            ...out,
            ...(entry === undefined
              ? {}
              : {
                  args: {
                    user: {
                      name: user.name,
                      uid: entry.uid,
                      gid: entry.gid,
                      shell: entry.shell,
                      comment,
                    },
                  },
                }),
          };
        },
      );
    }

    await ctx.step(
      {
        subCategories: ['user-account-deleted'],
        operation: 'userdel',
        via: 'command',
        args: { user: { name: user.name, uid: user.uid }, argv: [userdel, user.name] },
      },
      () => {
        const out = runCommand(userdel, [user.name]);
        const gone = lookupUser(user.name) === undefined;
        return gone
          ? out
          : {
              ...out,
              result: { ...out.result, ok: false, message: 'still in /etc/passwd after userdel' },
            };
      },
    );
  },
};
