// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rollback guard of `vigild apply --confirm` (no vigild watch running):
 * the helper of that apply, asked to ARM with the batch that restores the
 * table as it was (rebuild.c), verifies it like any batch, leaves the
 * apply's session and process group and stops dying with it (setsid, no
 * parent-death signal), answers, and from then on needs nobody: when the
 * apply is gone (its SIGHUP, SIGKILL, a dropped SSH connection) it waits
 * for the deadline, and unless `vigild confirm` (SIGUSR1) comes first,
 * commits the rollback (`vigild rollback`: SIGUSR2, at once). It writes
 * the outcome next to the pending file in the run directory and removes
 * the pending file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "vigil/batch.h"
#include "vigil/nl.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/util.h"
#include "psep_int.h"

#define ROLLBACK_TRIES 10

static int answer(struct helper *H, int status, const char *why)
{
	struct psep_ok ok;

	memset(&ok, 0, sizeof(ok));
	ok.status = status;
	if (why)
		snprintf(ok.why, sizeof(ok.why), "%s", why);
	return psep_send_msg(H->fd, PSEP_REP_OK, &ok, sizeof(ok), NULL, 0);
}

int guard_arm(struct helper *H, uint32_t len)
{
	struct psep_arm arm;
	struct batch_refusal ref;
	sigset_t ss;
	int r;

	r = psep_read_full(H->fd, &arm, sizeof(arm));
	if (r < 0)
		return r;
	H->rollback_len = len - sizeof(arm);
	H->rollback = malloc(H->rollback_len);
	if (!H->rollback)
		return -ENOMEM;
	r = psep_read_full(H->fd, H->rollback, H->rollback_len);
	if (r < 0)
		return r;
	arm.pending[sizeof(arm.pending) - 1] = '\0';
	if (!H->have_table || arm.seconds == 0 || arm.seconds > 86400 || H->runfd < 0 ||
	    !arm.pending[0] || strchr(arm.pending, '/'))
		return answer(H, -EINVAL, "bad arming request");
	/* what the guard will commit is checked now, not at the deadline */
	if (batch_verify(H->rollback, H->rollback_len, H->table, &ref) < 0) {
		hlog("refused a rollback batch: %s", ref.why);
		return answer(H, -EPERM, ref.why);
	}
	snprintf(H->pending, sizeof(H->pending), "%s", arm.pending);
	{
		/* the outcome of an earlier wait is not this one's */
		char done[160];
		snprintf(done, sizeof(done), "%s.done", H->pending);
		unlinkat(H->runfd, done, 0);
	}
	H->deadline_ms = psep_now_ms() + (uint64_t)arm.seconds * 1000u;
	/* out of the apply's session and process group, and no longer dying
	 * with it: a hangup or a kill of that process group does not reach us */
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	setsid();
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	H->armed = true;
	r = answer(H, 0, NULL);
	/* the apply's terminal may be gone by the deadline: the journal,
	 * each line an error or a warning by its own prefix */
	if (H->logfd >= 0) {
		dup2(H->logfd, STDERR_FILENO);
		close(H->logfd);
		H->logfd = -1;
		hlog_to_journal = true;
	}
	hlogp(5, "table inet %s: rolled back in %u s unless 'vigild confirm' runs (pid %d guards it)",
	      H->table, arm.seconds, (int)getpid());
	return r;
}

int guard_disarm(struct helper *H)
{
	H->armed = false;
	unlinkat(H->runfd, H->pending, 0);
	return answer(H, 0, NULL);
}

/* The outcome, for vigild status and confirm: RUN/PENDING.done */
static void outcome(struct helper *H, const char *what)
{
	char name[160], tmp[170], text[512];
	struct timespec now;
	int fd, n;

	snprintf(name, sizeof(name), "%s.done", H->pending);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	/* (clock_gettime: the seccomp filter has no time(2), the vDSO's fallback) */
	clock_gettime(CLOCK_REALTIME, &now);
	n = snprintf(text, sizeof(text), "{\"outcome\": \"%s\", \"time\": %lld, \"table\": \"%s\"}\n",
		     what, (long long)now.tv_sec, H->table);
	fd = openat(H->runfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, text, (size_t)n) == n)
			renameat(H->runfd, tmp, H->runfd, name);
		close(fd);
	}
	unlinkat(H->runfd, H->pending, 0);
}

/* Commits the rollback; the kernel's errors are retried (a concurrent
 * change, a busy moment). Returns 0 when the table is back. */
static int roll_back(struct helper *H)
{
	for (int i = 0; i < ROLLBACK_TRIES; i++) {
		struct nl_result res = { 0 };
		bool refused = false;
		int r;

		check_ownership(H, H->rollback, H->rollback_len, &refused);
		if (refused)
			return -EPERM; /* said by check_ownership */
		r = nl_send_batch(&H->nl, H->rollback, H->rollback_len, &res);
		if (r == 0 && res.n == 0 && !res.lost)
			return 0;
		hlogp(3, "rolling back table inet %s failed (%s); trying again", H->table,
		     r < 0 ? strerror(-r) : res.n ? strerror(-res.errs[0].error) : "replies lost");
		nl_result_free(&res);
		usleep(500000);
	}
	return -EIO;
}

void guard_run(struct helper *H)
{
	sigset_t ss;

	bool asked = false;

	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	for (;;) {
		uint64_t now = psep_now_ms();
		struct timespec ts;
		siginfo_t si;
		int sig;

		if (now >= H->deadline_ms)
			break;
		ts.tv_sec = (time_t)((H->deadline_ms - now) / 1000u);
		ts.tv_nsec = (long)((H->deadline_ms - now) % 1000u) * 1000000L;
		sig = sigtimedwait(&ss, &si, &ts);
		if (sig == SIGUSR1 && si.si_uid == 0) {
			hlogp(6, "confirmed: table inet %s keeps the change", H->table);
			outcome(H, "confirmed");
			_exit(0);
		}
		if (sig == SIGUSR2 && si.si_uid == 0) {
			asked = true;
			break;
		}
		/* a signal from anyone but root is ignored: only `vigild
		 * confirm` and `vigild rollback`, run as root, decide */
	}
	if (roll_back(H) == 0) {
		hlogp(4, "%s: table inet %s is back as it was before the change",
		     asked ? "rolled back as asked" : "not confirmed in time", H->table);
		outcome(H, "rolled back");
		_exit(0);
	}
	hlog("not confirmed in time, and rolling back table inet %s FAILED", H->table);
	outcome(H, "rollback failed");
	_exit(3);
}
