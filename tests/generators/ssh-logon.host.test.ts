/**
 * ssh_logon for real, as root: each attempt's manifest facts checked against sshd's own log
 * lines, the session's own $SSH_CONNECTION, ssh-keygen's fingerprints and the kernel's socket
 * table; then nothing left (no sshd, no account, no files, /run/sshd as it was), also after
 * SIGINT and after SIGKILL of the worker.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executeRun, newRunId } from '../../generators/lib/execute.ts';
import { type HostCapabilities, probeHost } from '../../generators/lib/host.ts';
import {
  type Action,
  parseManifest,
  type Run,
  RunSchema,
} from '../../generators/manifest.schema.ts';
import { findGenerator } from '../../generators/registry.ts';
import {
  announceRootSkip,
  hostSnapshot,
  isRoot,
  notPossibleHere,
  startCli,
  traces,
} from './helpers.ts';

announceRootSkip('tests/generators/ssh-logon.host.test.ts');

const work = mkdtempSync(join(tmpdir(), 'etm-ssh-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sshLogon = findGenerator('ssh_logon');

/** Pids of sshd processes (by executable), whatever their command line says. */
function sshdProcesses(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/^\d+ \(sshd\) [^Z]/.test(stat)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The worker process the CLI started (a node child of the CLI). */
function workerOf(cliPid: number): number | undefined {
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === cliPid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('worker.ts'))
        return Number(name);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

describe('ssh_logon availability', () => {
  it('says OpenSSH is missing, and how to install it, instead of failing', () => {
    const host = probeHost();
    const without: HostCapabilities = { ...host, bin: { ...host.bin, sshd: undefined } };
    expect(sshLogon?.unavailable(without)).toBe(
      'OpenSSH is not installed (sshd missing), so no SSH logon can be made (install it with apt-get install openssh-server openssh-client; the system service may stay stopped).',
    );
  });
});

describe.runIf(isRoot)('ssh_logon', () => {
  it('logs on with the key, is refused a wrong key and a wrong password, as sshd logged them', async ({
    skip,
  }) => {
    const missing = notPossibleHere('ssh_logon');
    if (missing !== undefined) skip(missing);
    const before = hostSnapshot();
    const sshdBefore = sshdProcesses();
    const runId = newRunId();
    const problems: string[] = [];
    let logPath = '';
    let sshdPid = 0;
    const check = (a: Action) => {
      if (a.operation === 'sshd') {
        const argv = a.args.argv ?? [];
        logPath = argv[argv.indexOf('-E') + 1] ?? '';
        sshdPid = a.children?.[0]?.pid ?? 0;
        // The listener: sshd's executable, listening on 127.0.0.1 only.
        expect(readlinkExe(sshdPid)).toBe(probeHost().bin.sshd);
        const config = readFileSync(argv[argv.indexOf('-f') + 1] as string, 'utf8');
        const port = Number(/^Port (\d+)$/m.exec(config)?.[1]);
        const listen = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`;
        expect(readFileSync('/proc/net/tcp', 'utf8')).toContain(listen);
        expect(config).toMatch(/^ListenAddress 127\.0\.0\.1$/m);
        expect(config).toMatch(/^UsePAM yes$/m);
      }
      if (a.operation !== 'ssh') return;
      const logon = a.args.logon;
      if (logon === undefined) throw new Error('no logon facts');
      const log = readFileSync(logPath, 'utf8');
      const from = `${logon.user} from 127.0.0.1 port ${logon.sourcePort} ssh2`;
      expect(logon.user).toBe(runId);
      expect(logon.sourceAddress).toBe('127.0.0.1');
      expect(logon.destinationAddress).toBe('127.0.0.1');
      expect(logon.serverLog?.length).toBeGreaterThan(1);
      // The fingerprint of the key ssh was given, computed here, is the one sshd logged.
      const keyPath = (a.args.argv ?? [])[(a.args.argv ?? []).indexOf('-i') + 1];
      if (logon.authMethod === 'publickey' && keyPath !== undefined) {
        const fp = spawnSync('ssh-keygen', ['-l', '-f', `${keyPath}.pub`], {
          encoding: 'utf8',
        }).stdout.split(' ')[1];
        expect(logon.keyFingerprint).toBe(fp);
      }
      if (a.expect === 'success') {
        expect(logon.outcome).toBe('success');
        expect(log).toContain(`Accepted publickey for ${from}: ED25519 ${logon.keyFingerprint}`);
        expect(log).toContain(
          `Disconnected from user ${logon.user} 127.0.0.1 port ${logon.sourcePort}`,
        );
        expect(log).toContain(`User child is on pid ${logon.sessionPid}`);
        // The session's own view of the connection, and the account it ran as.
        const uid = readFileSync('/etc/passwd', 'utf8').match(
          new RegExp(`^${runId}:[^:]*:(\\d+):`, 'm'),
        )?.[1];
        expect(a.note).toContain(
          `uid=${uid} conn=127.0.0.1 ${logon.sourcePort} 127.0.0.1 ${logon.destinationPort}`,
        );
        expect(a.children?.[0]?.exitCode).toBe(0);
      } else {
        expect(logon.outcome).toBe('failure');
        expect(a.result.ok).toBe(false);
        expect(a.children?.[0]?.exitCode).toBe(255);
        if (logon.authMethod === 'publickey')
          expect(log).toContain(`Failed publickey for ${from}: ED25519 ${logon.keyFingerprint}`);
        else expect(log).toContain(`Failed password for ${from}`);
        expect(log).toContain(
          `Connection closed by authenticating user ${logon.user} 127.0.0.1 port ${logon.sourcePort} [preauth]`,
        );
        expect(log).not.toMatch(new RegExp(`^Accepted \\S+ for ${from}`, 'm'));
      }
    };
    const result = await executeRun(sshLogon as NonNullable<typeof sshLogon>, {
      runId,
      iteration: 1,
      host: probeHost(),
      signal: new AbortController().signal,
      log: () => {},
      observe: (action) => {
        try {
          check(action);
        } catch (error) {
          problems.push(`#${action.seq} ${action.operation}: ${(error as Error).message}`);
        }
      },
    });
    expect(problems).toEqual([]);
    expect(RunSchema.parse(result)).toEqual(result);
    expect(result.status, result.reason).toBe('ok');
    const attempts = result.actions.filter((a) => a.operation === 'ssh');
    expect(attempts.map((a) => [a.args.logon?.authMethod, a.args.logon?.outcome])).toEqual([
      ['publickey', 'success'],
      ['publickey', 'failure'],
      ['password', 'failure'],
    ]);
    expect(new Set(attempts.map((a) => a.args.logon?.sourcePort)).size).toBe(3);
    expect(attempts[0]?.subCategories).toEqual(['user-logon', 'user-logoff']);
    expect(attempts[1]?.subCategories).toEqual(['logon-failed']);
    // Nothing left: no sshd, no account, no files, /run/sshd as it was.
    expect(result.leftovers).toEqual([]);
    expect(traces(runId)).toEqual([]);
    expect(existsSync(`/proc/${sshdPid}`)).toBe(false);
    expect(sshdProcesses()).toEqual(sshdBefore);
    expect(existsSync(result.tempDir as string)).toBe(false);
    expect(hostSnapshot()).toEqual(before);
  });
});

