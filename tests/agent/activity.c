// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Known activity for the agent's end-to-end test: each step does one real
 * thing and prints what it did as one JSON object per line on stdout (the
 * ground truth the test compares the agent's events with). Every syscall is
 * checked; a failure names the call and errno on stderr and exits 1.
 *
 *   activity <dir> <exe-to-copy>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		if ((long)(expr) < 0) {                                                            \
			fprintf(stderr, "activity: %s failed: %s (errno %d)\n", #expr, strerror(errno), \
				errno);                                                            \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static char target_buf[64] = "untouched";

static void pause_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int wait_exit(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0));
	return status;
}

/* The file content: a fixed 16-byte header then a deterministic byte pattern. */
static void fill_content(unsigned char *buf, size_t n)
{
	static const unsigned char header[16] = { 0x7f, 'A', 'G', 'T', 0x01, 0x02, 0x03, 0x04,
						  'k',  'n', 'o', 'w', 'n', 0x00, 0xff, 0x10 };
	uint32_t x = 12345;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = i < 16 ? header[i] : (unsigned char)(x >> 16);
	}
}

static void step_fork_exec(void)
{
	pid_t child;

	CHECK(child = fork());
	if (child == 0) {
		char *argv[] = { "true", "agent-test-arg", NULL };
		execv("/bin/true", argv);
		_exit(127);
	}
	printf("{\"step\":\"fork_exec\",\"parent\":%d,\"child\":%d,\"exit_status\":%d}\n", getpid(), child,
	       wait_exit(child));
}

static void step_memfd(const char *exe)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x10 /* MFD_EXEC */;
	unsigned int flags2 = 0x8; /* MFD_NOEXEC_SEAL */
	char buf[65536];
	ssize_t n;
	int fd, fd2, in;
	pid_t child;

	/* MFD_EXEC and MFD_NOEXEC_SEAL exist since 6.3; older kernels say EINVAL: report what was used. */
	fd = memfd_create("agent-test-memfd", flags);
	if (fd < 0 && errno == EINVAL) {
		flags &= ~0x10u;
		fd = memfd_create("agent-test-memfd", flags);
	}
	CHECK(fd);
	CHECK(in = open(exe, O_RDONLY | O_CLOEXEC));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(fd, buf, (size_t)n));
	CHECK(n);
	CHECK(close(in));
	fd2 = memfd_create("agent-test-noexec", flags2);
	if (fd2 < 0 && errno == EINVAL) {
		flags2 = 0;
		fd2 = memfd_create("agent-test-noexec", flags2);
	}
	CHECK(fd2);
	CHECK(child = fork());
	if (child == 0) {
		char *argv[] = { "memfd-true", NULL };
		char *envp[] = { NULL };
		fexecve(fd, argv, envp);
		_exit(127);
	}
	printf("{\"step\":\"memfd\",\"pid\":%d,\"name\":\"agent-test-memfd\",\"flags\":%u,\"fd\":%d,"
	       "\"name2\":\"agent-test-noexec\",\"flags2\":%u,\"fd2\":%d,\"exec_child\":%d,\"exit_status\":%d}\n",
	       getpid(), flags, fd, flags2, fd2, child, wait_exit(child));
	CHECK(close(fd));
	CHECK(close(fd2));
}

/* Exec of a file that was deleted after it was opened: the kernel's exe has no link left. */
static void step_deleted_exec(const char *dir, const char *exe)
{
	char path[4096], buf[65536];
	ssize_t n;
	int in, out;
	pid_t child;

	snprintf(path, sizeof(path), "%s/agent-deleted-true", dir);
	CHECK(in = open(exe, O_RDONLY | O_CLOEXEC));
	CHECK(out = open(path, O_CREAT | O_EXCL | O_RDWR, 0755));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(out, buf, (size_t)n));
	CHECK(n);
	CHECK(close(in));
	CHECK(close(out));
	/* Reopen read-only: exec refuses a file that is open for writing (ETXTBSY). */
	CHECK(out = open(path, O_RDONLY));
	CHECK(unlink(path));
	CHECK(child = fork());
	if (child == 0) {
		char *argv[] = { "deleted-true", NULL };
		char *envp[] = { NULL };
		fexecve(out, argv, envp);
		_exit(127);
	}
	printf("{\"step\":\"deleted_exec\",\"pid\":%d,\"path\":\"%s\",\"child\":%d,\"exit_status\":%d}\n", getpid(),
	       path, child, wait_exit(child));
	CHECK(close(out));
}

