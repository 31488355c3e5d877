// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET /v1/flows/stream?format=ndjson|ecs&verdict=V&rule=NAME&src=CIDR&
 * dst=CIDR&dport=N&proto=P&db=PATH: `vigild flows --follow` through the
 * watch. Each second, as the aggregate goes to the writer, every row that
 * recorded new connections (accepted) or sampled attempts (refused) becomes
 * one line (flowdb_follow.h, the objects the CLI prints) for each follower
 * whose filters it passes.
 *
 * Nothing here waits: a follower's lines wait in its own queue, bounded
 * (FOLLOW_QUEUE lines, FOLLOW_BYTES bytes); past that the lines are not
 * queued but counted, and the follower gets a line that says how many it
 * lost where they would have been. At most FOLLOWERS_MAX follow at once
 * (503 beyond).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/flowdb_follow.h"
#include "vigil/flowdb_json.h"
#include "vigil/log.h"
#include "vigil/util.h"
#include "control_int.h"
#include "daemon.h"

#define FOLLOWERS_MAX 16
#define FOLLOW_QUEUE 4096
#define FOLLOW_BYTES (1u << 20)

struct follower {
	struct follow_hub *h;
	struct MHD_Connection *c;
	struct flowdb_query q;
	char *rule, *src, *dst;  /* q's strings */
	enum flowdb_follow_fmt fmt;
	char *ring[FOLLOW_QUEUE];
	size_t head, n, bytes;
	uint64_t lost;           /* not queued since the last line that says so */
	char *line;              /* the line being written */
	size_t off, len;
	bool suspended;
	bool gone;               /* the peer hung up while it waited */
	struct follower *next;
};

struct follow_hub {
	struct control *ctl;
	struct daemon *d;
	struct follower *list;
	size_t n;
	bool ended;
};

struct follow_hub *follow_hub_new(struct control *ctl, struct daemon *d)
{
	struct follow_hub *h = xzalloc(sizeof(*h));

	h->ctl = ctl;
	h->d = d;
	return h;
}

static void wake(struct follower *f)
{
	if (!f->suspended)
		return;
	f->suspended = false;
	ctl_resume(f->h->ctl, f->c);
}

void follow_hub_end(struct follow_hub *h)
{
	if (!h)
		return;
	h->ended = true;
	for (struct follower *f = h->list; f; f = f->next)
		wake(f);
}

void follow_hub_free(struct follow_hub *h)
{
	if (!h)
		return;
	/* MHD_stop_daemon freed the followers (follower_free): none is left */
	for (struct follower *f = h->list; f; f = f->next)
		f->h = NULL;
	free(h);
}

/* ---- one follower's queue ---- */

static bool has_room(const struct follower *f, size_t len)
{
	/* room for the line and, after a loss, the line that says so */
	return f->n + 1 + (f->lost ? 1 : 0) <= FOLLOW_QUEUE && f->bytes + len + 256 <= FOLLOW_BYTES;
}

static void put(struct follower *f, char *line)
{
	f->ring[(f->head + f->n) % FOLLOW_QUEUE] = line;
	f->n++;
	f->bytes += strlen(line);
}

static void enqueue(struct follower *f, const char *line, size_t len)
{
	if (!has_room(f, len)) {
		f->lost++;
		return;
	}
	if (f->lost) {
		put(f, flowdb_follow_line(flowdb_follow_lost_json(f->lost, time(NULL), f->fmt)));
		f->lost = 0;
	}
	put(f, xstrdup(line));
}

/* The next line to write, or NULL when none waits. */
static char *dequeue(struct follower *f)
{
	char *s;

	if (!f->n) {
		if (!f->lost)
			return NULL;
		/* the loss was the last thing: say it now */
		s = flowdb_follow_line(flowdb_follow_lost_json(f->lost, time(NULL), f->fmt));
		f->lost = 0;
		return s;
	}
	s = f->ring[f->head];
	f->ring[f->head] = NULL;
	f->head = (f->head + 1) % FOLLOW_QUEUE;
	f->n--;
	f->bytes -= strlen(s);
	return s;
}

