/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every record the agent emits, kernel side and loader side, in one place.
 *
 * The wire format is little-endian (x86_64, arm64). Every struct is laid out
 * by hand with explicit reserved fields so that there is no implicit padding;
 * the static asserts at the bottom pin the sizes, the build compiles this
 * header with -Wpadded -Werror, and tests/agent/layout.test.ts compares every
 * offset below with the BTF of the compiled BPF objects.
 *
 * The BPF side includes this after vmlinux.h; the loader includes it after
 * <stdint.h>. Only the fixed-width typedefs below are used here.
 *
 * Framing on the loader's stdout: u32 length (little-endian) then the record;
 * length always equals rec_hdr.size.
 *
 * Variable-length records carry their strings after the fixed part, in the
 * order of their *_len fields. A "path" blob is the list of a path's
 * components leaf first, each NUL terminated ("c\0b\0a\0" for /a/b/c): the
 * kernel walks dentries upward and user space reverses and joins them.
 */
#ifndef AGENT_RECORDS_H
#define AGENT_RECORDS_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
#endif

#define AGENT_RECORD_VERSION 1

/* Implicit padding in any record is a build error, for clang (BPF) and gcc (loader) alike. */
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic error "-Wpadded"
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wpadded"
#endif

/*
 * Record types. Ranges are reserved per family so families can grow without
 * renumbering: 1-15 process, 16-31 file, 32-47 security, 48-63 network,
 * 64-79 accounts/logons (audit netlink), 80-95 script content, 240-255 loader.
 */
enum agent_record_type {
	REC_PROC_FORK = 1,
	REC_PROC_EXEC = 2,
	REC_PROC_EXIT = 3,
	REC_PROC_SETSID = 4,
	REC_MEMFD_CREATE = 5,

	REC_FILE_CREATE = 16,
	REC_FILE_MODIFY = 17,
	REC_FILE_CLOSE = 18,
	REC_FILE_RENAME = 19,
	REC_FILE_UNLINK = 20,
	REC_IMAGE_LOAD = 21, /* struct rec_file_event: an executable file mapping (library load) */

	REC_PTRACE = 32,
	REC_PROC_VM = 33,
	REC_BPF_PROG_LOAD = 34,
	REC_RAW_ACCESS = 35,
	REC_CRED_CHANGE = 36,
	REC_MODULE_LOAD = 37,

	REC_NET_CONNECT = 48,
	REC_NET_ACCEPT = 49,
	REC_NET_LISTEN = 50,
	REC_DNS_PACKET = 51,
	REC_NET_STATE = 52,

	REC_AUDIT_USER = 64, /* written by the loader from the audit netlink socket */

	REC_BASH_READLINE = 80,

	REC_LOADER_HELLO = 240,
	REC_LOADER_STATS = 241,

	REC_TYPE_MAX = 256,
};

/* Why a record was lost in the kernel; index into drop_counts.reason[]. */
enum agent_drop_reason {
	DROP_RINGBUF_FULL = 0, /* bpf_ringbuf_reserve/output failed */
	DROP_NO_SCRATCH = 1,   /* per-CPU scratch buffer lookup failed */
	DROP_STASH_FULL = 2,   /* syscall-entry stash map was full */
	DROP_REASON_MAX = 4,
};

/* Sizes of fixed string fields, in bytes, NUL included. */
#define TASK_COMM_LEN_REC 16
#define MEMFD_NAME_LEN 256 /* memfd names are at most 249 bytes */
#define BPF_PROG_NAME_LEN 16
#define MODULE_NAME_LEN_REC 64

/* Caps on variable-length parts, in bytes. */
#define ARGS_MAX 4096
#define PATH_MAX_REC 4096
#define NAME_MAX_REC 256
#define PATH_DEPTH_MAX 48

/* rec_hdr.flags-like bits used in the records below. */
#define PATHF_TRUNCATED 0x1 /* component limit or byte limit hit */
#define PATHF_UNREACHABLE 0x2 /* walk stopped at a dentry that is not a mount root */

