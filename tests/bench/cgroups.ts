/**
 * cgroup v2 accounting for the agent bench: private cgroups under the root, a command started
 * inside one (so all its children are counted), CPU time from cpu.stat, and removal afterwards.
 * BPF programs run in the context of the task that hit the hook, so their cost lands in the
 * workload's cgroup; the sensor's own processes land in theirs.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where cgroup v2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host. */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'cgroup2' && f[1]) return f[1];
  }
  return undefined;
}

export const CGROUP_ROOT = cgroup2Mount() ?? '/sys/fs/cgroup';

export interface CpuUsage {
  usageUs: number;
  userUs: number;
  systemUs: number;
}

export class BenchCgroup {
  readonly dir: string;

  constructor(name: string) {
    this.dir = join(CGROUP_ROOT, name);
    mkdirSync(this.dir);
  }

  cpu(): CpuUsage {
    const stat = readFileSync(join(this.dir, 'cpu.stat'), 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(stat)?.[1] ?? 'NaN');
    return { usageUs: get('usage_usec'), userUs: get('user_usec'), systemUs: get('system_usec') };
  }

  /** Moves a running process (not its existing children) into this cgroup. */
  adopt(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), `${pid}\n`);
  }

  pids(): number[] {
    return readFileSync(join(this.dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }

  /** argv as a command that enters this cgroup before exec, so every descendant is counted. */
  wrap(argv: readonly string[]): [string, string[]] {
    return ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.dir, ...argv]];
  }

  runSync(argv: readonly string[]): { status: number | null; stderr: string } {
    const [cmd, args] = this.wrap(argv);
    const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    return { status: r.status, stderr: r.stderr };
  }

  /** Starts argv in this cgroup, stderr piped; `extraPipes` more pipes on descriptors 3, 4... */
  spawn(argv: readonly string[], extraPipes = 0): ChildProcess {
    const [cmd, args] = this.wrap(argv);
    const extra: 'pipe'[] = Array.from({ length: extraPipes }, () => 'pipe');
    return spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', ...extra] });
  }

  /** Moves what is left back to the root cgroup and removes this one. */
  remove(): void {
    if (!existsSync(this.dir)) return;
    for (const pid of this.pids()) {
      try {
        writeFileSync(join(CGROUP_ROOT, 'cgroup.procs'), `${pid}\n`);
      } catch {
        // exited meanwhile
      }
    }
    rmdirSync(this.dir);
  }
}

/** Why private cgroups cannot be used here, or undefined. */
export function cgroupUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the bench needs root (cgroups, BPF, auditd)';
  if (!existsSync(join(CGROUP_ROOT, 'cgroup.controllers')))
    return 'no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)';
  return undefined;
}

/** CPU µs a kernel thread has used (kthreads cannot join a cgroup): utime + stime ticks. */
export function threadCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // USER_HZ 100
}

export function findKernelThread(comm: string): number | undefined {
  const r = spawnSync('pgrep', ['-x', comm], { encoding: 'utf8' });
  const pid = Number(r.stdout.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The process's children, from /proc/<pid>/task/<tid>/children. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of spawnSync('ls', [`/proc/${pid}/task`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
  } catch {
    // exited
  }
  return out;
}

/** Peak and current resident set size of a process, in KiB. */
export function rssKib(pid: number): { peak: number; now: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      peak: Number(/^VmHWM:\s+(\d+)/m.exec(s)?.[1] ?? 'NaN'),
      now: Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1] ?? 'NaN'),
    };
  } catch {
    return undefined;
  }
}
