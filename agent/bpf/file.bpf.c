// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * File family: creation, first modification per open, close of those files,
 * rename and deletion; plus raw block-device reads (a security event that
 * shares the open hook, reported with a security record type).
 *
 * With the image family (-f image, off by default) it also reports executable
 * file mappings: the library loads of ld.so and dlopen().
 *
 * Without kprobes, LSM or fentry the only hooks are syscall tracepoints, so
 * paths are built from the kernel's own objects wherever one exists: the new
 * fd's struct file after open, the fd's struct file on write/close, and the
 * directory fd (or cwd) that a rename/unlink name is relative to. Oldest
 * kernel: 5.8.
 */
#include "common.bpf.h"

/* include/linux/fs.h; not in BTF (macros). */
#define FMODE_READ 0x1
#define FMODE_CREATED 0x100000
#define S_IFMT 00170000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define AT_FDCWD -100

/* Per open file (keyed by cookie): what was reported for it. */
#define TRACK_CREATED 0x1
#define TRACK_MODIFIED 0x2

/*
 * A struct file freed without a close() we saw (exit, exec with O_CLOEXEC,
 * dup2) leaves its entry behind, and the slab hands the same address to the
 * next open. So an entry only counts for the process and inode that made it:
 * otherwise a reused address would hide a later open's first write. The price
 * is one modification per process for an open shared across a fork.
 */
struct file_track {
	u32 flags; /* TRACK_* */
	u32 tgid;  /* process that opened or first wrote */
	u64 ino;   /* inode of the file */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct file_track);
} tracked SEC(".maps");

DECLARE_STASH(path_op_args);

static __always_inline u64 file_cookie(struct file *f)
{
	return (u64)f ^ cookie_key;
}

/* Pseudo filesystems whose "files" are kernel interfaces, not content. */
static __always_inline bool pseudo_fs(struct inode *inode)
{
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);

	switch (magic) {
	case 0x9fa0:     /* proc */
	case 0x62656572: /* sysfs */
	case 0x63677270: /* cgroup2 */
	case 0x27e0eb:   /* cgroup */
	case 0x74726163: /* tracefs */
	case 0x64626720: /* debugfs */
	case 0x73636673: /* securityfs */
	case 0xcafe4a11: /* bpffs */
	case 0x62656570: /* configfs */
	case 0x6165676c: /* pstore */
		return true;
	}
	return false;
}

static __always_inline void fill_file_ref(struct rec_file_ref *r, struct file *f, struct inode *inode, s32 fd)
{
	r->cookie = file_cookie(f);
	r->ino = BPF_CORE_READ(inode, i_ino);
	r->size = BPF_CORE_READ(inode, i_size);
	r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	r->mode = BPF_CORE_READ(inode, i_mode);
	r->f_flags = BPF_CORE_READ(f, f_flags);
	r->fd = fd;
	r->nlink = BPF_CORE_READ(inode, __i_nlink);
	r->path_len = 0;
	r->path_flags = 0;
}

/* CREATE / MODIFY / RAW_ACCESS: task, file reference, then the path blob. */
static __always_inline void emit_file_event(u16 type, struct file *f, struct inode *inode, s32 fd, u32 rdev)
{
	struct scratch *s = get_scratch(type);
	struct rec_file_event *r;
	u32 size = type == REC_RAW_ACCESS ? sizeof(struct rec_raw_access) : sizeof(struct rec_file_event);
	int pb;

	if (!s)
		return;
	r = (struct rec_file_event *)s->buf;
	fill_hdr(&r->hdr, type, 0);
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	fill_file_ref(&r->file, f, inode, fd);
	if (type == REC_RAW_ACCESS) {
		struct rec_raw_access *ra = (struct rec_raw_access *)s->buf;

		ra->rdev = rdev;
		ra->reserved = 0;
	}
	pb = path_blob(s, size, (u64)BPF_CORE_READ(f, f_path.dentry), (u64)BPF_CORE_READ(f, f_path.mnt));
	r->file.path_len = pb & 0xffff;
	r->file.path_flags = pb >> 16;
	output_scratch(s, size + (pb & 0xffff), type);
}

/*
 * Captures: a file created by open(O_CREAT) (FMODE_CREATED is set on the
 * struct file only when this open created it), and opens of block devices
 * for reading (raw disk access).
 * Hook: the open syscalls' exit tracepoints: the new fd is installed, so the
 * struct file gives the real path, inode and mode. Formats:
 * /sys/kernel/tracing/events/syscalls/sys_exit_{open,openat,openat2,creat}/format
 * (ret at offset 16). Oldest kernel: 5.8 (openat2 5.6).
 */
