/**
 * Byte layout of the file family's records (agent/bpf/records.h: create, modify, close, rename,
 * unlink, raw block-device reads, and the image family's library loads, which share
 * `rec_file_event`), as named offsets. The `struct rec_file_ref` they embed is in ../../records.ts.
 */

/** `struct rec_file_event` (CREATE, MODIFY, IMAGE_LOAD; path blob follows) and `struct rec_file_close`. */
export const FILE_EVENT = { hdr: 0, task: 16, file: 112, SIZE: 160 } as const;
const FILE_CLOSE = FILE_EVENT;

/** `struct rec_file_path_op` (RENAME, UNLINK), followed by old name, new name, old and new directory blobs. */
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

/** `struct rec_raw_access`, path blob follows. */
export const RAW_ACCESS = {
  hdr: 0,
  task: 16,
  file: 112,
  rdev: 160,
  reserved: 164,
  SIZE: 168,
} as const;

/** unlinkat(2)'s flag for rmdir. */
export const AT_REMOVEDIR = 0x200;

/** C struct name → layout, for the layout test. */
export const FILE_LAYOUTS = {
  rec_file_event: FILE_EVENT,
  rec_file_close: FILE_CLOSE,
  rec_file_path_op: FILE_PATH_OP,
  rec_raw_access: RAW_ACCESS,
};
