// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commit helper: a fresh image of vigild (fexecve of the binary the
 * main process opened at its start, argv[1] = PSEP_HELPER_ARGV), so it
 * shares nothing of the parser's address space. It keeps only
 * CAP_NET_ADMIN, runs as the unprivileged user under no_new_privs and a
 * seccomp allow-list, and serves the main process over a socketpair (fd 3):
 * only the requests its mode permits (OpenSSH's monitor: a permit table per
 * phase, some requests once), every batch verified before it is sent, every
 * read limited to vigild's own table. Anything else ends the helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/batch.h"
#include "vigil/dynset.h"
#include "vigil/ir.h"
#include "vigil/nftc.h"
#include "vigil/nl.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/sandbox.h"
#include "vigil/util.h"
#include "psep_int.h"

#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif

/* ---- what each mode may ask ---- */

enum {
	PERMIT_ONCE = 1u << 0,  /* at most once */
	PERMIT_FIRST = 1u << 1, /* only as the first request */
};

struct permit {
	uint16_t type;
	unsigned flags;
};

static const struct permit permit_apply[] = {
	{ PSEP_REQ_SET_TABLE, PERMIT_ONCE | PERMIT_FIRST },
	{ PSEP_REQ_TABLE_INFO, 0 },
	{ PSEP_REQ_GETGEN, 0 },
	{ PSEP_REQ_DUMP, 0 },
	{ PSEP_REQ_CT_DUMP, 0 },
	{ PSEP_REQ_VALIDATE, 0 },
	{ PSEP_REQ_COMMIT, 0 },
	{ PSEP_REQ_ARM, PERMIT_ONCE },
	{ PSEP_REQ_DISARM, PERMIT_ONCE },
	{ PSEP_REQ_DYN_DUMP, 0 },
	{ PSEP_REQ_CT_DELETE, 0 },
	{ 0, 0 },
};

static const struct permit permit_remove[] = {
	{ PSEP_REQ_TABLE_INFO, 0 },
	{ PSEP_REQ_COMMIT, PERMIT_ONCE },
	{ 0, 0 },
};

/* vigild diff: a dump of its table, nothing that changes anything */
static const struct permit permit_read[] = {
	{ PSEP_REQ_SET_TABLE, PERMIT_ONCE | PERMIT_FIRST },
	{ PSEP_REQ_TABLE_INFO, 0 },
	{ PSEP_REQ_GETGEN, 0 },
	{ PSEP_REQ_DUMP, 0 },
	{ 0, 0 },
};

static const struct permit permit_watch[] = {
	{ PSEP_REQ_SET_TABLE, PERMIT_ONCE | PERMIT_FIRST },
	{ PSEP_REQ_TABLE_INFO, 0 },
	{ PSEP_REQ_GETGEN, 0 },
	{ PSEP_REQ_DUMP, 0 },
	{ PSEP_REQ_CT_STATS, 0 },
	{ PSEP_REQ_CT_DUMP, 0 },
	{ PSEP_REQ_VALIDATE, 0 },
	{ PSEP_REQ_COMMIT, 0 },
	{ PSEP_REQ_DYN_DUMP, 0 },
	{ PSEP_REQ_SETELEM, 0 },
	{ PSEP_REQ_CT_DELETE, 0 },
	{ 0, 0 },
};

/* vigild set: read the dynamic sets, change their elements; nothing else */
static const struct permit permit_set[] = {
	{ PSEP_REQ_SET_TABLE, PERMIT_ONCE | PERMIT_FIRST },
	{ PSEP_REQ_TABLE_INFO, 0 },
	{ PSEP_REQ_DYN_DUMP, 0 },
	{ PSEP_REQ_SETELEM, 0 },
	{ 0, 0 },
};

bool hlog_to_journal;

void hlogv(int prio, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	/* "<N>" when stderr is the journal's stream */
	if (getenv("JOURNAL_STREAM") || hlog_to_journal)
		n = snprintf(buf, sizeof(buf), "<%d>vigild[helper %d]: ", prio, (int)getpid());
	else
		n = snprintf(buf, sizeof(buf), "vigild[helper %d]: ", (int)getpid());
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nothing else to do */
	}
}

void hlogp(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hlogv(prio, fmt, ap);
	va_end(ap);
}

/* every helper line is an error, but for the rollback guard's */
void hlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hlogv(3, fmt, ap);
	va_end(ap);
}

/* ---- kernel features, probed with batches that are never committed ---- */

/* The offsets of a batch's first message after BEGIN and of its END. */
static void batch_body(const struct batch *b, size_t *from, size_t *to)
{
	size_t off = 0;

	*to = 0;
	*from = NLMSG_ALIGN(((const struct nlmsghdr *)b->buf)->nlmsg_len);
	while (off < b->len) {
		*to = off;
		off += NLMSG_ALIGN(((const struct nlmsghdr *)(b->buf + off))->nlmsg_len);
	}
}

