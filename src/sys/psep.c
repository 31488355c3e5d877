// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege separation: the commit helper and the capability drop.
 * The sequence follows dbus-broker's: capng_clear, capng_update (helper
 * only), capng_change_id with CAPNG_DROP_SUPP_GRP and CAPNG_CLEAR_BOUNDING;
 * then no ambient capabilities, no_new_privs, and (helper) seccomp.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/batch.h"
#include "vigil/ctsock.h"
#include "vigil/ir.h"
#include "vigil/nl.h"
#include "vigil/num.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/util.h"

/* ---- small io helpers ---- */

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; -EPIPE on end of file. */
static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_msg(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	struct psep_hdr h = { PSEP_MAGIC, type, 0, (uint32_t)(alen + blen) };
	int r;

	r = write_full(fd, &h, sizeof(h));
	if (r == 0 && alen)
		r = write_full(fd, a, alen);
	if (r == 0 && blen)
		r = write_full(fd, b, blen);
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

/*
 * Leaves the calling process with only `keep` (-1: nothing) in its
 * effective and permitted sets, as ids, no ambient capabilities, an empty
 * bounding set when we may clear it, and no_new_privs.
 */
static int drop_to(int keep, const struct psep_ids *ids, char *why, size_t whylen)
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
	return drop_to(-1, ids, why, whylen);
}

/* ---- the helper ---- */

static void hlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hlog(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "vigild[helper %d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nothing else to do */
	}
}

static int install_seccomp(void)
{
	static const int allow[] = {
		SCMP_SYS(read),       SCMP_SYS(write),         SCMP_SYS(readv),
		SCMP_SYS(writev),     SCMP_SYS(recvmsg),       SCMP_SYS(sendmsg),
		SCMP_SYS(recvfrom),   SCMP_SYS(sendto),        SCMP_SYS(close),
		SCMP_SYS(exit),       SCMP_SYS(exit_group),    SCMP_SYS(brk),
		SCMP_SYS(munmap),     SCMP_SYS(mremap),        SCMP_SYS(madvise),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(futex),
		SCMP_SYS(getpid),     SCMP_SYS(gettid),        SCMP_SYS(clock_gettime),
		SCMP_SYS(getsockname), SCMP_SYS(setsockopt),   SCMP_SYS(getsockopt),
		SCMP_SYS(bind),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(allow) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
	/* memory, but never executable */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* netfilter netlink sockets only */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
				     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
				     SCMP_A2(SCMP_CMP_EQ, NETLINK_NETFILTER));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* Does the (verified) batch hold an nf_tables message of this type?
 * Replacements and removals delete the table; only replacements add it. */
static bool batch_has(const uint8_t *buf, size_t len, uint16_t type)
{
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES &&
		    (nlh->nlmsg_type & 0xff) == type)
			return true;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return false;
}

/* Serves one batch request. Returns <0 to end the conversation. */
static int serve_batch(int fd, struct nl *nl, const char *table, bool force, uint32_t len,
		       bool validate)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct psep_result out;
	struct nl_result res = { 0 };
	struct batch_refusal ref;
	size_t send_len;
	int r;

	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	r = read_full(fd, buf, len);
	if (r < 0)
		return r;

	memset(&out, 0, sizeof(out));
	if (batch_verify(buf, len, table, &ref) < 0) {
		hlog("refused a batch: %s", ref.why);
		out.status = -EPERM;
		snprintf(out.why, sizeof(out.why), "%s", ref.why);
		return send_msg(fd, PSEP_REP_RESULT, &out, sizeof(out), NULL, 0);
	}
	if (!force && batch_has(buf, len, NFT_MSG_DELTABLE)) {
		char comment[128];
		int e = nl_table_comment(nl, table, comment, sizeof(comment));
		if (e == 0 && strcmp(comment, IR_TABLE_MARK) != 0) {
			hlog("refused a batch replacing or deleting table inet %s: not made by vigild", table);
			out.status = -EPERM;
			snprintf(out.why, sizeof(out.why),
				 "table inet %.32s was not made by vigild (its comment is '%.24s'); pick another --table, or --force to %s",
				 table, comment,
				 batch_has(buf, len, NFT_MSG_NEWTABLE) ? "take it over"
								       : "delete it anyway");
			return send_msg(fd, PSEP_REP_RESULT, &out, sizeof(out), NULL, 0);
		}
		if (e < 0 && e != -ENOENT) {
			out.status = e;
			snprintf(out.why, sizeof(out.why), "cannot look up table inet %s: %s", table,
				 strerror(-e));
			return send_msg(fd, PSEP_REP_RESULT, &out, sizeof(out), NULL, 0);
		}
	}
	send_len = len;
	if (validate) {
		/* without its END message the kernel checks the whole batch and
		 * then aborts it (what `nft -c` does) */
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		size_t off = 0, last = 0;
		while (off < len) {
			last = off;
			nlh = (const struct nlmsghdr *)(buf + off);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		send_len = last;
	}
	r = nl_send_batch(nl, buf, send_len, &res);
	if (r < 0) {
		out.status = r;
		snprintf(out.why, sizeof(out.why), "sending to the kernel failed: %s", strerror(-r));
		return send_msg(fd, PSEP_REP_RESULT, &out, sizeof(out), NULL, 0);
	}
	if (!validate && res.n == 0 && !res.lost && nl_get_genid(nl, &out.genid) < 0)
		out.genid = 0;
	out.nerr = res.n > PSEP_MAX_ERRORS ? PSEP_MAX_ERRORS : (uint32_t)res.n;
	out.lost = res.lost || res.n > PSEP_MAX_ERRORS;
	r = send_msg(fd, PSEP_REP_RESULT, &out, sizeof(out), res.errs, out.nerr * sizeof(struct nl_err));
	nl_result_free(&res);
	return r;
}