/* Common header, first in every record. */
struct rec_hdr {
	u16 type;    /* enum agent_record_type */
	u16 version; /* AGENT_RECORD_VERSION */
	u32 size;    /* whole record in bytes, header included */
	u64 ts_ns;   /* CLOCK_BOOTTIME ns; LOADER_HELLO gives the offset to wall time */
};

/* The task that caused the event, as seen by the kernel at that moment. */
struct rec_task {
	u32 pid;           /* thread-group id (userspace "pid"), init pid namespace */
	u32 tid;           /* thread id */
	u32 ppid;          /* real parent's thread-group id */
	u32 pgid;          /* process group id */
	u32 sid;           /* session id */
	u32 uid;           /* real uid */
	u32 gid;           /* real gid */
	u32 euid;          /* effective uid */
	u32 egid;          /* effective gid */
	u32 suid;          /* saved uid */
	u32 sgid;          /* saved gid */
	u32 tty_major;     /* controlling tty char device major; 0 = none */
	u32 tty_minor;     /* controlling tty char device minor */
	u32 pidns_ino;     /* inode number of the task's pid namespace */
	u64 start_ns;      /* group leader start, CLOCK_BOOTTIME ns */
	u64 parent_start_ns; /* real parent's group leader start, CLOCK_BOOTTIME ns */
	u64 cgroup_id;     /* cgroup v2 id of the task */
	char comm[TASK_COMM_LEN_REC];
};

/* fork/clone of a new process (not threads). task = the child. */
struct rec_proc_fork {
	struct rec_hdr hdr;
	struct rec_task task;
};

#define EXECF_ARGS_TRUNCATED 0x1
#define EXECF_EXE_PATH_TRUNCATED 0x2
#define EXECF_CWD_TRUNCATED 0x4
#define EXECF_EXE_NO_LINK 0x8 /* executable has no name left: nlink == 0 (memfd, deleted) */

/* Successful execve/execveat. task = after exec. Followed by:
 * args (NUL-separated argv, args_len bytes), exe path blob, cwd path blob,
 * filename as passed to exec (NUL terminated). */
struct rec_proc_exec {
	struct rec_hdr hdr;
	struct rec_task task;
	u64 exe_ino;       /* inode of the executable */
	u64 exe_size;      /* i_size in bytes */
	u64 exe_mtime_ns;  /* mtime, ns since the epoch */
	u32 exe_dev;       /* s_dev of the executable's filesystem, kernel encoding (major << 20 | minor) */
	u32 exe_nlink;     /* hard-link count; 0 for memfd and deleted files */
	u32 exe_mode;      /* i_mode */
	u32 flags;         /* EXECF_* */
	u32 old_tid;       /* tid that called exec (differs from pid for a thread exec) */
	u16 args_len;
	u16 exe_path_len;
	u16 cwd_len;
	u16 filename_len;
	u32 reserved;
};

/* Last thread of a process exited. task = the exiting thread. */
struct rec_proc_exit {
	struct rec_hdr hdr;
	struct rec_task task;
	u32 exit_code; /* raw wait status: (code << 8) | signal */
	u32 reserved;
};

/* setsid() succeeded: task is now a session leader (sid == pid). */
struct rec_proc_setsid {
	struct rec_hdr hdr;
	struct rec_task task;
};

/* memfd_create() returned. */
struct rec_memfd_create {
	struct rec_hdr hdr;
	struct rec_task task;
	u32 flags; /* MFD_* flags as passed */
	s32 ret;   /* new fd or -errno */
	char name[MEMFD_NAME_LEN]; /* name as passed, without the "memfd:" prefix */
};

/* An open file, identified for the lifetime of the open. */
struct rec_file_ref {
	u64 cookie;  /* struct file identity, keyed by a per-run secret; links create/modify/close */
	u64 ino;     /* inode number */
	u64 size;    /* i_size at the time of the event, bytes */
	u32 dev;     /* s_dev, kernel encoding */
	u32 mode;    /* i_mode */
	u32 f_flags; /* open flags (O_*) */
	s32 fd;      /* fd in the task */
	u32 nlink;   /* hard-link count */
	u16 path_len;   /* bytes of the path blob that follows */
	u16 path_flags; /* PATHF_* */
};

