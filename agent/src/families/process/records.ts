/**
 * Byte layout of the process family's records (agent/bpf/records.h: fork, exec, exit, setsid,
 * memfd_create), as named offsets relative to the start of the struct named in each comment;
 * `SIZE` is sizeof. ../../records.ts puts them under the layout test.
 */

/** `struct rec_proc_fork`, `struct rec_proc_setsid` */
export const PROC_FORK = { hdr: 0, task: 16, SIZE: 112 } as const;
/** setsid() carries only the task that called it: the same layout as a fork record. */
export const PROC_SETSID = { ...PROC_FORK } as const;

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

/** `EXECF_*`: bits of `rec_proc_exec.flags`. */
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

/** C struct name → layout, for the layout test. */
export const PROCESS_LAYOUTS = {
  rec_proc_fork: PROC_FORK,
  rec_proc_setsid: PROC_SETSID,
  rec_proc_exec: PROC_EXEC,
  rec_proc_exit: PROC_EXIT,
  rec_memfd_create: MEMFD_CREATE,
};
