// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege separation, starting the helper: a fresh exec of our binary
 * (/proc/self/exe) with the socketpair at a known descriptor, waiting for
 * it to say it holds only CAP_NET_ADMIN under seccomp; then the main
 * process's own drop and confinement (psep_setup), and stopping it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/log.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/sandbox.h"
#include "psep_client.h"
#include "psep_int.h"

/* Moves fd to exactly `to` (close-on-exec cleared when keep). */
static int move_fd(int fd, int to, bool keep)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, keep ? 0 : FD_CLOEXEC);
	return dup3(fd, to, keep ? 0 : O_CLOEXEC) < 0 ? -1 : 0;
}

static void __attribute__((noreturn)) exec_helper(int exefd, int sock, int extra, int logfd,
						  enum psep_mode mode, const char *table,
						  unsigned flags, const struct psep_ids *ids,
						  pid_t parent)
{
	char a_mode[16], a_uid[16], a_gid[16], a_flags[16], a_parent[16];
	char *argv[] = { (char *)"vigild", (char *)PSEP_HELPER_ARGV, a_mode, (char *)table,
			 a_uid, a_gid, a_flags, a_parent, NULL };
	/* a fresh image with a clean environment: no LD_PRELOAD, no locale */
	char journal[96] = "";
	const char *js = getenv("JOURNAL_STREAM");
	char *envp[] = { journal[0] ? journal : NULL, NULL };
	sigset_t all;
	int hi_exe, hi_sock, hi_extra, hi_log;

	if (js && strlen(js) < 64)
		snprintf(journal, sizeof(journal), "JOURNAL_STREAM=%s", js);
	envp[0] = journal[0] ? journal : NULL;
	snprintf(a_mode, sizeof(a_mode), "%d", (int)mode);
	snprintf(a_uid, sizeof(a_uid), "%u", (unsigned)ids->uid);
	snprintf(a_gid, sizeof(a_gid), "%u", (unsigned)ids->gid);
	snprintf(a_flags, sizeof(a_flags), "%u", flags);
	snprintf(a_parent, sizeof(a_parent), "%d", (int)parent);
	/* out of the way of 3 to 6 first, then into place: the socket at 3,
	 * the run directory (when given) at 4, the guard's log (when given)
	 * at 5, the binary at 6 */
	hi_exe = fcntl(exefd, F_DUPFD_CLOEXEC, 64);
	hi_sock = fcntl(sock, F_DUPFD_CLOEXEC, 64);
	hi_extra = extra >= 0 ? fcntl(extra, F_DUPFD_CLOEXEC, 64) : -1;
	hi_log = logfd >= 0 ? fcntl(logfd, F_DUPFD_CLOEXEC, 64) : -1;
	if (hi_exe < 0 || hi_sock < 0 || (extra >= 0 && hi_extra < 0) || (logfd >= 0 && hi_log < 0) ||
	    move_fd(hi_sock, PSEP_HELPER_FD, true) < 0 ||
	    (hi_extra >= 0 && move_fd(hi_extra, PSEP_HELPER_FD + 1, true) < 0) ||
	    (hi_log >= 0 && move_fd(hi_log, PSEP_HELPER_FD + 2, true) < 0) ||
	    move_fd(hi_exe, PSEP_HELPER_FD + 3, false) < 0)
		_exit(127);
	close_range(PSEP_HELPER_FD + 4, ~0u, 0);
	if (hi_extra < 0)
		close(PSEP_HELPER_FD + 1);
	if (hi_log < 0)
		close(PSEP_HELPER_FD + 2);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	fexecve(PSEP_HELPER_FD + 3, argv, envp);
	_exit(127);
}

