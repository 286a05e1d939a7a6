// SPDX-License-Identifier: Apache-2.0
/*
 * The bench workload: fork + exec of a small binary, n times, one after the other, each child
 * waited for. Exits 1 if any child fails, so a broken run is never measured.
 *   forkexec <n> <path>
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: forkexec <n> <path>\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 10);
	char *const child_argv[] = { argv[2], NULL };

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execv(argv[2], child_argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "child %ld of %s failed (status 0x%x)\n", i, argv[2], status);
			return 1;
		}
	}
	return 0;
}
