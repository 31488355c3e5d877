// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/dynset.h"
#include "vigil/kerr.h"
#include "vigil/plan.h"

static int plan_finish_compile(struct plan *pl, int r, const struct ir_opts *io)
{
	if (r < 0)
		return -EINVAL;
	if (ir_compile(&pl->pol, io, &pl->t) < 0) {
		/* more kernel rules or set elements than the limits */
		ir_over_diag(&pl->t, &pl->pol, &pl->d);
		ir_table_free(&pl->t);
		policy_free(&pl->pol);
		return -EINVAL;
	}
	/* the compiler's warnings (a chain left linear) are the plan's too */
	for (size_t i = 0; i < pl->t.warnings.n; i++) {
		const struct diag *g = &pl->t.warnings.v[i];
		diag_add(&pl->d, g->sev, ((struct srcloc){ g->file, g->line, g->col }), "%s", g->msg);
	}
	pl->compiled = true;
	return 0;
}

int plan_compile(struct plan *pl, const char *path, const char *text, size_t len,
		 const struct policy_opts *po, const struct ir_opts *io)
{
	struct bundle_recorder rec = { po->read_file, po->read_ctx, &pl->input };
	struct policy_opts o = *po;
	int r;

	memset(pl, 0, sizeof(*pl));
	bundle_init(&pl->input, path, po->table, 0);
	bundle_add(&pl->input, "", text, len);
	if (po->read_file) {
		o.read_file = bundle_record_set;
		o.read_ctx = &rec;
	}
	r = policy_compile_buffer(path, text, len, &o, &pl->pol, &pl->d);
	bundle_hash(&pl->input);
	return plan_finish_compile(pl, r, io);
}

int plan_compile_bundle(struct plan *pl, const struct bundle *bu, const char *table,
			const struct ir_opts *io)
{
	const struct bundle_part *p = bundle_policy(bu);
	struct policy_opts o = { .table = table, .read_file = bundle_read_set,
				 .read_ctx = (void *)bu };

	if (!p) {
		memset(pl, 0, sizeof(*pl));
		diag_err(&pl->d, ((struct srcloc){ bu->source, 0, 0 }), "the stored policy has no policy text");
		return -EINVAL;
	}
	return plan_compile(pl, bu->source, p->data, p->len, &o, io);
}

void plan_build(struct plan *pl, const struct nftc_opts *o, uint32_t seq0)
{
	if (pl->built)
		batch_free(&pl->b);
	batch_init(&pl->b, seq0);
	nftc_build_replace_opts(&pl->t, o, &pl->b);
	pl->built = true;
}

int plan_keep_dynsets(struct plan *pl, const struct dynset_list *old, uint32_t genid, bool full,
		      struct nftc_opts *o)
{
	if (dynset_check_reload(old, &pl->t, &pl->pol, full, &pl->d) < 0)
		return -EINVAL;
	o->keep = old;
	/* an element added between the dump and the commit fails the commit
	 * (ERESTART), and the caller dumps again */
	o->have_genid = true;
	o->genid = genid;
	return 0;
}

int plan_kernel_answer(struct plan *pl, const struct nl_result *res, const char *prog)
{
	if (!res->n && !res->lost) {
		pl->genid = res->genid;
		return 0;
	}
	kerr_diags(res, &pl->b, &pl->pol, prog, &pl->d);
	return -EIO;
}

bool plan_genid_refused(const struct plan *pl, const struct nl_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct batch_msg *m = batch_find_seq(&pl->b, res->errs[i].seq);
		if (res->errs[i].error != -ERESTART || !m || m->type != NFNL_MSG_BATCH_BEGIN)
			return false;
	}
	return res->n > 0 && !res->lost;
}

void plan_summary(const struct plan *pl, char *buf, size_t len)
{
	snprintf(buf, len, "table inet %s with %zu kernel rules, %zu sets, %zu elements", pl->t.name,
		 pl->t.nrules, pl->t.nsets, pl->t.nelems);
}

void plan_free(struct plan *pl)
{
	if (pl->built)
		batch_free(&pl->b);
	if (pl->compiled) {
		ir_table_free(&pl->t);
		policy_free(&pl->pol);
	}
	diags_free(&pl->d);
	bundle_free(&pl->input);
	memset(pl, 0, sizeof(*pl));
}
