/**
 * libc calls Node has no API for, through koffi. Every wrapper returns the raw return value and
 * the errno captured right after the call, so callers record exactly what the kernel said.
 */
import { arch } from 'node:os';
import koffi from 'koffi';

/** A raw call's outcome: `ret` as returned, `errno` only when the call signalled failure. */
export interface CallResult {
  ret: number;
  errno?: number;
}

const libc = koffi.load('libc.so.6');

const memfdCreateFn = libc.func('int memfd_create(const char *name, unsigned int flags)');
const fcntlFn = libc.func('int fcntl(int fd, int cmd, ...)');
const closeFn = libc.func('int close(int fd)');
const execveatFn = libc.func(
  'int execveat(int dirfd, const char *path, const char **argv, const char **envp, int flags)',
);
const ptraceFn = libc.func('long ptrace(int request, ...)');
const waitpidFn = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const syscallFn = libc.func('long syscall(long number, ...)');
const setsockoptFn = libc.func(
  'int setsockopt(int fd, int level, int name, const void *value, unsigned int len)',
);
const clockGettimeFn = libc.func('int clock_gettime(int clock, _Out_ int64_t *ts)');
koffi.struct('etm_iovec', { base: 'uint64', len: 'size_t' });
const processVmReadvFn = libc.func(
  'intptr_t process_vm_readv(int pid, const etm_iovec *local, unsigned long liovcnt, const etm_iovec *remote, unsigned long riovcnt, unsigned long flags)',
);
const processVmWritevFn = libc.func(
  'intptr_t process_vm_writev(int pid, const etm_iovec *local, unsigned long liovcnt, const etm_iovec *remote, unsigned long riovcnt, unsigned long flags)',
);
const getTidFn = libc.func('int gettid(void)');

function outcome(ret: number | bigint): CallResult {
  const value = Number(ret);
  return value === -1 ? { ret: value, errno: koffi.errno() } : { ret: value };
}

export const MFD = {
  MFD_CLOEXEC: 0x1,
  MFD_ALLOW_SEALING: 0x2,
  MFD_HUGETLB: 0x4,
  MFD_NOEXEC_SEAL: 0x8,
  MFD_EXEC: 0x10,
} as const;

export const SEALS = {
  F_SEAL_SEAL: 0x1,
  F_SEAL_SHRINK: 0x2,
  F_SEAL_GROW: 0x4,
  F_SEAL_WRITE: 0x8,
  F_SEAL_FUTURE_WRITE: 0x10,
  F_SEAL_EXEC: 0x20,
} as const;

const F_ADD_SEALS = 1033;
const F_GET_SEALS = 1034;
export const AT_EMPTY_PATH = 0x1000;

export function memfdCreate(name: string, flags: number): CallResult {
  return outcome(memfdCreateFn(name, flags));
}

export function addSeals(fd: number, seals: number): CallResult {
  return outcome(fcntlFn(fd, F_ADD_SEALS, 'int', seals));
}

export function getSeals(fd: number): CallResult {
  return outcome(fcntlFn(fd, F_GET_SEALS));
}

const F_SETFD = 2;

/** Lets fd survive exec (clears FD_CLOEXEC). */
export function keepAcrossExec(fd: number): CallResult {
  return outcome(fcntlFn(fd, F_SETFD, 'int', 0));
}

export function closeFd(fd: number): CallResult {
  return outcome(closeFn(fd));
}

/** Only returns on failure: on success the calling process image is replaced. */
export function execveat(
  dirfd: number,
  path: string,
  argv: string[],
  envp: string[],
  flags: number,
): CallResult {
  return outcome(execveatFn(dirfd, path, [...argv, null], [...envp, null], flags));
}

const PTRACE = { PTRACE_PEEKDATA: 2, PTRACE_ATTACH: 16, PTRACE_DETACH: 17 } as const;

export function ptraceAttach(pid: number): CallResult {
  return outcome(ptraceFn(PTRACE.PTRACE_ATTACH, 'int', pid, 'void *', null, 'void *', null));
}

export function ptraceDetach(pid: number): CallResult {
  return outcome(ptraceFn(PTRACE.PTRACE_DETACH, 'int', pid, 'void *', null, 'void *', null));
}

