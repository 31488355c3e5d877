// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege separation, the main process's side: who to become, the
 * capability drop (dbus-broker's sequence: capng_clear, capng_update for
 * the helper only, capng_change_id with CAPNG_DROP_SUPP_GRP and
 * CAPNG_CLEAR_BOUNDING; then no ambient capabilities and no_new_privs),
 * starting the helper as a fresh exec of our binary, and talking to it:
 * blocking for the one-shot verbs, queued and non-blocking for the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/netfilter/nf_tables.h>

#include "vigil/log.h"
#include "vigil/nftc.h"

#include "vigil/num.h"
#include "vigil/dynset.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/sandbox.h"
#include "vigil/util.h"
#include "psep_int.h"

uint64_t psep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- small io helpers (both sides) ---- */

int psep_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { fd, POLLOUT, 0 };
				poll(&pf, 1, -1);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int psep_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { fd, POLLIN, 0 };
				poll(&pf, 1, -1);
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int psep_send_msg(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	struct psep_hdr h = { PSEP_MAGIC, type, 0, (uint32_t)(alen + blen) };
	int r;

	r = psep_write_full(fd, &h, sizeof(h));
	if (r == 0 && alen)
		r = psep_write_full(fd, a, alen);
	if (r == 0 && blen)
		r = psep_write_full(fd, b, blen);
	return r;
}

/* ---- identities and capabilities ---- */

int psep_resolve_user(const char *name, struct psep_ids *ids, char *why, size_t whylen)
{
	struct passwd *pw = NULL;

	memset(ids, 0, sizeof(*ids));
	if (geteuid() != 0) {
		/* not root: nothing to switch to; we keep who we are */
		ids->uid = getuid();
		ids->gid = getgid();
		pw = getpwuid(ids->uid);
		snprintf(ids->name, sizeof(ids->name), "%s", pw ? pw->pw_name : "?");
		return 0;
	}
	if (name) {
		pw = getpwnam(name);
		/* a numeric user id, as setpriv and systemd take them; checked:
		 * 4294967296 must not wrap to 0, nor (uid_t)-1 name anybody */
		uint64_t uid;
		if (!pw && num_parse_unit(name, NULL, 0, (uid_t)-2, &uid) == 0)
			pw = getpwuid((uid_t)uid);
		if (!pw) {
			snprintf(why, whylen, "unknown user '%s' (--user)", name);
			return -ENOENT;
		}
	} else {
		pw = getpwnam("vigil");
		if (!pw)
			pw = getpwnam("nobody");
		if (!pw) {
			snprintf(why, whylen, "neither user 'vigil' nor 'nobody' exists; use --user");
			return -ENOENT;
		}
	}
	if (pw->pw_uid == 0) {
		snprintf(why, whylen, "user '%s' is root: choose an unprivileged user", pw->pw_name);
		return -EINVAL;
	}
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	snprintf(ids->name, sizeof(ids->name), "%s", pw->pw_name);
	return 0;
}

bool psep_can_admin(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN) ||
	       capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
}

