/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by every family's .bpf.c: the ring buffer and drop counters (one of
 * each for the whole agent: the loader creates them with the first skeleton
 * and hands the fds to the others with bpf_map__reuse_fd), the tunables, and
 * the helpers that fill the common task context and walk dentries.
 *
 * Oldest kernel for everything here: 5.8 (ring buffer, bpf_ringbuf_query,
 * task->start_boottime, bounded loops, bpf_probe_read_kernel).
 */
#ifndef AGENT_COMMON_BPF_H
#define AGENT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "records.h"

/* Tunables, set by the loader before load. */
const volatile u32 self_tgid = 0;     /* the loader */
const volatile u32 enricher_tgid = 0; /* the process reading the loader's stdout */
const volatile u64 wakeup_bytes = 0;  /* wake the reader only past this much unread data */
const volatile u64 cookie_key = 0;    /* per-run secret so file cookies are not kernel addresses */
const volatile u64 scope_cgroup = 0;  /* 0: the whole host; else only tasks of this cgroup v2 id (-g) */

#define RINGBUF_BYTES (16u << 20)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REC_TYPE_MAX);
	__type(key, u32);
	__type(value, struct drop_counts);
} drops SEC(".maps");

/*
 * Per-CPU scratch for variable-length records, sent with bpf_ringbuf_output
 * at their exact size (as in falcosecurity/libs modern_bpf's auxmap) so a
 * short exec does not hold 12 KiB of ring space.
 */
#define SCRATCH_HALF 16384
#define SCRATCH_MASK (SCRATCH_HALF - 1)
/* Every write is at (offset & SCRATCH_MASK) and at most 4096 bytes long, so
 * the buffer needs SCRATCH_HALF + 4096 bytes (per-CPU values max out at 32 KiB). */
struct scratch {
	u8 buf[SCRATCH_HALF + 4096];
	/* path_blob's running length and flags: kept in map memory, which the
	 * verifier does not track, so the walk's states converge instead of
	 * forking on every possible length. */
	u32 walk_len;
	u32 walk_flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void count_drop(u32 type, u32 reason)
{
	struct drop_counts *d = bpf_map_lookup_elem(&drops, &type);

	if (d && reason < DROP_REASON_MAX)
		d->reason[reason]++;
}

/* No wakeup per record: the loader drains on a timer, and is woken only when
 * unread data passes the watermark, so a burst cannot overrun the ring. */
static __always_inline u64 rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									      : BPF_RB_NO_WAKEUP;
}

static __always_inline bool skip_self(void)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid == self_tgid || tgid == enricher_tgid)
		return true;
	return scope_cgroup && bpf_get_current_cgroup_id() != scope_cgroup;
}

static __always_inline void fill_hdr(struct rec_hdr *h, u16 type, u32 size)
{
	h->type = type;
	h->version = AGENT_RECORD_VERSION;
	h->size = size;
	h->ts_ns = bpf_ktime_get_boot_ns();
}

static __always_inline u32 pid_nr_of(struct pid *p)
{
	/* numbers[0] is the init pid namespace: the agent reports host pids. */
	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

/* Inode of the pid namespace the task lives in: pid->numbers[pid->level].ns. */
static __always_inline u32 pidns_ino_of(struct pid *p, unsigned int level)
{
	struct upid up = {};

	if (!p)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up),
			      (void *)p + bpf_core_field_offset(struct pid, numbers) +
				      (level & 31) * bpf_core_type_size(struct upid));
	return BPF_CORE_READ(up.ns, ns.inum);
}

static __always_inline void fill_task(struct rec_task *t, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level);

	t->pid = BPF_CORE_READ(task, tgid);
	t->tid = BPF_CORE_READ(task, pid);
	t->ppid = BPF_CORE_READ(parent, tgid);
	t->pgid = pid_nr_of(BPF_CORE_READ(sig, pids[PIDTYPE_PGID]));
	t->sid = pid_nr_of(BPF_CORE_READ(sig, pids[PIDTYPE_SID]));
	t->uid = BPF_CORE_READ(cred, uid.val);
	t->gid = BPF_CORE_READ(cred, gid.val);
	t->euid = BPF_CORE_READ(cred, euid.val);
	t->egid = BPF_CORE_READ(cred, egid.val);
	t->suid = BPF_CORE_READ(cred, suid.val);
	t->sgid = BPF_CORE_READ(cred, sgid.val);
	if (tty) {
		t->tty_major = BPF_CORE_READ(tty, driver, major);
		t->tty_minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	} else {
		t->tty_major = 0;
		t->tty_minor = 0;
	}
	t->pidns_ino = pidns_ino_of(tp, level);
	t->start_ns = BPF_CORE_READ(leader, start_boottime);
	t->parent_start_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	t->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
}

/*
 * Writes the path of (dentry, vfsmount) into s->buf at off as a path blob: the
 * components leaf first, each NUL terminated, crossing mount points upward
 * until the root of the mount tree. This is what bpf_d_path would give, built
 * by hand because bpf_d_path is not available to tracepoints.
 * A global function so the verifier checks the loop once, not per call site;
 * kernel pointers travel as u64 because a global function may only take
 * pointers to memory it can bound.
 * Returns the blob length in the low 16 bits and PATHF_* in the high 16.
 */
