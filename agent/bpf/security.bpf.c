// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Security family: ptrace, process_vm_readv/writev (cross-process memory
 * access and injection), bpf(BPF_PROG_LOAD), set*id credential changes, and
 * kernel module loads where the kernel has modules. (Raw block-device reads
 * share the open hook of the file family; see file.bpf.c.)
 *
 * All syscall enter/exit tracepoints: enter stashes the arguments (and, for
 * credential changes, the credentials before the call), exit emits with the
 * result. Oldest kernel: 5.8.
 */
#include "common.bpf.h"

DECLARE_STASH(sec_args);

#define BPF_PROG_LOAD_CMD 5 /* enum bpf_cmd BPF_PROG_LOAD (UAPI, stable) */

static __always_inline struct syscall_args *take_args(u64 *id)
{
	*id = bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(&sec_args, id);
}

/*
 * Captures: ptrace(request, pid, addr, data) and its result.
 * Formats: /sys/kernel/tracing/events/syscalls/sys_{enter,exit}_ptrace/format
 * (request, pid, addr, data at offsets 16, 24, 32, 40).
 */
SEC("tp/syscalls/sys_enter_ptrace")
int handle_ptrace_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!skip_self())
		stash_args(&sec_args, ctx, REC_PTRACE, 4);
	return 0;
}

/* ptrace returned: emit the request, target and result from the stash. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_ptrace")
int handle_ptrace_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id;
	struct syscall_args *a = take_args(&id);
	struct rec_ptrace *r;

	if (!a)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_PTRACE, DROP_RINGBUF_FULL);
		goto out;
	}
	fill_hdr(&r->hdr, REC_PTRACE, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->request = (s64)a->a[0];
	r->target_pid = (u32)a->a[1];
	r->addr = a->a[2];
	r->ret = ctx->ret;
	r->reserved = 0;
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&sec_args, &id);
	return 0;
}

/*
 * Captures: process_vm_readv/writev(pid, lvec, liovcnt, rvec, riovcnt, flags)
 * and the bytes transferred.
 * Formats: sys_{enter,exit}_process_vm_{readv,writev}/format.
 */
static __always_inline int proc_vm_exit(struct trace_event_raw_sys_exit *ctx, u32 write)
{
	u64 id;
	struct syscall_args *a = take_args(&id);
	struct rec_proc_vm *r;

	if (!a)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_PROC_VM, DROP_RINGBUF_FULL);
		goto out;
	}
	fill_hdr(&r->hdr, REC_PROC_VM, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->target_pid = (u32)a->a[0];
	r->local_iovcnt = a->a[2];
	r->remote_iovcnt = a->a[4];
	r->ret = ctx->ret;
	r->write = write;
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&sec_args, &id);
	return 0;
}

/* process_vm_writev about to run: stash pid and iovec counts. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_process_vm_writev")
int handle_vm_writev_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!skip_self())
		stash_args(&sec_args, ctx, REC_PROC_VM, 6);
	return 0;
}

/* process_vm_writev returned: see proc_vm_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_process_vm_writev")
int handle_vm_writev_exit(struct trace_event_raw_sys_exit *ctx)
{
	return proc_vm_exit(ctx, 1);
}

/* process_vm_readv about to run: stash pid and iovec counts. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_process_vm_readv")
int handle_vm_readv_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!skip_self())
		stash_args(&sec_args, ctx, REC_PROC_VM, 6);
	return 0;
}

/* process_vm_readv returned: see proc_vm_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_process_vm_readv")
int handle_vm_readv_exit(struct trace_event_raw_sys_exit *ctx)
{
	return proc_vm_exit(ctx, 0);
}

/*
 * Captures: bpf(BPF_PROG_LOAD, attr, size): program type, name, size in
 * instructions and the result (a program fd or -errno). Other bpf commands
 * are not reported.
 * Formats: sys_{enter,exit}_bpf/format (cmd, uattr, size at 16, 24, 32).
 * The attr fields are read at exit from the caller's memory (UAPI layout).
 */
SEC("tp/syscalls/sys_enter_bpf")
int handle_bpf_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[0] == BPF_PROG_LOAD_CMD && !skip_self())
		stash_args(&sec_args, ctx, REC_BPF_PROG_LOAD, 3);
	return 0;
}

/* bpf(BPF_PROG_LOAD) returned: read type, name and size from the attr. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_bpf")
int handle_bpf_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id;
	struct syscall_args *a = take_args(&id);
	struct rec_bpf_prog_load *r;
	void *attr;

	if (!a)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_BPF_PROG_LOAD, DROP_RINGBUF_FULL);
		goto out;
	}
	attr = (void *)a->a[1];
	fill_hdr(&r->hdr, REC_BPF_PROG_LOAD, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->ret = ctx->ret;
	r->prog_type = 0;
	r->insn_cnt = 0;
	r->expected_attach_type = 0;
	r->reserved = 0;
	r->prog_name[0] = 0;
	bpf_probe_read_user(&r->prog_type, 4, attr + __builtin_offsetof(union bpf_attr, prog_type));
	bpf_probe_read_user(&r->insn_cnt, 4, attr + __builtin_offsetof(union bpf_attr, insn_cnt));
	bpf_probe_read_user(&r->expected_attach_type, 4,
			    attr + __builtin_offsetof(union bpf_attr, expected_attach_type));
	bpf_probe_read_user_str(r->prog_name, sizeof(r->prog_name),
				attr + __builtin_offsetof(union bpf_attr, prog_name));
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&sec_args, &id);
	return 0;
}

/*
 * Captures: set{,re,res,fs}{uid,gid}() with the ids passed, the credentials
 * before (stashed at entry) and after (read at exit), and the result.
 * Formats: sys_{enter,exit}_set*{uid,gid}/format.
 */