int psep_drop_to(int keep, const struct psep_ids *ids, char *why, size_t whylen)
{
	bool can_setpcap, can_setid, change_id;
	int flags = CAPNG_DROP_SUPP_GRP, r;

	capng_get_caps_process();
	can_setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	can_setid = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) &&
		    capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID);
	change_id = ids->uid != getuid() || ids->uid != geteuid() || ids->gid != getgid();

	capng_clear(CAPNG_SELECT_BOTH);
	if (keep >= 0)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)keep);
	if (can_setpcap)
		flags |= CAPNG_CLEAR_BOUNDING;
	if (change_id) {
		if (!can_setid) {
			snprintf(why, whylen,
				 "cannot switch to user %s: that needs CAP_SETUID and CAP_SETGID (run as root, or as that user with CAP_NET_ADMIN)",
				 ids->name);
			return -EPERM;
		}
		r = capng_change_id((int)ids->uid, (int)ids->gid, flags);
		if (r < 0) {
			snprintf(why, whylen, "cannot switch to user %s (capng_change_id: %d)", ids->name, r);
			return -EPERM;
		}
	} else {
		if (can_setpcap) {
			/* no id change: clear the bounding set ourselves */
			for (unsigned c = 0; c <= CAP_LAST_CAP; c++)
				prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
		}
		r = capng_apply(CAPNG_SELECT_CAPS);
		if (r < 0) {
			snprintf(why, whylen, "cannot drop capabilities (capng_apply: %d)", r);
			return -EPERM;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "cannot set no_new_privs: %s", strerror(errno));
		return -errno;
	}

	/* trust, but verify */
	capng_get_caps_process();
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++) {
		bool want = keep >= 0 && c == (unsigned)keep;
		if (capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want) {
			snprintf(why, whylen, "capability %u %s after the drop", c,
				 want ? "missing" : "still held");
			return -EPERM;
		}
	}
	if (getuid() != ids->uid || geteuid() != ids->uid || getgid() != ids->gid) {
		snprintf(why, whylen, "still running as uid %u, not %u", (unsigned)geteuid(),
			 (unsigned)ids->uid);
		return -EPERM;
	}
	return 0;
}

int psep_drop(const struct psep_ids *ids, char *why, size_t whylen)
{
	/* nothing of this process is worth a core dump or a ptrace attach by
	 * the user we become (it holds the helper's socket) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return psep_drop_to(-1, ids, why, whylen);
}

/* ---- starting the helper ---- */

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

static int read_reply_blocking(struct psep *p, uint16_t type, struct psep_reply *rep);

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
	r = read_reply_blocking(p, PSEP_REP_READY, &rep);
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
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "cannot start the commit helper: %s", why);
		snprintf(why, whylen, "%s", tmp);
		return r;
	}
	r = psep_drop(ids, why, whylen);
	if (r < 0) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "cannot drop privileges: %s", why);
		snprintf(why, whylen, "%s", tmp);
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
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "cannot confine file access: %s", why);
		snprintf(why, whylen, "%s", tmp);
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

/* ---- replies ---- */

void psep_reply_free(struct psep_reply *rep)
{
	free(rep->extra);
	rep->extra = NULL;
	rep->extra_len = 0;
}

/*
 * A complete message (header + payload) as a reply of the expected type:
 * the fixed part copied, the variable part exactly as long as the fixed
 * part says. Returns 0 or -EPROTO (rep->why says why).
 */
static int parse_reply(const struct psep_hdr *h, const uint8_t *payload, uint16_t expect,
		       struct psep_reply *rep)
{
	const char *bad = NULL;
	size_t fixed, extra = 0;

	memset(rep, 0, sizeof(*rep));
	rep->type = h->type;
	if (psep_check_reply(h, expect, &bad) < 0) {
		snprintf(rep->why, sizeof(rep->why), "the commit helper sent a malformed reply: %s", bad);
		return rep->status = -EPROTO;
	}
	fixed = psep_reply_fixed(h->type);
	memcpy(&rep->u, payload, fixed);
	if (h->type == PSEP_REP_RESULT)
		extra = psep_result_size(&rep->u.result) ? psep_result_size(&rep->u.result) - fixed : SIZE_MAX;
	else if (h->type == PSEP_REP_DUMP)
		extra = rep->u.dump.len;
	if (extra != h->len - fixed) {
		snprintf(rep->why, sizeof(rep->why), "the commit helper sent a reply of the wrong size");
		return rep->status = -EPROTO;
	}
	if (extra) {
		rep->extra = xmalloc(extra);
		memcpy(rep->extra, payload + fixed, extra);
		rep->extra_len = extra;
	}
	return 0;
}