static void __attribute__((noreturn)) helper_main(int fd, const char *table, bool force,
						  const struct psep_ids *ids)
{
	struct nl nl = { .fd = -1 };
	int r;
	struct psep_ready ready;

	memset(&ready, 0, sizeof(ready));
	/* The parent decides when we end (or dies, and takes us along): a
	 * `pkill -HUP vigild`, a terminal's hangup or ^C, meant for the
	 * parent, must not leave a watcher without its helper. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* keep stdin/out/err and our end of the socketpair, nothing else: not
	 * the policy file, its directory, the conntrack socket or the database */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0u, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "vigild-helper", 0, 0, 0);
	r = nl_open(&nl);
	if (r < 0) {
		snprintf(ready.why, sizeof(ready.why), "cannot open the netfilter netlink socket: %s",
			 strerror(-r));
	} else if ((r = drop_to(CAP_NET_ADMIN, ids, ready.why, sizeof(ready.why))) < 0) {
		/* ready.why says it */
	} else if ((r = install_seccomp()) < 0) {
		snprintf(ready.why, sizeof(ready.why), "cannot install the seccomp filter: %s",
			 strerror(-r));
	}
	ready.status = r;
	/* the parent waits for this before it goes on */
	if (send_msg(fd, PSEP_REP_READY, &ready, sizeof(ready), NULL, 0) < 0 || r < 0) {
		if (r < 0)
			hlog("%s", ready.why);
		_exit(3);
	}

	for (;;) {
		struct psep_hdr h;
		const char *bad;

		r = read_full(fd, &h, sizeof(h));
		if (r == -EPIPE)
			_exit(0); /* the main process is done */
		if (r < 0) {
			hlog("reading a request failed: %s", strerror(-r));
			_exit(3);
		}
		if (psep_check_request(&h, &bad) < 0) {
			hlog("refused a request (type %u, %u bytes): %s", h.type, h.len, bad);
			_exit(3);
		}
		switch (h.type) {
		case PSEP_REQ_COMMIT:
		case PSEP_REQ_VALIDATE:
			r = serve_batch(fd, &nl, table, force, h.len, h.type == PSEP_REQ_VALIDATE);
			break;
		case PSEP_REQ_CT_STATS: {
			struct psep_ct_stats st = { 0, 0, 0 };
			st.status = ctsock_insert_count(&st.inserts);
			r = send_msg(fd, PSEP_REP_CT_STATS, &st, sizeof(st), NULL, 0);
			break;
		}
		case PSEP_REQ_GETGEN: {
			struct psep_gen g = { 0, 0 };
			g.status = nl_get_genid(&nl, &g.genid);
			r = send_msg(fd, PSEP_REP_GEN, &g, sizeof(g), NULL, 0);
			break;
		}
		default:
			r = -EPROTO;
			break;
		}
		if (r < 0) {
			hlog("request %u failed: %s", h.type, strerror(-r));
			_exit(3);
		}
	}
}

static int read_reply(struct psep *p, uint16_t type, struct psep_hdr *h);

