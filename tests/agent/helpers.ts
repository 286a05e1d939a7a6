/**
 * Shared by the agent tests: whether this machine can run BPF (and why not), building the agent
 * and the activity program, and running the real agent CLI around some activity.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { waitForReady } from '../../agent/src/ready.ts';
import { requireHostTest } from '../host.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const AGENT_CLI = join(REPO, 'agent/src/cli.ts');
export const BUILD = join(REPO, 'agent/build');

function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Why the agent cannot be built here, or undefined. */
export function buildSkipReason(): string | undefined {
  const missing = ['clang', 'bpftool', 'make'].filter((t) => !hasTool(t));
  if (!existsSync('/usr/include/bpf/libbpf.h')) missing.push('libbpf-dev');
  if (missing.length) return `cannot build the agent: missing ${missing.join(', ')}`;
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    return 'cannot build the agent: no kernel BTF at /sys/kernel/btf/vmlinux';
  return undefined;
}

/** Why BPF programs cannot be loaded by this test process, or undefined. */
export function bpfSkipReason(): string | undefined {
  const build = buildSkipReason();
  if (build) return build;
  if (process.getuid?.() !== 0)
    return 'not root: loading BPF programs needs root (CI runs as root)';
  if (!existsSync('/sys/kernel/tracing/events/syscalls')) {
    spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
    if (!existsSync('/sys/kernel/tracing/events/syscalls'))
      return 'tracefs is not mounted and could not be mounted';
  }
  return undefined;
}

/** Prints the reason a suite is skipped, so a skip is never silent. */
export function announceSkip(suite: string, reason: string | undefined): boolean {
  if (reason) console.warn(`[skipped] ${suite}: ${reason}`);
  return reason !== undefined;
}

/**
 * Runs make for the agent under an exclusive lock: vitest runs test files in parallel, and two
 * makes writing agent/build at once (or one replacing the loader while another test runs it)
 * break each other. Uses flock(1) from util-linux.
 */
export function buildAgent(): void {
  mkdirSync(BUILD, { recursive: true });
  const r = spawnSync(
    'flock',
    [join(BUILD, '.make.lock'), 'make', '-s', '-C', join(REPO, 'agent')],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0)
    throw new Error(`make -C agent failed:\n${r.stderr}${r.error?.message ?? ''}`);
}

/** Compiles tests/agent/activity.c into a temp dir; returns the binary's path. */
export function buildActivity(dir: string): string {
  const out = join(dir, 'activity');
  const r = spawnSync(
    'clang',
    ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(REPO, 'tests/agent/activity.c')],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`compiling activity.c failed:\n${r.stderr}`);
  return out;
}

const tempDirs: string[] = [];
// Tests must leave the host as they found it; ETM_KEEP_TEMP=1 keeps captures for debugging.
afterAll(() => {
  if (process.env.ETM_KEEP_TEMP) return;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test file unless ETM_KEEP_TEMP is set. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `agent-test-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export interface AgentRun {
  child: ChildProcess;
  outFile: string;
  stderr: () => string;
  loaderPid: number;
  /** Sends SIGTERM and resolves once the agent exited. */
  stop: () => Promise<AgentResult>;
}

export interface AgentResult {
  code: number | null;
  stderr: string;
  events: EcsEvent[];
}

/**
 * Starts `node agent/src/cli.ts --out <file> --ready-fd 3 ...args` and waits for its ready
 * signal on descriptor 3.
 */
export async function startAgent(args: string[], dir: string): Promise<AgentRun> {
  requireHostTest('startAgent');
  const outFile = join(dir, 'events.ndjson');
  const child = spawn(process.execPath, [AGENT_CLI, '--out', outFile, '--ready-fd', '3', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const { loaderPid } = await waitForReady(child, 3, 90_000).catch((error: Error) => {
    child.kill('SIGTERM');
    throw new Error(`${error.message} Its messages:\n${err}`);
  });
  return {
    child,
    outFile,
    loaderPid,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, stderr: err, events: readEvents(outFile) };
    },
  };
}

function readEvents(file: string): EcsEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EcsEvent);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Shannon entropy in bits per byte, computed independently of the agent. */
export function entropy(buf: Buffer): number {
  const counts = new Map<number, number>();
  for (const b of buf) counts.set(b, (counts.get(b) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / buf.length) * Math.log2(c / buf.length);
  return h;
}
