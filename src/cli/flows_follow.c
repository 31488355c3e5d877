// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild flows --follow: the rows the watch records from now on, one JSON
 * object a line (flowdb_follow.h: ndjson, the --json objects, or ecs,
 * Elastic Common Schema names, for Vector, Fluent Bit and Filebeat). When a
 * watch records the database, it pushes each row change as it records it
 * (flows_stream.c, GET /v1/flows/stream); otherwise this reads the current
 * and the last minute once a second and prints what grew. Either way a
 * line carries a row's new connections (accepted) or sampled attempts
 * (refused) since the line before, in `flows` (ndjson) or event.count (ecs).
 *
 * SIGINT and SIGTERM end it at once: they are blocked except while it
 * waits (ppoll) or writes, so a signal is never lost between a look at the
 * flag and the wait.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "flows.h"
#include "vigil/util.h"

static volatile sig_atomic_t stop;
static sigset_t waitmask; /* the mask while waiting or writing: the signals open */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The handlers, without SA_RESTART (a write or wait they interrupt
 * returns), installed even where the shell started us with SIGINT ignored
 * (a background job of a script): --follow runs until told to stop. */
static void follow_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
}

bool flows_follow_stopped(void)
{
	return stop;
}

int flows_follow_wait(int fd, int ms)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int n;

	if (stop)
		return -EINTR;
	n = ppoll(&pf, fd >= 0 ? 1 : 0, ms >= 0 ? &ts : NULL, &waitmask);
	if (stop)
		return -EINTR;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n > 0;
}

bool flows_follow_put(const char *s, size_t n)
{
	sigset_t old;
	bool ok;

	if (stop)
		return false;
	sigprocmask(SIG_SETMASK, &waitmask, &old);
	ok = fwrite(s, 1, n, stdout) == n && fflush(stdout) != EOF;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok && !stop;
}

/* ---- without a watch: the database, once a second ---- */

struct seen {
	char *key;
	struct flowdb_row v; /* the counters at the last look */
};

struct follow {
	struct seen *v;
	size_t n, cap;
	enum flowdb_follow_fmt fmt;
	bool first;   /* the first look: what is there already is not printed */
	bool broken;  /* stdout is gone, or a signal came */
};

static int on_row(void *ctx, const struct flowdb_row *r)
{
	struct follow *f = ctx;
	_cleanup_free_ char *key = xasprintf("%lld|%s|%d|%d|%s|%s|%d|%s|%s|%d|%s|%s",
					     (long long)r->minute, r->verdict ? r->verdict : "",
					     r->family, r->proto, r->src ? r->src : "",
					     r->dst ? r->dst : "", r->dport, r->rule ? r->rule : "",
					     r->nat_dst ? r->nat_dst : "", r->nat_dport,
					     r->nat_src ? r->nat_src : "", r->nat ? r->nat : "");
	struct flowdb_row d = *r;
	struct seen *s = NULL;

	for (size_t i = 0; i < f->n && !s; i++)
		if (streq(f->v[i].key, key))
			s = &f->v[i];
	if (!s) {
		GROW(f->v, f->cap, f->n + 1);
		s = &f->v[f->n++];
		*s = (struct seen){ xstrdup(key), { .minute = r->minute } };
	}
	if (r->flows <= s->v.flows)
		return 0;
	/* the change since the last look, as the watch sends it */
	d.flows -= s->v.flows;
	d.packets -= s->v.packets;
	d.bytes -= s->v.bytes;
	d.duration_ms -= s->v.duration_ms;
	d.destroys -= s->v.destroys;
	d.counted = r->counted && d.destroys > 0;
	s->v = *r;
	s->v.src = s->v.dst = s->v.rule = s->v.verdict = NULL;
	s->v.nat_dst = s->v.nat_src = s->v.nat = NULL;
	if (f->first || f->broken)
		return 0;
	_cleanup_free_ char *line = flowdb_follow_line(flowdb_follow_json(&d, f->fmt));
	if (!flows_follow_put(line, strlen(line)))
		f->broken = true;
	return 0;
}

/* Forgets rows of minutes before keep. */
static void follow_forget(struct follow *f, int64_t keep)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].v.minute >= keep)
			f->v[k++] = f->v[i];
		else
			free(f->v[i].key);
	}
	f->n = k;
}

static int follow_db(const char *path, const struct flowdb_query *q0, enum flowdb_follow_fmt fmt)
{
	struct follow f = { .fmt = fmt, .first = true };
	struct flowdb_query q = *q0;
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN];
	int r;

	r = flowdb_open(path, FLOWDB_RDONLY, &db, err);
	if (r < 0) {
		fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, err);
		return EXIT_SYSTEM;
	}
	q.by = FLOWDB_BY_NONE;
	q.top = 0;
	while (!stop && !f.broken) {
		int64_t now = (int64_t)time(NULL);

		q.since = num_floor_minute(now) - 60;
		q.until = num_floor_minute(now) + 60;
		r = flowdb_query(db, &q, on_row, &f);
		if (r < 0) {
			fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, flowdb_errmsg(db));
			break;
		}
		f.first = false;
		follow_forget(&f, q.since);
		if (flows_follow_wait(-1, 1000) < 0)
			break;
	}
	follow_forget(&f, INT64_MAX);
	free(f.v);
	flowdb_close(db);
	return r < 0 ? EXIT_SYSTEM : EXIT_OK;
}

int flows_follow(const char *path, bool path_given, const struct flowdb_query *q,
		 enum flowdb_follow_fmt fmt)
{
	int r;

	follow_signals();
	r = flows_stream(path_given ? path : NULL, q, fmt);
	if (r != FLOWS_STREAM_NONE)
		return r;
	if (stop)
		return EXIT_OK;
	fprintf(stderr, "%s flows: info: following %s by reading it once a second\n", program_name, path);
	return follow_db(path, q, fmt);
}