static ssize_t follower_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct follower *f = cls;
	size_t n;

	(void)pos;
	if (!f->line) {
		f->line = dequeue(f);
		if (!f->line) {
			if (!f->h || f->h->ended || f->gone)
				return MHD_CONTENT_READER_END_OF_STREAM;
			/* nothing new: park until follow_hub_push wakes it */
			f->suspended = true;
			MHD_suspend_connection(f->c);
			return 0;
		}
		f->len = strlen(f->line);
		f->off = 0;
	}
	n = f->len - f->off < max ? f->len - f->off : max;
	memcpy(buf, f->line + f->off, n);
	f->off += n;
	if (f->off == f->len) {
		free(f->line);
		f->line = NULL;
	}
	return (ssize_t)n;
}

static void follower_free(void *cls)
{
	struct follower *f = cls;
	char *s;

	if (f->h) {
		for (struct follower **p = &f->h->list; *p; p = &(*p)->next)
			if (*p == f) {
				*p = f->next;
				break;
			}
		f->h->n--;
		log_info("a follower of the flows left (%zu follow)", f->h->n);
	}
	f->lost = 0;
	while ((s = dequeue(f)))
		free(s);
	free(f->line);
	free(f->rule);
	free(f->src);
	free(f->dst);
	free(f);
}

/* A waiting follower whose peer hung up (killed, or done) is not seen by
 * MHD while suspended: looked for here, so that it frees its place. */
static void sweep(struct follow_hub *h)
{
	for (struct follower *f = h->list; f; f = f->next) {
		const union MHD_ConnectionInfo *ci;
		struct pollfd pf;

		if (!f->suspended || f->gone)
			continue;
		ci = MHD_get_connection_info(f->c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci)
			continue;
		pf = (struct pollfd){ ci->connect_fd, POLLRDHUP, 0 };
		if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			f->gone = true;
			wake(f);
		}
	}
}

/* ---- the rows ---- */

/* A row's lines, built once for all followers of its format. */
struct row_lines {
	char *line[2];
	size_t len[2];
};

static const char *row_line(struct row_lines *l, const struct flowdb_row *r, enum flowdb_follow_fmt fmt)
{
	if (!l->line[fmt]) {
		l->line[fmt] = flowdb_follow_line(flowdb_follow_json(r, fmt));
		l->len[fmt] = strlen(l->line[fmt]);
	}
	return l->line[fmt];
}

static void push_row(struct follow_hub *h, const struct flowdb_row *r)
{
	struct row_lines l = { 0 };

	for (struct follower *f = h->list; f; f = f->next) {
		if (!flowdb_follow_match(&f->q, r))
			continue;
		/* a full queue costs a count, not a line */
		if (!has_room(f, l.line[f->fmt] ? l.len[f->fmt] : 0)) {
			f->lost++;
			continue;
		}
		row_line(&l, r, f->fmt);
		enqueue(f, l.line[f->fmt], l.len[f->fmt]);
	}
	free(l.line[0]);
	free(l.line[1]);
}

void follow_hub_push(struct follow_hub *h, const struct agg *a, const struct flowdb_names *nm)
{
	const struct agg_row *ar;

	if (!h || !h->list || !a)
		return;
	sweep(h);
	for (size_t i = 0; (ar = agg_row_at(a, i)); i++) {
		struct flowdb_row_text t;
		struct flowdb_row r;

		/* rows with new connections or samples (an ended connection
		 * alone changes only the minute's totals) */
		if (!ar->val.flows || flowdb_agg_row(ar, nm, &r, &t) < 0)
			continue;
		push_row(h, &r);
	}
	for (struct follower *f = h->list; f; f = f->next)
		if (f->n || f->lost)
			wake(f);
}

/* ---- the request ---- */

