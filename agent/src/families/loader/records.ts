/**
 * Byte layout of the loader's own records (agent/bpf/records.h: hello, first in every stream, and
 * stats, every second and at exit), as named offsets.
 */

/** `enum agent_drop_reason`, by index. */
export const DROP_REASONS = ['ringbuf_full', 'no_scratch', 'stash_full', 'reserved'] as const;

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

/**
 * `FAM_*` bits of `rec_loader_hello.families`, by the names `--families` takes (FAM_SCRIPT is
 * `bash`). tests/agent/records.test.ts checks them against records.h.
 */
export const FAMILY_BITS = {
  process: 0x1,
  memfd: 0x2,
  file: 0x4,
  security: 0x8,
  net: 0x10,
  dns: 0x20,
  audit: 0x40,
  bash: 0x80,
  image: 0x100,
} as const;

export type FamilyName = keyof typeof FAMILY_BITS;

/** The names of the families set in a `FAM_*` mask, in FAMILY_BITS order. */
export function familyNames(mask: number): FamilyName[] {
  return (Object.keys(FAMILY_BITS) as FamilyName[]).filter((n) => (mask & FAMILY_BITS[n]) !== 0);
}

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

/** C struct name → layout, for the layout test. */
export const LOADER_LAYOUTS = {
  rec_loader_hello: LOADER_HELLO,
  rec_drop_entry: DROP_ENTRY,
  rec_loader_stats: LOADER_STATS,
};
