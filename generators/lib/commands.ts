import { type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import type { ChildProcess as ManifestChild } from '../manifest.schema.ts';
import { errnoName } from './errno.ts';
import type { StepOutcome } from './recorder.ts';

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export interface CommandOutcome extends StepOutcome {
  stdout: string;
  stderr: string;
  child?: ManifestChild;
}

/**
 * Runs a command to completion (fork + exec + wait) and describes it as a manifest child.
 * A spawn failure (ENOENT, EACCES) becomes an errno result; a non-zero exit a failed one.
 */
export function runCommand(
  executable: string,
  args: string[],
  options: SpawnSyncOptions & { input?: string; argv0?: string } = {},
): CommandOutcome {
  const res = spawnSync(executable, args, {
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
    ...options,
  });
  const stdout = String(res.stdout ?? '');
  const stderr = String(res.stderr ?? '');
  if (res.error !== undefined && (res.pid === 0 || res.pid === undefined)) {
    const e = res.error as NodeJS.ErrnoException;
    const errno = Math.abs(e.errno ?? 0);
    return {
      result: {
        ok: false,
        ...(errno === 0 ? {} : { errno, errnoName: e.code ?? errnoName(errno) }),
        message: e.message,
      },
      stdout,
      stderr,
    };
  }
  const child: ManifestChild = {
    pid: res.pid,
    ppid: process.pid,
    executable,
    argv: [options.argv0 ?? executable, ...args],
    exitCode: res.status,
    signal: res.signal,
  };
  const ok = res.status === 0;
  const firstErrLine = stderr.trim().split('\n').filter(Boolean).at(-1);
  return {
    result: {
      ok,
      ...(res.status === null ? {} : { returnValue: res.status }),
      ...(ok
        ? {}
        : {
            message:
              res.error?.message ??
              firstErrLine ??
              (res.signal === null ? `exit code ${res.status}` : `killed by ${res.signal}`),
          }),
    },
    children: [child],
    child,
    stdout,
    stderr,
  };
}

/** Like runCommand, but waits without blocking, so a signal can stop the run meanwhile; the
 * child is killed with SIGTERM when `signal` aborts. */
export function runCommandAsync(
  executable: string,
  args: string[],
  options: {
    input?: string;
    uid?: number;
    gid?: number;
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
  } = {},
): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const proc = spawn(executable, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.signal === undefined
        ? {}
        : { signal: options.signal, killSignal: 'SIGTERM' as const }),
      timeout: 10_000,
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    proc.stdin.on('error', () => {
      // the child may exit before reading its input
    });
    proc.stdin.end(options.input ?? '');
    let spawnError: NodeJS.ErrnoException | undefined;
    proc.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    proc.once('close', (code, signal) => {
      if (proc.pid === undefined) {
        const errno = Math.abs(spawnError?.errno ?? 0);
        resolve({
          result: {
            ok: false,
            ...(errno === 0 ? {} : { errno, errnoName: spawnError?.code ?? errnoName(errno) }),
            message: spawnError?.message ?? 'spawn failed',
          },
          stdout,
          stderr,
        });
        return;
      }
      const child: ManifestChild = {
        pid: proc.pid,
        ppid: process.pid,
        executable,
        argv: [executable, ...args],
        exitCode: code,
        signal,
      };
      const ok = code === 0;
      const lastErr = stderr.trim().split('\n').filter(Boolean).at(-1);
      resolve({
        result: {
          ok,
          ...(code === null ? {} : { returnValue: code }),
          ...(ok
            ? {}
            : {
                message: lastErr ?? (signal === null ? `exit code ${code}` : `killed by ${signal}`),
              }),
        },
        children: [child],
        child,
        stdout,
        stderr,
      });
    });
  });
}

/** Starts a long-lived child; the caller waits for it with `exited`. */
export function startChild(
  executable: string,
  args: string[],
  options: Parameters<typeof spawn>[2] = {},
): {
  pid: number;
  proc: ReturnType<typeof spawn>;
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
} {
  const proc = spawn(executable, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ exitCode: code, signal }));
    proc.once('error', () => resolve({ exitCode: null, signal: null }));
  });
  if (proc.pid === undefined) {
    return { pid: 0, proc, exited };
  }
  return { pid: proc.pid, proc, exited };
}

export function signalName(signal: number): string {
  return SIGNAL_NAMES.get(signal) ?? `SIG${signal}`;
}

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Finds a command on a fixed system PATH (not the caller's PATH, which may hold pyenv shims). */
export function whichSystem(name: string): string | undefined {
  for (const dir of SYSTEM_PATH) {
    const path = `${dir}/${name}`;
    try {
      accessSync(path, fsConstants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
