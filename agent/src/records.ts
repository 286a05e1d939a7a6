/**
 * The record format shared by every family (agent/bpf/records.h), as named offsets: the record
 * type numbers, the common header, the task context and file reference that records embed, and
 * LAYOUTS, every record struct by its C name. Each family's own structs live in
 * families/<family>/records.ts. This mirrors the C header by hand; tests/agent/layout.test.ts
 * checks every offset and size in LAYOUTS against the BTF of the compiled objects, so a drift
 * fails the tests rather than corrupting events.
 *
 * Offsets are relative to the start of the struct named in the comment; `SIZE` is sizeof.
 */

import { AUDIT_LAYOUTS } from './families/audit/records.ts';
import { DNS_LAYOUTS } from './families/dns/records.ts';
import { FILE_LAYOUTS } from './families/file/records.ts';
import { LOADER_LAYOUTS } from './families/loader/records.ts';
import { NET_LAYOUTS } from './families/net/records.ts';
import { PROCESS_LAYOUTS } from './families/process/records.ts';
import { SCRIPT_LAYOUTS } from './families/script/records.ts';
import { SECURITY_LAYOUTS } from './families/security/records.ts';

/**
 * `enum agent_record_type`. Ranges per family leave room: 1-15 process, 16-31 file, 32-47
 * security, 48-63 network and DNS, 64-79 audit, 80-95 script, 240-255 loader.
 */
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

/** `AGENT_RECORD_VERSION` */
export const RECORD_VERSION = 1;

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

/** `TASK_COMM_LEN`: bytes of `rec_task.comm` and of the other comm fields. */
export const COMM_LEN = 16;

/** `struct rec_file_ref` (in file events and raw access records). */
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

/**
 * C struct name → its layout here, for every struct of records.h; the layout test walks this table.
 * @internal exists so tests/agent/layout.test.ts can check every layout against the compiled BTF.
 */
export const LAYOUTS: Record<string, Record<string, number>> = {
  rec_hdr: HDR,
  rec_task: TASK,
  rec_file_ref: FILE_REF,
  ...PROCESS_LAYOUTS,
  ...FILE_LAYOUTS,
  ...SECURITY_LAYOUTS,
  ...NET_LAYOUTS,
  ...DNS_LAYOUTS,
  ...AUDIT_LAYOUTS,
  ...SCRIPT_LAYOUTS,
  ...LOADER_LAYOUTS,
};