/* open*() with O_CREAT created the file (FMODE_CREATED), or the first write
 * to a regular file through one open (MODIFY). Followed by the path blob. */
struct rec_file_event {
	struct rec_hdr hdr;
	struct rec_task task;
	struct rec_file_ref file;
};

/* close() of a file that had a CREATE or MODIFY record. No path. */
struct rec_file_close {
	struct rec_hdr hdr;
	struct rec_task task;
	struct rec_file_ref file;
};

/* rename*() / unlink*() returned. Names are as passed by the caller; the
 * directories they are relative to are resolved in the kernel. Rename is
 * followed by: old name, new name (NUL terminated), old dir blob, new dir blob.
 * Unlink by: name, dir blob (new_* lengths are 0). */
struct rec_file_path_op {
	struct rec_hdr hdr;
	struct rec_task task;
	s64 ret;    /* syscall return, 0 or -errno */
	u32 flags;  /* RENAME_* for rename, AT_REMOVEDIR for unlink */
	u16 old_len;
	u16 new_len;
	u16 old_dir_len;
	u16 new_dir_len;
	u16 old_dir_flags; /* PATHF_* */
	u16 new_dir_flags; /* PATHF_* */
};

/* ptrace() returned. */
struct rec_ptrace {
	struct rec_hdr hdr;
	struct rec_task task;
	s64 request;     /* PTRACE_* */
	u64 addr;        /* addr argument */
	s64 ret;         /* return value */
	u32 target_pid;  /* pid argument */
	u32 reserved;
};

/* process_vm_readv/writev() returned. */
struct rec_proc_vm {
	struct rec_hdr hdr;
	struct rec_task task;
	s64 ret;          /* bytes transferred or -errno */
	u64 local_iovcnt;
	u64 remote_iovcnt;
	u32 target_pid;
	u32 write;        /* 1 = process_vm_writev, 0 = readv */
};

/* bpf(BPF_PROG_LOAD) returned. */
struct rec_bpf_prog_load {
	struct rec_hdr hdr;
	struct rec_task task;
	s64 ret;                 /* prog fd or -errno */
	u32 prog_type;           /* enum bpf_prog_type */
	u32 expected_attach_type;
	u32 insn_cnt;
	u32 reserved;
	char prog_name[BPF_PROG_NAME_LEN];
};

/* open*() of a block device with read access: raw disk read. Followed by the
 * path blob of the device node. */
struct rec_raw_access {
	struct rec_hdr hdr;
	struct rec_task task;
	struct rec_file_ref file;
	u32 rdev;     /* device number of the block device, kernel encoding */
	u32 reserved;
};

/* Which credential syscall; rec_cred_change.syscall. */
enum agent_cred_syscall {
	CRED_SETUID = 1,
	CRED_SETREUID = 2,
	CRED_SETRESUID = 3,
	CRED_SETFSUID = 4,
	CRED_SETGID = 5,
	CRED_SETREGID = 6,
	CRED_SETRESGID = 7,
	CRED_SETFSGID = 8,
};

/* A set*id() call returned. task holds the credentials after the call. */
struct rec_cred_change {
	struct rec_hdr hdr;
	struct rec_task task;
	s64 ret;
	u32 syscall;  /* enum agent_cred_syscall */
	u32 arg0;     /* the ids as passed; (u32)-1 = unchanged */
	u32 arg1;
	u32 arg2;
	u32 old_uid;  /* credentials before the call */
	u32 old_euid;
	u32 old_suid;
	u32 old_gid;
	u32 old_egid;
	u32 old_sgid;
};

/* A kernel module was loaded (only on kernels with CONFIG_MODULES). */
struct rec_module_load {
	struct rec_hdr hdr;
	struct rec_task task;
	u32 taints;
	u32 reserved;
	char name[MODULE_NAME_LEN_REC];
};

/* Addresses in network records: IPv4 in the first 4 bytes, network byte order. */
#define NET_ADDR_LEN 16

