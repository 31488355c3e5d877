// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rstat: what GNU time's "%e %U %S %M" prints, with microseconds.
 *
 *   rstat [--out FILE] [--poll FILE] -- COMMAND...
 *
 * Prints "WALL USER SYS MAXRSS RC" (seconds, KiB). USER, SYS and MAXRSS are
 * the rusage wait4() returns for COMMAND (GNU time calls wait4 too): they
 * cover COMMAND and every descendant COMMAND itself waited for (vigild
 * waits for its commit helper). MAXRSS is the largest peak RSS of any one
 * of those processes, not a sum. WALL runs from just before fork() to
 * wait4's return.
 *
 * Written in C on purpose: the kernel keeps a process's peak RSS across
 * execve, so the child of a big launcher (python, bash) reports at least
 * the launcher's RSS at fork time. This launcher's RSS is a few hundred KiB
 * (bench/apply prints the figure for /bin/true).
 *
 * SIGTERM, SIGINT and SIGHUP are passed on to COMMAND (so a benchmark that
 * stops or cleans up can signal rstat).
 *
 * --poll FILE: while COMMAND runs, read VmHWM (each process's own peak RSS
 * since its execve) of COMMAND and its descendants every 2 ms; write
 * "comm pid KiB" per process to FILE. Costs CPU: not for timed runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 64

struct peak {
	int pid;
	long kib;
	char comm[32];
};

static struct peak peaks[MAXP];
static int npeaks;
static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample(int pid, int depth)
{
	char path[64], line[256], comm[32] = "?";
	long kib = -1;
	FILE *f;
	int i, c;

	if (depth > 8)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Name:", 5))
			sscanf(line + 5, "%31s", comm);
		else if (!strncmp(line, "VmHWM:", 6))
			kib = atol(line + 6);
	}
	fclose(f);
	if (kib >= 0) {
		for (i = 0; i < npeaks && peaks[i].pid != pid; i++)
			;
		if (i == npeaks && npeaks < MAXP)
			peaks[npeaks++].pid = pid;
		if (i < npeaks) {
			if (kib > peaks[i].kib)
				peaks[i].kib = kib;
			snprintf(peaks[i].comm, sizeof(peaks[i].comm), "%s", comm);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%d", &c) == 1)
		sample(c, depth + 1);
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *poll = NULL;
	struct rusage ru;
	int i = 1, status, rc;
	double t0, wall;
	pid_t pid;
	FILE *f;

	while (i < argc && strcmp(argv[i], "--")) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[i + 1];
		else if (!strcmp(argv[i], "--poll") && i + 1 < argc)
			poll = argv[i + 1];
		else
			break;
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "usage: rstat [--out FILE] [--poll FILE] -- COMMAND...\n");
		return 2;
	}
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("rstat: fork");
		return 2;
	}
	if (pid == 0) {
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "rstat: %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	child = pid;
	for (;;) {
		pid_t w = wait4(pid, &status, poll ? WNOHANG : 0, &ru);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("rstat: wait4");
			return 2;
		}
		if (w == 0) {
			sample(pid, 0);
			usleep(2000);
		}
	}
	wall = now() - t0;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = out ? fopen(out, "w") : stdout;
	if (!f) {
		perror("rstat: --out");
		return 2;
	}
	fprintf(f, "%.6f %.6f %.6f %ld %d\n", wall,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, rc);
	if (out)
		fclose(f);
	if (poll) {
		f = fopen(poll, "w");
		if (!f) {
			perror("rstat: --poll");
			return 2;
		}
		for (i = 0; i < npeaks; i++)
			fprintf(f, "%s %d %ld\n", peaks[i].comm, peaks[i].pid, peaks[i].kib);
		fclose(f);
	}
	return rc == 0 ? 0 : 1;
}
