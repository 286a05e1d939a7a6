/** Shared helpers for generator tests: run the CLI for real, snapshot what a run may touch. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeHost } from '../../generators/lib/host.ts';
import { findGenerator } from '../../generators/registry.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'generators', 'cli.ts');
export const isRoot = process.getuid?.() === 0;

/** Printed once per file so a skipped root test never passes silently. */
export function announceRootSkip(file: string): void {
  if (!isRoot) {
    console.warn(
      `${file}: root-only tests are skipped because this process is not root (uid ${process.getuid?.()}); CI runs them as root.`,
    );
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string } = {}): CliResult {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr };
}

/** Starts the CLI and resolves when stderr matches `waitFor`; the caller decides what to send. */
export function startCli(args: string[]) {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      const m = stderr.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const done = new Promise<CliResult>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    proc,
    done,
    waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
      const m = stderr.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${re} on stderr within ${timeoutMs} ms:\n${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          re,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
      });
    },
  };
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

const ANY_RUN = /etm-[0-9a-f]{8}/;

function withoutRuns(text: string): string {
  return text
    .split('\n')
    .filter((line) => !ANY_RUN.test(line))
    .join('\n');
}

/**
 * Everything the generators could change on the host, to compare before and after a run. Entries
 * of any generator run are left out, since other test files may be mid-run at the same time;
 * `traces(runId)` checks the runs under test precisely.
 */
export function hostSnapshot(): Record<string, string | string[]> {
  const names = (dir: string) => list(dir).filter((n) => !ANY_RUN.test(n));
  return {
    passwd: withoutRuns(read('/etc/passwd')),
    group: withoutRuns(read('/etc/group')),
    shadow: withoutRuns(read('/etc/shadow')),
    gshadow: withoutRuns(read('/etc/gshadow')),
    subuid: withoutRuns(read('/etc/subuid')),
    subgid: withoutRuns(read('/etc/subgid')),
    units: names('/etc/systemd/system'),
    unprivilegedPortStart: read('/proc/sys/net/ipv4/ip_unprivileged_port_start').trim(),
    // ssh_logon creates sshd's privilege separation directory when it is missing.
    runSshd: existsSync('/run/sshd') ? 'present' : 'absent',
    // crontab writes tmp.XXXXXX first and renames it to the user's name.
    crontabs: names('/var/spool/cron/crontabs').filter((n) => !n.startsWith('tmp.')),
    loops: list('/sys/block')
      .filter((n) => n.startsWith('loop'))
      .map((n) => `${n}:${read(`/sys/block/${n}/loop/backing_file`).trim()}`)
      // Only attached loop devices, and none of a generator run (those may come and go meanwhile).
      .filter((n) => !n.endsWith(':') && !ANY_RUN.test(n)),
  };
}

/** What of one run id is still on the host, checked independently of the generator's own code. */
export function traces(runId: string): string[] {
  const found: string[] = [];
  if (
    read('/etc/passwd')
      .split('\n')
      .some((l) => l.startsWith(`${runId}:`))
  )
    found.push('user');
  if (
    read('/etc/group')
      .split('\n')
      .some((l) => l.startsWith(`${runId}:`))
  )
    found.push('group');
  for (const n of list(tmpdir())) if (n.startsWith(`${runId}-`)) found.push(`tmp ${n}`);
  for (const n of list('/sys/block').filter((b) => b.startsWith('loop'))) {
    if (read(`/sys/block/${n}/loop/backing_file`).includes(runId)) found.push(`loop ${n}`);
  }
  for (const n of list('/etc/systemd/system')) if (n.startsWith(runId)) found.push(`unit ${n}`);
  if (existsSync(`/var/spool/cron/crontabs/${runId}`)) found.push('crontab');
  for (const pid of list('/proc').filter((n) => /^\d+$/.test(n))) {
    if (read(`/proc/${pid}/cmdline`).includes(runId)) found.push(`process ${pid}`);
  }
  return found;
}

export function bpfProgramExists(id: number): boolean | undefined {
  const res = spawnSync('bpftool', ['prog', 'show', 'id', String(id)], { encoding: 'utf8' });
  if (res.error !== undefined) return undefined;
  return res.status === 0;
}

/** Why this host cannot run a generator at all (then a test about it skips with this reason). */
export function notPossibleHere(name: string): string | undefined {
  const reason = findGenerator(name)?.unavailable(probeHost());
  return reason === undefined ? undefined : `${name} is not possible on this host: ${reason}`;
}