static __always_inline int on_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task;
	struct file *f;
	struct inode *inode;
	u32 fmode, imode;
	long fd = ctx->ret;

	if (fd < 0 || skip_self())
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	f = fd_file(task, fd);
	if (!f)
		return 0;
	fmode = BPF_CORE_READ(f, f_mode);
	inode = BPF_CORE_READ(f, f_inode);
	imode = BPF_CORE_READ(inode, i_mode);
	if (fmode & FMODE_CREATED) {
		u64 cookie = file_cookie(f);
		struct file_track v = {
			.flags = TRACK_CREATED,
			.tgid = bpf_get_current_pid_tgid() >> 32,
			.ino = BPF_CORE_READ(inode, i_ino),
		};

		if (pseudo_fs(inode))
			return 0;
		bpf_map_update_elem(&tracked, &cookie, &v, BPF_ANY);
		emit_file_event(REC_FILE_CREATE, f, inode, fd, 0);
	} else if ((imode & S_IFMT) == S_IFBLK && (fmode & FMODE_READ)) {
		emit_file_event(REC_RAW_ACCESS, f, inode, fd, BPF_CORE_READ(inode, i_rdev));
	}
	return 0;
}

/* openat(2) returned: see on_open_exit (what, why). Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_open_exit(ctx);
}

/* openat2(2) returned: see on_open_exit. Oldest kernel: 5.8 (openat2 itself: 5.6). */
SEC("tp/syscalls/sys_exit_openat2")
int handle_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_open_exit(ctx);
}

/* open(2) returned: see on_open_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_open")
int handle_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_open_exit(ctx);
}

/* creat(2) returned (always O_CREAT): see on_open_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_creat")
int handle_creat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_open_exit(ctx);
}

/*
 * Captures: the first write to a regular file through one open (one event
 * per open, not per write).
 * Hook: write-family enter tracepoints, fd = args[0]; the struct file behind
 * the fd identifies the open. Writes through mmap, splice, sendfile,
 * copy_file_range or io_uring are not seen (documented limit). Formats:
 * /sys/kernel/tracing/events/syscalls/sys_enter_{write,pwrite64,writev,pwritev,pwritev2}/format
 * (fd at offset 16). Oldest kernel: 5.8.
 */
static __always_inline int on_write_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task;
	struct file *f;
	struct inode *inode;
	u64 cookie;
	struct file_track *seen, v = { .flags = TRACK_MODIFIED };

	if (skip_self())
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	f = fd_file(task, (long)ctx->args[0]);
	if (!f)
		return 0;
	/* Mode first: most writes go to pipes, sockets and ttys, and the LRU lookup costs more. */
	inode = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	cookie = file_cookie(f);
	v.tgid = bpf_get_current_pid_tgid() >> 32;
	v.ino = BPF_CORE_READ(inode, i_ino);
	seen = bpf_map_lookup_elem(&tracked, &cookie);
	if (seen && (seen->tgid != v.tgid || seen->ino != v.ino))
		seen = NULL; /* left over from a freed file at the same address */
	if (seen && (seen->flags & TRACK_MODIFIED))
		return 0;
	if (pseudo_fs(inode))
		return 0;
	if (seen)
		v.flags |= seen->flags;
	bpf_map_update_elem(&tracked, &cookie, &v, BPF_ANY);
	emit_file_event(REC_FILE_MODIFY, f, inode, (s32)ctx->args[0], 0);
	return 0;
}

/* write(2) about to run: see on_write_enter. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_write")
int handle_write(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx);
}

/* pwrite64(2): see on_write_enter. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_pwrite64")
int handle_pwrite64(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx);
}

/* writev(2): see on_write_enter. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_writev")
int handle_writev(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx);
}

/* pwritev(2): see on_write_enter. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_pwritev")
int handle_pwritev(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx);
}

/* pwritev2(2): see on_write_enter. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_pwritev2")
int handle_pwritev2(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx);
}

/*
 * Captures: close() of a file that had a CREATE or MODIFY record, so user
 * space can hash and measure it once its content is final.
 * Hook: sys_enter_close (fd = args[0]) while the fd still resolves to the
 * struct file. Format: /sys/kernel/tracing/events/syscalls/sys_enter_close/format.
 * Files closed implicitly (exit, dup2 over them) are flushed by user space
 * when the process ends. Oldest kernel: 5.8.
 */
