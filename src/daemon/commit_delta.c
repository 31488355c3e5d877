// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's commits, incrementally (issue 18; the same plan and batch
 * as `vigild apply`, delta.h): over vigild's own table, with the flags a
 * replacement would give it, the helper dumps the table, only the
 * difference is sent (guarded by the dump's generation) and every rule
 * left in place keeps its counter. A change between the dump and the
 * commit (ERESTART on BEGIN) starts the commit again from TABLE_INFO;
 * anything the difference cannot express, or a refusal, is a replacement
 * (commit.c), within the same commit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/log.h"
#include "vigil/nftc.h"
#include "commit_int.h"

static void to_replace(struct commit_op *op, const char *why)
{
	op->no_delta = true;
	snprintf(op->full_reason, sizeof(op->full_reason), "%s", why);
	if (!op->d->o.quiet)
		log_msg(LOG_LVL_INFO, "table inet %s: a full replacement (%s)", op->d->table, why);
	op_replace(op, true);
}

static bool only_stale(const struct commit_op *op, const struct nl_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		if (res->errs[i].error != -ERESTART || res->errs[i].seq != op->delta_begin)
			return false;
	return res->n > 0 && !res->lost;
}

static void delta_result(void *ctx, struct psep_reply *rep)
{
	struct commit_op *op = ctx;
	struct nl_result res;
	char why[256] = "", msg[200];
	int r = psep_reply_to_result(rep, &res, why, sizeof(why));

	if (r < 0) {
		snprintf(msg, sizeof(msg), "the helper refused the incremental batch: %.120s", why);
		to_replace(op, msg);
		return;
	}
	if (only_stale(op, &res)) {
		nl_result_free(&res);
		if (++op->tries < GENID_TRIES) {
			/* someone committed between our dump and our commit */
			op_send_info(op);
			return;
		}
		to_replace(op, "the table changed under every incremental try");
		return;
	}
	if (res.n || res.lost) {
		snprintf(msg, sizeof(msg), "the kernel refused the incremental batch: %s",
			 res.n ? strerror(-res.errs[0].error) : "replies lost");
		nl_result_free(&res);
		to_replace(op, msg);
		return;
	}
	op->pl->genid = res.genid;
	nl_result_free(&res);
	op->inc = op->inc_sent = true;
	op->out.code = 0;
	op_installed(op);
	op_finish(op);
}

static void delta_dump(void *ctx, struct psep_reply *rep)
{
	struct commit_op *op = ctx;
	struct nftc_opts o0 = { 0 };
	struct batch db;
	uint32_t seq = commit_next_seq();
	int r;

	if (rep->status < 0 || rep->u.dump.status < 0) {
		to_replace(op, "the table cannot be read");
		return;
	}
	plan_build(op->pl, &o0, seq);
	batch_init(&db, seq + 4096u);
	r = delta_build(rep->extra, rep->extra_len, op->pl->b.buf, op->pl->b.len, op->d->table,
			rep->u.dump.genid, &db, &op->dp);
	if (r < 0 || op->dp.full) {
		batch_free(&db);
		to_replace(op, r < 0 ? "the kernel's table does not parse" : op->dp.reason);
		return;
	}
	if (!op->dp.messages) {
		/* the kernel holds the policy already: nothing is sent */
		batch_free(&db);
		op->pl->genid = rep->u.dump.genid;
		op->inc = true;
		op->out.code = 0;
		op_installed(op);
		op_finish(op);
		return;
	}
	op->delta_begin = db.msgs[0].seq;
	psep_submit(&op->d->helper, PSEP_REQ_COMMIT, db.buf, db.len, COMMIT_TIMEOUT_MS, delta_result,
		    op);
	batch_free(&db);
}

bool op_try_delta(struct commit_op *op, const struct psep_table_info *ti)
{
	uint32_t flags = ti->flags & (NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST);

	if (op->no_delta || !ti->exists || strcmp(ti->comment, IR_TABLE_MARK) != 0)
		return false;
	/* a replacement would give the table other flags (owner|persist, or
	 * none): so that both ways end the same, it is one */
	if (flags != op->o.table_flags) {
		op->no_delta = true;
		snprintf(op->full_reason, sizeof(op->full_reason), "%s",
			 "the table's flags are not the watch's");
		return false;
	}
	psep_submit(&op->d->helper, PSEP_REQ_DUMP, NULL, 0, COMMIT_TIMEOUT_MS, delta_dump, op);
	return true;
}
