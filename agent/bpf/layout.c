// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Never loaded. Compiled to build/layout.bpf.o so that the BTF of every record
 * type (including the loader's own) is available to tests/agent/layout.test.ts,
 * which compares it with the offsets in agent/src/records.ts. Compiled with
 * -Wpadded -Werror: any implicit padding in records.h fails the build.
 */
/* No libc headers on the BPF target: give records.h its fixed-width types the
 * way vmlinux.h does. */
#define __VMLINUX_H__
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;
#include "records.h"

struct all_records {
	struct rec_hdr hdr;
	struct rec_task task;
	struct rec_proc_fork fork;
	struct rec_proc_exec exec;
	struct rec_proc_exit exit;
	struct rec_proc_setsid setsid;
	struct rec_memfd_create memfd;
	struct rec_file_ref file_ref;
	struct rec_file_event file_event;
	struct rec_file_close file_close;
	struct rec_file_path_op file_path_op;
	struct rec_ptrace ptrace;
	struct rec_proc_vm proc_vm;
	struct rec_bpf_prog_load bpf_prog_load;
	struct rec_raw_access raw_access;
	struct rec_cred_change cred_change;
	struct rec_module_load module_load;
	struct rec_loader_hello loader_hello;
	struct rec_drop_entry drop_entry;
	struct rec_loader_stats loader_stats;
	struct drop_counts drop_counts;
	struct rec_net_sock net_sock;
	struct rec_net_state net_state;
	struct rec_dns_packet dns_packet;
	struct rec_audit_user audit_user;
	struct rec_bash_readline bash_readline;
};

struct all_records agent_all_records;