/* The filters and the format from the URL; false when it answered 400. */
static bool parse_args(struct req *r, struct follower *f)
{
	const char *fmt = ctl_arg(r, "format"), *verdict = ctl_arg(r, "verdict");
	const char *rule = ctl_arg(r, "rule"), *src = ctl_arg(r, "src"), *dst = ctl_arg(r, "dst");
	const char *dport = ctl_arg(r, "dport"), *proto = ctl_arg(r, "proto");
	char *end;

	if (fmt && flowdb_follow_fmt_parse(fmt, &f->fmt) < 0) {
		ctl_answer_error(r, 400, "format= takes ndjson or ecs, not '%.32s'", fmt);
		return false;
	}
	if (!verdict || streq(verdict, "all"))
		f->q.verdict = FLOWDB_V_ALL;
	else if (streq(verdict, "accepted"))
		f->q.verdict = FLOWDB_V_ACCEPTED;
	else if (streq(verdict, "refused"))
		f->q.verdict = FLOWDB_V_REFUSED;
	else {
		ctl_answer_error(r, 400, "verdict= takes accepted, refused or all, not '%.32s'", verdict);
		return false;
	}
	if ((src && !flowdb_cidr_ok(src)) || (dst && !flowdb_cidr_ok(dst))) {
		ctl_answer_error(r, 400, "%s= wants an address or a CIDR like 10.0.0.0/8 or 2001:db8::/32, not '%.64s'",
				 src && !flowdb_cidr_ok(src) ? "src" : "dst",
				 src && !flowdb_cidr_ok(src) ? src : dst);
		return false;
	}
	if (dport) {
		unsigned long v;

		errno = 0;
		v = strtoul(dport, &end, 10);
		if (*dport < '0' || *dport > '9' || errno || *end || v > 65535) {
			ctl_answer_error(r, 400, "dport= wants a port from 0 to 65535, not '%.32s'", dport);
			return false;
		}
		f->q.dport = (int)v;
		f->q.dport_set = true;
	}
	if (proto) {
		if (flowdb_proto_parse(proto, &f->q.proto) < 0) {
			ctl_answer_error(r, 400, "proto= wants tcp, udp, sctp, icmp, icmpv6 or a number from 0 to 255, not '%.32s'",
					 proto);
			return false;
		}
		f->q.proto_set = true;
	}
	if (rule && !*rule) {
		ctl_answer_error(r, 400, "rule= needs a rule name, or '-' for the flows no rule accepted");
		return false;
	}
	f->rule = rule ? xstrdup(streq(rule, "-") ? "" : rule) : NULL;
	f->src = src ? xstrdup(src) : NULL;
	f->dst = dst ? xstrdup(dst) : NULL;
	f->q.rule = f->rule;
	f->q.src = f->src;
	f->q.dst = f->dst;
	return true;
}

/* ?db=PATH, when given, must be the database this watch records. */
static bool db_is_ours(struct req *r, const char *want)
{
	struct daemon *d = ctl_daemon(r);
	_cleanup_free_ char *a = NULL, *b = NULL;

	if (!want || streq(want, d->db_path))
		return true;
	a = realpath(want, NULL);
	b = realpath(d->db_path, NULL);
	if (a && b && streq(a, b))
		return true;
	ctl_answer_error(r, 404, "this vigild watch records %s, not %.256s", d->db_path, want);
	return false;
}

void control_flows_stream(struct req *r)
{
	struct follow_hub *h = ctl_follow_hub(r);
	struct daemon *d = ctl_daemon(r);
	struct follower *f;

	if (!d->w) {
		ctl_answer_error(r, 503, "this watch records no flows (see its log)");
		return;
	}
	if (!db_is_ours(r, ctl_arg(r, "db")))
		return;
	sweep(h);
	if (h->n >= FOLLOWERS_MAX) {
		ctl_answer_error(r, 503, "%d followers of the flows already: no more (read the database instead: vigild flows --follow --db PATH polls it)",
				 FOLLOWERS_MAX);
		return;
	}
	f = xzalloc(sizeof(*f));
	if (!parse_args(r, f)) {
		free(f->rule);
		free(f->src);
		free(f->dst);
		free(f);
		return;
	}
	f->h = h;
	f->c = ctl_connection(r);
	f->next = h->list;
	h->list = f;
	h->n++;
	log_info("a follower of the flows came (%zu follow)", h->n);
	ctl_answer_stream(r, "application/x-ndjson", follower_read, f, follower_free);
}