static const uint16_t reply_of[PSEP_REQ_MAX_] = {
	[PSEP_REQ_COMMIT] = PSEP_REP_RESULT,     [PSEP_REQ_VALIDATE] = PSEP_REP_RESULT,
	[PSEP_REQ_GETGEN] = PSEP_REP_GEN,        [PSEP_REQ_CT_STATS] = PSEP_REP_CT_STATS,
	[PSEP_REQ_TABLE_INFO] = PSEP_REP_TABLE_INFO, [PSEP_REQ_DUMP] = PSEP_REP_DUMP,
	[PSEP_REQ_SET_TABLE] = PSEP_REP_OK,      [PSEP_REQ_CT_DUMP] = PSEP_REP_DUMP,
	[PSEP_REQ_ARM] = PSEP_REP_OK,            [PSEP_REQ_DISARM] = PSEP_REP_OK,
	[PSEP_REQ_DYN_DUMP] = PSEP_REP_DUMP,     [PSEP_REQ_SETELEM] = PSEP_REP_RESULT,
	[PSEP_REQ_CT_DELETE] = PSEP_REP_RESULT,
};

static int read_reply_blocking(struct psep *p, uint16_t type, struct psep_reply *rep)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct psep_hdr h;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = psep_read_full(p->fd, &h, sizeof(h));
	if (r == 0 && h.len > psep_reply_fixed(type) + (size_t)PSEP_MAX_DUMP)
		r = -EPROTO;
	if (r == 0) {
		buf = xmalloc(h.len ? h.len : 1);
		r = psep_read_full(p->fd, buf, h.len);
	}
	if (r < 0) {
		rep->status = r == -EPIPE ? -ECONNRESET : r;
		snprintf(rep->why, sizeof(rep->why), "the commit helper is gone (%s); see its message above",
			 strerror(-rep->status));
		return 0;
	}
	parse_reply(&h, buf, type, rep);
	return 0;
}

int psep_call(struct psep *p, uint16_t type, const void *payload, size_t len,
	      struct psep_reply *rep)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	if (p->fd < 0 || type >= PSEP_REQ_MAX_ || !reply_of[type]) {
		rep->status = -ENOTCONN;
		snprintf(rep->why, sizeof(rep->why), "the commit helper is not running");
		return 0;
	}
	r = psep_send_msg(p->fd, type, payload, len, NULL, 0);
	if (r < 0) {
		rep->status = r == -EPIPE ? -ECONNRESET : r;
		snprintf(rep->why, sizeof(rep->why), "the commit helper is gone (%s); see its message above",
			 strerror(-rep->status));
		return 0;
	}
	return read_reply_blocking(p, reply_of[type], rep);
}

int psep_reply_to_result(struct psep_reply *rep, struct nl_result *res, char *why, size_t whylen)
{
	memset(res, 0, sizeof(*res));
	if (rep->status < 0) {
		snprintf(why, whylen, "%s", rep->why);
		return rep->status;
	}
	rep->u.result.why[sizeof(rep->u.result.why) - 1] = '\0';
	if (rep->u.result.status < 0) {
		snprintf(why, whylen, "%s", rep->u.result.why);
		return rep->u.result.status;
	}
	if (rep->u.result.nerr) {
		res->errs = (struct nl_err *)TAKE_PTR(rep->extra);
		res->n = res->cap = rep->u.result.nerr;
		rep->extra_len = 0;
		for (size_t i = 0; i < res->n; i++)
			res->errs[i].msg[sizeof(res->errs[i].msg) - 1] = '\0';
	}
	res->lost = rep->u.result.lost != 0;
	res->genid = rep->u.result.genid;
	return 0;
}

int psep_commit(struct psep *p, const void *batch, size_t len, bool validate_only,
		struct nl_result *res, char *why, size_t whylen)
{
	struct psep_reply rep;
	int r;

	memset(res, 0, sizeof(*res));
	if (len == 0 || len > PSEP_MAX_BATCH) {
		snprintf(why, whylen, "the batch is %zu bytes; the limit is %u", len, PSEP_MAX_BATCH);
		return -EMSGSIZE;
	}
	psep_call(p, validate_only ? PSEP_REQ_VALIDATE : PSEP_REQ_COMMIT, batch, len, &rep);
	r = psep_reply_to_result(&rep, res, why, whylen);
	psep_reply_free(&rep);
	return r;
}

