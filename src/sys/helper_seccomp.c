// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commit helper's seccomp filter, installed once it serves (helper.c),
 * default: kill the process. What it allows is what strace showed the
 * helper making during apply, apply --confirm and its rollback guard,
 * apply --revoke, remove, diff, set and a watch's life (reloads, set
 * updates, re-asserts, revokes), and each call is tied to the descriptor
 * it is for where the arguments say it: the socketpair to the main
 * process (PSEP_HELPER_FD), the one NETLINK_NETFILTER socket, stderr, and
 * for a rollback guard the run directory and its log. docs/SECURITY.md
 * has the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "vigil/sandbox.h"
#include "vigil/util.h"

/* Each rule: a system call and up to two argument conditions. */
struct rule {
	int nr;
	unsigned n;
	struct scmp_arg_cmp a[2];
};

#define ANY(nr) { nr, 0, { { 0 } } }
#define FD(nr, fd) { nr, 1, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)(fd)) } }

static int add_rules(scmp_filter_ctx ctx, const struct rule *v, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, v[i].nr, v[i].n, v[i].a);
	return r;
}

/* Every helper: its socketpair, its netlink socket, stderr, memory. */
static int add_common(scmp_filter_ctx ctx, const struct sandbox_helper_fds *f, bool any_write)
{
	const struct rule v[] = {
		FD(SCMP_SYS(read), f->peer),
		/* nl.c: send() and recv() are sendto and recvfrom; a batch is sendmsg */
		FD(SCMP_SYS(sendto), f->nl),
		FD(SCMP_SYS(recvfrom), f->nl),
		FD(SCMP_SYS(sendmsg), f->nl),
		/* the send buffer for a large batch (SO_SNDBUF when FORCE fails) */
		{ SCMP_SYS(setsockopt), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->nl),
					      SCMP_A2(SCMP_CMP_EQ, SO_SNDBUFFORCE) } },
		{ SCMP_SYS(setsockopt), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->nl),
					      SCMP_A2(SCMP_CMP_EQ, SO_SNDBUF) } },
		/* hlog: "vigild[helper PID]" */
		ANY(SCMP_SYS(getpid)),
		ANY(SCMP_SYS(exit_group)),
		/* the vDSO's fallback, where the clock source has none */
		ANY(SCMP_SYS(clock_gettime)),
		/* malloc: the heap, large blocks mapped, grown and freed */
		ANY(SCMP_SYS(brk)),
		ANY(SCMP_SYS(munmap)),
		ANY(SCMP_SYS(mremap)),
		/* anonymous memory, never executable */
		{ SCMP_SYS(mmap), 2, { SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
					SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS) } },
	};
	const struct rule w[] = {
		FD(SCMP_SYS(write), f->peer),
		FD(SCMP_SYS(write), STDERR_FILENO),
	};
	int r = add_rules(ctx, v, ARRAY_SIZE(v));

	if (r == 0 && any_write)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 0);
	else if (r == 0)
		r = add_rules(ctx, w, ARRAY_SIZE(w));
	/* the guard's stderr becomes its journal stream (dup2; dup3 where
	 * the architecture has no dup2) */
	if (r == 0 && f->logfd >= 0) {
		const struct rule d[] = {
			{ SCMP_SYS(dup2), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->logfd),
						SCMP_A1(SCMP_CMP_EQ, STDERR_FILENO) } },
			{ SCMP_SYS(dup3), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->logfd),
						SCMP_A1(SCMP_CMP_EQ, STDERR_FILENO) } },
		};
		r = add_rules(ctx, d, ARRAY_SIZE(d));
	}
	return r;
}

/* apply's helper with a run directory may become a rollback guard
 * (guard.c): it blocks SIGUSR1/2 and waits for them, leaves the session,
 * stops dying with the apply, sleeps between tries, and writes its
 * outcome in the run directory (a file it opens there, renames, closes;
 * the pending file removed). */
static int add_guard(scmp_filter_ctx ctx, const struct sandbox_helper_fds *f)
{
	const struct rule v[] = {
		ANY(SCMP_SYS(rt_sigprocmask)),
		ANY(SCMP_SYS(rt_sigtimedwait)),
		ANY(SCMP_SYS(setsid)),
		{ SCMP_SYS(prctl), 2, { SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG),
					 SCMP_A1(SCMP_CMP_EQ, 0) } },
		ANY(SCMP_SYS(clock_nanosleep)),
		{ SCMP_SYS(openat), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->runfd),
					  SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_NOFOLLOW,
						  O_WRONLY | O_NOFOLLOW) } },
		{ SCMP_SYS(renameat), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->runfd),
					    SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)f->runfd) } },
		{ SCMP_SYS(unlinkat), 2, { SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f->runfd),
					    SCMP_A2(SCMP_CMP_EQ, 0) } },
		ANY(SCMP_SYS(close)),
	};
	return add_rules(ctx, v, ARRAY_SIZE(v));
}

int sandbox_helper(const struct sandbox_helper_fds *f, bool guard)
{
	scmp_filter_ctx ctx;
	int r;

	if (f->peer < 0 || f->nl < 0 || (guard && f->runfd < 0))
		return -EBADF;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	r = add_common(ctx, f, guard);
	if (r == 0 && guard)
		r = add_guard(ctx, f);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
