/**
 * Byte layout of every record in agent/bpf/records.h, as named offsets. This file mirrors the C
 * header by hand; tests/agent/layout.test.ts checks every offset and size against the BTF of the
 * compiled objects, so a drift fails the tests rather than corrupting events.
 *
 * Offsets are relative to the start of the struct named in the comment; `SIZE` is sizeof.
 */

import { NET_LAYOUTS } from './net-records.ts';

/** `enum agent_record_type`. Ranges per family leave room: 48-63 network, 64-79 audit, 80-95 script. */
export const REC = {
  PROC_FORK: 1,
  PROC_EXEC: 2,
  PROC_EXIT: 3,
  PROC_SETSID: 4,
  MEMFD_CREATE: 5,
  FILE_CREATE: 16,
  FILE_MODIFY: 17,
  FILE_CLOSE: 18,
  FILE_RENAME: 19,
  FILE_UNLINK: 20,
  IMAGE_LOAD: 21,
  PTRACE: 32,
  PROC_VM: 33,
  BPF_PROG_LOAD: 34,
  RAW_ACCESS: 35,
  CRED_CHANGE: 36,
  MODULE_LOAD: 37,
  NET_CONNECT: 48,
  NET_ACCEPT: 49,
  NET_LISTEN: 50,
  DNS_PACKET: 51,
  NET_STATE: 52,
  AUDIT_USER: 64,
  BASH_READLINE: 80,
  LOADER_HELLO: 240,
  LOADER_STATS: 241,
} as const;

export const RECORD_VERSION = 1;

/** `enum agent_drop_reason`, by index. */
export const DROP_REASONS = ['ringbuf_full', 'no_scratch', 'stash_full', 'reserved'] as const;

/** `struct rec_hdr` */
export const HDR = { type: 0, version: 2, size: 4, ts_ns: 8, SIZE: 16 } as const;

/** `struct rec_task` */
export const TASK = {
  pid: 0,
  tid: 4,
  ppid: 8,
  pgid: 12,
  sid: 16,
  uid: 20,
  gid: 24,
  euid: 28,
  egid: 32,
  suid: 36,
  sgid: 40,
  tty_major: 44,
  tty_minor: 48,
  pidns_ino: 52,
  start_ns: 56,
  parent_start_ns: 64,
  cgroup_id: 72,
  comm: 80,
  SIZE: 96,
} as const;

/** `struct rec_proc_fork`, `struct rec_proc_setsid` */
export const PROC_FORK = { hdr: 0, task: 16, SIZE: 112 } as const;
export const PROC_SETSID = PROC_FORK;

/** `struct rec_proc_exec`, followed by args, exe path blob, cwd path blob, filename. */
export const PROC_EXEC = {
  hdr: 0,
  task: 16,
  exe_ino: 112,
  exe_size: 120,
  exe_mtime_ns: 128,
  exe_dev: 136,
  exe_nlink: 140,
  exe_mode: 144,
  flags: 148,
  old_tid: 152,
  args_len: 156,
  exe_path_len: 158,
  cwd_len: 160,
  filename_len: 162,
  reserved: 164,
  SIZE: 168,
} as const;

export const EXECF = {
  ARGS_TRUNCATED: 0x1,
  EXE_PATH_TRUNCATED: 0x2,
  CWD_TRUNCATED: 0x4,
  EXE_NO_LINK: 0x8,
} as const;

/** `struct rec_proc_exit` */
export const PROC_EXIT = { hdr: 0, task: 16, exit_code: 112, reserved: 116, SIZE: 120 } as const;

/** `struct rec_memfd_create` */
export const MEMFD_CREATE = {
  hdr: 0,
  task: 16,
  flags: 112,
  ret: 116,
  name: 120,
  SIZE: 376,
} as const;
export const MEMFD_NAME_LEN = 256;

/** `struct rec_file_ref` */
export const FILE_REF = {
  cookie: 0,
  ino: 8,
  size: 16,
  dev: 24,
  mode: 28,
  f_flags: 32,
  fd: 36,
  nlink: 40,
  path_len: 44,
  path_flags: 46,
  SIZE: 48,
} as const;

/** `struct rec_file_event` (CREATE, MODIFY; path blob follows) and `struct rec_file_close`. */
export const FILE_EVENT = { hdr: 0, task: 16, file: 112, SIZE: 160 } as const;
export const FILE_CLOSE = FILE_EVENT;