__noinline int path_blob(struct scratch *s, u32 off, u64 dentry_p, u64 vfsmnt_p)
{
	struct dentry *dentry = (struct dentry *)dentry_p;
	struct vfsmount *vfsmnt = (struct vfsmount *)vfsmnt_p;
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);

	if (!s || !dentry || !vfsmnt)
		return 0;
	s->walk_len = 0;
	s->walk_flags = 0;
	for (int i = 0; i < PATH_DEPTH_MAX; i++) {
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (dentry == mnt_root || dentry == parent) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

			if (dentry != mnt_root) {
				/* A pseudo file (memfd, anon inode) is its own parent: name it and stop. */
				u32 len = s->walk_len;
				long n = bpf_probe_read_kernel_str(&s->buf[(off + len) & SCRATCH_MASK], NAME_MAX_REC,
								   BPF_CORE_READ(dentry, d_name.name));

				if (n > 0)
					s->walk_len = len + n;
				s->walk_flags |= PATHF_UNREACHABLE;
				break;
			}
			if (mnt == mnt_parent) /* root of the mount tree */
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = &mnt->mnt;
			continue;
		}
		u32 len = s->walk_len;

		if (len > PATH_MAX_REC - NAME_MAX_REC) {
			s->walk_flags |= PATHF_TRUNCATED;
			break;
		}
		const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
		long n = bpf_probe_read_kernel_str(&s->buf[(off + len) & SCRATCH_MASK], NAME_MAX_REC, name);

		if (n <= 0)
			break;
		s->walk_len = len + n;
		dentry = parent;
		if (i == PATH_DEPTH_MAX - 1)
			s->walk_flags |= PATHF_TRUNCATED;
	}
	return (int)((s->walk_flags << 16) | (s->walk_len & 0xffff));
}

static __always_inline struct scratch *get_scratch(u32 type)
{
	u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

	if (!s)
		count_drop(type, DROP_NO_SCRATCH);
	return s;
}

/* Sends a record assembled in scratch; size must be < SCRATCH_HALF. */
static __always_inline void output_scratch(struct scratch *s, u32 size, u32 type)
{
	struct rec_hdr *h = (struct rec_hdr *)s->buf;

	size &= SCRATCH_MASK;
	h->size = size;
	if (bpf_ringbuf_output(&events, s->buf, size, rb_flags()))
		count_drop(type, DROP_RINGBUF_FULL);
}

/* The struct file behind fd in task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* mtime across the 6.6/6.7 inode timestamp reworks. */
struct inode___v66 {
	struct timespec64 __i_mtime;
};
struct inode___old {
	struct timespec64 i_mtime;
};

static __always_inline u64 inode_mtime_ns(struct inode *inode)
{
	if (bpf_core_field_exists(inode->i_mtime_sec))
		return BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ull + BPF_CORE_READ(inode, i_mtime_nsec);
	if (bpf_core_field_exists(((struct inode___v66 *)inode)->__i_mtime)) {
		struct inode___v66 *i = (void *)inode;
		return BPF_CORE_READ(i, __i_mtime.tv_sec) * 1000000000ull + BPF_CORE_READ(i, __i_mtime.tv_nsec);
	}
	struct inode___old *o = (void *)inode;
	return BPF_CORE_READ(o, i_mtime.tv_sec) * 1000000000ull + BPF_CORE_READ(o, i_mtime.tv_nsec);
}

/* Stash of syscall arguments between sys_enter and sys_exit, per thread. */
struct syscall_args {
	u64 a[6];
	u32 cred[6]; /* uid, euid, suid, gid, egid, sgid at entry (cred changes) */
};

#define DECLARE_STASH(name)                                                                        \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 16384);                                                        \
		__type(key, u64);                                                                  \
		__type(value, struct syscall_args);                                                \
	} name SEC(".maps")

/*
 * nargs must be the syscall's real argument count (a constant): attaching
 * fails with EACCES if the program reads past the end of the tracepoint's
 * record, and the reads are spelled out because the verifier rejects ctx
 * access through a computed pointer.
 */
static __always_inline void stash_args(void *map, struct trace_event_raw_sys_enter *ctx, u32 type,
				       const int nargs)
{
	u64 id = bpf_get_current_pid_tgid();
	struct syscall_args a = {};

	a.a[0] = ctx->args[0];
	if (nargs > 1)
		a.a[1] = ctx->args[1];
	if (nargs > 2)
		a.a[2] = ctx->args[2];
	if (nargs > 3)
		a.a[3] = ctx->args[3];
	if (nargs > 4)
		a.a[4] = ctx->args[4];
	if (nargs > 5)
		a.a[5] = ctx->args[5];
	if (bpf_map_update_elem(map, &id, &a, BPF_ANY))
		count_drop(type, DROP_STASH_FULL);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif /* AGENT_COMMON_BPF_H */
