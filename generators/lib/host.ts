/** What this host is and what it can do, probed once per process without side effects. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname, machine, release, version } from 'node:os';
import type { Host } from '../manifest.schema.ts';
import { now } from './clock.ts';
import { whichSystem } from './commands.ts';
import { NotPossible } from './errors.ts';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Looks a user up in /etc/passwd (files only: test users are always local). */
export function lookupUser(name: string): PasswdEntry | undefined {
  for (const line of (read('/etc/passwd') ?? '').split('\n')) {
    const [user, , uid, gid, , home, shell] = line.split(':');
    if (user === name) {
      return { name, uid: Number(uid), gid: Number(gid), home: home ?? '', shell: shell ?? '' };
    }
  }
  return undefined;
}

export function userNameOf(uid: number): string {
  for (const line of (read('/etc/passwd') ?? '').split('\n')) {
    const [user, , id] = line.split(':');
    if (Number(id) === uid && user !== undefined) return user;
  }
  return String(uid);
}

interface BlockDevice {
  path: string;
  device: string;
  sizeBytes: number;
}

/** The first non-empty block device (disks before loop and zram devices). */
function findBlockDevice(): BlockDevice | undefined {
  let names: string[];
  try {
    names = readdirSync('/sys/block');
  } catch {
    return undefined;
  }
  const rank = (n: string) => (/^(loop|zram|ram)/.test(n) ? 1 : 0);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const name of names) {
    const sectors = Number(read(`/sys/block/${name}/size`) ?? 0);
    const device = read(`/sys/block/${name}/dev`);
    if (sectors > 0 && device !== undefined && existsSync(`/dev/${name}`)) {
      return { path: `/dev/${name}`, device, sizeBytes: sectors * 512 };
    }
  }
  return undefined;
}

/** Path of a system command the run needs; a missing one makes the run not possible. */
export function requireBin(host: HostCapabilities, name: keyof HostCapabilities['bin']): string {
  const path = host.bin[name];
  if (path === undefined) {
    throw new NotPossible(`${name} is not installed on this host (looked in the system PATH).`);
  }
  return path;
}

export interface HostCapabilities {
  uid: number;
  isRoot: boolean;
  pid1: string;
  systemdIsPid1: boolean;
  systemUnitDir: string | undefined;
  kernelModules: boolean;
  kernelModulesReason: string;
  blockDevice: BlockDevice | undefined;
  nobody: PasswdEntry | undefined;
  kernelRelease: string;
  /** Paths of the system commands generators use; undefined when not installed. */
  bin: Record<
    | 'bash'
    | 'sh'
    | 'python3'
    | 'sleep'
    | 'cat'
    | 'true'
    | 'su'
    | 'useradd'
    | 'usermod'
    | 'userdel'
    | 'chpasswd'
    | 'crontab'
    | 'systemctl'
    | 'losetup'
    | 'script'
    | 'sshd'
    | 'ssh'
    | 'ssh-keygen',
    string | undefined
  >;
}

let cached: HostCapabilities | undefined;

export function probeHost(): HostCapabilities {
  if (cached !== undefined) return cached;
  const pid1 = read('/proc/1/comm') ?? 'unknown';
  const modulesDisabled = read('/proc/sys/kernel/modules_disabled');
  const hasModules = existsSync('/proc/modules');
  const names = [
    'bash',
    'sh',
    'python3',
    'sleep',
    'cat',
    'true',
    'su',
    'useradd',
    'usermod',
    'userdel',
    'chpasswd',
    'crontab',
    'systemctl',
    'losetup',
    'script',
    'sshd',
    'ssh',
    'ssh-keygen',
  ] as const;
  const bin = Object.fromEntries(names.map((n) => [n, whichSystem(n)])) as HostCapabilities['bin'];
  const uid = process.getuid?.() ?? -1;
  cached = {
    uid,
    isRoot: uid === 0,
    pid1,
    systemdIsPid1: pid1 === 'systemd',
    systemUnitDir: existsSync('/etc/systemd/system') ? '/etc/systemd/system' : undefined,
    kernelModules: hasModules && modulesDisabled !== '1',
    kernelModulesReason: !hasModules
      ? `kernel ${release()} was built without loadable module support (no /proc/modules)`
      : modulesDisabled === '1'
        ? 'module loading is disabled (kernel.modules_disabled = 1)'
        : 'the kernel can load modules',
    blockDevice: findBlockDevice(),
    nobody: lookupUser('nobody'),
    kernelRelease: release(),
    bin,
  };
  return cached;
}

function osRelease(): Host['distro'] {
  const fields = new Map<string, string>();
  for (const line of (read('/etc/os-release') ?? '').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) fields.set(m[1], m[2].replace(/^"|"$/g, ''));
  }
  return {
    id: fields.get('ID') ?? 'unknown',
    name: fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? 'unknown',
    version: fields.get('VERSION_ID') ?? 'unknown',
  };
}

/** The host block of the manifest. */
export function hostInfo(): Host {
  const machineId = read('/etc/machine-id');
  return {
    hostname: hostname(),
    kernelRelease: release(),
    kernelVersion: version(),
    arch: machine(),
    distro: osRelease(),
    bootId: read('/proc/sys/kernel/random/boot_id') ?? 'unknown',
    ...(machineId === undefined || machineId === '' ? {} : { machineId }),
    pid1: read('/proc/1/comm') ?? 'unknown',
    clocks: now(),
  };
}

/** Kernel version as [major, minor] for feature checks. */
export function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
}
