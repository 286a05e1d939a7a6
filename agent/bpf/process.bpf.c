// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Process family: fork, exec, end (exit) and session_begin (setsid).
 *
 * sched_process_* are BTF tracepoints (tp_btf): stable attach points in the
 * scheduler that hand over the task_struct (and, for exec, the linux_binprm)
 * so everything is read with CO-RE from the kernel's own objects rather than
 * from syscall arguments that may have changed. tp_btf needs 5.5; the ring
 * buffer 5.8.
 */
#include "common.bpf.h"

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

/*
 * Captures: a new process (not a thread) created by fork/vfork/clone.
 * Hook: tp_btf/sched_process_fork runs after copy_process with both tasks
 * fully set up (start time, pgid, sid, creds). Oldest kernel: 5.8.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct rec_proc_fork *r;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid) || skip_self())
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_PROC_FORK, DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&r->hdr, REC_PROC_FORK, sizeof(*r));
	fill_task(&r->task, child);
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}

/*
 * Captures: a successful execve/execveat with argv, the executable's path and
 * identity (dev, inode, size, mtime, link count: a memfd or deleted file has
 * nlink 0), the working directory and the filename as passed.
 * Hook: tp_btf/sched_process_exec fires after the point of no return, with the
 * new mm in place (argv readable) and bprm->file the file actually mapped,
 * so there is no time-of-check gap. Oldest kernel: 5.8.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct scratch *s;
	struct rec_proc_exec *r;
	struct file *exe;
	struct inode *inode;
	struct mm_struct *mm;
	u64 arg_start, arg_end, len;
	u32 off = sizeof(*r), flags = 0;
	int pb;
	struct path pwd;

	if (skip_self())
		return 0;
	s = get_scratch(REC_PROC_EXEC);
	if (!s)
		return 0;
	r = (struct rec_proc_exec *)s->buf;
	fill_hdr(&r->hdr, REC_PROC_EXEC, 0);
	fill_task(&r->task, task);
	r->old_tid = old_pid;
	r->reserved = 0;

	exe = BPF_CORE_READ(bprm, file);
	inode = BPF_CORE_READ(exe, f_inode);
	r->exe_ino = BPF_CORE_READ(inode, i_ino);
	r->exe_size = BPF_CORE_READ(inode, i_size);
	r->exe_mtime_ns = inode_mtime_ns(inode);
	r->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	r->exe_nlink = BPF_CORE_READ(inode, __i_nlink);
	r->exe_mode = BPF_CORE_READ(inode, i_mode);
	if (r->exe_nlink == 0)
		flags |= EXECF_EXE_NO_LINK;

	/* argv: the kernel just copied it to the new stack, so it is resident. */
	mm = BPF_CORE_READ(task, mm);
	arg_start = BPF_CORE_READ(mm, arg_start);
	arg_end = BPF_CORE_READ(mm, arg_end);
	len = arg_end - arg_start;
	if (len > ARGS_MAX) {
		len = ARGS_MAX;
		flags |= EXECF_ARGS_TRUNCATED;
	}
	if (bpf_probe_read_user(&s->buf[off], len & (ARGS_MAX * 2 - 1), (void *)arg_start))
		len = 0;
	r->args_len = len;
	off += len;

	pb = path_blob(s, off, (u64)BPF_CORE_READ(exe, f_path.dentry), (u64)BPF_CORE_READ(exe, f_path.mnt));
	if ((pb >> 16) & PATHF_TRUNCATED)
		flags |= EXECF_EXE_PATH_TRUNCATED;
	r->exe_path_len = pb & 0xffff;
	off += pb & 0xffff;

	pwd = BPF_CORE_READ(task, fs, pwd);
	pb = path_blob(s, off, (u64)pwd.dentry, (u64)pwd.mnt);
	if ((pb >> 16) & PATHF_TRUNCATED)
		flags |= EXECF_CWD_TRUNCATED;
	r->cwd_len = pb & 0xffff;
	off += pb & 0xffff;

	long n = bpf_probe_read_kernel_str(&s->buf[off & SCRATCH_MASK], 512, BPF_CORE_READ(bprm, filename));
	if (n < 0)
		n = 0;
	r->filename_len = n;
	off += n;
	r->flags = flags;
	output_scratch(s, off, REC_PROC_EXEC);
	return 0;
}

/*
 * Captures: the end of a process (its last thread), with the exit status.
 * Hook: tp_btf/sched_process_exit runs in do_exit after signal->live was
 * decremented, so live == 0 identifies the last thread on every kernel
 * (the group_dead argument only exists since 6.x). Oldest kernel: 5.8.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct rec_proc_exit *r;

	if (BPF_CORE_READ(sig, live.counter) != 0 || skip_self())
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_PROC_EXIT, DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&r->hdr, REC_PROC_EXIT, sizeof(*r));
	fill_task(&r->task, task);
	r->exit_code = (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT) ? BPF_CORE_READ(sig, group_exit_code)
									 : BPF_CORE_READ(task, exit_code);
	r->reserved = 0;
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}

/*
 * Captures: setsid() that succeeded, i.e. a new session (and process group)
 * led by the caller, the start of a session in ECS RFC 0030 terms.
 * Hook: the syscall exit tracepoint gives the result; the task context read
 * afterwards already holds the new sid. Format:
 * /sys/kernel/tracing/events/syscalls/sys_exit_setsid/format (ret at offset
 * 16, as in struct trace_event_raw_sys_exit). Oldest kernel: 5.8.
 */
SEC("tp/syscalls/sys_exit_setsid")
int handle_setsid(struct trace_event_raw_sys_exit *ctx)
{
	struct rec_proc_setsid *r;

	if (ctx->ret < 0 || skip_self())
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_PROC_SETSID, DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&r->hdr, REC_PROC_SETSID, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}
