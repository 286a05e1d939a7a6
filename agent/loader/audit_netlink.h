// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The audit source: account and logon messages that PAM (libpam's audit
 * hooks) and shadow-utils (useradd, userdel, usermod, groupadd, chpasswd...)
 * send to the kernel with libaudit, read without auditd.
 *
 * How: a NETLINK_AUDIT socket bound to the AUDIT_NLGRP_READLOG multicast group
 * (Linux >= 3.16, needs CAP_AUDIT_READ). The kernel's kauditd copies every
 * record to that group whether or not an audit daemon is registered, and a
 * group member is read-only: it neither becomes the audit daemon nor takes
 * records away from one. User messages (AUDIT_FIRST_USER_MSG..
 * AUDIT_LAST_USER_MSG, 1100-1199) are forwarded as REC_AUDIT_USER records;
 * kernel records (SYSCALL, PATH...) are not the agent's business here.
 *
 * The catch: with auditing disabled (auditctl -s: enabled 0, the default
 * without auditd) the kernel discards user messages on arrival
 * (audit_receive_msg: "if (!audit_enabled && msg_type != AUDIT_USER_AVC)"),
 * so there is nothing to read. -A sets enabled=1 for the loader's lifetime
 * and restores 0 at exit; without -A the loader says so and reads what comes.
 *
 * Several loaders may run at once (a second agent, a test beside a capture).
 * The one that switched auditing on leaves a marker file; a loader that finds
 * auditing on *and* the marker shares the duty, and whichever exits last (no
 * other agent-loader left) switches it off and removes the marker, all under
 * an flock on the marker. A registered audit daemon is never switched off.
 */
#ifndef AGENT_AUDIT_NETLINK_H
#define AGENT_AUDIT_NETLINK_H

#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/file.h>
#include <sys/socket.h>

#ifndef MAX_AUDIT_MESSAGE_LENGTH
#define MAX_AUDIT_MESSAGE_LENGTH 8970 /* include/uapi/linux/audit.h */
#endif

static bool audit_enable_opt;      /* -A */
static bool audit_restore_disabled; /* we enabled it: disable again at exit */

/* Whether a whole netlink message starts at h inside the n bytes received at buf. */
static bool nlmsg_fits(const struct nlmsghdr *h, const char *buf, ssize_t n)
{
	size_t off = (size_t)((const char *)h - buf);

	return n > 0 && off + NLMSG_HDRLEN <= (size_t)n && h->nlmsg_len >= NLMSG_HDRLEN &&
	       h->nlmsg_len <= (size_t)n - off;
}

static struct nlmsghdr *nlmsg_next(struct nlmsghdr *h)
{
	return (struct nlmsghdr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
}

/* One request/acknowledge exchange on a private socket (AUDIT_GET/AUDIT_SET). */
static int audit_request(u16 type, const struct audit_status *in, struct audit_status *out)
{
	struct {
		struct nlmsghdr nh;
		struct audit_status st;
	} req = { .nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct audit_status)), .nlmsg_type = type,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1 } };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT), err = -1;

	if (fd < 0)
		return -errno;
	if (in)
		req.st = *in;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto out;
	}
	for (int tries = 0; tries < 4; tries++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			err = -errno;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_fits(h, buf, n); h = nlmsg_next(h)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error || type == AUDIT_SET) {
					err = e->error;
					goto out;
				}
			} else if (h->nlmsg_type == AUDIT_GET && out) {
				memcpy(out, NLMSG_DATA(h), sizeof(*out));
				err = 0;
				goto out;
			}
		}
	}
out:
	close(fd);
	return err;
}

static int audit_set_enabled(u32 enabled)
{
	struct audit_status st = { .mask = AUDIT_STATUS_ENABLED, .enabled = enabled };

	return audit_request(AUDIT_SET, &st, NULL);
}

/*
 * "Auditing was switched on by an agent-loader": exists only while that holds, and lists the pids of
 * the loaders sharing the duty to switch it off, one per line.
 */