static int psep_start(struct psep *p, enum psep_mode mode, const char *table, bool force,
		      int extra, int logfd, const struct psep_ids *ids, char *why, size_t whylen)
{
	struct psep_reply rep;
	int sv[2], exefd, r;
	pid_t pid, self = getpid();

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->fd = p->pidfd = -1;
	exefd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exefd < 0) {
		snprintf(why, whylen, "cannot open vigild's own binary (/proc/self/exe): %s",
			 strerror(errno));
		return -errno;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		close(exefd);
		snprintf(why, whylen, "socketpair: %s", strerror(-r));
		return r;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		close(exefd);
		snprintf(why, whylen, "fork: %s", strerror(-r));
		return r;
	}
	if (pid == 0)
		exec_helper(exefd, sv[1], extra, logfd, mode, table ? table : "-",
			    (force ? PSEP_HF_FORCE : 0) | (extra >= 0 ? PSEP_HF_RUNFD : 0) |
				    (logfd >= 0 ? PSEP_HF_LOGFD : 0),
			    ids, self);
	close(sv[1]);
	close(exefd);
	/* a helper that died must not kill us with SIGPIPE mid-write */
	signal(SIGPIPE, SIG_IGN);
	p->pid = pid;
	p->fd = sv[0];
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	/* wait until the helper holds only CAP_NET_ADMIN under seccomp */
	r = psep_read_reply(p, PSEP_REP_READY, &rep);
	if (r < 0 || rep.status < 0) {
		snprintf(why, whylen, "the commit helper died while starting");
		psep_stop(p, true);
		return r < 0 ? r : rep.status;
	}
	if (rep.u.ready.status < 0) {
		rep.u.ready.why[sizeof(rep.u.ready.why) - 1] = '\0';
		snprintf(why, whylen, "%s", rep.u.ready.why);
		psep_stop(p, true);
		return rep.u.ready.status;
	}
	p->portid = rep.u.ready.portid;
	p->features = rep.u.ready.features;
	fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* why becomes "what: why" (at most 255 bytes). */
static void why_prefix(char *why, size_t whylen, const char *what)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s: %s", what, why);
	snprintf(why, whylen, "%s", tmp);
}

int psep_setup(const struct psep_setup_opts *o, struct psep *p, struct psep_ids *ids,
	       char *why, size_t whylen)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->fd = p->pidfd = -1;
	if (!psep_can_admin()) {
		snprintf(why, whylen, "%s changes the firewall and needs CAP_NET_ADMIN: run it as root",
			 o->verb);
		return -EPERM;
	}
	r = psep_resolve_user(o->user, ids, why, whylen);
	if (r < 0)
		return r;
	if (o->privileged) {
		r = o->privileged(o->ctx, ids, why, whylen);
		if (r < 0)
			return r;
	}
	r = psep_start(p, o->mode, o->table, o->force, o->helper_runfd ? *o->helper_runfd : -1,
		       o->helper_logfd ? *o->helper_logfd : -1, ids, why, whylen);
	if (r < 0) {
		why_prefix(why, whylen, "cannot start the commit helper");
		return r;
	}
	r = psep_drop(ids, why, whylen);
	if (r < 0) {
		why_prefix(why, whylen, "cannot drop privileges");
		psep_stop(p, true);
		return r;
	}
	/* no file writes outside the verb's directories (where the kernel
	 * has Landlock), then no execve, no ptrace, no new sockets but unix
	 * ones */
	r = sandbox_landlock(o->rw_dirs, SANDBOX_MAX_RW_DIRS, why, whylen);
	if (r == 1)
		log_info("%s", why);
	if (r < 0) {
		why_prefix(why, whylen, "cannot confine file access");
		psep_stop(p, true);
		return r;
	}
	why[0] = '\0';
	r = sandbox_main();
	if (r < 0) {
		snprintf(why, whylen, "cannot install the seccomp filter: %s", strerror(-r));
		psep_stop(p, true);
		return r;
	}
	return 0;
}

int psep_stop(struct psep *p, bool wait)
{
	int status = 0;
	pid_t r;

	psep_fail_all(p, -ECONNRESET, "the commit helper was stopped");
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	free(p->rx);
	p->rx = NULL;
	p->rx_len = p->rx_cap = 0;
	if (p->pid <= 0)
		return -1;
	do
		r = waitpid(p->pid, &status, wait ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	p->pid = -1;
	if (r <= 0)
		return -1; /* still finishing; init reaps it */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
