/**
 * The Debian packages the tests drive for real, each with the reason it is needed. One list, read
 * by `scripts/setup-host.ts` (which installs what is missing before `npm test`) and by the tests'
 * skip reasons, so the command a skipped test prints is the command that would install it.
 */

export interface HostPackage {
  /** Debian package name. */
  name: string;
  /** A program the package provides, checked on PATH (or an absolute path), when there is one. */
  provides?: string;
  /** Why the tests need it, one clause. */
  why: string;
  /** Installing it would start a daemon, which the set-up leaves stopped and disabled. */
  service?: string;
}

export const HOST_PACKAGES: readonly HostPackage[] = [
  { name: 'make', provides: 'make', why: 'builds the eBPF agent' },
  { name: 'pkg-config', provides: 'pkg-config', why: 'finds libbpf for the agent build' },
  { name: 'clang', provides: 'clang', why: 'compiles the agent BPF programs and test programs' },
  { name: 'llvm', provides: 'llvm-strip', why: 'strips the compiled BPF objects' },
  { name: 'libbpf-dev', why: 'the agent loader links libbpf' },
  { name: 'bpftool', provides: 'bpftool', why: 'generates vmlinux.h and BPF skeletons' },
  { name: 'libelf-dev', why: 'libbpf needs libelf' },
  { name: 'zlib1g-dev', why: 'libbpf needs zlib' },
  { name: 'chromium', provides: '/usr/bin/chromium', why: 'the browser tests run in it' },
  { name: 'fonts-dejavu-core', why: 'text in browser screenshots' },
  { name: 'fonts-noto-color-emoji', why: 'status symbols render as on a reader device' },
  {
    name: 'auditd',
    provides: 'auditctl',
    why: 'the auditd + LAUREL evidence row',
    service: 'auditd',
  },
  { name: 'laurel', provides: 'laurel', why: 'the auditd + LAUREL evidence row' },
  { name: 'passwd', provides: 'useradd', why: 'the account generators and tests' },
  { name: 'login', provides: 'su', why: 'the logon generators' },
  { name: 'util-linux', provides: 'losetup', why: 'the raw-read generator uses a loop device' },
  { name: 'procps', provides: 'ps', why: 'process checks in the generators' },
  { name: 'python3', provides: 'python3', why: 'the script-content generator runs python3 -c' },
  { name: 'cron', provides: 'crontab', why: 'the scheduled-task generator', service: 'cron' },
  { name: 'ssdeep', provides: 'ssdeep', why: 'the reference for fuzzy-hash tests' },
  {
    name: 'openssh-server',
    provides: '/usr/sbin/sshd',
    why: 'the logon generator signs in over SSH on loopback',
    service: 'ssh',
  },
  {
    name: 'openssh-client',
    provides: 'ssh',
    why: 'the logon generator signs in over SSH on loopback',
  },
];

/** The one command that installs the given packages, as a reader would type it. */
export function installCommand(names: readonly string[]): string {
  return `sudo apt-get install -y --no-install-recommends ${names.join(' ')}`;
}

/** Opt-out: set to 1 to keep `npm test` from installing anything or mounting tracefs. */
export const OPT_OUT_VARIABLE = 'ETM_NO_HOST_SETUP';
