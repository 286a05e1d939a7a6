/**
 * PAM logons with su from an unprivileged process to a test account: one with the right password
 * (logon, then logoff when the session ends) and one with a wrong password (failed logon).
 */
import type { Generator } from '../generator.types.ts';
import { runCommandAsync } from '../lib/commands.ts';
import { requireBin } from '../lib/host.ts';
import { createTestUser, setPassword } from '../lib/test-user.ts';

export const logon: Generator = {
  name: 'logon',
  summary:
    'su (PAM) from nobody to a test account with the right password (session opened and closed) and with a wrong one (authentication failure).',
  subCategories: [
    'user-logon',
    'user-logoff',
    'logon-failed',
    'user-account-created',
    'user-account-deleted',
  ],
  needsRoot: true,
  rootReason: 'create the test account it logs on to',
  touches: 'a test account etm-<run id> (created and deleted); PAM writes its usual auth log lines',
  unavailable: (host) => {
    const missing = (['su', 'useradd', 'userdel', 'chpasswd'] as const).filter(
      (b) => host.bin[b] === undefined,
    );
    if (missing.length > 0)
      return `${missing.join(', ')} missing, so no PAM logon can be made (install the login and passwd packages).`;
    if (host.nobody === undefined) return 'No "nobody" user to start su from.';
    return undefined;
  },
  async run(ctx, host) {
    const su = requireBin(host, 'su');
    const nobody = host.nobody as NonNullable<typeof host.nobody>;
    const user = await createTestUser(ctx, host, {
      shell: '/bin/sh',
      phase: 'setup',
      subCategories: ['user-account-created'],
    });
    const password = await setPassword(ctx, host, user.name);
    const command = `echo logon ${user.name} uid=$(id -u)`;
    const argv = [su, '--shell', '/bin/sh', '--command', command, user.name];
    const asNobody = {
      uid: nobody.uid,
      gid: nobody.gid,
      env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
    };

    await ctx.stepAsync(
      {
        subCategories: ['user-logon', 'user-logoff'],
        operation: 'su',
        via: 'command',
        args: {
          argv,
          targetUser: user.name,
          user: { name: user.name, uid: user.uid },
          logon: { service: 'su', user: user.name, authMethod: 'password', outcome: 'success' },
        },
        note: `su runs as ${nobody.name} (uid ${nobody.uid}), authenticates with the right password through PAM, opens a session, runs one command as ${user.name} and closes the session (logoff).`,
      },
      async () => {
        const out = await runCommandAsync(su, argv.slice(1), {
          ...asNobody,
          input: `${password}\n`,
          signal: ctx.signal,
        });
        const ranAsUser = out.stdout.includes(`uid=${user.uid}`);
        return ranAsUser
          ? out
          : {
              ...out,
              result: {
                ...out.result,
                ok: false,
                message: `the command did not run as ${user.name}: ${out.stderr.trim()}`,
              },
            };
      },
    );

    await ctx.stepAsync(
      {
        subCategories: ['logon-failed'],
        operation: 'su',
        via: 'command',
        args: {
          argv,
          targetUser: user.name,
          user: { name: user.name, uid: user.uid },
          logon: { service: 'su', user: user.name, authMethod: 'password', outcome: 'failure' },
        },
        expect: 'failure',
        note: `su as ${nobody.name} with a wrong password: PAM answers "Authentication failure" and no session opens.`,
      },
      () =>
        runCommandAsync(su, argv.slice(1), {
          ...asNobody,
          input: 'wrong-password\n',
          signal: ctx.signal,
        }),
    );
  },
};