/* connect() / accept*() / listen() on an AF_INET or AF_INET6 socket returned. */
struct rec_net_sock {
	struct rec_hdr hdr;
	struct rec_task task;
	s64 ret;            /* syscall return: 0, the accepted fd, or -errno */
	u64 sock_cookie;    /* struct sock identity keyed by the per-run secret; 0 = no socket */
	u8 laddr[NET_ADDR_LEN]; /* local address */
	u8 raddr[NET_ADDR_LEN]; /* remote address (connect: as passed; accept: the peer) */
	u16 lport;          /* host byte order */
	u16 rport;          /* host byte order */
	u16 family;         /* AF_INET (2) or AF_INET6 (10) */
	u16 protocol;       /* IPPROTO_* of the socket (6 tcp, 17 udp) */
	u16 sock_type;      /* SOCK_STREAM (1), SOCK_DGRAM (2), ... */
	u16 reserved0;
	s32 fd;             /* connect/listen: the socket; accept: the listening socket */
	u32 backlog;        /* listen() backlog */
	u32 reserved;
};

/* A TCP connect() the agent saw finished: SYN_SENT -> ESTABLISHED (connected) or
 * SYN_SENT -> CLOSE (refused, reset, timed out). task is the process that called
 * connect(), as it was then: the transition itself usually runs in softirq. */
struct rec_net_state {
	struct rec_hdr hdr;
	struct rec_task task;
	u64 sock_cookie;    /* same keyed value as in the connect record */
	u8 laddr[NET_ADDR_LEN];
	u8 raddr[NET_ADDR_LEN];
	u16 lport;          /* host byte order */
	u16 rport;
	u16 family;
	u16 protocol;
	u32 old_state;      /* TCP_* (include/net/tcp_states.h) */
	u32 new_state;
};

#define DNS_PAYLOAD_MAX 512 /* classic DNS over UDP; longer EDNS answers are cut here */
#define DNS_DIR_QUERY 0     /* egress to a DNS port: a query leaving a client */
#define DNS_DIR_ANSWER 1    /* ingress from a DNS port: an answer reaching a client */

/* A UDP packet to (query) or from (answer) a DNS port, seen by cgroup_skb.
 * Followed by payload_len bytes of UDP payload. The process is the sender of
 * the query, remembered per socket for its answers; pid 0 = unknown. */
struct rec_dns_packet {
	struct rec_hdr hdr;
	u64 sock_cookie;    /* the kernel's socket cookie (bpf_get_socket_cookie) */
	u32 pid;
	u32 tid;
	u32 uid;
	u32 gid;
	u8 saddr[NET_ADDR_LEN];
	u8 daddr[NET_ADDR_LEN];
	u16 sport;          /* host byte order */
	u16 dport;
	u16 family;         /* AF_INET or AF_INET6 */
	u16 direction;      /* DNS_DIR_* */
	u16 payload_len;    /* bytes that follow */
	u16 wire_len;       /* UDP payload length on the wire */
	u32 reserved;
	char comm[TASK_COMM_LEN_REC];
};

/* One audit netlink message (AUDIT_FIRST_USER_MSG..AUDIT_LAST_USER_MSG) read
 * by the loader from the AUDIT_NLGRP_READLOG multicast group. Followed by
 * text_len bytes of the message text as the kernel formats it:
 * "audit(<sec>.<ms>:<serial>): pid=... uid=... msg='op=... res=success'". */
struct rec_audit_user {
	struct rec_hdr hdr;  /* ts_ns: the audit time, converted to CLOCK_BOOTTIME */
	u32 audit_type;      /* AUDIT_USER_*, AUDIT_ADD_USER, ... */
	u32 text_len;
};

#define BASH_LINE_MAX 4096

/* readline() in bash returned a line. Followed by line_len bytes of the line. */
struct rec_bash_readline {
	struct rec_hdr hdr;
	struct rec_task task;
	u32 line_len;
	u32 flags;          /* BASHF_* */
};
#define BASHF_TRUNCATED 0x1

/* Features the loader detected at run time; rec_loader_hello.features. */
#define FEAT_FENTRY 0x1   /* fentry/fexit attach works */
#define FEAT_LSM 0x2      /* BPF LSM programs attach */
#define FEAT_MODULES 0x4  /* kernel has modules (module tracepoints exist) */
#define FEAT_KPROBES 0x8  /* kprobe attach works */