/*
 * One batch that is never committed (no END: the kernel checks every
 * message, then aborts): a DESTROYTABLE of a table "vigil-probe" and its
 * replacement with the owner and persist flags. nfnetlink answers every
 * message that fails with its own error, so one batch (one abort, which
 * costs the kernel a grace period) tells both features apart by sequence.
 */
static void probe_features(struct helper *H)
{
	struct ir_table t = { .name = (char *)"vigil-probe" };
	struct nftc_opts od = { .destroy = true };
	struct nftc_opts op = { .table_flags = NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST };
	struct nl_result res = { 0 };
	struct batch bd, bp, all;
	uint32_t seq = nl_next_seq(&H->nl) << 8;
	size_t df, dt, pf, pt;
	bool destroy_ok = true, persist_ok = true;

	batch_init(&bd, seq | 1);
	batch_init(&bp, seq | 0x80);
	batch_init(&all, 0);
	nftc_build_delete_opts(t.name, &od, &bd);
	nftc_build_replace_opts(&t, &op, &bp); /* a table without chains */
	batch_body(&bd, &df, &dt);
	batch_body(&bp, &pf, &pt);
	memcpy(batch_reserve(&all, dt), bd.buf, dt); /* BEGIN + DESTROYTABLE */
	all.len = dt;
	memcpy(batch_reserve(&all, pt - pf), bp.buf + pf, pt - pf);
	all.len += pt - pf;
	if (nl_send_batch(&H->nl, all.buf, all.len, &res) != 0) {
		destroy_ok = persist_ok = false;
	} else {
		for (size_t i = 0; i < res.n; i++) {
			if (!res.errs[i].error)
				continue;
			if ((res.errs[i].seq & 0xff) < 0x80)
				destroy_ok = false;
			else
				persist_ok = false;
		}
	}
	if (destroy_ok)
		H->features |= PSEP_F_DESTROY;
	if (persist_ok)
		H->features |= PSEP_F_PERSIST;
	nl_result_free(&res);
	batch_free(&bd);
	batch_free(&bp);
	batch_free(&all);
}

/* ---- serving (batches: helper_batch.c) ---- */

