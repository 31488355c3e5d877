// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * revoke: true in the watch's policy: after each reload (or change through
 * the control socket) that put the policy in force, the conntrack entries
 * of connections it would not admit as new are deleted (revoke.h), through
 * the helper, asynchronously: CT_DUMP, judged here against the plan in
 * force, then CT_DELETE requests of at most REVOKE_MAX_PER_REQUEST, one
 * after the other, and one line in the journal with the counts per rule.
 * The host's addresses are those read at the start (the sandbox opens no
 * sockets): an address added later counts as not the host's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "vigil/log.h"
#include "vigil/plan.h"
#include "vigil/revoke.h"

#define REVOKE_TIMEOUT_MS 60000

struct revoke_op {
	struct daemon *d;
	struct revoke_plan pl;
	uint8_t *st;
	size_t next, k;        /* the chunk in flight: [next, next + k) */
};

static void op_free(struct revoke_op *op)
{
	revoke_plan_free(&op->pl);
	free(op->st);
	free(op);
}

static void op_done(struct revoke_op *op)
{
	struct strbuf sb = { 0 };
	size_t shown = 0;

	revoke_summary(&op->pl, op->st, false, &sb);
	log_msg(op->pl.n ? LOG_LVL_NOTICE : LOG_LVL_INFO, "%s", sb.s);
	for (size_t i = 0; i < op->pl.n && shown < 32; i++) {
		if (op->st[i] != REVOKE_CUT)
			continue;
		sb.len = 0;
		revoke_format_tuple(&op->pl.v[i], &sb);
		log_info("revoked %s (%s)", sb.s, op->pl.v[i].decided);
		shown++;
	}
	sb_free(&sb);
	op_free(op);
}

static void send_chunk(struct revoke_op *op);

static void on_deleted(void *ctx, struct psep_reply *rep)
{
	struct revoke_op *op = ctx;
	struct nl_result res;
	char why[256] = "";

	if (psep_reply_to_result(rep, &res, why, sizeof(why)) < 0) {
		log_error("revoke: the conntrack deletes failed: %s", why);
		memset(op->st + op->next, REVOKE_FAILED, op->pl.n - op->next);
		op_done(op);
		return;
	}
	for (size_t i = 0; i < res.n; i++) {
		uint32_t k = res.errs[i].seq;
		if (k < 1 || k > op->k)
			continue;
		op->st[op->next + k - 1] = res.errs[i].error == -ENOENT ? REVOKE_GONE : REVOKE_FAILED;
	}
	nl_result_free(&res);
	op->next += op->k;
	if (op->next < op->pl.n)
		send_chunk(op);
	else
		op_done(op);
}

static void send_chunk(struct revoke_op *op)
{
	struct strbuf sb = { 0 };
	size_t left = op->pl.n - op->next;

	op->k = left < REVOKE_MAX_PER_REQUEST ? left : REVOKE_MAX_PER_REQUEST;
	for (size_t i = 0; i < op->k; i++)
		if (revoke_build_delete(&op->pl.v[op->next + i], (uint32_t)i + 1, &sb) < 0)
			op->st[op->next + i] = REVOKE_FAILED; /* not sent: its number is skipped */
	psep_submit(&op->d->helper, PSEP_REQ_CT_DELETE, sb.s, sb.len, REVOKE_TIMEOUT_MS, on_deleted,
		    op);
	sb_free(&sb);
}

static void on_dump(void *ctx, struct psep_reply *rep)
{
	struct revoke_op *op = ctx;
	struct daemon *d = op->d;
	int r;

	if (rep->status < 0 || rep->u.dump.status < 0) {
		log_error("revoke: cannot read the conntrack table: %s",
			  rep->status < 0 ? rep->why : rep->u.dump.why);
		op_free(op);
		return;
	}
	if (!d->active || !d->active->pol.revoke) {
		op_free(op); /* another policy came meanwhile */
		return;
	}
	r = revoke_judge(rep->extra, rep->extra_len, &d->active->pol, &d->active->t, d->locals,
			 d->nlocals, &op->pl);
	if (r < 0) {
		log_error("revoke: %s: nothing was cut",
			  r == -EPROTO ? "the compiled table and the policy disagree on a connection (a vigild bug)"
				       : "the conntrack table's dump is malformed");
		op_free(op);
		return;
	}
	op->st = xzalloc(op->pl.n ? op->pl.n : 1);
	if (!op->pl.n) {
		op_done(op);
		return;
	}
	send_chunk(op);
}

void daemon_revoke(struct daemon *d)
{
	struct revoke_op *op = xzalloc(sizeof(*op));

	op->d = d;
	psep_submit(&d->helper, PSEP_REQ_CT_DUMP, NULL, 0, REVOKE_TIMEOUT_MS, on_dump, op);
}