int psep_start(struct psep *p, const char *table, bool force, const struct psep_ids *ids,
	       char *why, size_t whylen)
{
	struct psep_ready ready;
	struct psep_hdr h;
	int r;

	int sv[2];
	pid_t pid;

	p->pid = -1;
	p->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1], table, force, ids);
	}
	close(sv[1]);
	/* a helper that died must not kill us with SIGPIPE mid-write */
	signal(SIGPIPE, SIG_IGN);
	p->pid = pid;
	p->fd = sv[0];

	/* wait until the helper holds only CAP_NET_ADMIN under seccomp */
	r = read_reply(p, PSEP_REP_READY, &h);
	if (r == 0)
		r = read_full(p->fd, &ready, sizeof(ready));
	if (r < 0) {
		snprintf(why, whylen, "the commit helper died while starting");
		psep_stop(p, true);
		return r;
	}
	if (ready.status < 0) {
		ready.why[sizeof(ready.why) - 1] = '\0';
		snprintf(why, whylen, "%s", ready.why);
		psep_stop(p, true);
		return ready.status;
	}
	return 0;
}

static int read_reply(struct psep *p, uint16_t type, struct psep_hdr *h)
{
	const char *why;
	int r = read_full(p->fd, h, sizeof(*h));

	if (r < 0)
		return r == -EPIPE ? -ECONNRESET : r;
	if (psep_check_reply(h, type, &why) < 0)
		return -EPROTO;
	return 0;
}

int psep_commit(struct psep *p, const void *batch, size_t len, bool validate_only,
		struct nl_result *res, char *why, size_t whylen)
{
	struct psep_hdr h;
	struct psep_result out;
	int r;

	if (len == 0 || len > PSEP_MAX_BATCH) {
		snprintf(why, whylen, "the batch is %zu bytes; the limit is %u", len, PSEP_MAX_BATCH);
		return -EMSGSIZE;
	}
	r = send_msg(p->fd, validate_only ? PSEP_REQ_VALIDATE : PSEP_REQ_COMMIT, batch, len, NULL, 0);
	if (r == 0)
		r = read_reply(p, PSEP_REP_RESULT, &h);
	if (r == 0)
		r = read_full(p->fd, &out, sizeof(out));
	if (r < 0) {
		snprintf(why, whylen, "the commit helper is gone (%s); see its message above",
			 strerror(-r == EPIPE ? ECONNRESET : -r));
		return r;
	}
	out.why[sizeof(out.why) - 1] = '\0';
	if (psep_result_size(&out) != h.len) {
		snprintf(why, whylen, "the commit helper sent a malformed result");
		return -EPROTO;
	}
	if (out.status < 0) {
		snprintf(why, whylen, "%s", out.why);
		return out.status;
	}
	memset(res, 0, sizeof(*res));
	if (out.nerr) {
		res->errs = xcalloc(out.nerr, sizeof(*res->errs));
		res->n = res->cap = out.nerr;
		r = read_full(p->fd, res->errs, out.nerr * sizeof(struct nl_err));
		if (r < 0) {
			snprintf(why, whylen, "the commit helper is gone");
			return r;
		}
		for (size_t i = 0; i < res->n; i++)
			res->errs[i].msg[sizeof(res->errs[i].msg) - 1] = '\0';
	}
	res->lost = out.lost != 0;
	res->genid = out.genid;
	return 0;
}

int psep_getgen(struct psep *p, uint32_t *genid)
{
	struct psep_hdr h;
	struct psep_gen g;
	int r = send_msg(p->fd, PSEP_REQ_GETGEN, NULL, 0, NULL, 0);

	if (r == 0)
		r = read_reply(p, PSEP_REP_GEN, &h);
	if (r == 0)
		r = read_full(p->fd, &g, sizeof(g));
	if (r < 0)
		return r;
	if (g.status < 0)
		return g.status;
	*genid = g.genid;
	return 0;
}

int psep_ct_inserts(struct psep *p, uint64_t *inserts)
{
	struct psep_hdr h;
	struct psep_ct_stats st;
	int r = send_msg(p->fd, PSEP_REQ_CT_STATS, NULL, 0, NULL, 0);

	if (r == 0)
		r = read_reply(p, PSEP_REP_CT_STATS, &h);
	if (r == 0)
		r = read_full(p->fd, &st, sizeof(st));
	if (r < 0)
		return r;
	if (st.status < 0)
		return st.status;
	*inserts = st.inserts;
	return 0;
}

int psep_stop(struct psep *p, bool wait)
{
	int status = 0;
	pid_t r;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
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
