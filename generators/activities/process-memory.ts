/**
 * Process access (ptrace attach + PEEKDATA, process_vm_readv) and process tampering
 * (process_vm_writev) on a python3 child of the generator itself, whose buffer holds a marker.
 */
import type { Generator } from '../generator.types.ts';
import { signalName } from '../lib/commands.ts';
import { errnoName } from '../lib/errno.ts';
import { requireBin } from '../lib/host.ts';
import {
  processVmReadv,
  processVmWritev,
  ptraceAttach,
  ptraceDetach,
  ptracePeekData,
  WALL,
  waitpid,
} from '../lib/native.ts';
import { fromCall, type RunContext } from '../lib/recorder.ts';
import { startTarget, TARGET_SCRIPT, type Target } from '../lib/target-child.ts';
import type { ChildProcess } from '../manifest.schema.ts';

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}

async function spawnTarget(ctx: RunContext, python: string): Promise<Target> {
  let target: Target | undefined;
  await ctx.stepAsync(
    {
      phase: 'setup',
      subCategories: ['process-creation'],
      operation: 'execve',
      via: 'command',
      args: {
        executable: python,
        argv: [python, '-c', TARGET_SCRIPT, `${ctx.runId}-original-marker`],
      },
      note: 'The target: a python3 child holding a 64-byte buffer with a marker, which it prints on request.',
    },
    async () => {
      target = await startTarget(ctx, python);
      const child: ChildProcess = {
        pid: target.pid,
        ppid: process.pid,
        executable: python,
        argv: [python, '-c', TARGET_SCRIPT, target.marker],
        exitCode: null,
        signal: null,
      };
      return {
        result: { ok: true, returnValue: 0 },
        args: {
          targetPid: target.pid,
          memory: { targetPid: target.pid, address: hex(target.address), length: 64 },
        },
        children: [child],
      };
    },
  );
  return target as Target;
}

async function readv(ctx: RunContext, target: Target, length: number): Promise<void> {
  await ctx.step(
    {
      subCategories: ['process-access'],
      operation: 'process_vm_readv',
      via: 'syscall',
      args: {
        targetPid: target.pid,
        memory: { targetPid: target.pid, address: hex(target.address), length },
      },
    },
    () => {
      const into = Buffer.alloc(length);
      const call = processVmReadv(target.pid, into, target.address);
      const ok = call.errno === undefined && into.toString('latin1').startsWith(target.marker);
      return {
        result:
          ok || call.errno !== undefined
            ? fromCall(call)
            : { ...fromCall(call), ok: false, message: 'the bytes read do not hold the marker' },
        args: {
          memory: {
            targetPid: target.pid,
            address: hex(target.address),
            length,
            bytesHex: into.toString('hex'),
          },
        },
      };
    },
  );
}

