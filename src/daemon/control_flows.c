// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET /v1/flows?since=T&until=T&by=KEY&rule=NAME&top=N: the rows of
 * `vigild flows --json` (the same objects, the same window), read from the
 * watch's database through a read-only handle of its own. The query runs
 * in the event loop, so it is bounded: at most FLOWS_BUDGET_MS (waiting
 * for a lock included) and FLOWS_ROWS_MAX rows; past either the answer is
 * an error that says how to narrow the query, and nothing waits longer.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "vigil/flowdb.h"
#include "vigil/flowdb_json.h"
#include "vigil/num.h"
#include "vigil/util.h"
#include "control_int.h"
#include "daemon.h"

#define FLOWS_BUDGET_MS 250
#define FLOWS_ROWS_MAX 100000

/* now, Unix seconds (1700000000 or @1700000000), or a duration back from now */
static int when(const char *s, int64_t now, int64_t *out)
{
	const char *num = *s == '@' ? s + 1 : s;
	char *end;
	int64_t v;

	if (streq(s, "now")) {
		*out = now;
		return 0;
	}
	if (*num >= '0' && *num <= '9' && strspn(num, "0123456789") == strlen(num)) {
		errno = 0;
		v = strtoll(num, &end, 10);
		if (errno || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (num_parse_duration(s, &v) < 0)
		return -EINVAL;
	*out = now - v;
	return 0;
}

struct collect {
	json_object *a;
	enum flowdb_by by;
	size_t n;
	struct { int64_t first, last; } *span; /* each row's minutes, for "complete" */
	size_t cap;
};

static int add_row(void *ctx, const struct flowdb_row *r)
{
	struct collect *c = ctx;

	if (c->n >= FLOWS_ROWS_MAX)
		return -E2BIG;
	GROW(c->span, c->cap, c->n + 1);
	c->span[c->n].first = r->minute;
	c->span[c->n].last = r->last_minute;
	c->n++;
	json_object_array_add(c->a, flowdb_row_json(r, c->by));
	return 0;
}

/* "complete" of each row, as `vigild flows --json` says it */
static int add_complete(struct flowdb *db, const struct flowdb_query *q, struct collect *c)
{
	struct flowdb_mins m = { 0 };
	int e = flowdb_minutes(db, q->since, q->until, flowdb_mins_add, &m);

	for (size_t i = 0; e >= 0 && i < c->n; i++)
		json_object_object_add(json_object_array_get_idx(c->a, i), "complete",
				       flowdb_complete_json(&m, c->span[i].first, c->span[i].last));
	flowdb_mins_free(&m);
	return e;
}

/* The query from the URL's arguments; false when it answered 400. */
static bool parse_query(struct req *r, struct flowdb_query *q)
{
	const char *since = ctl_arg(r, "since"), *until = ctl_arg(r, "until");
	const char *by = ctl_arg(r, "by"), *rule = ctl_arg(r, "rule"), *top = ctl_arg(r, "top");
	const char *verdict = ctl_arg(r, "verdict");
	int64_t now = (int64_t)time(NULL);
	char *end;

	memset(q, 0, sizeof(*q));
	if (when(since ? since : "1h", now, &q->since) < 0 || when(until ? until : "now", now, &q->until) < 0) {
		ctl_answer_error(r, 400, "since= and until= take 'now', Unix seconds (@1700000000) or a duration back from now (90s, 30m, 1h30m, 2d, 1w)");
		return false;
	}
	if (!by || streq(by, "none"))
		q->by = FLOWDB_BY_NONE;
	else if (streq(by, "src"))
		q->by = FLOWDB_BY_SRC;
	else if (streq(by, "dst"))
		q->by = FLOWDB_BY_DST;
	else if (streq(by, "dport"))
		q->by = FLOWDB_BY_DPORT;
	else if (streq(by, "rule"))
		q->by = FLOWDB_BY_RULE;
	else if (streq(by, "nat"))
		q->by = FLOWDB_BY_NAT;
	else {
		ctl_answer_error(r, 400, "by= takes src, dst, dport, rule or nat, not '%.64s'", by);
		return false;
	}
	if (rule)
		q->rule = streq(rule, "-") ? "" : rule;
	if (!verdict || streq(verdict, "all"))
		q->verdict = FLOWDB_V_ALL;
	else if (streq(verdict, "accepted"))
		q->verdict = FLOWDB_V_ACCEPTED;
	else if (streq(verdict, "refused"))
		q->verdict = FLOWDB_V_REFUSED;
	else {
		ctl_answer_error(r, 400, "verdict= takes accepted, refused or all, not '%.32s'", verdict);
		return false;
	}
	if (top) {
		errno = 0;
		q->top = (size_t)strtoull(top, &end, 10);
		if (errno || *end || !*top || *top == '-' || q->top == 0) {
			ctl_answer_error(r, 400, "top= takes a positive number, not '%.32s'", top);
			return false;
		}
	}
	/* whole minutes, as vigild flows: the current one is always in */
	if (!until || streq(until, "now"))
		q->until = now + 1;
	q->since = num_floor_minute(q->since);
	if (q->until > INT64_MAX - 60)
		q->until = INT64_MAX - 60;
	q->until = num_floor_minute(q->until + 59);
	if (q->until <= q->since) {
		ctl_answer_error(r, 400, "the window is empty (until= is not after since=)");
		return false;
	}
	return true;
}

void control_get_flows(struct req *r)
{
	struct daemon *d = ctl_daemon(r);
	struct collect c = { 0 };
	struct flowdb_query q;
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN] = "";
	uint64_t deadline;
	int e;

	if (!parse_query(r, &q))
		return;
	if (!d->w) {
		ctl_answer_error(r, 503, "this watch records no flows (see its log)");
		return;
	}
	e = flowdb_open(d->db_path, FLOWDB_RDONLY, &db, err);
	if (e < 0) {
		ctl_answer_error(r, 503, "cannot read %s: %s", d->db_path, err);
		return;
	}
	flowdb_set_budget(db, FLOWS_BUDGET_MS, &deadline);
	c.a = json_object_new_array();
	c.by = q.by;
	e = flowdb_query(db, &q, add_row, &c);
	if (e >= 0)
		e = add_complete(db, &q, &c);
	if (e == -E2BIG)
		ctl_answer_error(r, 422, "more than %d rows: narrow the window (since=, until=), or give top= or by=",
				 FLOWS_ROWS_MAX);
	else if (e < 0 && flowdb_over_budget(&deadline))
		ctl_answer_error(r, 503, "the query took longer than %d ms (it runs in the watch's event loop): narrow the window, or run 'vigild flows'",
				 FLOWS_BUDGET_MS);
	else if (e < 0)
		ctl_answer_error(r, 500, "%s: %s", d->db_path, flowdb_errmsg(db));
	else {
		ctl_answer_json(r, 200, c.a);
		c.a = NULL;
	}
	json_object_put(c.a);
	free(c.span);
	flowdb_close(db);
}