static void step_files(const char *dir)
{
	char path[4096], renamed[4096], existing[4096];
	unsigned char content[3000];
	int fd;

	snprintf(path, sizeof(path), "%s/agent-created.bin", dir);
	snprintf(renamed, sizeof(renamed), "%s/agent-renamed.bin", dir);
	snprintf(existing, sizeof(existing), "%s/agent-existing.txt", dir);
	fill_content(content, sizeof(content));

	CHECK(fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640));
	CHECK(write(fd, content, 1000));
	CHECK(write(fd, content + 1000, sizeof(content) - 1000));
	CHECK(close(fd));
	/* The agent analyses after close; leave it time (a loaded CI machine lags) before the rename. */
	pause_ms(1000);
	CHECK(rename(path, renamed));
	pause_ms(100);
	CHECK(unlink(renamed));

	/* A second open of an existing file: one modification, no creation. */
	CHECK(fd = open(existing, O_WRONLY | O_APPEND | O_CLOEXEC));
	CHECK(write(fd, "more\n", 5));
	CHECK(write(fd, "again\n", 6));
	CHECK(close(fd));
	printf("{\"step\":\"files\",\"pid\":%d,\"created\":\"%s\",\"renamed\":\"%s\",\"size\":%zu,"
	       "\"existing\":\"%s\",\"content_hex\":\"",
	       getpid(), path, renamed, sizeof(content), existing);
	for (size_t i = 0; i < sizeof(content); i++)
		printf("%02x", content[i]);
	printf("\"}\n");
}

/* Children that write to a file and exit without close(): the kernel frees their struct files
 * unseen and reuses the addresses; every child's first write must still be reported. */
static void step_exit_without_close(const char *dir)
{
	char path[4096];
	pid_t children[20];

	snprintf(path, sizeof(path), "%s/agent-no-close.log", dir);
	for (int i = 0; i < 20; i++) {
		CHECK(children[i] = fork());
		if (children[i] == 0) {
			int fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);

			if (fd < 0 || write(fd, "line\n", 5) != 5)
				_exit(1);
			_exit(0); /* no close() */
		}
		if (wait_exit(children[i]) != 0) {
			fprintf(stderr, "activity: child %d could not write %s\n", children[i], path);
			exit(1);
		}
	}
	printf("{\"step\":\"exit_without_close\",\"pid\":%d,\"path\":\"%s\",\"children\":[", getpid(), path);
	for (int i = 0; i < 20; i++)
		printf("%s%d", i ? "," : "", children[i]);
	printf("]}\n");
}

static void step_ptrace(void)
{
	long word;
	pid_t child;

	CHECK(child = fork());
	if (child == 0) {
		for (;;)
			pause();
	}
	CHECK(ptrace(PTRACE_ATTACH, child, NULL, NULL));
	wait_exit(child); /* the attach stop */
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, child, target_buf, NULL);
	if (word == -1 && errno)
		CHECK(-1);
	CHECK(ptrace(PTRACE_DETACH, child, NULL, NULL));
	CHECK(kill(child, SIGKILL));
	wait_exit(child);
	printf("{\"step\":\"ptrace\",\"pid\":%d,\"target\":%d,\"requests\":[16,2,17]}\n", getpid(), child);
}

static void step_process_vm(void)
{
	static const char payload[] = "injected-by-agent-test";
	struct iovec local = { .iov_base = (void *)payload, .iov_len = sizeof(payload) };
	struct iovec remote = { .iov_base = target_buf, .iov_len = sizeof(payload) };
	char back[sizeof(payload)];
	struct iovec local_back = { .iov_base = back, .iov_len = sizeof(back) };
	ssize_t wrote, read_n;
	pid_t child;

	CHECK(child = fork());
	if (child == 0) {
		for (;;)
			pause();
	}
	CHECK(wrote = process_vm_writev(child, &local, 1, &remote, 1, 0));
	CHECK(read_n = process_vm_readv(child, &local_back, 1, &remote, 1, 0));
	CHECK(kill(child, SIGKILL));
	wait_exit(child);
	printf("{\"step\":\"process_vm\",\"pid\":%d,\"target\":%d,\"written\":%zd,\"read\":%zd}\n", getpid(), child,
	       wrote, read_n);
}

static void step_creds_and_session(void)
{
	pid_t child;

	CHECK(child = fork());
	if (child == 0) {
		CHECK(setsid());
		CHECK(setresgid(65534, 65534, 65534));
		CHECK(setresuid(65534, 65534, 65534));
		_exit(0);
	}
	printf("{\"step\":\"creds\",\"pid\":%d,\"child\":%d,\"uid\":65534,\"gid\":65534,\"exit_status\":%d}\n",
	       getpid(), child, wait_exit(child));
}

static void step_bpf(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	strcpy(attr.prog_name, "agent_test");
	CHECK(fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
	CHECK(close(fd));
	printf("{\"step\":\"bpf\",\"pid\":%d,\"prog_type\":1,\"insn_cnt\":2,\"prog_name\":\"agent_test\"}\n", getpid());
}

static void step_raw_read(void)
{
	static const char *devs[] = { "/dev/loop0", "/dev/vda", "/dev/sda", "/dev/nvme0n1", NULL };

	for (int i = 0; devs[i]; i++) {
		int fd = open(devs[i], O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			CHECK(close(fd));
			printf("{\"step\":\"raw_read\",\"pid\":%d,\"path\":\"%s\"}\n", getpid(), devs[i]);
			return;
		}
	}
	printf("{\"step\":\"raw_read\",\"pid\":%d,\"path\":null}\n", getpid());
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "Usage: activity <dir> <exe-to-copy>\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	step_fork_exec();
	step_memfd(argv[2]);
	step_deleted_exec(argv[1], argv[2]);
	step_files(argv[1]);
	step_exit_without_close(argv[1]);
	step_ptrace();
	step_process_vm();
	step_creds_and_session();
	step_bpf();
	step_raw_read();
	return 0;
}