#define AUDIT_MARKER "/run/etm-agent-audit-enabled"
#define AUDIT_MAX_SHARERS 64

/* The marker's lock, held; -1 where /run is not writable (then each loader only undoes its own). */
static int audit_marker_lock(void)
{
	int fd = open(AUDIT_MARKER ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void audit_marker_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static bool is_running_loader(pid_t pid)
{
	char path[64], comm[32] = "";
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		yes = fgets(comm, sizeof(comm), f) && strcmp(comm, "agent-loader\n") == 0;
		fclose(f);
	}
	return yes;
}

/* The other loaders listed in the marker that still run; -1 when there is no marker. */
static int audit_sharers(pid_t *out, int max)
{
	FILE *f = fopen(AUDIT_MARKER, "re");
	int n = 0, pid;

	if (!f)
		return -1;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && pid != getpid() && is_running_loader(pid))
			out[n++] = pid;
	fclose(f);
	return n;
}

static void audit_marker_write(const pid_t *pids, int n, bool add_self)
{
	FILE *f = fopen(AUDIT_MARKER, "we");

	if (!f)
		return;
	for (int i = 0; i < n; i++)
		fprintf(f, "%d\n", (int)pids[i]);
	if (add_self)
		fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void audit_restore(void)
{
	pid_t others[AUDIT_MAX_SHARERS];
	struct audit_status st = { 0 };
	int lock, n;

	if (!audit_restore_disabled)
		return;
	audit_restore_disabled = false;
	lock = audit_marker_lock();
	n = lock >= 0 ? audit_sharers(others, AUDIT_MAX_SHARERS) : -1;
	if (n > 0) {
		audit_marker_write(others, n, false);
		fprintf(stderr, "agent-loader: kernel auditing stays on for agent-loader pid %d, which switches "
				"it off when it exits.\n", (int)others[0]);
	} else if (audit_request(AUDIT_GET, NULL, &st) == 0 && st.pid != 0) {
		fprintf(stderr, "agent-loader: kernel auditing stays on: an audit daemon (pid %u) now runs.\n", st.pid);
		unlink(AUDIT_MARKER);
	} else if (audit_set_enabled(0) == 0) {
		unlink(AUDIT_MARKER);
	}
	audit_marker_unlock(lock);
}

/*
 * Switches auditing on if it is off, or, when another agent-loader switched it on, shares the duty
 * of switching it off again. Auditing that someone else switched on is left alone.
 */
static int audit_take_enable(const struct audit_status *st)
{
	pid_t others[AUDIT_MAX_SHARERS];
	int lock = audit_marker_lock(), err = 0, n = -1;

	if (st->enabled == 0) {
		err = audit_set_enabled(1);
		if (!err) {
			if (lock >= 0)
				audit_marker_write(NULL, 0, true);
			fprintf(stderr, "agent-loader: kernel auditing enabled for this run (it was off); "
					"it is switched off again at exit.\n");
		}
	} else if (lock >= 0 && st->pid == 0 && (n = audit_sharers(others, AUDIT_MAX_SHARERS - 1)) >= 0) {
		/* A marker whose loaders are all gone (killed) still means an agent switched it on. */
		audit_marker_write(others, n, true);
		fprintf(stderr, "agent-loader: kernel auditing is on, switched on by an agent-loader; "
				"the last one to exit switches it off.\n");
	} else {
		audit_marker_unlock(lock);
		return 0;
	}
	audit_marker_unlock(lock);
	if (err)
		return err;
	audit_restore_disabled = true;
	atexit(audit_restore);
	return 0;
}

static int audit_open(struct family_ctx *c)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
	struct audit_status st = { 0 };
	int fd, err;

	(void)c;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (fd < 0) {
		fprintf(stderr, "agent-loader: no audit family: opening an audit netlink socket failed: %s (the "
				"kernel needs CONFIG_AUDIT); logon and account events are not captured.\n", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "agent-loader: no audit family: joining the audit read-log multicast group failed: %s "
				"(needs CAP_AUDIT_READ and the initial network namespace, so not inside a container); "
				"logon and account events are not captured.\n", strerror(errno));
		close(fd);
		return -1;
	}
	err = audit_request(AUDIT_GET, NULL, &st);
	if (err) {
		fprintf(stderr, "agent-loader: could not read the audit status (%s); account and logon events "
				"arrive only if auditing is enabled.\n", strerror(-err));
	} else if (audit_enable_opt) {
		err = audit_take_enable(&st);
		if (err) {
			fprintf(stderr, "agent-loader: no audit family: enabling kernel auditing failed: %s (needs "
					"CAP_AUDIT_CONTROL; an immutable audit configuration cannot be changed).\n", strerror(-err));
			close(fd);
			return -1;
		}
	} else if (st.enabled == 0) {
		fprintf(stderr, "agent-loader: kernel auditing is off (auditctl -s: enabled 0), so the kernel discards "
				"the messages PAM and shadow-utils send: no logon or account events. Start with -A "
				"(what npm run agent does unless given --no-audit-enable) to switch it on while the agent runs.\n");
	}
	return fd;
}

