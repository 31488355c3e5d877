// SPDX-License-Identifier: GPL-2.0-or-later
/* The --on-event spawner (see vigil/spawner.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/spawner.h"
#include "vigil/util.h"

static unsigned reap(void)
{
	unsigned n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		n++;
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
	unsigned running = 0;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ssize_t n = recv(fd, msg, SPAWNER_MSG_MAX, 0);
		char *nl;

		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		msg[n] = '\0';
		unsigned done = reap();

		running = done > running ? 0 : running - done;
		nl = strchr(msg, '\n');
		if (!nl)
			continue;
		*nl = '\0';
		if (running >= SPAWNER_RUNNING) {
			fprintf(stderr, "vigild watch: --on-event: %u commands still run: the %s event is not passed on\n",
				running, msg);
			continue;
		}
		if (run_one(cmd, msg, nl + 1, strlen(nl + 1)) > 0)
			running++;
		else
			fprintf(stderr, "vigild watch: --on-event: cannot run the command: %s\n", strerror(errno));
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