int psep_getgen(struct psep *p, uint32_t *genid)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_GETGEN, NULL, 0, &rep);
	if (rep.status < 0)
		return rep.status;
	if (rep.u.gen.status < 0)
		return rep.u.gen.status;
	*genid = rep.u.gen.genid;
	return 0;
}

int psep_ct_stats(struct psep *p, struct psep_ct_stats *st)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_CT_STATS, NULL, 0, &rep);
	if (rep.status < 0)
		return rep.status;
	*st = rep.u.ct;
	return st->status;
}

int psep_ct_inserts(struct psep *p, uint64_t *inserts)
{
	struct psep_ct_stats st;
	int r = psep_ct_stats(p, &st);

	if (r == 0)
		*inserts = st.inserts;
	return r;
}

int psep_table_info(struct psep *p, struct psep_table_info *ti)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_TABLE_INFO, NULL, 0, &rep);
	if (rep.status < 0)
		return rep.status;
	*ti = rep.u.ti;
	ti->comment[sizeof(ti->comment) - 1] = '\0';
	return ti->status;
}

int psep_dyn_dump(struct psep *p, struct dynset_list *l, uint32_t *genid, char *why, size_t whylen)
{
	struct psep_reply rep;
	int r;

	memset(l, 0, sizeof(*l));
	psep_call(p, PSEP_REQ_DYN_DUMP, NULL, 0, &rep);
	if (rep.status < 0) {
		snprintf(why, whylen, "%s", rep.why);
		psep_reply_free(&rep);
		return rep.status;
	}
	r = rep.u.dump.status;
	if (r < 0)
		snprintf(why, whylen, "%.200s", rep.u.dump.why);
	else if ((r = dynset_parse(rep.extra, rep.extra_len, true, l)) < 0)
		snprintf(why, whylen, "the helper's dump is malformed");
	*genid = rep.u.dump.genid;
	psep_reply_free(&rep);
	return r;
}

int psep_set_table(struct psep *p, const char *table, char *why, size_t whylen)
{
	struct psep_set_table st;
	struct psep_reply rep;

	memset(&st, 0, sizeof(st));
	if (strlen(table) >= sizeof(st.name)) {
		snprintf(why, whylen, "table name too long");
		return -EINVAL;
	}
	memcpy(st.name, table, strlen(table));
	psep_call(p, PSEP_REQ_SET_TABLE, &st, sizeof(st), &rep);
	if (rep.status < 0) {
		snprintf(why, whylen, "%s", rep.why);
		return rep.status;
	}
	rep.u.ok.why[sizeof(rep.u.ok.why) - 1] = '\0';
	if (rep.u.ok.status < 0)
		snprintf(why, whylen, "%s", rep.u.ok.why);
	return rep.u.ok.status;
}

/* ---- asynchronous requests ---- */

struct psep_call {
	struct psep_call *next;
	uint16_t type;
	uint8_t *msg;          /* header + payload */
	size_t len;
	unsigned timeout_ms;
	uint64_t deadline;     /* set when the first byte is written */
	psep_done_fn done;
	void *ctx;
};

static int io_write(struct psep *p);

void psep_submit(struct psep *p, uint16_t type, const void *payload, size_t len,
		 unsigned timeout_ms, psep_done_fn done, void *ctx)
{
	struct psep_call *c = xzalloc(sizeof(*c));
	struct psep_hdr h = { PSEP_MAGIC, type, 0, (uint32_t)len };

	c->type = type;
	c->len = sizeof(h) + len;
	c->msg = xmalloc(c->len);
	memcpy(c->msg, &h, sizeof(h));
	if (len)
		memcpy(c->msg + sizeof(h), payload, len);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->ctx = ctx;
	if (p->tail)
		p->tail->next = c;
	else
		p->head = c;
	p->tail = c;
	/* out at once when the socket takes it; a failure shows as POLLHUP */
	if (p->head == c && p->fd >= 0)
		io_write(p);
}

