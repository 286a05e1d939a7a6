/**
 * memfd_create with every combination of MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL and
 * MFD_EXEC, seals, a copied system binary written into the memfds, and fileless execution of it
 * in child processes via /proc/self/fd/<n> and via execveat(fd, "", ..., AT_EMPTY_PATH).
 */
import { accessSync, constants, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Generator } from '../generator.types.ts';
import { startChild } from '../lib/commands.ts';
import { errnoName, flagNames } from '../lib/errno.ts';
import { contentFacts } from '../lib/file-facts.ts';
import { kernelVersion, requireBin } from '../lib/host.ts';
import { addSeals, closeFd, getSeals, MFD, memfdCreate, SEALS } from '../lib/native.ts';
import { fromCall, type RunContext } from '../lib/recorder.ts';
import type { Action, ChildProcess } from '../manifest.schema.ts';

const COMBINABLE = ['MFD_CLOEXEC', 'MFD_ALLOW_SEALING', 'MFD_NOEXEC_SEAL', 'MFD_EXEC'] as const;

/** All 16 subsets, so an EDR's flag decoding is checked on every combination. */
function flagCombinations(): number[] {
  const out: number[] = [];
  for (let mask = 0; mask < 1 << COMBINABLE.length; mask++) {
    let flags = 0;
    COMBINABLE.forEach((name, bit) => {
      if (mask & (1 << bit)) flags |= MFD[name];
    });
    out.push(flags);
  }
  return out;
}

