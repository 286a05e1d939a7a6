/** Byte layout of the network family's records (agent/bpf/records.h), as named offsets. */

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

export const AF_INET6 = 10;

/** C struct name → layout, for the layout test. */
export const NET_LAYOUTS = {
  rec_net_sock: NET_SOCK,
  rec_net_state: NET_STATE,
};