static void call_finish(struct psep *p, struct psep_reply *rep)
{
	struct psep_call *c = p->head;

	p->head = c->next;
	if (!p->head)
		p->tail = NULL;
	p->wr_off = 0;
	p->rx_len = 0;
	if (c->done)
		c->done(c->ctx, rep);
	psep_reply_free(rep);
	free(c->msg);
	free(c);
}

void psep_fail_all(struct psep *p, int err, const char *why)
{
	while (p->head) {
		struct psep_reply rep;

		memset(&rep, 0, sizeof(rep));
		rep.status = err;
		snprintf(rep.why, sizeof(rep.why), "%s", why);
		call_finish(p, &rep);
	}
}

short psep_poll_events(const struct psep *p)
{
	return (short)(POLLIN | (p->head && p->wr_off < p->head->len ? POLLOUT : 0));
}

bool psep_idle(const struct psep *p)
{
	return !p->head;
}

uint64_t psep_deadline(const struct psep *p)
{
	return p->head && p->wr_off ? p->head->deadline : 0;
}

bool psep_check_timeout(struct psep *p, uint64_t now_ms)
{
	uint64_t d = psep_deadline(p);

	if (!d || now_ms < d)
		return false;
	psep_fail_all(p, -ETIMEDOUT, "the commit helper did not answer in time");
	return true;
}

static int io_write(struct psep *p)
{
	while (p->head && p->wr_off < p->head->len) {
		ssize_t n = write(p->fd, p->head->msg + p->wr_off, p->head->len - p->wr_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (p->wr_off == 0)
			p->head->deadline = psep_now_ms() + p->head->timeout_ms;
		p->wr_off += (size_t)n;
	}
	return 0;
}

/* Reads what is there; completes the reply in flight when it is whole. */
static int io_read(struct psep *p)
{
	for (;;) {
		struct psep_hdr h;
		size_t want = sizeof(h);
		ssize_t n;

		if (p->rx_len >= sizeof(h)) {
			memcpy(&h, p->rx, sizeof(h));
			if (h.len > PSEP_MAX_DUMP + 4096u)
				return -EPROTO;
			want += h.len;
		}
		if (p->rx_len == want && p->rx_len >= sizeof(h)) {
			struct psep_reply rep;

			if (!p->head || p->wr_off < p->head->len)
				return -EPROTO; /* nothing asked: the helper speaks out of turn */
			if (parse_reply(&h, p->rx + sizeof(h), reply_of[p->head->type], &rep) < 0) {
				call_finish(p, &rep);
				return -EPROTO;
			}
			call_finish(p, &rep);
			continue;
		}
		GROW(p->rx, p->rx_cap, want);
		n = read(p->fd, p->rx + p->rx_len, want - p->rx_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		p->rx_len += (size_t)n;
	}
}

int psep_io(struct psep *p, short revents)
{
	int r = 0;

	if (p->fd < 0)
		return -ENOTCONN;
	if (revents & POLLOUT)
		r = io_write(p);
	if (r == 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		r = io_read(p);
	if (r == 0 && (revents & (POLLHUP | POLLERR)) && !(revents & POLLIN))
		r = -ECONNRESET;
	if (r == 0 && p->head && p->wr_off < p->head->len)
		r = io_write(p); /* a new request queued by a callback */
	if (r < 0) {
		char why[128];
		snprintf(why, sizeof(why), "the commit helper is gone (%s)",
			 strerror(-r == EPIPE ? ECONNRESET : -r));
		psep_fail_all(p, r, why);
	}
	return r;
}

void psep_plan_opts(const struct psep *p, const struct psep_table_info *ti, bool own,
		    struct nftc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->destroy = p->features & PSEP_F_DESTROY;
	/* owner without persist would take the firewall with the helper when
	 * it exits: only both */
	if (own && (p->features & PSEP_F_PERSIST))
		o->table_flags = NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST;
	o->have_genid = true;
	o->genid = ti->genid;
}
