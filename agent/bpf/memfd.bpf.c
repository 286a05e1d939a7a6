// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Memfd family: memfd_create() with its name and flags (anonymous,
 * memory-backed files, the usual first step of fileless execution).
 *
 * There is no memfd tracepoint, so the syscall enter tracepoint stashes the
 * arguments and the exit tracepoint emits with the result and reads the name
 * (still in the caller's memory). Oldest kernel: 5.8.
 */
#include "common.bpf.h"

DECLARE_STASH(memfd_args);

/*
 * Captures: the arguments of memfd_create (name pointer, flags).
 * Format: /sys/kernel/tracing/events/syscalls/sys_enter_memfd_create/format
 * (uname at offset 16, flags at 24: args[0], args[1]).
 */
SEC("tp/syscalls/sys_enter_memfd_create")
int handle_memfd_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (skip_self())
		return 0;
	stash_args(&memfd_args, ctx, REC_MEMFD_CREATE, 2);
	return 0;
}

/*
 * Captures: the result of memfd_create, with name and flags from the stash.
 * Format: /sys/kernel/tracing/events/syscalls/sys_exit_memfd_create/format.
 */
SEC("tp/syscalls/sys_exit_memfd_create")
int handle_memfd_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct syscall_args *a = bpf_map_lookup_elem(&memfd_args, &id);
	struct rec_memfd_create *r;

	if (!a)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_MEMFD_CREATE, DROP_RINGBUF_FULL);
		goto out;
	}
	fill_hdr(&r->hdr, REC_MEMFD_CREATE, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->flags = a->a[1];
	r->ret = ctx->ret;
	if (bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)a->a[0]) < 0)
		r->name[0] = 0;
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&memfd_args, &id);
	return 0;
}