/* Families the loader attached; rec_loader_hello.families. */
#define FAM_PROCESS 0x1
#define FAM_MEMFD 0x2
#define FAM_FILE 0x4
#define FAM_SECURITY 0x8
#define FAM_NET 0x10
#define FAM_DNS 0x20
#define FAM_AUDIT 0x40
#define FAM_SCRIPT 0x80
#define FAM_IMAGE 0x100 /* executable file mappings (library loads): opt-in, see FAM_DEFAULT */

/* What the loader attaches without -f: everything but library loads, one event per library per exec. */
#define FAM_DEFAULT \
	(FAM_PROCESS | FAM_MEMFD | FAM_FILE | FAM_SECURITY | FAM_NET | FAM_DNS | FAM_AUDIT | FAM_SCRIPT)

/* First record on the stream, written by the loader once attached. */
struct rec_loader_hello {
	struct rec_hdr hdr;
	s64 boot_to_real_ns; /* add to a CLOCK_BOOTTIME ns value to get Unix-epoch ns */
	u32 loader_pid;
	u32 features;        /* FEAT_* */
	u32 families;        /* FAM_* attached */
	u32 ring_bytes;      /* ring buffer size */
	u32 drain_ms;        /* drain period */
	u32 reserved;
};

/* One (record type, reason) drop counter in a stats record. */
struct rec_drop_entry {
	u16 type;    /* enum agent_record_type */
	u16 reason;  /* enum agent_drop_reason */
	u32 reserved;
	u64 count;   /* cumulative since start */
};

/* Periodic and final loader statistics. Followed by n_drops rec_drop_entry. */
struct rec_loader_stats {
	struct rec_hdr hdr;
	u64 records;     /* records read from the ring buffer, cumulative */
	u64 bytes;       /* record bytes written to stdout, cumulative */
	u64 cpu_user_us; /* loader CPU time, user */
	u64 cpu_sys_us;  /* loader CPU time, system */
	u32 n_drops;
	u32 final;       /* 1 on the last stats record before exit */
};

/* Drop counters, per-CPU array value indexed by record type. */
struct drop_counts {
	u64 reason[DROP_REASON_MAX];
};

#ifdef __clang__
#pragma clang diagnostic pop
#else
#pragma GCC diagnostic pop
#endif

#define REC_ASSERT_SIZE(t, n) _Static_assert(sizeof(struct t) == (n), #t " size changed: update agent/src/records.ts")
REC_ASSERT_SIZE(rec_hdr, 16);
REC_ASSERT_SIZE(rec_task, 96);
REC_ASSERT_SIZE(rec_proc_fork, 112);
REC_ASSERT_SIZE(rec_proc_exec, 168);
REC_ASSERT_SIZE(rec_proc_exit, 120);
REC_ASSERT_SIZE(rec_proc_setsid, 112);
REC_ASSERT_SIZE(rec_memfd_create, 376);
REC_ASSERT_SIZE(rec_file_ref, 48);
REC_ASSERT_SIZE(rec_file_event, 160);
REC_ASSERT_SIZE(rec_file_close, 160);
REC_ASSERT_SIZE(rec_file_path_op, 136);
REC_ASSERT_SIZE(rec_ptrace, 144);
REC_ASSERT_SIZE(rec_proc_vm, 144);
REC_ASSERT_SIZE(rec_bpf_prog_load, 152);
REC_ASSERT_SIZE(rec_raw_access, 168);
REC_ASSERT_SIZE(rec_cred_change, 160);
REC_ASSERT_SIZE(rec_module_load, 184);
REC_ASSERT_SIZE(rec_loader_hello, 48);
REC_ASSERT_SIZE(rec_drop_entry, 16);
REC_ASSERT_SIZE(rec_loader_stats, 56);
REC_ASSERT_SIZE(drop_counts, 32);
REC_ASSERT_SIZE(rec_net_sock, 184);
REC_ASSERT_SIZE(rec_dns_packet, 104);
REC_ASSERT_SIZE(rec_net_state, 168);
REC_ASSERT_SIZE(rec_audit_user, 24);
REC_ASSERT_SIZE(rec_bash_readline, 120);

#endif /* AGENT_RECORDS_H */
