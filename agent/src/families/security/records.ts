/**
 * Byte layout of the security family's records (agent/bpf/records.h: ptrace, process_vm, bpf
 * program loads, credential changes, module loads), as named offsets.
 */

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
export const BPF_PROG_NAME_LEN = 16;

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
export const MODULE_NAME_LEN = 64;

/** C struct name → layout, for the layout test. */
export const SECURITY_LAYOUTS = {
  rec_ptrace: PTRACE,
  rec_proc_vm: PROC_VM,
  rec_bpf_prog_load: BPF_PROG_LOAD,
  rec_cred_change: CRED_CHANGE,
  rec_module_load: MODULE_LOAD,
};