export const processAccess: Generator = {
  name: 'process_access',
  summary:
    'ptrace(PTRACE_ATTACH) + PEEKDATA + DETACH and process_vm_readv on its own python3 child; a read at an unmapped address fails.',
  subCategories: ['process-access'],
  needsRoot: false,
  touches: 'the memory of its own child process only (read)',
  unavailable: (host) =>
    host.bin.python3 === undefined
      ? 'python3 is missing; it provides the target child (apt-get install python3).'
      : undefined,
  async run(ctx, host) {
    const target = await spawnTarget(ctx, requireBin(host, 'python3'));
    // The attach step reaps the ptrace stop with its own waitpid before control returns to the
    // event loop, so libuv's SIGCHLD handler (waitpid WNOHANG on its children) finds nothing.
    let attached = false;
    await ctx.step(
      {
        subCategories: ['process-access'],
        operation: 'ptrace',
        via: 'syscall',
        args: { request: 'PTRACE_ATTACH', targetPid: target.pid },
      },
      () => {
        const call = ptraceAttach(target.pid);
        if (call.errno !== undefined) {
          return {
            result: fromCall(call),
            note: 'ptrace needs the same uid and no Yama restriction (kernel.yama.ptrace_scope <= 1 for children).',
          };
        }
        attached = true;
        ctx.onCleanup('ptrace detach', () => {
          if (attached) ptraceDetach(target.pid);
        });
        const waited = waitpid(target.pid, WALL);
        const stopped = (waited.status & 0xff) === 0x7f;
        return {
          result: fromCall(call),
          note: `waitpid: ${stopped ? `stopped by ${signalName((waited.status >> 8) & 0xff)}` : `status ${waited.status}`}.`,
        };
      },
    );
    await ctx.step(
      {
        subCategories: ['process-access'],
        operation: 'ptrace',
        via: 'syscall',
        args: {
          request: 'PTRACE_PEEKDATA',
          targetPid: target.pid,
          memory: { targetPid: target.pid, address: hex(target.address), length: 8 },
        },
      },
      () => {
        const peek = ptracePeekData(target.pid, target.address);
        if (peek.word === undefined)
          return {
            result: {
              ok: false,
              returnValue: -1,
              errno: peek.errno ?? 0,
              errnoName: errnoName(peek.errno ?? 0),
            },
          };
        const bytes = Buffer.alloc(8);
        bytes.writeBigUInt64LE(peek.word);
        const ok = target.marker.startsWith(bytes.toString('latin1'));
        return {
          result: {
            ok,
            returnValue: 0,
            ...(ok ? {} : { message: 'the word read is not the start of the marker' }),
          },
          args: {
            memory: {
              targetPid: target.pid,
              address: hex(target.address),
              length: 8,
              bytesHex: bytes.toString('hex'),
            },
          },
        };
      },
    );
    await ctx.step(
      {
        subCategories: [],
        operation: 'ptrace',
        via: 'syscall',
        args: { request: 'PTRACE_DETACH', targetPid: target.pid },
      },
      () => {
        const call = attached ? ptraceDetach(target.pid) : { ret: 0 };
        if (call.errno === undefined) attached = false;
        return { result: fromCall(call) };
      },
    );
    await readv(ctx, target, target.marker.length);
    await ctx.step(
      {
        subCategories: ['process-access'],
        operation: 'process_vm_readv',
        via: 'syscall',
        args: {
          targetPid: target.pid,
          memory: { targetPid: target.pid, address: '0x1000', length: 16 },
        },
        expect: 'failure',
        note: 'Address 0x1000 is never mapped: the kernel answers EFAULT.',
      },
      () => ({ result: fromCall(processVmReadv(target.pid, Buffer.alloc(16), 0x1000n)) }),
    );
    const seen = await target.readOwnBuffer();
    if (seen !== target.marker) ctx.log(`  the child now holds "${seen}"`);
  },
};

export const processTampering: Generator = {
  name: 'process_tampering',
  summary:
    'process_vm_writev into its own python3 child, which then prints the changed buffer; a write to an unmapped address fails.',
  subCategories: ['process-tampering'],
  needsRoot: false,
  touches: 'the memory of its own child process only (a 64-byte buffer)',
  unavailable: processAccess.unavailable,
  async run(ctx, host) {
    const target = await spawnTarget(ctx, requireBin(host, 'python3'));
    const replacement = Buffer.from(`${ctx.runId}-TAMPERED\0`, 'latin1');
    await ctx.step(
      {
        subCategories: ['process-tampering'],
        operation: 'process_vm_writev',
        via: 'syscall',
        args: {
          targetPid: target.pid,
          memory: {
            targetPid: target.pid,
            address: hex(target.address),
            length: replacement.length,
            bytesHex: replacement.toString('hex'),
          },
        },
      },
      () => ({ result: fromCall(processVmWritev(target.pid, replacement, target.address)) }),
    );
    await ctx.stepAsync(
      {
        subCategories: [],
        operation: 'verify',
        via: 'node',
        args: { targetPid: target.pid },
        note: 'The child prints its own buffer: it must now hold the written text.',
      },
      async () => {
        const seen = await target.readOwnBuffer();
        const expected = `${ctx.runId}-TAMPERED`;
        return {
          result: {
            ok: seen === expected,
            returnValue: 0,
            ...(seen === expected ? {} : { message: `the child holds "${seen}"` }),
          },
        };
      },
    );
    await ctx.step(
      {
        subCategories: ['process-tampering'],
        operation: 'process_vm_writev',
        via: 'syscall',
        args: {
          targetPid: target.pid,
          memory: { targetPid: target.pid, address: '0x1000', length: 8 },
        },
        expect: 'failure',
        note: 'Address 0x1000 is never mapped: the kernel answers EFAULT and nothing is written.',
      },
      () => ({ result: fromCall(processVmWritev(target.pid, Buffer.alloc(8), 0x1000n)) }),
    );
  },
};
