/** Byte layout of the script family's record (agent/bpf/records.h: bash readline), as named offsets. */

/** `struct rec_bash_readline`, followed by line_len bytes of the line. */
export const BASH_READLINE = { hdr: 0, task: 16, line_len: 112, flags: 116, SIZE: 120 } as const;

/** `BASHF_*`: bits of `rec_bash_readline.flags`. */
export const BASHF_TRUNCATED = 0x1;

/** C struct name → layout, for the layout test. */
export const SCRIPT_LAYOUTS = { rec_bash_readline: BASH_READLINE };
