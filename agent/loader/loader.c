// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * agent-loader: opens, loads and attaches every event family's BPF skeleton,
 * drains the shared ring buffer in batches and writes length-prefixed records
 * (u32 little-endian length, then the record; see bpf/records.h) to stdout.
 * stdout carries records only; diagnostics go to stderr.
 *
 * Batching: the BPF side submits with BPF_RB_NO_WAKEUP until unread data
 * passes a watermark, so the loader is not woken per event; it drains every
 * drain period (-d) or when woken by the watermark.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "records.h"
#include "feature_probe.h"
#include "families.h"

struct options {
	bool verbose;
	bool check_only;
	bool ready_line; /* -R: say on stderr once attached, for callers that discard stdout */
	u32 enricher_pid;
	u32 drain_ms;
	u32 ring_kib;
	u32 stats_ms;
	u32 wakeup_kib; /* 0 = a quarter of the ring */
	u32 families;   /* FAM_* mask to attach */
	u64 scope_cgroup; /* -g: cgroup v2 id, 0 = the whole host */
};

static struct options opt = {
	.drain_ms = 100,
	.ring_kib = 16384,
	.stats_ms = 1000,
	.families = FAM_DEFAULT,
};

static const char usage[] =
	"Usage: agent-loader [-v] [-c] [-R] [-A] [-p pid] [-d ms] [-r KiB] [-w KiB] [-s ms] [-f families] [-P ports] [-b bash] [-g cgroup]\n"
	"Loads the agent's BPF programs and writes length-prefixed binary records to stdout.\n"
	"  -v          Print libbpf debug output to stderr.\n"
	"  -c          Check only: load and attach everything, report features, then exit.\n"
	"  -R          Print \"agent-loader: ready\" on stderr once attached (when stdout goes to /dev/null).\n"
	"  -p pid      Also ignore this process (the enricher); defaults to the parent.\n"
	"  -d ms       Drain the ring buffer every ms milliseconds (default 100).\n"
	"  -r KiB      Ring buffer size in KiB, a power of two >= 4 (default 16384).\n"
	"  -w KiB      Wake early once this much data is unread (default: a quarter of the ring).\n"
	"  -s ms       Write a stats record every ms milliseconds (default 1000).\n"
	"  -f list     Comma-separated families to attach (default: all but image): "
	"process,memfd,file,security,net,dns,bash,audit,image; \"default\" stands for all but image.\n"
	"  -P ports    Comma-separated UDP ports the dns family treats as DNS (default 53).\n"
	"  -b path     The bash binary whose readline the bash family probes (default /bin/bash).\n"
	"  -A          Switch kernel auditing on while running if it is off (audit family), off again at exit.\n"
	"  -g dir      Report only tasks in this cgroup v2 directory (not its children), e.g. for a benchmark.\n";

static volatile sig_atomic_t stop_requested;
static bool output_failed;
static u64 records_out, bytes_out;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* Writes one framed record to the stdout buffer; returns -1 once the reader is gone. */
static int write_record(const void *data, u32 size)
{
	if (output_failed)
		return -1;
	if (fwrite(&size, sizeof(size), 1, stdout) != 1 || fwrite(data, size, 1, stdout) != 1) {
		output_failed = true;
		return -1;
	}
	bytes_out += size;
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	records_out++;
	return write_record(data, (u32)size) ? -EPIPE : 0;
}

static int parse_families(const char *s, u32 *mask)
{
	char *copy = strdup(s), *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	*mask = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		u32 bit = family_bit_by_name(tok);

		if (!bit) {
			fprintf(stderr, "Unknown family \"%s\"; known families: process, memfd, file, security, net, dns, bash, audit, image (off by default), and default for all the others.\n", tok);
			err = -EINVAL;
			break;
		}
		*mask |= bit;
	}
	free(copy);
	return err;
}

