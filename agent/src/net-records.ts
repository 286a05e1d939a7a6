/**
 * Byte layout of the network, DNS, audit and bash records of agent/bpf/records.h, as named offsets
 * (the same convention as records.ts, which merges NET_LAYOUTS into LAYOUTS so the layout test
 * checks these against the compiled objects' BTF too). No imports: records.ts imports this file.
 */

/** `struct rec_net_sock` (connect, accept, listen). */
export const NET_SOCK = {
  hdr: 0,
  task: 16,
  ret: 112,
  sock_cookie: 120,
  laddr: 128,
  raddr: 144,
  lport: 160,
  rport: 162,
  family: 164,
  protocol: 166,
  sock_type: 168,
  reserved0: 170,
  fd: 172,
  backlog: 176,
  reserved: 180,
  SIZE: 184,
} as const;

/** `struct rec_net_state` (a connect's TCP handshake finished). */
export const NET_STATE = {
  hdr: 0,
  task: 16,
  sock_cookie: 112,
  laddr: 120,
  raddr: 136,
  lport: 152,
  rport: 154,
  family: 156,
  protocol: 158,
  old_state: 160,
  new_state: 164,
  SIZE: 168,
} as const;

/** TCP states (include/net/tcp_states.h) the state record can carry. */
export const TCP_STATE = { ESTABLISHED: 1, SYN_SENT: 2, CLOSE: 7 } as const;

/** `struct rec_dns_packet`, followed by payload_len bytes of UDP payload. */
export const DNS_PACKET = {
  hdr: 0,
  sock_cookie: 16,
  pid: 24,
  tid: 28,
  uid: 32,
  gid: 36,
  saddr: 40,
  daddr: 56,
  sport: 72,
  dport: 74,
  family: 76,
  direction: 78,
  payload_len: 80,
  wire_len: 82,
  reserved: 84,
  comm: 88,
  SIZE: 104,
} as const;

/** `struct rec_audit_user`, followed by text_len bytes of audit message text. */
export const AUDIT_USER = { hdr: 0, audit_type: 16, text_len: 20, SIZE: 24 } as const;

/** `struct rec_bash_readline`, followed by line_len bytes of the line. */
export const BASH_READLINE = { hdr: 0, task: 16, line_len: 112, flags: 116, SIZE: 120 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const DNS_DIR = { QUERY: 0, ANSWER: 1 } as const;
export const BASHF_TRUNCATED = 0x1;

export const NET_LAYOUTS: Record<string, Record<string, number>> = {
  rec_net_sock: NET_SOCK,
  rec_net_state: NET_STATE,
  rec_dns_packet: DNS_PACKET,
  rec_audit_user: AUDIT_USER,
  rec_bash_readline: BASH_READLINE,
};
