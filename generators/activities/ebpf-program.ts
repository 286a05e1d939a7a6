/**
 * eBPF: loads a two-instruction socket filter with bpf(BPF_PROG_LOAD), reads its id and tag,
 * attaches it to a UDP socket with SO_ATTACH_BPF, also attaches a classic BPF filter with
 * SO_ATTACH_FILTER, has the verifier reject a program without exit, then unloads by closing.
 */
import type { Generator } from '../generator.types.ts';
import { NotPossible, StepFailed } from '../lib/errors.ts';
import {
  AF_INET,
  addressOf,
  bpf,
  closeFd,
  SO_ATTACH_BPF,
  SO_ATTACH_FILTER,
  SO_DETACH_FILTER,
  SOCK_DGRAM,
  SOL_SOCKET,
  setsockopt,
  socket,
} from '../lib/native.ts';
import { describeFailure, fromCall } from '../lib/recorder.ts';

const BPF_PROG_LOAD = 5;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_OBJ_GET_INFO_BY_FD = 15;
const BPF_PROG_TYPE_SOCKET_FILTER = 1;
const ATTR_SIZE = 128;
const INFO_SIZE = 80;

/** r0 = imm (keep that many bytes of each packet); exit. */
function program(withExit: boolean): Buffer {
  const insns = Buffer.alloc(withExit ? 16 : 8);
  insns.writeUInt8(0xb7, 0); // BPF_ALU64 | BPF_MOV | BPF_K, dst r0
  insns.writeInt32LE(-1, 4);
  if (withExit) insns.writeUInt8(0x95, 8); // BPF_JMP | BPF_EXIT
  return insns;
}

/** union bpf_attr for BPF_PROG_LOAD (offsets from include/uapi/linux/bpf.h). The buffers must stay
 * referenced until the call returns, so they are returned with the attr. */
function progLoadAttr(insns: Buffer, name: string): { attr: Buffer; keep: Buffer[] } {
  // Not Buffer.from: small ones share a pool, and the kernel must get this exact address.
  const license = Buffer.alloc(4);
  license.write('GPL', 'latin1');
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(BPF_PROG_TYPE_SOCKET_FILTER, 0);
  attr.writeUInt32LE(insns.length / 8, 4);
  attr.writeBigUInt64LE(addressOf(insns), 8);
  attr.writeBigUInt64LE(addressOf(license), 16);
  attr.write(name.slice(0, 15), 48, 'latin1');
  return { attr, keep: [insns, license] };
}

function progInfo(fd: number): { id: number; tag: string; name: string } | undefined {
  const info = Buffer.alloc(INFO_SIZE);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(fd, 0);
  attr.writeUInt32LE(INFO_SIZE, 4);
  attr.writeBigUInt64LE(addressOf(info), 8);
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, attr).errno !== undefined) return undefined;
  return {
    id: info.readUInt32LE(4),
    tag: info.subarray(8, 16).toString('hex'),
    name: info.subarray(64, 80).toString('latin1').replace(/\0.*$/s, ''),
  };
}

/** Whether a program id still resolves; the kernel frees programs after an RCU grace period. */
function programExists(id: number): boolean {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  const call = bpf(BPF_PROG_GET_FD_BY_ID, attr);
  if (call.errno === undefined) closeFd(call.ret);
  return call.errno === undefined;
}