/** PTRACE_PEEKDATA returns the word itself, so -1 is ambiguous: errno is cleared first. */
export function ptracePeekData(pid: number, address: bigint): { word?: bigint; errno?: number } {
  koffi.errno(0);
  const word = ptraceFn(
    PTRACE.PTRACE_PEEKDATA,
    'int',
    pid,
    'void *',
    koffi.as(address, 'void *'),
    'void *',
    null,
  ) as number | bigint;
  const errno = koffi.errno();
  if (errno !== 0) return { errno };
  return { word: BigInt.asUintN(64, BigInt(word)) };
}

export const WALL = 0x40000000;

/** waitpid(2); status decoded by the caller. Blocks: only for a child known to change state. */
export function waitpid(pid: number, options: number): CallResult & { status: number } {
  const status = [0];
  const res = outcome(waitpidFn(pid, status, options));
  return { ...res, status: status[0] ?? 0 };
}

function syscallNumber(name: 'bpf'): number {
  const table: Record<string, Record<string, number>> = {
    x64: { bpf: 321 },
    arm64: { bpf: 280 },
  };
  const n = table[arch()]?.[name];
  if (n === undefined) throw new Error(`No syscall number for ${name} on ${arch()}.`);
  return n;
}

/** bpf(2) with a caller-built `union bpf_attr` buffer. */
export function bpf(command: number, attr: Buffer): CallResult {
  return outcome(
    syscallFn(syscallNumber('bpf'), 'int', command, 'void *', attr, 'uint', attr.length),
  );
}

export function setsockopt(fd: number, level: number, name: number, value: Buffer): CallResult {
  return outcome(setsockoptFn(fd, level, name, value, value.length));
}

/** Address of a Buffer's memory, for pointer fields inside structs such as bpf_attr. */
export function addressOf(buffer: Buffer): bigint {
  return BigInt(koffi.address(buffer));
}

function remoteIo(
  fn: typeof processVmReadvFn,
  pid: number,
  local: Buffer,
  remoteAddress: bigint,
): CallResult {
  const localVec = { base: addressOf(local), len: local.length };
  const remoteVec = { base: remoteAddress, len: local.length };
  return outcome(fn(pid, localVec, 1, remoteVec, 1, 0));
}

/** process_vm_readv into `into` (length = bytes to read). */
export function processVmReadv(pid: number, into: Buffer, remoteAddress: bigint): CallResult {
  return remoteIo(processVmReadvFn, pid, into, remoteAddress);
}

/** process_vm_writev of all of `data`. */
export function processVmWritev(pid: number, data: Buffer, remoteAddress: bigint): CallResult {
  return remoteIo(processVmWritevFn, pid, data, remoteAddress);
}

export const CLOCK = { REALTIME: 0, MONOTONIC: 1, BOOTTIME: 7 } as const;

/** clock_gettime(2) in nanoseconds. */
export function clockNs(clock: number): bigint {
  const ts = [0n, 0n];
  const ret = clockGettimeFn(clock, ts);
  if (ret !== 0) throw new Error(`clock_gettime(${clock}) failed with errno ${koffi.errno()}.`);
  return BigInt(ts[0] ?? 0) * 1_000_000_000n + BigInt(ts[1] ?? 0);
}

export function gettid(): number {
  return Number(getTidFn());
}

/** koffi.load for image-load: dlopen(3) of a path, returning a handle to unload it. */
export function loadLibrary(path: string): {
  call: (signature: string) => unknown;
  unload: () => void;
} {
  const lib = koffi.load(path);
  return {
    call: (signature) => lib.func(signature)(),
    unload: () => lib.unload(),
  };
}

const socketFn = libc.func('int socket(int domain, int type, int protocol)');

export const AF_INET = 2;
export const SOCK_DGRAM = 2;
export const SOL_SOCKET = 1;
export const SO_ATTACH_FILTER = 26;
export const SO_DETACH_FILTER = 27;
export const SO_ATTACH_BPF = 50;

export function socket(domain: number, type: number, protocol: number): CallResult {
  return outcome(socketFn(domain, type, protocol));
}
