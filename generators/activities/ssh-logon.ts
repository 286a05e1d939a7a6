/**
 * SSH logons over loopback to a test account, served by an sshd of the run's own (Debian's
 * openssh-server binary, a private config, throwaway keys, a free port on 127.0.0.1): one that
 * succeeds with the account's key and runs a command (logon, then logoff), one refused for a
 * wrong key, and one whose password PAM refuses (failed logons). The client's source port and
 * everything else about each attempt comes from sshd's own log.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Generator } from '../generator.types.ts';
import { runCommand, runCommandAsync, startChild } from '../lib/commands.ts';
import { StepFailed } from '../lib/errors.ts';
import { requireBin } from '../lib/host.ts';
import { noteCreatedOutside } from '../lib/leftovers.ts';
import type { RunContext, StepOutcome } from '../lib/recorder.ts';
import { createTestUser } from '../lib/test-user.ts';
import type { ActionArgs } from '../manifest.schema.ts';

type LogonFacts = NonNullable<ActionArgs['logon']>;

const LOOPBACK = '127.0.0.1';
/** sshd's privilege separation directory: it refuses to start without it. */
const PRIVSEP_DIR = '/run/sshd';
const ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: LOOPBACK, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** sshd's log, read from an offset: each attempt reads only what it caused. */
class SshdLog {
  offset = 0;
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  text(): string {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the log since `offset` matches `re` (sshd writes after the client returns). */
  async waitFor(re: RegExp, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = this.text().slice(this.offset);
      if (re.test(since)) return since;
      if (Date.now() > deadline || signal.aborted) return undefined;
      await sleep(20);
    }
  }
}

/** What sshd logged about one connection: its source port, server pid and verdict lines. */
function parseAttempt(since: string, user: string): Partial<LogonFacts> & { lines: string[] } {
  const connection = /^Connection from (\S+) port (\d+) on (\S+) port (\d+)/m.exec(since);
  const forked = /^debug1: Forked child (\d+)\./m.exec(since);
  const session = /^User child is on pid (\d+)/m.exec(since);
  const lines = since
    .split(/\r?\n/)
    .filter((line) => line !== '' && !line.startsWith('debug'))
    .filter((line) => !line.startsWith('Server listening'));
  return {
    lines,
    ...(connection === null
      ? {}
      : {
          sourceAddress: connection[1] as string,
          sourcePort: Number(connection[2]),
          destinationAddress: connection[3] as string,
          destinationPort: Number(connection[4]),
        }),
    ...(forked === null ? {} : { serverPid: Number(forked[1]) }),
    ...(session === null ? {} : { sessionPid: Number(session[1]) }),
    // The user name is the run id: no other connection's lines can match it.
    ...(new RegExp(`^Accepted \\S+ for ${user} `, 'm').test(since) ? { outcome: 'success' } : {}),
  };
}

function fingerprint(sshKeygen: string, publicKey: string): string | undefined {
  const out = runCommand(sshKeygen, ['-l', '-f', publicKey]);
  return /\b(SHA256:[A-Za-z0-9+/=]+)/.exec(out.stdout)?.[1];
}

/** ssh options that make the client use only what the run gives it. */
function clientOptions(port: number): string[] {
  return [
    '-F',
    '/dev/null',
    '-p',
    String(port),
    '-b',
    LOOPBACK,
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=5',
  ];
}

async function stopSshd(
  ctx: RunContext,
  sshd: ReturnType<typeof startChild>,
  argv: string[],
): Promise<void> {
  await ctx.stepAsync(
    {
      phase: 'cleanup',
      subCategories: [],
      operation: 'kill',
      via: 'node',
      args: { targetPid: sshd.pid, signal: 'SIGTERM', argv },
      note: 'Stops the run’s sshd (SIGKILL after 3 s if it has not exited).',
    },
    async () => {
      if (sshd.proc.exitCode !== null || sshd.proc.signalCode !== null) {
        return { result: { ok: true, returnValue: 0 }, note: 'sshd had already exited.' };
      }
      sshd.proc.kill('SIGTERM');
      const timer = setTimeout(() => sshd.proc.kill('SIGKILL'), 3000);
      const exit = await sshd.exited;
      clearTimeout(timer);
      return {
        result: { ok: true, returnValue: 0 },
        children: [
          {
            pid: sshd.pid,
            ppid: process.pid,
            executable: argv[0] as string,
            argv,
            exitCode: exit.exitCode,
            signal: exit.signal,
          },
        ],
      };
    },
  );
}

