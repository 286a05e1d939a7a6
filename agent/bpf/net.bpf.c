// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Network family: connect(), accept()/accept4() and listen() on IPv4 and IPv6
 * sockets, with local and remote address and port, protocol and the result.
 *
 * Why syscall tracepoints: they run in the caller's context (the process is
 * exact, unlike sock:inet_sock_set_state, which fires in softirq for most
 * transitions), they see UDP as well as TCP, and a failed or non-blocking
 * connect is reported with its -errno. Enter stashes the arguments; exit reads
 * the socket behind the fd (fd -> file -> socket -> sock) for the addresses the
 * kernel settled on. fentry on inet_stream_connect would be cheaper but is not
 * available under lockdown. Oldest kernel: 5.8.
 */
#include "common.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000

DECLARE_STASH(net_args);

/* The user's sockaddr of a connect(), read at entry (UAPI layouts). */
struct sockaddr_any {
	u16 family;
	u16 port_be;
	union {
		u32 v4;                 /* sockaddr_in.sin_addr */
		struct {
			u32 flowinfo;
			u8 v6[16];      /* sockaddr_in6.sin6_addr */
		};
	};
};

struct connect_args {
	struct syscall_args a;
	struct sockaddr_any sa;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, struct connect_args);
} connect_stash SEC(".maps");

#define IPPROTO_TCP_NR 6
#define TCP_ESTABLISHED_ST 1 /* include/net/tcp_states.h */
#define TCP_SYN_SENT_ST 2
#define TCP_CLOSE_ST 7

/* TCP sockets in connect(): the caller as it was, for the SYN_SENT transitions that finish the
 * connect later (or earlier than sys_exit_connect, on loopback), usually in softirq. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, u64);
	__type(value, struct rec_task);
} connecting SEC(".maps");

static __always_inline u16 bswap16(u16 v)
{
	return (u16)((v >> 8) | (v << 8));
}

/* The struct sock behind fd, or NULL if fd is not a socket. */
static __always_inline struct sock *fd_sock(struct task_struct *task, long fd)
{
	struct file *f = fd_file(task, fd);
	struct socket *so;

	if (!f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* Fills family, protocol, type, local and remote endpoint from the sock. */
static __always_inline u16 fill_from_sock(struct rec_net_sock *r, struct sock *sk)
{
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	r->sock_cookie = (u64)sk ^ cookie_key;
	r->family = family;
	r->protocol = BPF_CORE_READ(sk, sk_protocol);
	r->sock_type = BPF_CORE_READ(sk, sk_type);
	r->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->rport = bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* Explicit sizes: BPF_CORE_READ_INTO would copy sizeof(*array) = 1 byte. */
	if (family == AF_INET) {
		bpf_core_read(r->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(r->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == AF_INET6) {
		bpf_core_read(r->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(r->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	return family;
}

static __always_inline struct rec_net_sock *reserve(u32 type)
{
	struct rec_net_sock *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		count_drop(type, DROP_RINGBUF_FULL);
		return NULL;
	}
	__builtin_memset(&r->ret, 0, sizeof(*r) - offsetof(struct rec_net_sock, ret));
	fill_hdr(&r->hdr, type, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	return r;
}

/*
 * Captures: connect(fd, uservaddr, addrlen); the sockaddr is read here, while
 * the caller is blocked in the syscall and its memory is certainly mapped.
 * Format: /sys/kernel/tracing/events/syscalls/sys_enter_connect/format
 * (fd at 16, uservaddr at 24, addrlen at 32).
 */
SEC("tp/syscalls/sys_enter_connect")
int handle_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct connect_args c = {};

	if (skip_self())
		return 0;
	if (bpf_probe_read_user(&c.sa, sizeof(c.sa), (void *)ctx->args[1]))
		return 0;
	if (c.sa.family != AF_INET && c.sa.family != AF_INET6)
		return 0;
	c.a.a[0] = ctx->args[0];
	if (bpf_map_update_elem(&connect_stash, &id, &c, BPF_ANY))
		count_drop(REC_NET_CONNECT, DROP_STASH_FULL);

	/* Remember who connects this TCP socket before the handshake can complete. */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sock *sk = fd_sock(task, ctx->args[0]);

	if (sk && BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP_NR) {
		struct rec_task t;
		u64 key = (u64)sk;

		fill_task(&t, task);
		if (bpf_map_update_elem(&connecting, &key, &t, BPF_ANY))
			count_drop(REC_NET_STATE, DROP_STASH_FULL);
	}
	return 0;
}

/*
 * Captures: the result of connect (0, -EINPROGRESS for a non-blocking TCP
 * connect, -ECONNREFUSED...), the local endpoint the kernel bound, and the
 * remote endpoint as the caller passed it.
 * Format: sys_exit_connect/format (ret at 16).
 */
SEC("tp/syscalls/sys_exit_connect")
int handle_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct connect_args *c = bpf_map_lookup_elem(&connect_stash, &id);
	struct rec_net_sock *r;
	struct sock *sk;

	if (!c)
		return 0;
	r = reserve(REC_NET_CONNECT);
	if (!r)
		goto out;
	r->ret = ctx->ret;
	r->fd = (s32)c->a.a[0];
	sk = fd_sock((struct task_struct *)bpf_get_current_task(), c->a.a[0]);
	if (sk)
		fill_from_sock(r, sk);
	/* The remote endpoint as asked for: a refused connect has reset the sock's. */
	r->family = c->sa.family;
	r->rport = bswap16(c->sa.port_be);
	if (c->sa.family == AF_INET)
		__builtin_memcpy(r->raddr, &c->sa.v4, 4);
	else
		__builtin_memcpy(r->raddr, c->sa.v6, 16);
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&connect_stash, &id);
	return 0;
}

/*
 * Captures: accept/accept4(fd, ...) returning a new connected socket; both
 * endpoints come from the new sock.
 * Formats: sys_{enter,exit}_accept{,4}/format (fd at 16; ret at 16).
 */
static __always_inline int on_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct syscall_args *a = bpf_map_lookup_elem(&net_args, &id);
	struct task_struct *task;
	struct rec_net_sock *r;
	struct sock *sk;
	u16 family;

	if (!a)
		return 0;
	if (ctx->ret < 0)
		goto out;
	task = (struct task_struct *)bpf_get_current_task();
	sk = fd_sock(task, ctx->ret);
	if (!sk)
		goto out;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		goto out;
	r = reserve(REC_NET_ACCEPT);
	if (!r)
		goto out;
	r->ret = ctx->ret;
	r->fd = (s32)a->a[0];
	fill_from_sock(r, sk);
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&net_args, &id);
	return 0;
}

SEC("tp/syscalls/sys_enter_accept")
int handle_accept_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!skip_self())
		stash_args(&net_args, ctx, REC_NET_ACCEPT, 1);
	return 0;
}