static __always_inline void cred_enter(struct trace_event_raw_sys_enter *ctx, u32 which, const int nargs)
{
	u64 id = bpf_get_current_pid_tgid();
	const struct cred *c = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), cred);
	struct syscall_args a = {};

	if (skip_self())
		return;
	a.a[0] = ctx->args[0];
	if (nargs > 1)
		a.a[1] = ctx->args[1];
	if (nargs > 2)
		a.a[2] = ctx->args[2];
	a.a[5] = which;
	a.cred[0] = BPF_CORE_READ(c, uid.val);
	a.cred[1] = BPF_CORE_READ(c, euid.val);
	a.cred[2] = BPF_CORE_READ(c, suid.val);
	a.cred[3] = BPF_CORE_READ(c, gid.val);
	a.cred[4] = BPF_CORE_READ(c, egid.val);
	a.cred[5] = BPF_CORE_READ(c, sgid.val);
	if (bpf_map_update_elem(&sec_args, &id, &a, BPF_ANY))
		count_drop(REC_CRED_CHANGE, DROP_STASH_FULL);
}

static __always_inline int cred_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id;
	struct syscall_args *a = take_args(&id);
	struct rec_cred_change *r;

	if (!a)
		return 0;
	if (ctx->ret < 0)
		goto out;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_CRED_CHANGE, DROP_RINGBUF_FULL);
		goto out;
	}
	fill_hdr(&r->hdr, REC_CRED_CHANGE, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->ret = ctx->ret;
	r->syscall = a->a[5];
	r->arg0 = a->a[0];
	r->arg1 = a->a[1];
	r->arg2 = a->a[2];
	r->old_uid = a->cred[0];
	r->old_euid = a->cred[1];
	r->old_suid = a->cred[2];
	r->old_gid = a->cred[3];
	r->old_egid = a->cred[4];
	r->old_sgid = a->cred[5];
	bpf_ringbuf_submit(r, rb_flags());
out:
	bpf_map_delete_elem(&sec_args, &id);
	return 0;
}

#define CRED_PROGS(sys, which, nargs)                                                              \
	SEC("tp/syscalls/sys_enter_" #sys)                                                         \
	int handle_##sys##_enter(struct trace_event_raw_sys_enter *ctx)                            \
	{                                                                                          \
		cred_enter(ctx, which, nargs);                                                     \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tp/syscalls/sys_exit_" #sys)                                                          \
	int handle_##sys##_exit(struct trace_event_raw_sys_exit *ctx)                              \
	{                                                                                          \
		return cred_exit(ctx);                                                             \
	}

/* One enter program (stash the ids and the credentials before) and one exit
 * program (emit when it succeeded) per set*id syscall. Oldest kernel: 5.8. */
CRED_PROGS(setuid, CRED_SETUID, 1)
CRED_PROGS(setreuid, CRED_SETREUID, 2)
CRED_PROGS(setresuid, CRED_SETRESUID, 3)
CRED_PROGS(setfsuid, CRED_SETFSUID, 1)
CRED_PROGS(setgid, CRED_SETGID, 1)
CRED_PROGS(setregid, CRED_SETREGID, 2)
CRED_PROGS(setresgid, CRED_SETRESGID, 3)
CRED_PROGS(setfsgid, CRED_SETFSGID, 1)

/*
 * Tracepoint record of module:module_load, declared by hand because kernels
 * without CONFIG_MODULES (like the one this was built on) have no such type
 * in their BTF. Layout from include/trace/events/module.h (TP_STRUCT__entry:
 * unsigned int taints; __string(name)) as shown by
 * /sys/kernel/tracing/events/module/module_load/format on a kernel with
 * modules: taints at offset 8, __data_loc name at 12.
 */
struct module_load_args {
	u64 common; /* common_type, flags, preempt_count, pid */
	u32 taints;
	u32 name_loc; /* __data_loc: offset in the low 16 bits, length in the high 16 */
};

/*
 * Captures: a kernel module load, with its name and taint flags.
 * Hook: module:module_load, fired after the module is in place. The loader
 * turns this program off when the tracepoint does not exist (no modules).
 * Oldest kernel: 5.8.
 */
SEC("tp/module/module_load")
int handle_module_load(struct module_load_args *ctx)
{
	struct rec_module_load *r;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_MODULE_LOAD, DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&r->hdr, REC_MODULE_LOAD, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->taints = ctx->taints;
	r->reserved = 0;
	bpf_probe_read_kernel_str(r->name, sizeof(r->name), (void *)ctx + (ctx->name_loc & 0xffff));
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}