function shortName(flags: number): string {
  const names = flagNames(flags, MFD).map((n) =>
    n.replace(/^MFD_/, '').toLowerCase().replace('_', '-'),
  );
  return names.length === 0 ? 'noflags' : names.join('+');
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** What the kernel should say: MFD_EXEC with MFD_NOEXEC_SEAL is always EINVAL; both are 6.3+. */
function expectation(flags: number, noexecSysctl: string | undefined): Action['expect'] {
  const both = MFD.MFD_EXEC | MFD.MFD_NOEXEC_SEAL;
  if ((flags & both) === both) return 'failure';
  const [major, minor] = kernelVersion();
  const newFlags = (flags & both) !== 0;
  if (newFlags && (major < 6 || (major === 6 && minor < 3))) return 'failure';
  // vm.memfd_noexec=2 refuses executable memfds; 1 turns them non-executable by default.
  if (noexecSysctl !== undefined && noexecSysctl !== '0') return 'either';
  return 'success';
}

interface Memfd {
  fd: number;
  flags: number;
  name: string;
  path: string;
}

function readBack(memfd: Memfd): Buffer {
  return readFileSync(memfd.path);
}

/** How a child execs the memfd in its fd 3 with execveat: a node helper through koffi, or
 * python3's os.execve(fd), which is glibc fexecve = execveat(fd, "", ..., AT_EMPTY_PATH). */
function execveatCommand(python: string | undefined): [string, string[]] | undefined {
  const helper = fileURLToPath(new URL('../lib/execveat-child.ts', import.meta.url));
  try {
    accessSync(process.execPath, constants.X_OK);
    accessSync(helper, constants.R_OK);
    return [process.execPath, [helper]];
  } catch {
    if (python === undefined) return undefined;
    const code =
      'import os,sys\ntry:\n os.execve(3, sys.argv[1:], {})\nexcept OSError as e:\n print(\'{"ret":-1,"errno":%d}\' % e.errno)\n sys.exit(126)';
    return [python, ['-c', code]];
  }
}

async function execMemfd(
  ctx: RunContext,
  memfd: Memfd,
  method: 'proc-fd' | 'execveat',
  payloadArgs: string[],
  expect: Action['expect'],
  python: string | undefined,
): Promise<void> {
  const argv = [`${ctx.runId}-payload`, ...payloadArgs];
  const via =
    method === 'proc-fd' ? '/proc/self/fd/3' : 'execveat(3, "", argv, envp, AT_EMPTY_PATH)';
  const command =
    method === 'proc-fd'
      ? (['/proc/self/fd/3', []] as [string, string[]])
      : execveatCommand(python);
  if (command === undefined) {
    ctx.log('  execveat skipped: neither the node helper nor python3 is reachable for this user');
    return;
  }
  await ctx.stepAsync(
    {
      subCategories: ['process-creation', 'process-termination'],
      operation: method === 'proc-fd' ? 'execve' : 'execveat',
      via: 'syscall',
      args: {
        memfdName: memfd.name,
        path: memfd.path,
        executable: via,
        argv,
        fd: 3,
        ...(method === 'execveat' ? { flags: { value: 0x1000, names: ['AT_EMPTY_PATH'] } } : {}),
      },
      expect,
      note:
        method === 'proc-fd'
          ? `The child gets the memfd as its fd 3 and is exec'd as /proc/self/fd/3; the kernel shows the image as /memfd:${memfd.name} (deleted).`
          : `The child starts as ${command?.[0] ?? 'a helper'} (first exec), gets the memfd as its fd 3 and calls execveat(3, "", argv, envp, AT_EMPTY_PATH) (second exec, same pid); the kernel shows the image as /memfd:${memfd.name} (deleted).`,
    },
    async () => {
      const [exe, helperArgs] = command;
      const child = startChild(
        exe,
        [...helperArgs, ...(method === 'proc-fd' ? argv.slice(1) : argv)],
        {
          stdio: ['pipe', 'pipe', 'pipe', memfd.fd],
          ...(method === 'proc-fd' ? { argv0: argv[0] } : {}),
        },
      );
      let stdout = '';
      child.proc.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      const spawnError = new Promise<NodeJS.ErrnoException>((resolve) => {
        child.proc.once('error', resolve);
      });
      if (child.pid === 0) {
        const error = await spawnError;
        return {
          result: {
            ok: false,
            errno: Math.abs(error.errno ?? 0),
            errnoName: error.code ?? 'unknown',
            message: `execve("/proc/self/fd/3") in the child failed: ${error.message}`,
          },
        };
      }
      // Reading /proc/<pid>/exe while the payload runs proves the kernel executed the memfd.
      let resolved: string | undefined;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          const exe = readlinkSync(`/proc/${child.pid}/exe`);
          if (exe.startsWith('/memfd:')) {
            resolved = exe;
            break;
          }
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      // The payload is cat: it waits on stdin, so it only exits (0) once the exe was read.
      child.proc.stdin?.end();
      const exit = await child.exited;
      const record: ChildProcess = {
        pid: child.pid,
        ppid: process.pid,
        executable: via,
        ...(resolved === undefined ? {} : { resolvedExecutable: resolved }),
        argv,
        exitCode: exit.exitCode,
        signal: exit.signal,
      };
      if (exit.exitCode === 126 && stdout.trim().startsWith('{')) {
        const failure = JSON.parse(stdout.trim()) as { ret: number; errno: number };
        return {
          result: {
            ok: false,
            returnValue: -1,
            errno: failure.errno,
            errnoName: errnoName(failure.errno),
            message: 'execveat in the child failed',
          },
          children: [record],
        };
      }
      const ok = exit.exitCode === 0 && resolved !== undefined;
      return {
        result: {
          ok,
          ...(exit.exitCode === null ? {} : { returnValue: exit.exitCode }),
          ...(ok
            ? {}
            : {
                message:
                  resolved === undefined
                    ? 'the child never ran the memfd image'
                    : `payload exited with ${exit.exitCode ?? exit.signal}`,
              }),
        },
        children: [record],
      };
    },
  );
}

export const memfdCreateExec: Generator = {
  name: 'memfd_create_exec',
  summary:
    'memfd_create with all 16 combinations of MFD_CLOEXEC/ALLOW_SEALING/NOEXEC_SEAL/EXEC, seals, a copied system binary written in, executed from the memfd via /proc/self/fd/N and execveat.',
  subCategories: ['memory-backed-file-creation', 'process-creation', 'process-termination'],
  needsRoot: false,
  touches: 'anonymous memory files only (nothing on disk); short-lived child processes',
  unavailable: (host) =>
    host.bin.cat === undefined
      ? 'No cat binary to copy into the memfd (install coreutils).'
      : undefined,
  async run(ctx, host) {
    const source = requireBin(host, 'cat');
    const payload = readFileSync(source);
    const noexecSysctl = readSysctl('/proc/sys/vm/memfd_noexec');
    const memfds: Memfd[] = [];
    for (const flags of flagCombinations()) {
      const name = `${ctx.runId}-${shortName(flags)}`;
      await ctx.step(
        {
          subCategories: ['memory-backed-file-creation'],
          operation: 'memfd_create',
          via: 'syscall',
          args: { memfdName: name, flags: { value: flags, names: flagNames(flags, MFD) } },
          expect: expectation(flags, noexecSysctl),
          ...(noexecSysctl === undefined ? {} : { note: `vm.memfd_noexec = ${noexecSysctl}` }),
        },
        () => {
          const call = memfdCreate(name, flags);
          if (call.errno !== undefined) return { result: fromCall(call) };
          const fd = call.ret;
          const path = `/proc/${process.pid}/fd/${fd}`;
          memfds.push({ fd, flags, name, path });
          ctx.onCleanup(`close memfd ${name}`, () => {
            closeFd(fd);
          });
          const seals = getSeals(fd);
          return {
            result: fromCall(call),
            args: {
              fd,
              memfdPath: path,
              path: readlinkSync(path),
              ...(seals.errno === undefined
                ? { seals: { value: seals.ret, names: flagNames(seals.ret, SEALS) } }
                : {}),
            },
          };
        },
      );
    }

    for (const memfd of memfds) {
      const executable = (memfd.flags & MFD.MFD_NOEXEC_SEAL) === 0;
      await ctx.step(
        {
          subCategories: [],
          operation: 'write',
          via: 'node',
          args: { memfdName: memfd.name, fd: memfd.fd, length: payload.length },
          note: `Payload: a copy of ${source}${executable ? '' : ' (this memfd is sealed non-executable)'}.`,
        },
        () => {
          const written = writeSync(memfd.fd, payload, 0, payload.length, 0);
          const back = readBack(memfd);
          return {
            result: {
              ok: written === payload.length && back.equals(payload),
              returnValue: written,
            },
            args: { file: { path: memfd.path, kind: 'elf', ...contentFacts(back) } },
          };
        },
      );
    }

    const sealable = memfds.find((m) => m.flags === MFD.MFD_ALLOW_SEALING);
    if (sealable !== undefined) {
      const seals = SEALS.F_SEAL_SHRINK | SEALS.F_SEAL_GROW | SEALS.F_SEAL_WRITE;
      await ctx.step(
        {
          subCategories: [],
          operation: 'fcntl(F_ADD_SEALS)',
          via: 'syscall',
          args: {
            memfdName: sealable.name,
            fd: sealable.fd,
            seals: { value: seals, names: flagNames(seals, SEALS) },
          },
        },
        () => {
          const call = addSeals(sealable.fd, seals);
          const now = getSeals(sealable.fd);
          return {
            result: fromCall(call),
            note: `F_GET_SEALS afterwards: ${flagNames(now.ret, SEALS).join('|') || 'none'}`,
          };
        },
      );
    }
    const unsealable = memfds.find((m) => m.flags === 0);
    if (unsealable !== undefined) {
      await ctx.step(
        {
          subCategories: [],
          operation: 'fcntl(F_ADD_SEALS)',
          via: 'syscall',
          args: {
            memfdName: unsealable.name,
            fd: unsealable.fd,
            seals: { value: SEALS.F_SEAL_WRITE, names: ['F_SEAL_WRITE'] },
          },
          expect: 'failure',
          note: 'Without MFD_ALLOW_SEALING the memfd starts with F_SEAL_SEAL, so the kernel refuses (EPERM).',
        },
        () => ({ result: fromCall(addSeals(unsealable.fd, SEALS.F_SEAL_WRITE)) }),
      );
    }

    const python = host.bin.python3;
    const payloadArgs: string[] = [];
    if (unsealable !== undefined) {
      await execMemfd(ctx, unsealable, 'proc-fd', payloadArgs, 'success', python);
      await execMemfd(ctx, unsealable, 'execveat', payloadArgs, 'success', python);
    }
    const execFlagged = memfds.find((m) => m.flags === (MFD.MFD_EXEC | MFD.MFD_CLOEXEC));
    if (execFlagged !== undefined) {
      await execMemfd(ctx, execFlagged, 'execveat', payloadArgs, 'success', python);
    }
    if (sealable !== undefined) {
      await execMemfd(ctx, sealable, 'execveat', payloadArgs, 'success', python);
    }
    const noexec = memfds.find((m) => m.flags === MFD.MFD_NOEXEC_SEAL);
    if (noexec !== undefined) {
      await execMemfd(ctx, noexec, 'proc-fd', payloadArgs, 'failure', python);
    }
  },
};
