// SPDX-License-Identifier: GPL-2.0-or-later
/* The --on-event spawner (see vigil/spawner.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vigil/spawner.h"
#include "vigil/util.h"

struct running {
	pid_t pid;
	struct timespec since;
};

static double age(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Reaps what ended; kills what ran too long (reaped next time). */
static unsigned reap(struct running *run)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SPAWNER_RUNNING; i++) {
		if (!run[i].pid)
			continue;
		if (waitpid(run[i].pid, NULL, WNOHANG) == run[i].pid) {
			run[i].pid = 0;
			continue;
		}
		if (age(&run[i].since) > SPAWNER_TIMEOUT) {
			fprintf(stderr, "vigild watch: --on-event: the command (pid %d) ran for %d s: killed\n",
				(int)run[i].pid, SPAWNER_TIMEOUT);
			kill(-run[i].pid, SIGKILL); /* its process group: the shell and what it started */
			kill(run[i].pid, SIGKILL);
			run[i].since.tv_sec += 3600; /* said once */
		}
		n++;
	}
	return n;
}

/* One command: stdin a pipe that holds the event. */
static pid_t run_one(const char *cmd, const char *kind, const char *json, size_t len)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		setpgid(0, 0); /* a group of its own: a timeout kills all of it */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(p[0], 0) < 0)
			_exit(127);
		setenv("VIGIL_EVENT", kind, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	/* an event is far smaller than a pipe's buffer: this never waits */
	if (pid > 0 && (write(p[1], json, len) != (ssize_t)len || write(p[1], "\n", 1) != 1)) {
		/* the command did not read it: its business */
	}
	close(p[1]);
	return pid;
}

static void __attribute__((noreturn)) spawner_main(int fd, const char *cmd)
{
	static char msg[SPAWNER_MSG_MAX + 1];
	struct running run[SPAWNER_RUNNING] = { 0 };

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		unsigned busy = reap(run);
		ssize_t n;
		char *nl;
		pid_t pid;

		/* with commands running, wake each second for their timeouts */
		if (poll(&pfd, 1, busy ? 1000 : -1) <= 0)
			continue;
		n = recv(fd, msg, SPAWNER_MSG_MAX, 0);
		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			_exit(1);
		}
		msg[n] = '\0';
		nl = strchr(msg, '\n');
		if (!nl)
			continue;
		*nl = '\0';
		busy = reap(run);
		if (busy >= SPAWNER_RUNNING) {
			fprintf(stderr, "vigild watch: --on-event: %u commands still run: the %s event is not passed on\n",
				busy, msg);
			continue;
		}
		pid = run_one(cmd, msg, nl + 1, strlen(nl + 1));
		if (pid < 0) {
			fprintf(stderr, "vigild watch: --on-event: cannot run the command: %s\n", strerror(errno));
			continue;
		}
		for (unsigned i = 0; i < SPAWNER_RUNNING; i++)
			if (!run[i].pid) {
				run[i].pid = pid;
				clock_gettime(CLOCK_MONOTONIC, &run[i].since);
				break;
			}
	}
}

int spawner_start(const char *cmd, const struct psep_ids *ids, pid_t *pid, char *why, size_t whylen)
{
	int sv[2], e;
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		e = errno;
		snprintf(why, whylen, "--on-event: socketpair: %s", strerror(e));
		return -e;
	}
	p = fork();
	if (p < 0) {
		e = errno;
		snprintf(why, whylen, "--on-event: fork: %s", strerror(e));
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (p == 0) {
		char w[256];
		sigset_t none;

		/* stdio and the socket (as fd 3); nothing else of the daemon's */
		if (dup2(sv[1], 3) < 0 || close_range(4, ~0u, 0) < 0)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (psep_drop(ids, w, sizeof(w)) < 0) {
			fprintf(stderr, "vigild watch: --on-event: cannot drop privileges: %s\n", w);
			_exit(1);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		spawner_main(3, cmd);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	*pid = p;
	return sv[0];
}

int spawner_send(int fd, const char *kind, const char *json)
{
	char *m = xasprintf("%s\n%s", kind, json);
	size_t len = strlen(m);
	ssize_t n;

	if (len > SPAWNER_MSG_MAX)
		len = SPAWNER_MSG_MAX; /* never: an event is at most ~1.5 KiB */
	n = send(fd, m, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(m);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}
