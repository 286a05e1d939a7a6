// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * DNS family: UDP packets to a DNS port leaving a client (queries) and from a
 * DNS port reaching a client (answers), with the first DNS_PAYLOAD_MAX bytes
 * of the UDP payload; user space parses the DNS message.
 *
 * Why cgroup_skb on the root cgroup: resolvers send and receive with any of
 * sendto, sendmsg, sendmmsg, write, recvfrom, recvmsg, recvmmsg, read and
 * io_uring; every one of them passes the cgroup egress/ingress hook exactly
 * once per packet, with the packet already assembled. Egress runs in the
 * sender's context (udp_sendmsg -> ip_finish_output), so the querying process
 * is current there and is remembered per socket cookie; ingress runs in
 * softirq, so an answer is attributed through its socket's cookie. Programs
 * attached to the root with BPF_F_ALLOW_MULTI (what bpf_link does) apply to
 * every descendant cgroup. Only the client's side is reported: a local DNS
 * server's own receive of the query and send of the answer are skipped, so
 * loopback traffic is not counted twice.
 * Oldest kernel: 5.8 (ring buffer); current-task helpers in cgroup_skb: 6.1.
 */
#include "common.bpf.h"

#define ETH_P_IP_BE 0x0008   /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xdd86 /* htons(0x86dd) */
#define IPPROTO_UDP_NR 17
#define AF_INET 2
#define AF_INET6 10
#define DNS_PORTS_MAX 4

/* Ports that mean DNS, host order; 0 = unused slot. Set by the loader (-P). */
const volatile u16 dns_ports[DNS_PORTS_MAX] = { 53, 0, 0, 0 };

/* Who sent the last query on a socket, for the answers that come back to it. */
struct sender {
	u32 pid;
	u32 tid;
	u32 uid;
	u32 gid;
	char comm[TASK_COMM_LEN_REC];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, u64);
	__type(value, struct sender);
} dns_senders SEC(".maps");

static __always_inline bool is_dns_port(u16 port)
{
	for (int i = 0; i < DNS_PORTS_MAX; i++)
		if (dns_ports[i] && dns_ports[i] == port)
			return true;
	return false;
}

static __always_inline u16 bswap16(u16 v)
{
	return (u16)((v >> 8) | (v << 8));
}

static __always_inline int on_packet(struct __sk_buff *skb, u16 direction)
{
	struct scratch *s;
	struct rec_dns_packet *r;
	u32 udp_off, wire;
	u64 avail, len;
	u16 ports[2], udp_len_be, sport, dport, family;
	u64 cookie;

	if (scope_cgroup && bpf_skb_cgroup_id(skb) != scope_cgroup)
		return 1;
	if (skb->protocol == ETH_P_IP_BE) {
		u8 vihl, proto;

		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, &proto, 1))
			return 1;
		if (proto != IPPROTO_UDP_NR)
			return 1;
		udp_off = (vihl & 0xf) * 4;
		family = AF_INET;
	} else if (skb->protocol == ETH_P_IPV6_BE) {
		u8 next;

		/* Extension headers before UDP are not followed: DNS does not use them. */
		if (bpf_skb_load_bytes(skb, 6, &next, 1) || next != IPPROTO_UDP_NR)
			return 1;
		udp_off = 40;
		family = AF_INET6;
	} else {
		return 1;
	}
	if (bpf_skb_load_bytes(skb, udp_off, ports, 4))
		return 1;
	sport = bswap16(ports[0]);
	dport = bswap16(ports[1]);
	if (direction == DNS_DIR_QUERY ? !is_dns_port(dport) : !is_dns_port(sport))
		return 1;

	cookie = bpf_get_socket_cookie(skb);
	s = get_scratch(REC_DNS_PACKET);
	if (!s)
		return 1;
	r = (struct rec_dns_packet *)s->buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->hdr, REC_DNS_PACKET, sizeof(*r));
	r->sock_cookie = cookie;
	r->family = family;
	r->direction = direction;
	r->sport = sport;
	r->dport = dport;
	if (family == AF_INET) {
		bpf_skb_load_bytes(skb, 12, r->saddr, 4);
		bpf_skb_load_bytes(skb, 16, r->daddr, 4);
	} else {
		bpf_skb_load_bytes(skb, 8, r->saddr, 16);
		bpf_skb_load_bytes(skb, 24, r->daddr, 16);
	}

	if (direction == DNS_DIR_QUERY) {
		u64 id = bpf_get_current_pid_tgid();
		struct sender snd = {};

		if ((u32)(id >> 32) == self_tgid || (u32)(id >> 32) == enricher_tgid)
			return 1;
		u64 ug = bpf_get_current_uid_gid();

		snd.pid = id >> 32;
		snd.tid = (u32)id;
		snd.uid = (u32)ug;
		snd.gid = ug >> 32;
		bpf_get_current_comm(snd.comm, sizeof(snd.comm));
		bpf_map_update_elem(&dns_senders, &cookie, &snd, BPF_ANY);
		r->pid = snd.pid;
		r->tid = snd.tid;
		r->uid = snd.uid;
		r->gid = snd.gid;
		__builtin_memcpy(r->comm, snd.comm, sizeof(r->comm));
	} else {
		struct sender *snd = bpf_map_lookup_elem(&dns_senders, &cookie);

		if (snd) {
			r->pid = snd->pid;
			r->tid = snd->tid;
			r->uid = snd->uid;
			r->gid = snd->gid;
			__builtin_memcpy(r->comm, snd->comm, sizeof(r->comm));
		}
	}

	if (bpf_skb_load_bytes(skb, udp_off + 4, &udp_len_be, 2))
		return 1;
	wire = bswap16(udp_len_be);
	wire = wire > 8 ? wire - 8 : 0;
	r->wire_len = wire;
	/* 64-bit arithmetic throughout: the verifier must see len in [1, DNS_PAYLOAD_MAX]. */
	avail = skb->len;
	avail = avail > udp_off + 8 ? avail - udp_off - 8 : 0;
	len = wire < avail ? wire : avail;
	if (len > DNS_PAYLOAD_MAX)
		len = DNS_PAYLOAD_MAX;
	if (len > 0 && bpf_skb_load_bytes(skb, udp_off + 8, &s->buf[sizeof(*r)], len))
		len = 0;
	r->payload_len = len;
	output_scratch(s, sizeof(*r) + len, REC_DNS_PACKET);
	return 1;
}

SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	return on_packet(skb, DNS_DIR_QUERY);
}

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	return on_packet(skb, DNS_DIR_ANSWER);
}