SEC("tp/syscalls/sys_exit_accept")
int handle_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx);
}

SEC("tp/syscalls/sys_enter_accept4")
int handle_accept4_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!skip_self())
		stash_args(&net_args, ctx, REC_NET_ACCEPT, 1);
	return 0;
}

SEC("tp/syscalls/sys_exit_accept4")
int handle_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx);
}

/*
 * Captures: listen(fd, backlog) that succeeded on an IPv4/IPv6 socket, with
 * the bound local endpoint.
 * Formats: sys_{enter,exit}_listen/format (fd at 16, backlog at 24; ret at 16).
 */
SEC("tp/syscalls/sys_enter_listen")
int handle_listen_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!skip_self())
		stash_args(&net_args, ctx, REC_NET_LISTEN, 2);
	return 0;
}

SEC("tp/syscalls/sys_exit_listen")
int handle_listen_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct syscall_args *a = bpf_map_lookup_elem(&net_args, &id);
	struct rec_net_sock *r;
	struct sock *sk;
	u16 family;

	if (!a)
		return 0;
	if (ctx->ret != 0)
		goto out;
	sk = fd_sock((struct task_struct *)bpf_get_current_task(), a->a[0]);
	if (!sk)
		goto out;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		goto out;
	r = reserve(REC_NET_LISTEN);
	if (!r)
		goto out;
	r->fd = (s32)a->a[0];
	r->backlog = (u32)a->a[1];
	fill_from_sock(r, sk);
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&net_args, &id);
	return 0;
}

/*
 * Captures: the end of a TCP handshake this family saw start in connect():
 * SYN_SENT -> ESTABLISHED or SYN_SENT -> CLOSE. It gives a non-blocking
 * connect (EINPROGRESS at sys_exit_connect) its real outcome.
 * Hook: sock:inet_sock_set_state, the one tracepoint on TCP state changes
 * (Linux >= 4.16). Format: /sys/kernel/tracing/events/sock/inet_sock_set_state/format
 * (skaddr at 8, oldstate 16, newstate 20, sport 24, dport 26, family 28,
 * protocol 30, saddr 32, daddr 36, saddr_v6 40, daddr_v6 56).
 */
SEC("tp/sock/inet_sock_set_state")
int handle_tcp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct rec_task *t;
	struct rec_net_state *r;
	u64 key;

	if (ctx->protocol != IPPROTO_TCP_NR || ctx->oldstate != TCP_SYN_SENT_ST ||
	    (ctx->newstate != TCP_ESTABLISHED_ST && ctx->newstate != TCP_CLOSE_ST))
		return 0;
	key = (u64)ctx->skaddr;
	t = bpf_map_lookup_elem(&connecting, &key);
	if (!t)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_NET_STATE, DROP_RINGBUF_FULL);
		goto out;
	}
	fill_hdr(&r->hdr, REC_NET_STATE, sizeof(*r));
	__builtin_memcpy(&r->task, t, sizeof(r->task));
	r->sock_cookie = key ^ cookie_key;
	r->family = ctx->family;
	r->protocol = ctx->protocol;
	r->lport = ctx->sport;
	r->rport = ctx->dport;
	/* The verifier refuses memcpy through a moved ctx pointer: copy the arrays with a helper. */
	__builtin_memset(r->laddr, 0, sizeof(r->laddr));
	__builtin_memset(r->raddr, 0, sizeof(r->raddr));
	if (ctx->family == AF_INET) {
		bpf_probe_read_kernel(r->laddr, 4, ctx->saddr);
		bpf_probe_read_kernel(r->raddr, 4, ctx->daddr);
	} else {
		bpf_probe_read_kernel(r->laddr, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(r->raddr, 16, ctx->daddr_v6);
	}
	r->old_state = ctx->oldstate;
	r->new_state = ctx->newstate;
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&connecting, &key);
	return 0;
}