/** `struct rec_file_path_op` (RENAME, UNLINK). */
export const FILE_PATH_OP = {
  hdr: 0,
  task: 16,
  ret: 112,
  flags: 120,
  old_len: 124,
  new_len: 126,
  old_dir_len: 128,
  new_dir_len: 130,
  old_dir_flags: 132,
  new_dir_flags: 134,
  SIZE: 136,
} as const;

/** `struct rec_ptrace` */
export const PTRACE = {
  hdr: 0,
  task: 16,
  request: 112,
  addr: 120,
  ret: 128,
  target_pid: 136,
  reserved: 140,
  SIZE: 144,
} as const;

/** `struct rec_proc_vm` */
export const PROC_VM = {
  hdr: 0,
  task: 16,
  ret: 112,
  local_iovcnt: 120,
  remote_iovcnt: 128,
  target_pid: 136,
  write: 140,
  SIZE: 144,
} as const;

/** `struct rec_bpf_prog_load` */
export const BPF_PROG_LOAD = {
  hdr: 0,
  task: 16,
  ret: 112,
  prog_type: 120,
  expected_attach_type: 124,
  insn_cnt: 128,
  reserved: 132,
  prog_name: 136,
  SIZE: 152,
} as const;

/** `struct rec_raw_access`, path blob follows. */
export const RAW_ACCESS = {
  hdr: 0,
  task: 16,
  file: 112,
  rdev: 160,
  reserved: 164,
  SIZE: 168,
} as const;

/** `struct rec_cred_change` */
export const CRED_CHANGE = {
  hdr: 0,
  task: 16,
  ret: 112,
  syscall: 120,
  arg0: 124,
  arg1: 128,
  arg2: 132,
  old_uid: 136,
  old_euid: 140,
  old_suid: 144,
  old_gid: 148,
  old_egid: 152,
  old_sgid: 156,
  SIZE: 160,
} as const;

/** `struct rec_module_load` */
export const MODULE_LOAD = {
  hdr: 0,
  task: 16,
  taints: 112,
  reserved: 116,
  name: 120,
  SIZE: 184,
} as const;

/** `struct rec_loader_hello` */
export const LOADER_HELLO = {
  hdr: 0,
  boot_to_real_ns: 16,
  loader_pid: 24,
  features: 28,
  families: 32,
  ring_bytes: 36,
  drain_ms: 40,
  reserved: 44,
  SIZE: 48,
} as const;

export const FEAT = { FENTRY: 0x1, LSM: 0x2, MODULES: 0x4, KPROBES: 0x8 } as const;
export const FAM = {
  PROCESS: 0x1,
  MEMFD: 0x2,
  FILE: 0x4,
  SECURITY: 0x8,
  NET: 0x10,
  DNS: 0x20,
  AUDIT: 0x40,
  SCRIPT: 0x80,
  IMAGE: 0x100,
} as const;

/** `struct rec_drop_entry` */
export const DROP_ENTRY = { type: 0, reason: 2, reserved: 4, count: 8, SIZE: 16 } as const;

/** `struct rec_loader_stats`, followed by n_drops drop entries. */
export const LOADER_STATS = {
  hdr: 0,
  records: 16,
  bytes: 24,
  cpu_user_us: 32,
  cpu_sys_us: 40,
  n_drops: 48,
  final: 52,
  SIZE: 56,
} as const;

/** C struct name → its layout here; the layout test walks this table. */
export const LAYOUTS: Record<string, Record<string, number>> = {
  rec_hdr: HDR,
  rec_task: TASK,
  rec_proc_fork: PROC_FORK,
  rec_proc_setsid: PROC_SETSID,
  rec_proc_exec: PROC_EXEC,
  rec_proc_exit: PROC_EXIT,
  rec_memfd_create: MEMFD_CREATE,
  rec_file_ref: FILE_REF,
  rec_file_event: FILE_EVENT,
  rec_file_close: FILE_CLOSE,
  rec_file_path_op: FILE_PATH_OP,
  rec_ptrace: PTRACE,
  rec_proc_vm: PROC_VM,
  rec_bpf_prog_load: BPF_PROG_LOAD,
  rec_raw_access: RAW_ACCESS,
  rec_cred_change: CRED_CHANGE,
  rec_module_load: MODULE_LOAD,
  rec_loader_hello: LOADER_HELLO,
  rec_drop_entry: DROP_ENTRY,
  rec_loader_stats: LOADER_STATS,
  ...NET_LAYOUTS,
};