/** One ssh attempt, recorded with what sshd logged about it. */
async function attempt(
  ctx: RunContext,
  log: SshdLog,
  spec: {
    ssh: string;
    argv: string[];
    env: NodeJS.ProcessEnv;
    user: { name: string; uid: number };
    port: number;
    authMethod: 'publickey' | 'password';
    keyFingerprint?: string;
    expect: 'success' | 'failure';
    note: string;
  },
): Promise<void> {
  const base: LogonFacts = {
    service: 'sshd',
    user: spec.user.name,
    authMethod: spec.authMethod,
    outcome: spec.expect,
    destinationAddress: LOOPBACK,
    destinationPort: spec.port,
    ...(spec.keyFingerprint === undefined ? {} : { keyFingerprint: spec.keyFingerprint }),
  };
  const name = spec.user.name;
  // The last line sshd writes about a connection: after logoff, or after the refusal.
  const closed =
    spec.expect === 'success'
      ? new RegExp(`^Disconnected from user ${name} `, 'm')
      : new RegExp(`^Connection closed by authenticating user ${name} `, 'm');
  const problems: string[] = [];
  await ctx.stepAsync(
    {
      subCategories: spec.expect === 'success' ? ['user-logon', 'user-logoff'] : ['logon-failed'],
      operation: 'ssh',
      via: 'command',
      args: {
        argv: spec.argv,
        targetUser: name,
        user: { name, uid: spec.user.uid },
        logon: base,
      },
      expect: spec.expect,
      note: spec.note,
    },
    async (): Promise<StepOutcome> => {
      log.offset = log.text().length;
      const out = await runCommandAsync(spec.ssh, spec.argv.slice(1), {
        env: spec.env,
        signal: ctx.signal,
      });
      const since = await log.waitFor(closed, 5000, ctx.signal);
      const parsed = parseAttempt(since ?? log.text().slice(log.offset), name);
      const { lines, outcome, ...facts } = parsed;
      const logon: LogonFacts = {
        ...base,
        ...facts,
        outcome: outcome ?? 'failure',
        serverLog: lines,
      };
      if (since === undefined) problems.push(`sshd did not log the end of the connection`);
      if (facts.sourcePort === undefined) problems.push('sshd did not log the source port');
      if (spec.expect === 'success') {
        const m = /uid=(\d+) conn=(\S+) (\d+) /.exec(out.stdout);
        if (m === null || Number(m[1]) !== spec.user.uid)
          problems.push(`the command did not run as ${name}: ${out.stdout.trim()}`);
        else if (Number(m[3]) !== facts.sourcePort)
          problems.push(`the session saw source port ${m[3]}, sshd logged ${facts.sourcePort}`);
      }
      const result =
        problems.length === 0
          ? out.result
          : { ...out.result, ok: false, message: problems.join('; ') };
      return {
        ...out,
        result,
        args: { logon },
        ...(spec.expect === 'success'
          ? { note: `${spec.note} Session output: ${out.stdout.trim()}` }
          : {}),
      };
    },
  );
  // A refusal is expected to fail, so a failure to record it must stop the run here.
  if (spec.expect === 'failure' && problems.length > 0)
    throw new StepFailed(`ssh ${spec.authMethod} attempt: ${problems.join('; ')}.`);
}

