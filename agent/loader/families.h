// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The event families the loader knows, as a table. Adding a family:
 *   1. write bpf/<name>.bpf.c (include common.bpf.h) and add <name> to
 *      FAMILIES in the Makefile;
 *   2. #include "<name>.skel.h" below, DEFINE_FAMILY(<name>, <prepare>) and
 *      add a row to family_table;
 *   3. a non-BPF source (a netlink socket, say) is a row in source_table: it
 *      gets an fd polled with the ring buffer and writes records with emit().
 * All skeletons share one ring buffer and one drop-counter map: the first one
 * loaded creates them and the others reuse their fds.
 */
#ifndef AGENT_FAMILIES_H
#define AGENT_FAMILIES_H

#include "file.skel.h"
#include "memfd.skel.h"
#include "process.skel.h"
#include "security.skel.h"

struct tunables {
	u32 self_tgid;
	u32 enricher_tgid;
	u64 wakeup_bytes;
	u64 cookie_key;
	u64 scope_cgroup; /* -g: cgroup v2 id to restrict capture to, 0 = whole host */
	u32 ring_bytes;
};

struct family_ctx {
	struct tunables tun;
	u32 features; /* FEAT_* */
	u32 families; /* FAM_* requested */
	u32 attached; /* FAM_* attached */
	int events_fd;
	int drops_fd;
};

typedef int (*emit_fn)(const void *data, u32 size);

/* Gives the skeleton the shared maps (or sizes them if it is the first). */
static int share_maps(struct family_ctx *c, struct bpf_map *events, struct bpf_map *drops, const char *name)
{
	int err;

	if (c->events_fd > 0) {
		err = bpf_map__reuse_fd(events, c->events_fd);
		if (!err)
			err = bpf_map__reuse_fd(drops, c->drops_fd);
	} else {
		err = bpf_map__set_max_entries(events, c->tun.ring_bytes);
	}
	if (err)
		fprintf(stderr, "Failed to share the ring buffer with the %s family: %s\n", name, strerror(-err));
	return err;
}

/*
 * One family: open the skeleton, set the shared tunables, share the ring buffer and drop counters,
 * prepare, load, then attach(c, s), which attaches the programs (storing any manual links in
 * s->links so detach and destroy release them).
 */
