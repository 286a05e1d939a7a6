// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Run-time detection of optional kernel features. The agent never depends on
 * them (this machine has none of them); they are reported in the hello record
 * so a reader knows what a richer build could attach.
 */
#ifndef AGENT_FEATURE_PROBE_H
#define AGENT_FEATURE_PROBE_H

#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/* r0 = 0; exit */
static const struct bpf_insn ret0_insns[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* Loads a trivial program of this type on this BTF target and attaches it. */
static bool probe_btf_attach(enum bpf_prog_type type, enum bpf_attach_type at, const char *target)
{
	int btf_id = libbpf_find_vmlinux_btf_id(target, at);
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at);
	int prog, link;

	if (btf_id < 0)
		return false;
	o.attach_btf_id = (u32)btf_id;
	prog = bpf_prog_load(type, NULL, "GPL", ret0_insns, 2, &o);
	if (prog < 0)
		return false;
	link = bpf_link_create(prog, 0, at, NULL);
	if (link >= 0)
		close(link);
	close(prog);
	return link >= 0;
}

/* kprobes: needs the kprobe PMU and permission to attach a program to it. */
static bool probe_kprobe(void)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	int type = -1, prog, pfd;
	bool ok = false;

	if (!f)
		return false;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	if (type < 0)
		return false;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0_insns, 2, NULL);
	if (prog < 0)
		return false;
	attr.type = (u32)type;
	attr.config1 = (u64)(unsigned long)"do_exit";
	pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd >= 0) {
		ok = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) == 0;
		close(pfd);
	}
	close(prog);
	return ok;
}

static u32 detect_features(bool verbose)
{
	/* libbpf would print load failures for the probes as warnings: they are expected. */
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	u32 f = 0;

	if (probe_btf_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "do_exit"))
		f |= FEAT_FENTRY;
	if (probe_btf_attach(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "file_open"))
		f |= FEAT_LSM;
	if (access("/sys/kernel/tracing/events/module/module_load", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events/module/module_load", F_OK) == 0)
		f |= FEAT_MODULES;
	if (probe_kprobe())
		f |= FEAT_KPROBES;
	libbpf_set_print(old);
	if (verbose)
		fprintf(stderr, "agent-loader: optional features: fentry=%s lsm=%s modules=%s kprobes=%s\n",
			f & FEAT_FENTRY ? "yes" : "no", f & FEAT_LSM ? "yes" : "no",
			f & FEAT_MODULES ? "yes" : "no", f & FEAT_KPROBES ? "yes" : "no");
	return f;
}

#endif /* AGENT_FEATURE_PROBE_H */