/* Audit time "audit(1700000000.123:42): " → CLOCK_BOOTTIME ns, or now if absent. */
static u64 audit_boot_ns(const char *text, size_t len)
{
	unsigned long long sec = 0, ms = 0;
	char head[64];
	size_t n = len < sizeof(head) - 1 ? len : sizeof(head) - 1;
	struct timespec real, boot;

	memcpy(head, text, n);
	head[n] = 0;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	u64 now_boot = (u64)boot.tv_sec * 1000000000ull + (u64)boot.tv_nsec;
	if (sscanf(head, "audit(%llu.%llu:", &sec, &ms) != 2)
		return now_boot;
	s64 offset = ((s64)real.tv_sec - (s64)boot.tv_sec) * 1000000000ll + (real.tv_nsec - boot.tv_nsec);
	return (u64)((s64)(sec * 1000000000ull + ms * 1000000ull) - offset);
}

static int audit_on_ready(int fd, emit_fn emit)
{
	static char buf[MAX_AUDIT_MESSAGE_LENGTH + 64];
	static u8 rec[sizeof(struct rec_audit_user) + MAX_AUDIT_MESSAGE_LENGTH];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOBUFS) {
				/* The socket's queue overflowed: messages were lost, say so and go on. */
				fprintf(stderr, "agent-loader: audit messages were lost (socket receive queue full)\n");
				continue;
			}
			fprintf(stderr, "Failed to read the audit socket: %s\n", strerror(errno));
			return -1;
		}
		/* Walked by hand: the kernel does not pad the last message, so NLMSG_NEXT would step
		 * past the end and NLMSG_OK, comparing with an unsigned length, would not notice. */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_fits(h, buf, n); h = nlmsg_next(h)) {
			struct rec_audit_user *r = (struct rec_audit_user *)rec;
			const char *text = NLMSG_DATA(h);
			size_t len = h->nlmsg_len - NLMSG_HDRLEN;

			if (h->nlmsg_type < AUDIT_FIRST_USER_MSG || h->nlmsg_type > AUDIT_LAST_USER_MSG)
				continue;
			while (len > 0 && text[len - 1] == 0)
				len--;
			if (len > MAX_AUDIT_MESSAGE_LENGTH)
				len = MAX_AUDIT_MESSAGE_LENGTH;
			*r = (struct rec_audit_user){
				.hdr = { .type = REC_AUDIT_USER, .version = AGENT_RECORD_VERSION,
					 .size = (u32)(sizeof(*r) + len), .ts_ns = audit_boot_ns(text, len) },
				.audit_type = h->nlmsg_type,
				.text_len = (u32)len,
			};
			memcpy(rec + sizeof(*r), text, len);
			if (emit(rec, r->hdr.size))
				return -1;
		}
	}
}

#endif /* AGENT_AUDIT_NETLINK_H */