#define DEFINE_FAMILY_MANUAL(name, prepare, attach)                                                \
	static struct name##_bpf *name##_skel;                                                     \
	static int name##_start(struct family_ctx *c)                                              \
	{                                                                                          \
		struct name##_bpf *s = name##_bpf__open();                                         \
		int err;                                                                           \
		if (!s) {                                                                          \
			fprintf(stderr, "Failed to open the " #name " BPF skeleton: %s\n",       \
				strerror(errno));                                                  \
			return -1;                                                                 \
		}                                                                                  \
		name##_skel = s;                                                                   \
		s->rodata->self_tgid = c->tun.self_tgid;                                           \
		s->rodata->enricher_tgid = c->tun.enricher_tgid;                                   \
		s->rodata->wakeup_bytes = c->tun.wakeup_bytes;                                     \
		s->rodata->cookie_key = c->tun.cookie_key;                                         \
		s->rodata->scope_cgroup = c->tun.scope_cgroup;                                     \
		if (share_maps(c, s->maps.events, s->maps.drops, #name) || prepare(c, s))          \
			return -1;                                                                 \
		err = name##_bpf__load(s);                                                         \
		if (err) {                                                                         \
			fprintf(stderr, "Failed to load the " #name " BPF programs: %s\n",        \
				strerror(-err));                                                   \
			return -1;                                                                 \
		}                                                                                  \
		if (c->events_fd <= 0) {                                                           \
			c->events_fd = bpf_map__fd(s->maps.events);                                \
			c->drops_fd = bpf_map__fd(s->maps.drops);                                  \
		}                                                                                  \
		return attach(c, s);                                                               \
	}                                                                                          \
	static void name##_detach(void)                                                            \
	{                                                                                          \
		if (name##_skel)                                                                   \
			name##_bpf__detach(name##_skel);                                           \
	}                                                                                          \
	static void name##_destroy(void)                                                           \
	{                                                                                          \
		name##_bpf__destroy(name##_skel);                                                  \
		name##_skel = NULL;                                                                \
	}

/* The usual case: the skeleton attaches every program by its SEC() name. */
#define DEFINE_FAMILY(name, prepare)                                                               \
	static int name##_attach_all(struct family_ctx *c, struct name##_bpf *s)                   \
	{                                                                                          \
		int err = name##_bpf__attach(s);                                                   \
		(void)c;                                                                           \
		if (err)                                                                           \
			fprintf(stderr, "Failed to attach the " #name " BPF programs: %s\n",      \
				strerror(-err));                                                   \
		return err ? -1 : 0;                                                               \
	}                                                                                          \
	DEFINE_FAMILY_MANUAL(name, prepare, name##_attach_all)

#define NO_PREPARE(c, s) ((void)(c), (void)(s), 0)

/* Module loads exist only on kernels with CONFIG_MODULES: detect, never depend. */
static int security_prepare(struct family_ctx *c, struct security_bpf *s)
{
	if (!(c->features & FEAT_MODULES))
		bpf_program__set_autoload(s->progs.handle_module_load, false);
	return 0;
}

/*
 * The file object also holds the image family's mmap hook (it shares the file
 * helpers): load the file programs, the mmap one, or both, as asked.
 */
static int file_prepare(struct family_ctx *c, struct file_bpf *s)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, s->obj) {
		bool is_image = prog == s->progs.handle_mmap;

		if (!(c->families & (is_image ? FAM_IMAGE : FAM_FILE)))
			bpf_program__set_autoload(prog, false);
	}
	return 0;
}

DEFINE_FAMILY(process, NO_PREPARE)
DEFINE_FAMILY(memfd, NO_PREPARE)
DEFINE_FAMILY(file, file_prepare)
DEFINE_FAMILY(security, security_prepare)

#include "net_families.h"

struct family_ops {
	const char *name;
	u32 bit; /* FAM_* */
	int (*start)(struct family_ctx *c);
	void (*detach)(void);
	void (*destroy)(void);
};

#define FAMILY_ROW(name, bit) { #name, bit, name##_start, name##_detach, name##_destroy }

static const struct family_ops family_table[] = {
	FAMILY_ROW(process, FAM_PROCESS),
	FAMILY_ROW(memfd, FAM_MEMFD),
	FAMILY_ROW(file, FAM_FILE | FAM_IMAGE),
	FAMILY_ROW(security, FAM_SECURITY),
	FAMILY_ROW(net, FAM_NET),
	FAMILY_ROW(dns, FAM_DNS),
	FAMILY_ROW(bash, FAM_SCRIPT),
};

#define N_FAMILIES (sizeof(family_table) / sizeof(family_table[0]))

/* Event sources that are not ring buffers (e.g. an audit netlink socket). */
struct source_ops {
	const char *name;
	u32 bit;                                   /* FAM_* */
	int (*open)(struct family_ctx *c);         /* returns a pollable fd or -1 */
	int (*on_ready)(int fd, emit_fn emit);     /* < 0 stops the loader */
	int fd;
};

#include "audit_netlink.h"

static struct source_ops source_table[] = {
	{ .name = "audit", .bit = FAM_AUDIT, .open = audit_open, .on_ready = audit_on_ready },
	{ .name = NULL }, /* sentinel */
};

static u32 family_bit_by_name(const char *name)
{
	if (!strcmp(name, "image"))
		return FAM_IMAGE; /* a program group of the file object */
	if (!strcmp(name, "default"))
		return FAM_DEFAULT;
	for (size_t i = 0; i < N_FAMILIES; i++)
		if (!strcmp(family_table[i].name, name))
			return family_table[i].bit;
	for (struct source_ops *s = source_table; s->name; s++)
		if (!strcmp(s->name, name))
			return s->bit;
	return 0;
}

static int families_open_load_attach(struct family_ctx *c)
{
	c->events_fd = -1;
	c->drops_fd = -1;
	for (size_t i = 0; i < N_FAMILIES; i++) {
		if (!(c->families & family_table[i].bit))
			continue;
		if (family_table[i].start(c))
			return -1;
		c->attached |= family_table[i].bit & c->families;
	}
	if (c->events_fd < 0) {
		fprintf(stderr, "Failed to start: no event family selected.\n");
		return -1;
	}
	return 0;
}

static int families_add_sources(struct family_ctx *c, int ep)
{
	for (struct source_ops *s = source_table; s->name; s++) {
		struct epoll_event ev = { .events = EPOLLIN };

		s->fd = -1;
		if (!(c->families & s->bit))
			continue;
		s->fd = s->open(c);
		/* A source that cannot open (no audit in a container's network namespace, say) has
		 * said why on stderr; the BPF families still run, and hello.families shows it missing. */
		if (s->fd < 0)
			continue;
		ev.data.fd = s->fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev)) {
			fprintf(stderr, "Failed to poll the %s source: %s\n", s->name, strerror(errno));
			return -1;
		}
		c->attached |= s->bit;
	}
	return 0;
}

static int families_on_source_ready(struct family_ctx *c, int fd, emit_fn emit)
{
	(void)c;
	for (struct source_ops *s = source_table; s->name; s++)
		if (s->fd == fd)
			return s->on_ready(fd, emit);
	return 0;
}

static void families_detach(struct family_ctx *c)
{
	(void)c;
	for (size_t i = 0; i < N_FAMILIES; i++)
		family_table[i].detach();
}

static void families_destroy(struct family_ctx *c)
{
	(void)c;
	for (size_t i = 0; i < N_FAMILIES; i++)
		family_table[i].destroy();
	for (struct source_ops *s = source_table; s->name; s++)
		if (s->fd >= 0)
			close(s->fd);
}

#endif /* AGENT_FAMILIES_H */