SEC("tp/syscalls/sys_enter_close")
int handle_close(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task;
	struct file *f;
	struct rec_file_close *r;
	u64 cookie;

	if (skip_self())
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	f = fd_file(task, (long)ctx->args[0]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	cookie = file_cookie(f);
	if (!bpf_map_lookup_elem(&tracked, &cookie))
		return 0;
	bpf_map_delete_elem(&tracked, &cookie);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(REC_FILE_CLOSE, DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&r->hdr, REC_FILE_CLOSE, sizeof(*r));
	fill_task(&r->task, task);
	fill_file_ref(&r->file, f, BPF_CORE_READ(f, f_inode), (s32)ctx->args[0]);
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}

/* Stashed rename/unlink arguments, normalised: a[0] olddirfd, a[1] oldname,
 * a[2] newdirfd, a[3] newname, a[4] flags, a[5] record type. The dirfds are
 * ints that the tracepoint zero-extends, so they are compared as s32. */
static __always_inline void stash_path_op(u64 olddfd, u64 oldname, u64 newdfd, u64 newname, u64 flags, u16 type)
{
	u64 id = bpf_get_current_pid_tgid();
	struct syscall_args a = {};

	if (skip_self())
		return;
	a.a[0] = olddfd;
	a.a[1] = oldname;
	a.a[2] = newdfd;
	a.a[3] = newname;
	a.a[4] = flags;
	a.a[5] = type;
	if (bpf_map_update_elem(&path_op_args, &id, &a, BPF_ANY))
		count_drop(type, DROP_STASH_FULL);
}

/*
 * rename(old, new) about to run: stash the names for the exit, both relative
 * to the cwd. Only the exit knows whether it happened. Formats:
 * sys_enter_{rename,renameat,renameat2,unlink,unlinkat,rmdir}/format.
 * Oldest kernel: 5.8.
 */
SEC("tp/syscalls/sys_enter_rename")
int handle_rename_enter(struct trace_event_raw_sys_enter *ctx)
{
	stash_path_op((u64)AT_FDCWD, ctx->args[0], (u64)AT_FDCWD, ctx->args[1], 0, REC_FILE_RENAME);
	return 0;
}

/* renameat(olddfd, old, newdfd, new): stash for the exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_renameat")
int handle_renameat_enter(struct trace_event_raw_sys_enter *ctx)
{
	stash_path_op(ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], 0, REC_FILE_RENAME);
	return 0;
}

/* renameat2(..., flags): stash for the exit, with RENAME_* flags. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_renameat2")
int handle_renameat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	stash_path_op(ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4], REC_FILE_RENAME);
	return 0;
}

/* unlink(path): stash for the exit (relative to the cwd). Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_unlink")
int handle_unlink_enter(struct trace_event_raw_sys_enter *ctx)
{
	stash_path_op((u64)AT_FDCWD, ctx->args[0], 0, 0, 0, REC_FILE_UNLINK);
	return 0;
}

/* unlinkat(dfd, path, flags): stash for the exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_unlinkat")
int handle_unlinkat_enter(struct trace_event_raw_sys_enter *ctx)
{
	stash_path_op(ctx->args[0], ctx->args[1], 0, 0, ctx->args[2], REC_FILE_UNLINK);
	return 0;
}

/* rmdir(path): stash for the exit as an unlink with AT_REMOVEDIR. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_enter_rmdir")
int handle_rmdir_enter(struct trace_event_raw_sys_enter *ctx)
{
	stash_path_op((u64)AT_FDCWD, ctx->args[0], 0, 0, 0x200 /* AT_REMOVEDIR */, REC_FILE_UNLINK);
	return 0;
}

#define PATH_OP_NAME_MAX 2048

/* Reads a user name string at off; returns its length with the NUL, 0 on failure. */
static __always_inline u32 read_name(struct scratch *s, u32 off, u64 uptr)
{
	long n = bpf_probe_read_user_str(&s->buf[off & SCRATCH_MASK], PATH_OP_NAME_MAX, (void *)uptr);

	return n > 0 ? (u32)n : 0;
}

/* Path blob of the directory a name is relative to (cwd for AT_FDCWD); empty
 * when the name is absolute. */