function readlinkExe(pid: number): string {
  return spawnSync('readlink', [`/proc/${pid}/exe`], { encoding: 'utf8' }).stdout.trim();
}

describe.runIf(isRoot)('ssh_logon interrupted', () => {
  const sshdReady = /\[ssh_logon (etm-[0-9a-f]{8})\] +#\d+ sshd \S+ → ok/;

  it('SIGINT while sshd runs stops it and removes the account, keys and /run/sshd', async ({
    skip,
  }) => {
    const missing = notPossibleHere('ssh_logon');
    if (missing !== undefined) skip(missing);
    const before = hostSnapshot();
    const sshdBefore = sshdProcesses();
    const out = join(work, 'interrupted.json');
    const cli = startCli(['ssh_logon', 'file_activity', '--pace', '300', '--out', out]);
    const [, runId] = await cli.waitFor(sshdReady);
    cli.proc.kill('SIGINT');
    const res = await cli.done;
    expect(res.code).toBe(1);
    const runs = parseManifest(readFileSync(out, 'utf8'), out).runs;
    expect(runs.map((r) => r.generator)).toEqual(['ssh_logon']);
    const run = runs[0] as Run;
    expect(run.runId).toBe(runId);
    expect(run.reason).toMatch(/^Interrupted by a signal/);
    const cleanups = run.actions.filter((a) => a.phase === 'cleanup').map((a) => a.operation);
    expect(cleanups).toEqual(expect.arrayContaining(['kill', 'userdel']));
    expect(run.leftovers).toEqual([]);
    expect(traces(runId as string)).toEqual([]);
    expect(sshdProcesses()).toEqual(sshdBefore);
    expect(hostSnapshot()).toEqual(before);
  });

  it('a worker killed with SIGKILL while sshd runs is cleaned up by the CLI', async ({ skip }) => {
    const missing = notPossibleHere('ssh_logon');
    if (missing !== undefined) skip(missing);
    const before = hostSnapshot();
    const sshdBefore = sshdProcesses();
    const out = join(work, 'killed.json');
    const cli = startCli(['ssh_logon', '--pace', '300', '--out', out]);
    const [, runId] = await cli.waitFor(sshdReady);
    expect(sshdProcesses().length).toBeGreaterThan(sshdBefore.length);
    const worker = workerOf(cli.proc.pid as number);
    expect(worker).toBeDefined();
    process.kill(worker as number, 'SIGKILL');
    const res = await cli.done;
    expect(res.code).toBe(1);
    const run = parseManifest(readFileSync(out, 'utf8')).runs[0] as Run;
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('The worker process ended (SIGKILL) without reporting its run');
    expect(run.leftovers).toEqual([]);
    expect(traces(runId as string)).toEqual([]);
    // The safety net killed the orphaned sshd (tagged by its config path); give the kernel a moment to reap it.
    for (let i = 0; i < 50 && sshdProcesses().length > sshdBefore.length; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sshdProcesses()).toEqual(sshdBefore);
    expect(hostSnapshot()).toEqual(before);
  });
});