export const sshLogon: Generator = {
  name: 'ssh_logon',
  summary:
    'SSH logons over 127.0.0.1 to a test account served by its own sshd: one with the right key (session opened, command run, closed), one with a wrong key and one with a wrong password (both refused).',
  subCategories: [
    'user-logon',
    'user-logoff',
    'logon-failed',
    'user-account-created',
    'user-account-deleted',
  ],
  needsRoot: true,
  rootReason: 'create the test account and run an sshd of its own on a loopback port',
  touches:
    'a test account etm-<run id>; an sshd on a free 127.0.0.1 port with throwaway keys and config in its temp dir (mode 0711 so sshd, acting as the account, can read the authorized key); /run/sshd when missing; all removed again. PAM and sshd log as usual.',
  unavailable: (host) => {
    const ssh = (['sshd', 'ssh', 'ssh-keygen'] as const).filter((b) => host.bin[b] === undefined);
    if (ssh.length > 0)
      return `OpenSSH is not installed (${ssh.join(', ')} missing), so no SSH logon can be made (install it with apt-get install openssh-server openssh-client; the system service may stay stopped).`;
    const users = (['useradd', 'userdel'] as const).filter((b) => host.bin[b] === undefined);
    if (users.length > 0)
      return `${users.join(', ')} missing, so no test account can be made (install the passwd package).`;
    return undefined;
  },
  hostNote: () =>
    existsSync(PRIVSEP_DIR)
      ? undefined
      : `${PRIVSEP_DIR} is missing: the run creates it for its sshd and removes it again.`,
  async run(ctx, host) {
    const sshdBin = requireBin(host, 'sshd');
    const ssh = requireBin(host, 'ssh');
    const sshKeygen = requireBin(host, 'ssh-keygen');
    const dir = ctx.tempDir();
    const user = await createTestUser(ctx, host, {
      shell: '/bin/sh',
      phase: 'setup',
      subCategories: ['user-account-created'],
    });

    const keys: Record<'host' | 'client' | 'wrong', string> = {
      host: join(dir, `${ctx.runId}-host-key`),
      client: join(dir, `${ctx.runId}-client-key`),
      wrong: join(dir, `${ctx.runId}-wrong-key`),
    };
    const fingerprints: Partial<Record<keyof typeof keys, string>> = {};
    for (const [role, path] of Object.entries(keys) as Array<[keyof typeof keys, string]>) {
      const args = ['-q', '-t', 'ed25519', '-N', '', '-C', `${ctx.runId}-${role}`, '-f', path];
      await ctx.step(
        {
          phase: 'setup',
          subCategories: [],
          operation: 'ssh-keygen',
          via: 'command',
          args: { path, argv: [sshKeygen, ...args] },
          note: `A throwaway ${role} key (ed25519, no passphrase).`,
        },
        () => {
          const out = runCommand(sshKeygen, args);
          const fp = out.result.ok ? fingerprint(sshKeygen, `${path}.pub`) : undefined;
          if (fp !== undefined) fingerprints[role] = fp;
          return { ...out, ...(fp === undefined ? {} : { note: `${role} key ${fp}` }) };
        },
      );
    }

    const port = await freePort();
    const config = join(dir, `${ctx.runId}-sshd_config`);
    const authorizedKeys = join(dir, `${ctx.runId}-authorized_keys`);
    const logPath = join(dir, `${ctx.runId}-sshd.log`);
    const configText = [
      `# sshd of generator run ${ctx.runId}: loopback only, this run's keys and account only.`,
      `ListenAddress ${LOOPBACK}`,
      `Port ${port}`,
      `HostKey ${keys.host}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${join(dir, `${ctx.runId}-sshd.pid`)}`,
      `AllowUsers ${user.name}`,
      'UsePAM yes',
      // The temp dir belongs to root with mode 0711, which StrictModes would reject for keys.
      'StrictModes no',
      // DEBUG1 adds "Forked child <pid>", the pid of the process serving each connection.
      'LogLevel DEBUG1',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'PrintMotd no',
      'MaxStartups 4',
      '',
    ].join('\n');
    await ctx.step(
      {
        phase: 'setup',
        subCategories: [],
        operation: 'create',
        via: 'node',
        args: { path: config, newPath: authorizedKeys },
        note: `sshd_config (ListenAddress ${LOOPBACK}, Port ${port}, UsePAM yes, AllowUsers ${user.name}) and the authorized_keys file holding the client key; the temp dir becomes mode 0711 so sshd can read that file as ${user.name}.`,
      },
      () => {
        writeFileSync(config, configText, { flag: 'wx', mode: 0o600 });
        writeFileSync(authorizedKeys, readFileSync(`${keys.client}.pub`), {
          flag: 'wx',
          mode: 0o644,
        });
        chmodSync(dir, 0o711);
        return { result: { ok: true, returnValue: 0 } };
      },
    );

    if (!existsSync(PRIVSEP_DIR)) {
      // Listed in the temp dir before it exists, so a killed run's safety net removes it too.
      noteCreatedOutside(dir, PRIVSEP_DIR);
      ctx.onCleanup(`rmdir ${PRIVSEP_DIR}`, async () => {
        if (!existsSync(PRIVSEP_DIR)) return;
        await ctx.step(
          {
            phase: 'cleanup',
            subCategories: [],
            operation: 'rmdir',
            via: 'node',
            args: { path: PRIVSEP_DIR },
            note: 'The run created it, so it removes it.',
          },
          () => {
            rmdirSync(PRIVSEP_DIR);
            return { result: { ok: true, returnValue: 0 } };
          },
        );
      });
      await ctx.step(
        {
          phase: 'setup',
          subCategories: [],
          operation: 'mkdir',
          via: 'node',
          args: { path: PRIVSEP_DIR, mode: 0o755 },
          note: 'sshd’s privilege separation directory was missing; sshd will not start without it.',
        },
        () => {
          mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
          return { result: { ok: true, returnValue: 0 } };
        },
      );
    }

    const sshdArgv = [sshdBin, '-D', '-f', config, '-E', logPath];
    const log = new SshdLog(logPath);
    let sshd: ReturnType<typeof startChild> | undefined;
    ctx.onCleanup('stop sshd', async () => {
      if (sshd !== undefined && sshd.pid !== 0) await stopSshd(ctx, sshd, sshdArgv);
    });
    await ctx.stepAsync(
      {
        phase: 'setup',
        subCategories: [],
        operation: 'sshd',
        via: 'command',
        args: { argv: sshdArgv, executable: sshdBin },
        note: `sshd in the foreground (-D), logging to its temp dir (-E); ready once it logs "Server listening on ${LOOPBACK} port ${port}".`,
      },
      async () => {
        sshd = startChild(sshdBin, sshdArgv.slice(1), { stdio: 'ignore', env: ENV });
        const child = {
          pid: sshd.pid,
          ppid: process.pid,
          executable: sshdBin,
          argv: sshdArgv,
          exitCode: null,
          signal: null,
        };
        if (sshd.pid === 0) return { result: { ok: false, message: 'sshd did not start' } };
        const ready = new RegExp(
          `^Server listening on ${LOOPBACK.replaceAll('.', '\\.')} port ${port}\\.`,
          'm',
        );
        const exited = sshd.exited.then(() => undefined);
        const listening = await Promise.race([log.waitFor(ready, 5000, ctx.signal), exited]);
        if (listening === undefined) {
          const last = log.text().trim().split('\n').filter(Boolean).at(-1);
          return {
            result: {
              ok: false,
              message: `sshd did not start listening: ${last ?? 'it logged nothing'}`,
            },
            children: [child],
          };
        }
        return { result: { ok: true, returnValue: 0 }, children: [child] };
      },
    );

    const target = `${user.name}@${LOOPBACK}`;
    const command = `echo "ssh ${ctx.runId} uid=$(id -u) conn=$SSH_CONNECTION"`;
    const keyOptions = [
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'PasswordAuthentication=no',
    ];
    await attempt(ctx, log, {
      ssh,
      argv: [ssh, ...clientOptions(port), ...keyOptions, '-i', keys.client, target, command],
      env: ENV,
      user,
      port,
      authMethod: 'publickey',
      ...(fingerprints.client === undefined ? {} : { keyFingerprint: fingerprints.client }),
      expect: 'success',
      note: `ssh with the account's key: sshd accepts it, PAM opens a session, the command runs as ${user.name} and prints $SSH_CONNECTION, the session closes (logoff).`,
    });
    await attempt(ctx, log, {
      ssh,
      argv: [ssh, ...clientOptions(port), ...keyOptions, '-i', keys.wrong, target, 'true'],
      env: ENV,
      user,
      port,
      authMethod: 'publickey',
      ...(fingerprints.wrong === undefined ? {} : { keyFingerprint: fingerprints.wrong }),
      expect: 'failure',
      note: 'ssh with a key that is not authorized: sshd logs "Failed publickey" and closes the connection before any session.',
    });

    // ssh reads a password only from a terminal or SSH_ASKPASS; this one prints a wrong password.
    const askpass = join(dir, `${ctx.runId}-askpass`);
    writeFileSync(askpass, '#!/bin/sh\necho wrong-password\n', { flag: 'wx', mode: 0o700 });
    await attempt(ctx, log, {
      ssh,
      argv: [
        ssh,
        ...clientOptions(port),
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'PreferredAuthentications=password',
        '-o',
        'NumberOfPasswordPrompts=1',
        target,
        'true',
      ],
      env: { ...ENV, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' },
      user,
      port,
      authMethod: 'password',
      expect: 'failure',
      note: 'ssh with a wrong password (given by SSH_ASKPASS): PAM answers "Authentication failure", sshd logs "Failed password" after PAM’s delay.',
    });
  },
};