static __always_inline int dir_blob(struct scratch *s, u32 off, struct task_struct *task, s64 dfd, u32 name_off)
{
	struct path p;
	struct file *f;

	if (s->buf[name_off & SCRATCH_MASK] == '/')
		return 0;
	if (dfd == AT_FDCWD) {
		p = BPF_CORE_READ(task, fs, pwd);
	} else {
		f = fd_file(task, dfd);
		if (!f)
			return 0;
		p = BPF_CORE_READ(f, f_path);
	}
	return path_blob(s, off, (u64)p.dentry, (u64)p.mnt);
}

/*
 * Captures: a rename or unlink/rmdir that succeeded, with the names as
 * passed and the directories they are relative to.
 * Hook: the exit tracepoints (ret = 0 means it happened); the directory fd is
 * still open, and the names are still in the caller's memory.
 */
static __always_inline int on_path_op_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct syscall_args *a = bpf_map_lookup_elem(&path_op_args, &id);
	struct task_struct *task;
	struct rec_file_path_op *r;
	struct scratch *s;
	u32 off = sizeof(*r), n, old_off, new_off;
	u16 type;
	int pb;

	if (!a)
		return 0;
	type = a->a[5];
	if (ctx->ret != 0)
		goto out;
	s = get_scratch(type);
	if (!s)
		goto out;
	task = (struct task_struct *)bpf_get_current_task();
	r = (struct rec_file_path_op *)s->buf;
	fill_hdr(&r->hdr, type, 0);
	fill_task(&r->task, task);
	r->ret = ctx->ret;
	r->flags = a->a[4];
	old_off = off;
	n = read_name(s, off, a->a[1]);
	r->old_len = n;
	off += n;
	new_off = off;
	n = type == REC_FILE_RENAME ? read_name(s, off, a->a[3]) : 0;
	r->new_len = n;
	off += n;
	pb = dir_blob(s, off, task, (s32)a->a[0], old_off);
	r->old_dir_len = pb & 0xffff;
	r->old_dir_flags = pb >> 16;
	off += pb & 0xffff;
	pb = type == REC_FILE_RENAME ? dir_blob(s, off, task, (s32)a->a[2], new_off) : 0;
	r->new_dir_len = pb & 0xffff;
	r->new_dir_flags = pb >> 16;
	off += pb & 0xffff;
	output_scratch(s, off, type);
out:
	bpf_map_delete_elem(&path_op_args, &id);
	return 0;
}

/* rename(2) returned: see on_path_op_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_rename")
int handle_rename_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_path_op_exit(ctx);
}

/* renameat(2) returned: see on_path_op_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_renameat")
int handle_renameat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_path_op_exit(ctx);
}

/* renameat2(2) returned: see on_path_op_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_renameat2")
int handle_renameat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_path_op_exit(ctx);
}

/* unlink(2) returned: see on_path_op_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_unlink")
int handle_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_path_op_exit(ctx);
}

/* unlinkat(2) returned: see on_path_op_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_unlinkat")
int handle_unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_path_op_exit(ctx);
}

/* rmdir(2) returned: see on_path_op_exit. Oldest kernel: 5.8. */
SEC("tp/syscalls/sys_exit_rmdir")
int handle_rmdir_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_path_op_exit(ctx);
}

/* include/uapi/asm-generic/mman*.h; not in BTF (macros). */
#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20

/*
 * Captures: an executable mapping of a regular file (how ld.so and dlopen()
 * load a shared library; the kernel maps the program and its interpreter at
 * exec without this syscall). Reported at entry, where the fd still names the
 * file: a mapping the kernel then refuses is still an attempt to load it.
 * Format: /sys/kernel/tracing/events/syscalls/sys_enter_mmap/format
 * (addr, len, prot, flags, fd, off at offsets 16-56: args[0..5]).
 * Oldest kernel: 5.8. Autoloaded only with the image family.
 */
SEC("tp/syscalls/sys_enter_mmap")
int handle_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task;
	struct inode *inode;
	struct file *f;
	long fd = (long)ctx->args[4];

	if (!(ctx->args[2] & PROT_EXEC) || (ctx->args[3] & MAP_ANONYMOUS) || fd < 0 || skip_self())
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	f = fd_file(task, fd);
	if (!f)
		return 0;
	inode = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	emit_file_event(REC_IMAGE_LOAD, f, inode, (s32)fd, 0);
	return 0;
}