int helper_read_body(struct helper *H, uint32_t len, uint8_t **buf)
{
	int r;

	*buf = malloc(len ? len : 1);
	if (!*buf)
		return -ENOMEM;
	r = psep_read_full(H->fd, *buf, len);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

static int serve_table_info(struct helper *H)
{
	struct psep_table_info out;
	struct nl_table_info ti;

	memset(&out, 0, sizeof(out));
	out.status = H->have_table ? nl_get_genid(&H->nl, &out.genid) : -EINVAL;
	if (out.status == 0)
		out.status = nl_table_info(&H->nl, H->table, &ti);
	if (out.status == 0) {
		out.exists = ti.exists;
		out.flags = ti.flags;
		out.owned = ti.has_owner && ti.owner != H->nl.portid;
		snprintf(out.comment, sizeof(out.comment), "%s", ti.comment);
	}
	return psep_send_msg(H->fd, PSEP_REP_TABLE_INFO, &out, sizeof(out), NULL, 0);
}

static int serve_dump(struct helper *H, bool conntrack)
{
	struct psep_dump out;
	struct strbuf sb = { 0 };
	int r;

	memset(&out, 0, sizeof(out));
	if (conntrack)
		out.status = nl_ct_dump(&H->nl, PSEP_MAX_DUMP, &sb);
	else if (!H->have_table)
		out.status = -EINVAL;
	else
		out.status = nl_dump_table(&H->nl, H->table, PSEP_MAX_DUMP, &sb, &out.genid);
	if (out.status < 0) {
		snprintf(out.why, sizeof(out.why), "%s", strerror(-out.status));
		sb_free(&sb);
	}
	out.len = (uint32_t)sb.len;
	r = psep_send_msg(H->fd, PSEP_REP_DUMP, &out, sizeof(out), sb.s, sb.len);
	sb_free(&sb);
	return r;
}

static int serve_dyn_dump(struct helper *H)
{
	struct psep_dump out;
	struct strbuf sb = { 0 };
	int r;

	memset(&out, 0, sizeof(out));
	out.status = H->have_table ? nl_dump_dynsets(&H->nl, H->table, true, PSEP_MAX_DUMP, &sb,
						     &out.genid)
				   : -EINVAL;
	if (out.status < 0) {
		snprintf(out.why, sizeof(out.why), "%s", strerror(-out.status));
		sb_free(&sb);
	}
	out.len = (uint32_t)sb.len;
	r = psep_send_msg(H->fd, PSEP_REP_DUMP, &out, sizeof(out), sb.s, sb.len);
	sb_free(&sb);
	return r;
}

/*
 * vigild set's batch: verified against the dynamic sets the kernel has now
 * (read here, not taken from the main process), then sent.
 */
static int serve_setelem(struct helper *H, uint32_t len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct strbuf sb = { 0 };
	struct dynset_list sets = { 0 };
	struct batch_refusal ref;
	struct psep_result out;
	struct nl_result res = { 0 };
	uint32_t gen;
	bool refused;
	int r;

	r = helper_read_body(H, len, &buf);
	if (r < 0)
		return r;
	if (!H->have_table)
		return refuse_batch(H, -EPERM, "no table was named yet");
	r = nl_dump_dynsets(&H->nl, H->table, false, PSEP_MAX_DUMP, &sb, &gen);
	if (r == 0)
		r = dynset_parse(sb.s, sb.len, false, &sets);
	sb_free(&sb);
	if (r < 0)
		return refuse_batch(H, r, "cannot read the sets of table inet %s: %s", H->table,
				    strerror(-r));
	r = batch_verify_setelem(buf, len, H->table, &sets, &ref);
	dynset_list_free(&sets);
	if (r < 0)
		return refuse_batch(H, -EPERM, "%s", ref.why);
	r = check_ownership(H, buf, len, &refused);
	if (refused)
		return r;
	memset(&out, 0, sizeof(out));
	r = nl_send_batch(&H->nl, buf, len, &res);
	if (r < 0)
		return refuse_batch(H, r, "sending to the kernel failed: %s", strerror(-r));
	out.nerr = res.n > PSEP_MAX_ERRORS ? PSEP_MAX_ERRORS : (uint32_t)res.n;
	out.lost = res.lost || res.n > PSEP_MAX_ERRORS;
	r = psep_send_msg(H->fd, PSEP_REP_RESULT, &out, sizeof(out), res.errs,
			  out.nerr * sizeof(struct nl_err));
	nl_result_free(&res);
	return r;
}

static int serve_set_table(struct helper *H)
{
	struct psep_set_table st;
	struct psep_ok ok;
	int r = psep_read_full(H->fd, &st, sizeof(st));

	if (r < 0)
		return r;
	memset(&ok, 0, sizeof(ok));
	st.name[sizeof(st.name) - 1] = '\0';
	if (H->have_table) {
		ok.status = -EPERM;
		snprintf(ok.why, sizeof(ok.why), "the table is fixed already");
	} else if (table_name_problem(st.name)) {
		ok.status = -EINVAL;
		snprintf(ok.why, sizeof(ok.why), "invalid table name");
	} else {
		snprintf(H->table, sizeof(H->table), "%s", st.name);
		H->have_table = true;
	}
	return psep_send_msg(H->fd, PSEP_REP_OK, &ok, sizeof(ok), NULL, 0);
}

static int serve_ct_stats(struct helper *H)
{
	struct psep_ct_stats out;
	struct nl_ct_stats st;

	memset(&out, 0, sizeof(out));
	out.status = nl_ct_stats(&H->nl, &st);
	if (out.status == 0) {
		out.inserts = st.insert;
		out.drop = st.drop;
		out.early_drop = st.early_drop;
		out.insert_failed = st.insert_failed;
		out.count = st.entries;
		out.max = st.max;
	}
	return psep_send_msg(H->fd, PSEP_REP_CT_STATS, &out, sizeof(out), NULL, 0);
}

static const struct permit *permitted(struct helper *H, uint16_t type)
{
	for (const struct permit *p = H->permits; p->type; p++) {
		if (p->type != type)
			continue;
		if ((p->flags & PERMIT_ONCE) && H->used[type])
			return NULL;
		if ((p->flags & PERMIT_FIRST) && H->nreq)
			return NULL;
		return p;
	}
	return NULL;
}

static void __attribute__((noreturn)) serve(struct helper *H)
{
	for (;;) {
		struct psep_hdr h;
		const char *bad;
		int r;

		r = psep_read_full(H->fd, &h, sizeof(h));
		if (r == -EPIPE && H->armed)
			guard_run(H); /* the apply is done (or gone): we keep its promise */
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
		if (!permitted(H, h.type)) {
			hlog("unpermitted request %s for this helper (mode %d, request %u)",
			     psep_type_name(h.type), (int)H->mode, H->nreq + 1);
			_exit(3);
		}
		H->used[h.type]++;
		H->nreq++;
		switch (h.type) {
		case PSEP_REQ_COMMIT:
		case PSEP_REQ_VALIDATE:
			r = helper_serve_batch(H, h.len, h.type == PSEP_REQ_VALIDATE);
			break;
		case PSEP_REQ_CT_STATS:
			r = serve_ct_stats(H);
			break;
		case PSEP_REQ_GETGEN: {
			struct psep_gen g = { 0, 0 };
			g.status = nl_get_genid(&H->nl, &g.genid);
			r = psep_send_msg(H->fd, PSEP_REP_GEN, &g, sizeof(g), NULL, 0);
			break;
		}
		case PSEP_REQ_TABLE_INFO:
			r = serve_table_info(H);
			break;
		case PSEP_REQ_DUMP:
		case PSEP_REQ_CT_DUMP:
			r = serve_dump(H, h.type == PSEP_REQ_CT_DUMP);
			break;
		case PSEP_REQ_SET_TABLE:
			r = serve_set_table(H);
			break;
		case PSEP_REQ_ARM:
			r = guard_arm(H, h.len);
			break;
		case PSEP_REQ_DISARM:
			r = guard_disarm(H);
			break;
		case PSEP_REQ_DYN_DUMP:
			r = serve_dyn_dump(H);
			break;
		case PSEP_REQ_SETELEM:
			r = serve_setelem(H, h.len);
			break;
		case PSEP_REQ_CT_DELETE:
			r = serve_ct_delete(H, h.len);
			break;
		default:
			r = -EPROTO;
			break;
		}
		if (r < 0) {
			hlog("request %s failed: %s", psep_type_name(h.type), strerror(-r));
			_exit(3);
		}
	}
}

/* argv: vigild PSEP_HELPER_ARGV MODE TABLE|- UID GID FLAGS PARENT-PID */
int psep_helper_main(int argc, char **argv)
{
	struct helper H = { .fd = PSEP_HELPER_FD, .nl = { .fd = -1 }, .runfd = -1, .logfd = -1 };
	struct psep_ids ids = { 0 };
	struct psep_ready ready;
	struct stat st;
	unsigned long flags;
	int r;

	if (argc != 8 || fstat(H.fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		hlog("not started by vigild (this mode is internal)");
		return 3;
	}
	/* we die with the main process; if it is gone already, so are we */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != (pid_t)strtol(argv[7], NULL, 10))
		_exit(3);
	prctl(PR_SET_NAME, "vigild-helper", 0, 0, 0);
	/* a terminal's hangup or ^C is for the parent, which decides when we end */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	H.mode = (enum psep_mode)strtol(argv[2], NULL, 10);
	H.permits = H.mode == PSEP_MODE_APPLY ? permit_apply :
		    H.mode == PSEP_MODE_REMOVE ? permit_remove :
		    H.mode == PSEP_MODE_WATCH ? permit_watch :
		    H.mode == PSEP_MODE_SET ? permit_set :
		    H.mode == PSEP_MODE_READ ? permit_read : NULL;
	if (!streq(argv[3], "-")) {
		snprintf(H.table, sizeof(H.table), "%s", argv[3]);
		H.have_table = !table_name_problem(H.table);
	}
	ids.uid = (uid_t)strtoul(argv[4], NULL, 10);
	ids.gid = (gid_t)strtoul(argv[5], NULL, 10);
	snprintf(ids.name, sizeof(ids.name), "uid %s", argv[4]);
	flags = strtoul(argv[6], NULL, 10);
	H.force = flags & PSEP_HF_FORCE;
	if (flags & PSEP_HF_RUNFD)
		H.runfd = PSEP_HELPER_FD + 1;
	if (flags & PSEP_HF_LOGFD)
		H.logfd = PSEP_HELPER_FD + 2;

	memset(&ready, 0, sizeof(ready));
	if (!H.permits) {
		r = -EINVAL;
		snprintf(ready.why, sizeof(ready.why), "unknown helper mode %s", argv[2]);
	} else if ((r = nl_open(&H.nl)) < 0) {
		snprintf(ready.why, sizeof(ready.why), "cannot open the netfilter netlink socket: %s",
			 strerror(-r));
	} else if ((r = psep_drop_to(CAP_NET_ADMIN, &ids, ready.why, sizeof(ready.why))) < 0) {
		/* ready.why says it */
	} else {
		probe_features(&H);
		struct sandbox_helper_fds sf = { PSEP_HELPER_FD, H.nl.fd, H.runfd, H.logfd };

		r = sandbox_helper(&sf, H.mode == PSEP_MODE_APPLY && H.runfd >= 0);
		if (r < 0)
			snprintf(ready.why, sizeof(ready.why), "cannot install the seccomp filter: %s",
				 strerror(-r));
	}
	ready.status = r;
	ready.portid = H.nl.portid;
	ready.features = H.features;
	/* the parent waits for this before it goes on */
	if (psep_send_msg(H.fd, PSEP_REP_READY, &ready, sizeof(ready), NULL, 0) < 0 || r < 0) {
		if (r < 0)
			hlog("%s", ready.why);
		_exit(3);
	}
	serve(&H);
}
