// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild apply, incrementally (issue 18): when vigild's table is there with
 * its mark, the kernel's table is dumped (read-only, by the helper), the
 * difference to the compiled policy is planned and only that is sent, in
 * one batch guarded by the dump's generation (delta.h). A change made
 * between the dump and the commit fails the batch (ERESTART): read again,
 * plan again, a few times. Whatever the difference cannot express, the
 * caller does as a full replacement; the kernel ends up with the same
 * table either way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "cli.h"
#include "apply_delta.h"
#include "vigil/delta.h"
#include "vigil/nftc.h"
#include "vigil/psep.h"

#define DELTA_TRIES 3

/* tests/netns/delta.sh: a pause between the dump and the commit of the
 * first try, for a concurrent change to land in (milliseconds, at most 10 s) */
static unsigned test_pause_ms(void)
{
	const char *e = getenv("VIGIL_TEST_DELTA_PAUSE_MS");
	unsigned long v = e ? strtoul(e, NULL, 10) : 0;

	return v > 10000 ? 10000 : (unsigned)v;
}

static bool stale(const struct batch *b, const struct nl_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct batch_msg *m = batch_find_seq(b, res->errs[i].seq);
		if (res->errs[i].error != -ERESTART || !m || m->type != NFNL_MSG_BATCH_BEGIN)
			return false;
	}
	return res->n > 0 && !res->lost;
}

/* One try: dump, plan, send. 0: done (or nothing to send); 1: stale, try
 * again; 2: a full replacement instead (out->reason). */
static int one_try(struct psep *p, struct plan *pl, uint32_t seq, bool pause,
		   struct apply_delta *out)
{
	struct psep_reply rep;
	struct nl_result res = { 0 };
	struct nftc_opts o = { 0 };
	struct batch db;
	char why[256] = "";
	int r;

	psep_call(p, PSEP_REQ_DUMP, NULL, 0, &rep);
	if (rep.status < 0 || rep.u.dump.status < 0) {
		snprintf(out->reason, sizeof(out->reason), "the table cannot be read: %.120s",
			 rep.status < 0 ? rep.why : strerror(-rep.u.dump.status));
		psep_reply_free(&rep);
		return 2;
	}
	plan_build(pl, &o, seq);
	batch_init(&db, seq + 2048u);
	r = delta_build(rep.extra, rep.extra_len, pl->b.buf, pl->b.len, pl->t.name,
			rep.u.dump.genid, &db, &out->plan);
	out->genid = rep.u.dump.genid;
	psep_reply_free(&rep);
	if (r < 0 || out->plan.full) {
		snprintf(out->reason, sizeof(out->reason), "%s",
			 r < 0 ? "the kernel's table does not parse" : out->plan.reason);
		batch_free(&db);
		return 2;
	}
	if (!out->plan.messages) {
		batch_free(&db);
		return 0; /* unchanged: nothing is sent */
	}
	if (pause)
		usleep(test_pause_ms() * 1000u);
	r = psep_commit(p, db.buf, db.len, false, &res, why, sizeof(why));
	if (r < 0) {
		snprintf(out->reason, sizeof(out->reason), "the helper refused it: %.170s", why);
		batch_free(&db);
		return 2;
	}
	r = !res.n && !res.lost ? 0 : stale(&db, &res) ? 1 : 2;
	if (r == 2)
		snprintf(out->reason, sizeof(out->reason), "the kernel refused it: %s",
			 res.n ? strerror(-res.errs[0].error) : "replies lost");
	if (r == 0) {
		out->genid = res.genid;
		out->sent = true;
	}
	nl_result_free(&res);
	batch_free(&db);
	return r;
}

int apply_delta(struct psep *p, struct plan *pl, uint32_t seq0, struct apply_delta *out)
{
	struct psep_table_info ti;
	int r;

	memset(out, 0, sizeof(*out));
	r = psep_table_info(p, &ti);
	/* a replacement by apply makes the table without flags: one left
	 * owner|persist by a watch is replaced, so that both ways agree */
	if (r < 0 || !ti.exists || ti.owned || strcmp(ti.comment, IR_TABLE_MARK) != 0 ||
	    (ti.flags & (NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST))) {
		snprintf(out->reason, sizeof(out->reason), "%s",
			 r < 0 ? "the table's state cannot be read" : !ti.exists ? "no table"
			 : ti.owned ? "the table is owned by another process"
			 : strcmp(ti.comment, IR_TABLE_MARK) ? "the table does not carry vigild's mark"
							       : "the table has a watch's flags (owner, persist)");
		return 1;
	}
	for (out->tries = 1; out->tries <= DELTA_TRIES; out->tries++) {
		r = one_try(p, pl, seq0 + (uint32_t)out->tries * 8192u, out->tries == 1, out);
		if (r == 0) {
			pl->genid = out->genid;
			return 0;
		}
		if (r == 2)
			return 1;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "the table changed under %d incremental tries", DELTA_TRIES);
	return 1;
}

/* The success line: incrementally (what was sent), unchanged, or replaced. */
void apply_delta_print(const char *path, const char *sum, bool inc, const struct apply_delta *ad,
			  double ms, uint32_t genid)
{
	const struct delta_plan *d = &ad->plan;
	char again[128] = "";

	if (inc && d->chains_policy)
		snprintf(again, sizeof(again), "; %zu chain polic%s changed", d->chains_policy,
			 d->chains_policy == 1 ? "y" : "ies");
	if (inc && ad->tries > 1)
		snprintf(again + strlen(again), sizeof(again) - strlen(again),
			 "; read %d times: the table changed meanwhile", ad->tries);
	if (inc && !ad->sent)
		printf("applied %s: unchanged, nothing sent (%s, %zu rules kept%s) in %.1f ms (generation %u)\n",
		       path, sum, d->rules_kept, again, ms, genid);
	else if (inc)
		printf("applied %s incrementally: %s; %zu message%s (%zu rules deleted, %zu inserted, %zu kept; %zu set elements deleted, %zu added%s) in %.1f ms (generation %u)\n",
		       path, sum, d->messages, d->messages == 1 ? "" : "s", d->rules_del, d->rules_add,
		       d->rules_kept, d->elems_del, d->elems_add, again, ms, genid);
	else if (ad->reason[0])
		printf("applied %s: %s (a full replacement: %s) in %.1f ms (generation %u)\n", path, sum,
		       ad->reason, ms, genid);
	else
		printf("applied %s: %s in %.1f ms (generation %u)\n", path, sum, ms, genid);
}
