/**
 * Checks, before anything is built or loaded, that this process may load BPF and that the kernel
 * offers what the agent needs. Each failure says what is missing and what to do.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';

const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

export interface PreflightResult {
  ok: boolean;
  problems: string[];
  notes: string[];
}

export interface PreflightEnv {
  /** Text of /proc/self/status. */
  status: () => string;
  exists: (path: string) => boolean;
  /** Tries to mount tracefs; returns an error message or undefined. */
  mountTracefs: () => string | undefined;
}

const realEnv: PreflightEnv = {
  status: () => readFileSync('/proc/self/status', 'latin1'),
  exists: (p) => existsSync(p),
  mountTracefs: () => {
    const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], {
      encoding: 'utf8',
    });
    return r.status === 0
      ? undefined
      : (r.stderr || r.error?.message || `mount exited ${r.status}`).trim();
  },
};

/** Effective capabilities from /proc/self/status CapEff. */
function effectiveCaps(status: string): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)/im.exec(status);
  return m?.[1] ? BigInt(`0x${m[1]}`) : 0n;
}

const has = (caps: bigint, bit: number) => (caps >> BigInt(bit)) & 1n;

export function preflight(env: PreflightEnv = realEnv): PreflightResult {
  const problems: string[] = [];
  const notes: string[] = [];
  const status = env.status();
  const caps = effectiveCaps(status);
  const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1] ?? '?';
  const admin = has(caps, CAP_SYS_ADMIN) === 1n;
  const missing = [
    ...(has(caps, CAP_BPF) || admin ? [] : ['CAP_BPF']),
    ...(has(caps, CAP_PERFMON) || admin ? [] : ['CAP_PERFMON']),
  ];
  if (missing.length > 0) {
    problems.push(
      `The agent cannot load BPF programs: this process (uid ${uid}) lacks ${missing.join(' and ')}. ` +
        'Run it as root (sudo npm run agent -- ...), or grant CAP_BPF and CAP_PERFMON to the loader.',
    );
  }
  if (!env.exists('/sys/kernel/btf/vmlinux')) {
    problems.push(
      'The kernel exposes no BTF at /sys/kernel/btf/vmlinux, which the agent needs to build and relocate its programs. ' +
        'Use a kernel built with CONFIG_DEBUG_INFO_BTF=y (all current distribution kernels are).',
    );
  }
  if (!env.exists('/sys/kernel/tracing/events/syscalls')) {
    const err = missing.length === 0 ? env.mountTracefs() : 'not attempted without privileges';
    if (err !== undefined || !env.exists('/sys/kernel/tracing/events/syscalls')) {
      problems.push(
        `tracefs is not mounted at /sys/kernel/tracing and could not be mounted (${err ?? 'no syscall events after mounting'}). ` +
          'Mount it as root: mount -t tracefs nodev /sys/kernel/tracing',
      );
    } else {
      notes.push('Mounted tracefs at /sys/kernel/tracing.');
    }
  }
  return { ok: problems.length === 0, problems, notes };
}

/** Tools the build needs, with the Debian package that brings each. */
const BUILD_TOOLS: ReadonlyArray<[string, string]> = [
  ['clang', 'clang'],
  ['bpftool', 'bpftool'],
  ['make', 'make'],
];

export function missingBuildTools(): string[] {
  const missing: string[] = [];
  for (const [tool, pkg] of BUILD_TOOLS) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) missing.push(`${tool} (apt-get install ${pkg})`);
  }
  if (!existsSync('/usr/include/bpf/libbpf.h'))
    missing.push('libbpf headers (apt-get install libbpf-dev)');
  return missing;
}

/** True when the loader binary is older than any source it is built from. */
export function buildIsStale(agentDir: string, sources: readonly string[]): boolean {
  const loader = `${agentDir}/build/agent-loader`;
  try {
    accessSync(loader, constants.X_OK);
  } catch {
    return true;
  }
  const built = statSync(loader).mtimeMs;
  return sources.some((s) => statSync(s).mtimeMs > built);
}
