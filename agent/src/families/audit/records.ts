/**
 * Byte layout of the audit family's record (agent/bpf/records.h), as named offsets. The loader
 * writes it from the audit netlink socket; no BPF program is involved.
 */

/** `struct rec_audit_user`, followed by text_len bytes of audit message text. */
export const AUDIT_USER = { hdr: 0, audit_type: 16, text_len: 20, SIZE: 24 } as const;

/** C struct name → layout, for the layout test. */
export const AUDIT_LAYOUTS = { rec_audit_user: AUDIT_USER };
