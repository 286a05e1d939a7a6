/** Byte layout of the DNS family's record (agent/bpf/records.h), as named offsets. */

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

/** `DNS_DIR_*`: values of `rec_dns_packet.direction`. */
export const DNS_DIR = { QUERY: 0, ANSWER: 1 } as const;

/** C struct name → layout, for the layout test. */
export const DNS_LAYOUTS = { rec_dns_packet: DNS_PACKET };
