// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The network, DNS and script families. Included by families.h after
 * DEFINE_FAMILY; network attaches like the others, while DNS (cgroup_skb on
 * the root cgroup) and script (a uretprobe on bash's readline) need a target
 * the skeleton cannot know, so they are attached here by hand. The links are
 * stored in the skeleton, so its detach and destroy release them.
 */
#ifndef AGENT_NET_FAMILIES_H
#define AGENT_NET_FAMILIES_H

#include <fcntl.h>
#include <limits.h>
#include <mntent.h>

#include "bash.skel.h"
#include "dns.skel.h"
#include "net.skel.h"

#define DNS_PORTS_MAX 4

/* -P: the UDP ports that mean DNS (default 53). */
static u16 dns_port_list[DNS_PORTS_MAX] = { 53 };

static int parse_dns_ports(const char *s)
{
	char *copy = strdup(s), *save = NULL;
	int n = 0;

	if (!copy)
		return -1;
	memset(dns_port_list, 0, sizeof(dns_port_list));
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);

		if (*end || v < 1 || v > 65535 || n == DNS_PORTS_MAX) {
			fprintf(stderr, "Bad DNS port list \"%s\": give 1 to %d ports from 1 to 65535, comma-separated.\n",
				s, DNS_PORTS_MAX);
			free(copy);
			return -1;
		}
		dns_port_list[n++] = (u16)v;
	}
	free(copy);
	return n ? 0 : -1;
}

static int dns_prepare(struct family_ctx *c, struct dns_bpf *s)
{
	(void)c;
	memcpy((void *)s->rodata->dns_ports, dns_port_list, sizeof(dns_port_list));
	return 0;
}

/* The cgroup v2 mount (normally /sys/fs/cgroup): its root covers every process. */
static int cgroup2_root_fd(void)
{
	FILE *m = setmntent("/proc/self/mounts", "r");
	struct mntent *e;
	int fd = -1;

	while (m && (e = getmntent(m)))
		if (!strcmp(e->mnt_type, "cgroup2")) {
			fd = open(e->mnt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			break;
		}
	if (m)
		endmntent(m);
	return fd;
}

static int dns_attach(struct family_ctx *c, struct dns_bpf *s)
{
	int cg = cgroup2_root_fd();

	(void)c;
	if (cg < 0) {
		/* Not fatal: every other family still works without cgroup v2. */
		fprintf(stderr, "agent-loader: no cgroup v2 mount, so the dns family is not attached (it attaches to "
				"the root cgroup: mount -t cgroup2 none /sys/fs/cgroup).\n");
		return 0;
	}
	s->links.dns_egress = bpf_program__attach_cgroup(s->progs.dns_egress, cg);
	s->links.dns_ingress = s->links.dns_egress ? bpf_program__attach_cgroup(s->progs.dns_ingress, cg) : NULL;
	close(cg);
	if (!s->links.dns_egress || !s->links.dns_ingress) {
		fprintf(stderr, "Failed to attach the dns cgroup_skb programs to the root cgroup: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int bash_prepare(struct family_ctx *c, struct bash_bpf *s)
{
	(void)c;
	(void)s;
	return 0;
}

/* -b: the bash binary to probe; default: what /bin/bash resolves to. */
static const char *bash_path_opt = "/bin/bash";

static int bash_attach(struct family_ctx *c, struct bash_bpf *s)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = "readline", .retprobe = true);
	char path[PATH_MAX];

	(void)c;
	if (!realpath(bash_path_opt, path)) {
		/* No bash on this host: nothing to probe, and nothing is lost. */
		fprintf(stderr, "agent-loader: no bash at %s (%s): bash command lines are not captured.\n",
			bash_path_opt, strerror(errno));
		return 0;
	}
	s->links.bash_readline = bpf_program__attach_uprobe_opts(s->progs.bash_readline, -1, path, 0, &o);
	if (!s->links.bash_readline) {
		fprintf(stderr, "Failed to attach a uretprobe to readline in %s: %s (is it a bash with readline?)\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
}

DEFINE_FAMILY(net, NO_PREPARE)
DEFINE_FAMILY_MANUAL(dns, dns_prepare, dns_attach)
DEFINE_FAMILY_MANUAL(bash, bash_prepare, bash_attach)

#endif /* AGENT_NET_FAMILIES_H */