export const ebpfProgram: Generator = {
  name: 'ebpf_program',
  summary:
    'bpf(BPF_PROG_LOAD) of a trivial socket filter, attach with SO_ATTACH_BPF, a classic SO_ATTACH_FILTER, a verifier rejection, then unload.',
  subCategories: ['ebpf-event'],
  needsRoot: true,
  rootReason: 'load a BPF program (CAP_BPF)',
  touches: 'one eBPF program (kernel memory, freed when its fd closes) on a socket of its own',
  unavailable: () => undefined,
  async run(ctx) {
    const progName = `etm_${ctx.runId.slice(4)}`;
    const insns = program(true);
    let progFd = -1;
    let progId: number | undefined;
    const load = await ctx.step(
      {
        subCategories: ['ebpf-event'],
        operation: 'bpf',
        via: 'syscall',
        args: {
          request: 'BPF_PROG_LOAD',
          bpf: {
            command: 'BPF_PROG_LOAD',
            progType: 'BPF_PROG_TYPE_SOCKET_FILTER',
            progName,
            instructionCount: 2,
            license: 'GPL',
          },
        },
        expect: 'either',
      },
      () => {
        const { attr, keep } = progLoadAttr(insns, progName);
        const call = bpf(BPF_PROG_LOAD, attr);
        // Touched after the call so the GC cannot free what the attr points to before the kernel copied it.
        keep.length = 0;
        if (call.errno !== undefined) return { result: fromCall(call) };
        progFd = call.ret;
        ctx.onCleanup(`close bpf program fd ${progFd}`, () => {
          if (progFd >= 0) closeFd(progFd);
        });
        const info = progInfo(progFd);
        progId = info?.id;
        return {
          result: fromCall(call),
          args: {
            fd: progFd,
            bpf: {
              command: 'BPF_PROG_LOAD',
              progType: 'BPF_PROG_TYPE_SOCKET_FILTER',
              progName,
              instructionCount: 2,
              license: 'GPL',
              ...(info === undefined ? {} : { progId: info.id, progTag: info.tag }),
            },
          },
        };
      },
    );

    if (!load.result.ok) {
      const asRoot = process.geteuid?.() === 0;
      if (load.result.errnoName === 'ENOSYS' || (asRoot && load.result.errnoName === 'EPERM')) {
        throw new NotPossible(
          `bpf(BPF_PROG_LOAD) was refused with ${load.result.errnoName} even for root: this kernel or container does not allow BPF (no CONFIG_BPF_SYSCALL, a seccomp filter, or missing CAP_BPF/CAP_SYS_ADMIN).`,
        );
      }
      throw new StepFailed(describeFailure(load));
    }
    const sock = socket(AF_INET, SOCK_DGRAM, 0);
    let sockOpen = sock.errno === undefined;
    if (sock.errno === undefined) {
      ctx.onCleanup('close socket', () => {
        if (sockOpen) closeFd(sock.ret);
      });
      const value = Buffer.alloc(4);
      value.writeInt32LE(progFd, 0);
      await ctx.step(
        {
          subCategories: ['ebpf-event'],
          operation: 'setsockopt',
          via: 'syscall',
          args: {
            request: 'SO_ATTACH_BPF',
            fd: sock.ret,
            bpf: { progName, progType: 'BPF_PROG_TYPE_SOCKET_FILTER' },
          },
        },
        () => ({ result: fromCall(setsockopt(sock.ret, SOL_SOCKET, SO_ATTACH_BPF, value)) }),
      );
      // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: BPF_RET | BPF_K, accept all.
      const filter = Buffer.alloc(8);
      filter.writeUInt16LE(0x06, 0);
      filter.writeUInt32LE(0xffffffff, 4);
      // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (pointer 8-aligned).
      const fprog = Buffer.alloc(16);
      fprog.writeUInt16LE(1, 0);
      fprog.writeBigUInt64LE(addressOf(filter), 8);
      await ctx.step(
        {
          subCategories: ['ebpf-event'],
          operation: 'setsockopt',
          via: 'syscall',
          args: { request: 'SO_ATTACH_FILTER', fd: sock.ret, bpf: { classicInstructionCount: 1 } },
          note: 'A classic BPF filter; the kernel translates it to eBPF internally and replaces the one above.',
        },
        () => {
          const call = setsockopt(sock.ret, SOL_SOCKET, SO_ATTACH_FILTER, fprog);
          // Touched after the call: fprog points into filter, which must outlive the syscall.
          filter.readUInt8(0);
          return { result: fromCall(call) };
        },
      );
      await ctx.step(
        {
          subCategories: [],
          operation: 'setsockopt',
          via: 'syscall',
          args: { request: 'SO_DETACH_FILTER', fd: sock.ret },
        },
        () => ({
          result: fromCall(setsockopt(sock.ret, SOL_SOCKET, SO_DETACH_FILTER, Buffer.alloc(4))),
        }),
      );
    }

    const badName = `etm_bad_${ctx.runId.slice(4, 10)}`;
    await ctx.step(
      {
        subCategories: ['ebpf-event'],
        operation: 'bpf',
        via: 'syscall',
        args: {
          request: 'BPF_PROG_LOAD',
          bpf: {
            command: 'BPF_PROG_LOAD',
            progType: 'BPF_PROG_TYPE_SOCKET_FILTER',
            progName: badName,
            instructionCount: 1,
            license: 'GPL',
          },
        },
        expect: 'failure',
        note: 'A program without an exit instruction: the verifier rejects it (EINVAL), nothing is loaded.',
      },
      () => {
        const { attr } = progLoadAttr(program(false), badName);
        const call = bpf(BPF_PROG_LOAD, attr);
        if (call.errno === undefined) closeFd(call.ret);
        return { result: fromCall(call) };
      },
    );

    if (sockOpen) {
      await ctx.step(
        { subCategories: [], operation: 'close', via: 'syscall', args: { fd: sock.ret } },
        () => {
          sockOpen = false;
          return { result: fromCall(closeFd(sock.ret)) };
        },
      );
    }
    await ctx.stepAsync(
      {
        subCategories: ['ebpf-event'],
        operation: 'close',
        via: 'syscall',
        args: { fd: progFd, bpf: { progName, ...(progId === undefined ? {} : { progId }) } },
        note: 'Closing the last reference makes the kernel unload the program (after an RCU grace period).',
      },
      async () => {
        const call = closeFd(progFd);
        progFd = -1;
        if (call.errno !== undefined || progId === undefined) return { result: fromCall(call) };
        const started = Date.now();
        while (programExists(progId) && Date.now() - started < 2000) {
          await new Promise((r) => setTimeout(r, 5));
        }
        const gone = !programExists(progId);
        return {
          result: gone
            ? fromCall(call)
            : {
                ...fromCall(call),
                ok: false,
                message: `program id ${progId} still loaded 2 s after close`,
              },
          note: `Program id ${progId} ${gone ? `was gone after ${Date.now() - started} ms` : 'was still loaded'}.`,
        };
      },
    );
  },
};
