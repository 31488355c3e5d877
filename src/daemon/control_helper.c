// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The endpoints the watch's helper answers: POST /v1/setelem (`vigild set`
 * through a running watch), GET /metrics and GET /v1/diff (one DUMP of the
 * table each).
 */
#include <stdint.h>
#include <stdlib.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <json-c/json.h>

#include "vigil/nl.h"
#include "vigil/psep.h"
#include "vigil/util.h"
#include "control_int.h"
#include "daemon.h"

/* vigild set's batches (the body, as the CLI built them, one after the
 * other), for the watch's helper to verify and send one by one: the table
 * is the watch's, owned by its helper's socket, which alone may change it.
 * The first refused batch ends it; the answer says how many went in. */
struct setelem_job {
	struct req *r;
	void *ticket;            /* r's, while the helper has a batch */
	size_t off, batches;
	json_object *errs;
};

static void setelem_next(struct setelem_job *j);

static void setelem_answer(struct setelem_job *j, int status, const char *why, bool lost)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "why", json_object_new_string(why));
	json_object_object_add(o, "lost", json_object_new_boolean(lost));
	json_object_object_add(o, "batches", json_object_new_int64((int64_t)j->batches));
	json_object_object_add(o, "errors", j->errs);
	ctl_answer_json(j->r, 200, o);
	ctl_wake(j->r);
	free(j);
}

static void setelem_done(void *ctx, struct psep_reply *rep)
{
	struct setelem_job *j = ctx;
	struct nl_result res = { 0 };
	char why[256] = "";
	int e;
	bool lost;

	j->r = ctl_ticket_take(j->ticket);
	if (!j->r) { /* vigild stops: the request was answered and freed */
		json_object_put(j->errs);
		free(j);
		return;
	}
	e = psep_reply_to_result(rep, &res, why, sizeof(why));
	lost = res.lost;

	for (size_t i = 0; e == 0 && i < res.n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "seq", json_object_new_int64(res.errs[i].seq));
		json_object_object_add(o, "error", json_object_new_int(res.errs[i].error));
		json_object_object_add(o, "msg", json_object_new_string(res.errs[i].msg));
		json_object_array_add(j->errs, o);
	}
	if (e == 0 && !res.n && !lost)
		j->batches++;
	nl_result_free(&res);
	if (e < 0 || json_object_array_length(j->errs) || lost || j->off >= ctl_body(j->r)->len)
		setelem_answer(j, e, why, lost);
	else
		setelem_next(j);
}

static void setelem_next(struct setelem_job *j)
{
	const struct strbuf *body = ctl_body(j->r);
	const uint8_t *p = (const uint8_t *)body->s;
	size_t len = body->len, start = j->off;

	/* up to and with the next batch end (a malformed rest goes as it is:
	 * the helper refuses it) */
	while (j->off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(p + j->off);
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - j->off) {
			j->off = len;
			break;
		}
		j->off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_type == NFNL_MSG_BATCH_END)
			break;
	}
	if (j->off <= start || j->off > len)
		j->off = len;
	j->ticket = ctl_ticket(j->r);
	psep_submit(&ctl_daemon(j->r)->helper, PSEP_REQ_SETELEM, p + start, j->off - start, 30000,
		    setelem_done, j);
}

void control_post_setelem(struct req *r)
{
	struct setelem_job *j;

	if (!ctl_table_is_ours(r))
		return;
	if (!ctl_body(r)->len) {
		ctl_answer_error(r, 400, "POST /v1/setelem wants batches of set elements");
		return;
	}
	j = xzalloc(sizeof(*j));
	j->r = r;
	j->errs = json_object_new_array();
	setelem_next(j);
}

static void metrics_done(void *ctx, struct psep_reply *rep)
{
	struct req *r = ctl_ticket_take(ctx);
	struct strbuf sb = { 0 };

	if (!r)
		return;
	/* without the kernel's counters the rest is still worth a scrape */
	if (rep->status == 0 && rep->u.dump.status == 0)
		daemon_metrics(ctl_daemon(r), rep->extra, rep->extra_len, &sb);
	else
		daemon_metrics(ctl_daemon(r), NULL, 0, &sb);
	ctl_answer_text(r, 200, sb_take(&sb), "text/plain; version=0.0.4");
	ctl_wake(r);
}

void control_get_metrics(struct req *r)
{
	psep_submit(&ctl_daemon(r)->helper, PSEP_REQ_DUMP, NULL, 0, 30000, metrics_done, ctl_ticket(r));
}

/* /v1/diff: kdiff.c compares; here only the dump's round trip */
static void diff_done(void *ctx, struct psep_reply *rep)
{
	struct req *r = ctl_ticket_take(ctx);
	struct strbuf sb = { 0 };
	unsigned code;

	if (!r) /* vigild stops: the request was answered and freed */
		return;
	code = daemon_diff(ctl_daemon(r), rep, &sb);

	ctl_answer_text(r, code, sb_take(&sb), "text/plain; charset=utf-8");
	ctl_wake(r);
}

void control_get_diff(struct req *r)
{
	psep_submit(&ctl_daemon(r)->helper, PSEP_REQ_DUMP, NULL, 0, 30000, diff_done, ctl_ticket(r));
}