static int parse_u32(const char *s, u32 min, u32 max, u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (u32)v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "vcRAp:d:r:w:s:f:P:b:g:h")) != -1) {
		switch (c) {
		case 'v':
			opt.verbose = true;
			break;
		case 'c':
			opt.check_only = true;
			break;
		case 'R':
			opt.ready_line = true;
			break;
		case 'p':
			if (parse_u32(optarg, 1, UINT32_MAX, &opt.enricher_pid))
				goto bad;
			break;
		case 'd':
			if (parse_u32(optarg, 1, 10000, &opt.drain_ms))
				goto bad;
			break;
		case 'r':
			if (parse_u32(optarg, 4, 1u << 20, &opt.ring_kib) || (opt.ring_kib & (opt.ring_kib - 1)))
				goto bad;
			break;
		case 'w':
			if (parse_u32(optarg, 1, 1u << 22, &opt.wakeup_kib))
				goto bad;
			break;
		case 's':
			if (parse_u32(optarg, 10, 3600000, &opt.stats_ms))
				goto bad;
			break;
		case 'f':
			if (parse_families(optarg, &opt.families))
				goto bad;
			break;
		case 'P':
			if (parse_dns_ports(optarg))
				goto bad;
			break;
		case 'b':
			bash_path_opt = optarg;
			break;
		case 'A':
			audit_enable_opt = true;
			break;
		case 'g': {
			/* A cgroup v2 id is the inode number of its directory. */
			struct stat st;

			if (stat(optarg, &st) || !S_ISDIR(st.st_mode)) {
				fprintf(stderr, "Bad -g %s: not a cgroup v2 directory.\n", optarg);
				goto bad;
			}
			opt.scope_cgroup = st.st_ino;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	fputs(usage, stderr);
	return -1;
}

/* Sums the per-CPU drop counters and writes a stats record. */
static int write_stats(int drops_fd, bool final, u64 *total_drops)
{
	int ncpu = libbpf_num_possible_cpus();
	struct drop_counts *vals;
	struct rec_drop_entry entries[64];
	u8 buf[sizeof(struct rec_loader_stats) + sizeof(entries)];
	struct rec_loader_stats *st = (struct rec_loader_stats *)buf;
	struct rusage ru;
	u32 n = 0;

	*total_drops = 0;
	if (ncpu <= 0)
		return -1;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -1;
	for (u32 type = 0; type < REC_TYPE_MAX; type++) {
		if (bpf_map_lookup_elem(drops_fd, &type, vals))
			continue;
		for (u32 reason = 0; reason < DROP_REASON_MAX; reason++) {
			u64 sum = 0;

			for (int cpu = 0; cpu < ncpu; cpu++)
				sum += vals[cpu].reason[reason];
			if (!sum)
				continue;
			*total_drops += sum;
			if (n < 64)
				entries[n++] = (struct rec_drop_entry){ .type = (u16)type, .reason = (u16)reason, .count = sum };
		}
	}
	free(vals);
	getrusage(RUSAGE_SELF, &ru);
	*st = (struct rec_loader_stats){
		.hdr = { .type = REC_LOADER_STATS, .version = AGENT_RECORD_VERSION,
			 .size = (u32)(sizeof(*st) + n * sizeof(entries[0])), .ts_ns = clock_ns(CLOCK_BOOTTIME) },
		.records = records_out,
		.bytes = bytes_out,
		.cpu_user_us = (u64)ru.ru_utime.tv_sec * 1000000 + (u64)ru.ru_utime.tv_usec,
		.cpu_sys_us = (u64)ru.ru_stime.tv_sec * 1000000 + (u64)ru.ru_stime.tv_usec,
		.n_drops = n,
		.final = final,
	};
	memcpy(buf + sizeof(*st), entries, n * sizeof(entries[0]));
	return write_record(buf, st->hdr.size);
}

static int write_hello(u32 features, u32 families)
{
	u64 real = clock_ns(CLOCK_REALTIME), boot = clock_ns(CLOCK_BOOTTIME);
	struct rec_loader_hello h = {
		.hdr = { .type = REC_LOADER_HELLO, .version = AGENT_RECORD_VERSION, .size = sizeof(h), .ts_ns = boot },
		.boot_to_real_ns = (s64)(real - boot),
		.loader_pid = (u32)getpid(),
		.features = features,
		.families = families,
		.ring_bytes = opt.ring_kib * 1024,
		.drain_ms = opt.drain_ms,
	};

	return write_record(&h, sizeof(h));
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 20];
	struct family_ctx fctx = { 0 };
	struct ring_buffer *rb = NULL;
	struct epoll_event ev, evs[16];
	u64 next_stats, total_drops = 0;
	u32 features;
	sigset_t mask;
	int err = 1, ep = -1, sfd = -1;

	if (parse_args(argc, argv))
		return 2;
	libbpf_set_print(libbpf_print);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	features = detect_features(opt.verbose);
	fctx.tun.self_tgid = (u32)getpid();
	fctx.tun.enricher_tgid = opt.enricher_pid ? opt.enricher_pid : (u32)getppid();
	fctx.tun.ring_bytes = opt.ring_kib * 1024u;
	fctx.tun.scope_cgroup = opt.scope_cgroup;
	/* Wake the reader early at a quarter full: the timer handles the rest. */
	fctx.tun.wakeup_bytes = opt.wakeup_kib ? (u64)opt.wakeup_kib * 1024 : fctx.tun.ring_bytes / 4;
	if (getrandom(&fctx.tun.cookie_key, sizeof(fctx.tun.cookie_key), 0) != sizeof(fctx.tun.cookie_key))
		fctx.tun.cookie_key = clock_ns(CLOCK_MONOTONIC) * 0x9e3779b97f4a7c15ull;
	fctx.features = features;
	fctx.families = opt.families;

	if (families_open_load_attach(&fctx))
		goto cleanup;

	rb = ring_buffer__new(fctx.events_fd, on_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "Failed to create the ring buffer reader: %s\n", strerror(errno));
		goto cleanup;
	}
	if (opt.check_only) {
		fprintf(stderr, "agent-loader: attached families 0x%x, features 0x%x (fentry=%d lsm=%d modules=%d kprobes=%d)\n",
			fctx.attached, features, !!(features & FEAT_FENTRY), !!(features & FEAT_LSM),
			!!(features & FEAT_MODULES), !!(features & FEAT_KPROBES));
		err = 0;
		goto cleanup;
	}

	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0) {
		fprintf(stderr, "Failed to set up signal and event polling: %s\n", strerror(errno));
		goto cleanup;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = sfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = ring_buffer__epoll_fd(rb) };
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	/* A pipe's write end reports EPOLLERR when the reader is gone; regular files cannot be polled. */
	ev = (struct epoll_event){ .events = 0, .data.fd = STDOUT_FILENO };
	epoll_ctl(ep, EPOLL_CTL_ADD, STDOUT_FILENO, &ev);
	if (families_add_sources(&fctx, ep))
		goto cleanup;

	if (write_hello(features, fctx.attached) || fflush(stdout)) {
		fprintf(stderr, "Failed to write to stdout: %s\n", strerror(errno));
		goto cleanup;
	}
	if (opt.ready_line)
		fprintf(stderr, "agent-loader: ready\n");
	next_stats = clock_ns(CLOCK_MONOTONIC) + (u64)opt.stats_ms * 1000000ull;

	while (!stop_requested && !output_failed) {
		int n = epoll_wait(ep, evs, 16, (int)opt.drain_ms);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "Failed to wait for events: %s\n", strerror(errno));
			break;
		}
		/*
		 * Drain the ring buffer before any other source: an audit message about a process is sent
		 * after that process's exec was committed, so reading in this order keeps them in order.
		 */
		if (n > 0 && ring_buffer__consume(rb) < 0 && !output_failed) {
			fprintf(stderr, "Failed to read the ring buffer: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				stop_requested = 1;
			} else if (fd == STDOUT_FILENO) {
				output_failed = true;
			} else if (fd != ring_buffer__epoll_fd(rb)) {
				if (families_on_source_ready(&fctx, fd, write_record) < 0)
					stop_requested = 1;
			}
		}
		if (ring_buffer__consume(rb) < 0 && !output_failed) {
			fprintf(stderr, "Failed to read the ring buffer: %s\n", strerror(errno));
			break;
		}
		if (clock_ns(CLOCK_MONOTONIC) >= next_stats) {
			write_stats(fctx.drops_fd, false, &total_drops);
			next_stats += (u64)opt.stats_ms * 1000000ull;
		}
		if (!output_failed && fflush(stdout))
			output_failed = true;
	}

	/* Detach first so nothing new arrives, then drain what is left. */
	families_detach(&fctx);
	if (!output_failed) {
		ring_buffer__consume(rb);
		write_stats(fctx.drops_fd, true, &total_drops);
		fflush(stdout);
	} else {
		write_stats(fctx.drops_fd, true, &total_drops);
	}
	fprintf(stderr, "agent-loader: %llu records, %llu bytes, %llu dropped in the kernel%s\n",
		(unsigned long long)records_out, (unsigned long long)bytes_out,
		(unsigned long long)total_drops, output_failed ? ", stopped because the reader went away" : "");
	err = 0;

cleanup:
	ring_buffer__free(rb);
	families_destroy(&fctx);
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	return err;
}
