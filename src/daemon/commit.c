// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's commits: one path for the first apply, a reload and a
 * re-assert. A commit asks the helper for the table's state (its
 * generation), builds the replacement with that generation in the batch
 * (NFNL_BATCH_GENID: a change made meanwhile fails it with ERESTART, and
 * it is rebuilt), sends it, and reports the outcome as data. Never fail
 * open: when the configured policy cannot be applied at start, the
 * last-known-good is, and when there is none, the fail-closed fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>
#include <systemd/sd-daemon.h>

#include "vigil/dynset.h"
#include "vigil/fileio.h"
#include "vigil/log.h"
#include "vigil/state.h"
#include "commit_int.h"
#include "daemon.h"
#include "events.h"

#define INFO_TIMEOUT_MS 10000
#define OWNED_WAITS 25 /* x 200 ms */
#define LKG_MAX (SETFILE_MAX * 4u)


const char *daemon_source_name(enum daemon_source s)
{
	switch (s) {
	case SRC_POLICY:
		return "policy";
	case SRC_LKG:
		return "last-known-good";
	case SRC_FALLBACK:
		return "fallback";
	default:
		return "none";
	}
}

void daemon_set_state(struct daemon *d, enum daemon_state s, const char *fmt, ...)
{
	char status[320];
	enum daemon_state was = d->state;
	va_list ap;

	d->state = s;
	d->reason[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
		va_end(ap);
	}
	if (s == DS_DEGRADED)
		snprintf(status, sizeof(status), "STATUS=Degraded (%s)", d->reason);
	else if (s == DS_ACTIVE)
		snprintf(status, sizeof(status), "STATUS=Active");
	else
		status[0] = '\0';
	if (status[0])
		sd_notify(0, status);
	if (s == DS_DEGRADED && was != DS_DEGRADED)
		daemon_event(d, LOG_LVL_WARNING, "degraded", "%s", d->reason);
	else if (s == DS_ACTIVE && was == DS_DEGRADED)
		daemon_event(d, LOG_LVL_INFO, "recovered", "the configured policy is in force again");
}

uint32_t commit_next_seq(void)
{
	static uint32_t n;
	return ((uint32_t)time(NULL) << 8) + (++n << 20) + 1;
}

static void outcome_free(struct daemon_outcome *out)
{
	diags_free(&out->d);
	memset(out, 0, sizeof(*out));
}

/* Moves a plan's diagnostics into the outcome (the plan keeps none). */
void take_diags(struct daemon_outcome *out, struct plan *pl)
{
	for (size_t i = 0; i < pl->d.n; i++) {
		const struct diag *g = &pl->d.v[i];
		diag_add(&out->d, g->sev, ((struct srcloc){ g->file, g->line, g->col }), "%s", g->msg);
	}
	diags_free(&pl->d);
}

void log_diags(const struct diags *d, enum log_level errlvl)
{
	struct diags copy = *d;

	diags_sort(&copy);
	for (size_t i = 0; i < d->n; i++) {
		struct strbuf sb = { 0 };

		/* a line without a place is the log line's own */
		if (!d->v[i].line && streq(d->v[i].file, "vigild"))
			sb_puts(&sb, d->v[i].msg);
		else
			diag_format(&d->v[i], &sb);
		if (sb.len && sb.s[sb.len - 1] == '\n')
			sb.s[--sb.len] = '\0';
		log_msg(d->v[i].sev == DIAG_ERROR ? errlvl : LOG_LVL_WARNING, "%s", sb.s);
		sb_free(&sb);
	}
}

/* ---- the last-known-good ---- */

static void lkg_name(const struct daemon *d, char *buf, size_t len)
{
	state_key(buf, len, "last-good", d->table);
}

void daemon_store_lkg(struct daemon *d, struct plan *pl)
{
	struct strbuf sb = { 0 };
	char name[128];
	int r;

	if (d->statefd < 0)
		return;
	free(pl->input.table);
	pl->input.table = xstrdup(d->table);
	pl->input.time = time(NULL);
	bundle_hash(&pl->input);
	bundle_serialize(&pl->input, &sb);
	lkg_name(d, name, sizeof(name));
	r = state_write(d->statefd, name, sb.s, sb.len, 0600);
	if (r < 0)
		log_warning("cannot store the last-known-good policy in %s/%s: %s", state_dir_path(), name,
			    strerror(-r));
	sb_free(&sb);
}

void daemon_load_lkg(struct daemon *d)
{
	_cleanup_free_ char *buf = NULL;
	struct bundle *b;
	const char *why = NULL;
	char name[128];
	size_t len = 0;
	int r;

	if (d->statefd < 0)
		return;
	lkg_name(d, name, sizeof(name));
	r = state_read(d->statefd, name, LKG_MAX, &buf, &len);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_warning("cannot read the last-known-good policy %s/%s: %s; it is not used",
			    state_dir_path(), name, strerror(-r));
		return;
	}
	b = xzalloc(sizeof(*b));
	r = bundle_parse(buf, len, b, &why);
	if (r < 0 || !streq(b->table, d->table)) {
		log_error("the last-known-good policy %s/%s is damaged (%s); it is not used",
			  state_dir_path(), name, r < 0 ? why : "it is for another table");
		bundle_free(b);
		free(b);
		return;
	}
	d->lkg = b;
}

/* ---- one commit ---- */

static void op_info(void *ctx, struct psep_reply *rep);
static int op_retry(sd_event_source *s, uint64_t usec, void *ctx);

/* The first error of an outcome, for status. */
void note_failure(struct daemon *d, const struct daemon_outcome *out, const char *result)
{
	d->last_apply_at = time(NULL);
	snprintf(d->last_apply_result, sizeof(d->last_apply_result), "%s", result);
	d->last_error[0] = '\0';
	for (size_t i = 0; i < out->d.n; i++)
		if (out->d.v[i].sev == DIAG_ERROR) {
			struct strbuf sb = { 0 };
			diag_format(&out->d.v[i], &sb);
			if (sb.len && sb.s[sb.len - 1] == '\n')
				sb.s[sb.len - 1] = '\0';
			snprintf(d->last_error, sizeof(d->last_error), "%s", sb.s);
			sb_free(&sb);
			break;
		}
}

void op_finish(struct commit_op *op)
{
	struct daemon *d = op->d;

	d->op = NULL;
	if (op->out.code != 0) {
		d->m.applies_failed++;
		if (op->owned)
			note_failure(d, &op->out, "refused");
	}
	if (op->done)
		op->done(op->ctx, &op->out);
	if (op->owned && op->pl) {
		plan_free(op->pl);
		free(op->pl);
	}
	outcome_free(&op->out);
	free(op);
	if (d->reassert_pending && d->state != DS_STOPPING) {
		d->reassert_pending = false;
		daemon_reassert(d);
	}
}

void op_send_info(struct commit_op *op)
{
	psep_submit(&op->d->helper, PSEP_REQ_TABLE_INFO, NULL, 0, INFO_TIMEOUT_MS, op_info, op);
}

static int op_retry(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct commit_op *op = ctx;

	(void)usec;
	op->retry = sd_event_source_unref(s);
	op_send_info(op);
	return 0;
}

/* The commit landed: it is what the kernel has now. */
void op_installed(struct commit_op *op)
{
	struct daemon *d = op->d;
	char sum[320];

	daemon_drift_committed(d, op->pl->genid);
	plan_summary(op->pl, sum, sizeof(sum));
	if (op->inc && op->inc_sent) {
		size_t n = strlen(sum);
		snprintf(sum + n, sizeof(sum) - n, "; incrementally: %zu messages (%zu rules deleted, %zu inserted, %zu kept; %zu set elements deleted, %zu added%s)",
			 op->dp.messages, op->dp.rules_del, op->dp.rules_add, op->dp.rules_kept,
			 op->dp.elems_del, op->dp.elems_add,
			 op->dp.chains_policy ? "; chain policies changed" : "");
	} else if (op->inc) {
		size_t n = strlen(sum);
		snprintf(sum + n, sizeof(sum) - n, "; unchanged, nothing sent");
	}
	snprintf(op->out.summary, sizeof(op->out.summary), "applied %s: %s (generation %u)",
		 op->source == SRC_FALLBACK ? "the fail-closed fallback" :
		 op->source == SRC_LKG ? "the last-known-good policy" :
		 op->pl->input.source ? op->pl->input.source : d->o.policy,
		 sum, op->pl->genid);
	if (op->owned) {
		/* what was gathered until now belongs to the old rules */
		if (d->cur)
			daemon_flows_flush(d);
		if (op->flags & DAEMON_COMMIT_KEEP_PREV) {
			/* apply --confirm: what runs now is kept for the rollback */
			daemon_confirm_stash(d);
		} else if (d->active) {
			plan_free(d->active);
			free(d->active);
		}
		d->active = op->pl;
		op->pl = NULL;
		d->source = op->source;
		d->applied_at = time(NULL);
		/* the last-known-good is a confirmed policy, never one that waits */
		if (op->source == SRC_POLICY && !(op->flags & DAEMON_COMMIT_KEEP_PREV))
			daemon_store_lkg(d, d->active);
		if (d->w)
			daemon_flows_names_changed(d);
	}
	if (op->owned && (!d->o.quiet || op->source != SRC_POLICY))
		log_msg(op->source == SRC_POLICY ? LOG_LVL_INFO : LOG_LVL_WARNING, "%s", op->out.summary);
	d->m.applies_ok++;
	d->owned = d->o.owner != 0 && (d->helper.features & PSEP_F_PERSIST);
	if (op->owned) {
		d->last_apply_at = time(NULL);
		snprintf(d->last_apply_result, sizeof(d->last_apply_result), "ok");
		d->last_error[0] = '\0';
		daemon_event(d, op->source == SRC_POLICY ? LOG_LVL_INFO : LOG_LVL_WARNING, "applied", "%s",
			     op->out.summary);
	}
	if (d->source == SRC_POLICY)
		daemon_set_state(d, DS_ACTIVE, NULL);
	else if (d->state != DS_DEGRADED || op->first)
		daemon_set_state(d, DS_DEGRADED, "%s in force: %s", daemon_source_name(d->source),
				 d->reason[0] ? d->reason : "the policy could not be applied");
	d->table_absent = false;
	/* revoke: true: what the policy no longer admits ends now (not at the
	 * start: the connections then were not admitted by an older policy
	 * this watch knows of) */
	if (op->owned && op->source == SRC_POLICY && !op->first && d->active && d->active->pol.revoke)
		daemon_revoke(d);
}

static void op_result(void *ctx, struct psep_reply *rep)
{
	struct commit_op *op = ctx;
	struct nl_result res;
	char why[256] = "";
	int r;

	r = psep_reply_to_result(rep, &res, why, sizeof(why));
	if (r < 0) {
		diag_err(&op->out.d, ((struct srcloc){ "vigild", 0, 0 }), "%s%s",
			 r == -EPERM ? "the commit helper refused the batch: " : "", why);
		op->out.code = 3;
		op_finish(op);
		return;
	}
	if (plan_genid_refused(op->pl, &res) && ++op->tries < GENID_TRIES) {
		/* someone committed between our look and our commit: look again */
		nl_result_free(&res);
		op_send_info(op);
		return;
	}
	r = plan_kernel_answer(op->pl, &res, "vigild");
	nl_result_free(&res);
	take_diags(&op->out, op->pl);
	if (r < 0) {
		op->out.code = 3;
		op_finish(op);
		return;
	}
	op->out.code = 0;
	op_installed(op);
	op_finish(op);
}

static void op_commit(struct commit_op *op, const struct dynset_list *old, uint32_t gen)
{
	struct nftc_opts o = op->o;

	/* the policy's own reload refuses to drop a dynamic set's elements;
	 * a fallback or the last-known-good (the firewall must be up) drops
	 * them with a warning */
	if (old && old->n &&
	    plan_keep_dynsets(op->pl, old, gen, op->source != SRC_POLICY, &o) < 0) {
		take_diags(&op->out, op->pl);
		op->out.code = 1;
		op_finish(op);
		return;
	}
	plan_build(op->pl, &o, commit_next_seq());
	psep_submit(&op->d->helper, PSEP_REQ_COMMIT, op->pl->b.buf, op->pl->b.len,
		    COMMIT_TIMEOUT_MS, op_result, op);
}

static void op_dyn(void *ctx, struct psep_reply *rep)
{
	struct commit_op *op = ctx;
	struct dynset_list old = { 0 };
	int r = rep->status < 0 ? rep->status : rep->u.dump.status;

	if (r == 0)
		r = dynset_parse(rep->extra, rep->extra_len, true, &old);
	if (r < 0) {
		diag_err(&op->out.d, ((struct srcloc){ "vigild", 0, 0 }),
			 "cannot read the dynamic sets of table inet %s: %s", op->d->table,
			 rep->status < 0 ? rep->why : strerror(-r));
		op->out.code = 3;
		op_finish(op);
		return;
	}
	dynset_age(&old, psep_now_ms() - op->t_dump);
	op_commit(op, &old, rep->u.dump.genid);
	dynset_list_free(&old);
}

static void op_info(void *ctx, struct psep_reply *rep)
{
	struct commit_op *op = ctx;
	struct daemon *d = op->d;
	struct nftc_opts o = { 0 };

	if (rep->status < 0 || rep->u.ti.status < 0) {
		diag_err(&op->out.d, ((struct srcloc){ "vigild", 0, 0 }),
			 "cannot read the state of table inet %s: %s", d->table,
			 rep->status < 0 ? rep->why : strerror(-rep->u.ti.status));
		op->out.code = 3;
		op_finish(op);
		return;
	}
	if (rep->u.ti.exists && rep->u.ti.owned && ++op->owned_waits <= OWNED_WAITS) {
		/* we hold the table's lock, so its owner is a helper on its way
		 * out (a watcher that just stopped): its socket goes soon */
		sd_event_add_time_relative(d->ev, &op->retry, CLOCK_MONOTONIC, 200000, 10000,
					   op_retry, op);
		return;
	}
	if (rep->u.ti.exists && rep->u.ti.owned) {
		diag_err(&op->out.d, ((struct srcloc){ "vigild", 0, 0 }),
			 "table inet %s is owned by another process, which alone may change it (another vigild?)",
			 d->table);
		op->out.code = 3;
		op_finish(op);
		return;
	}
	psep_plan_opts(&d->helper, &rep->u.ti, d->o.owner != 0, &o);
	op->o = o;
	if (op_try_delta(op, &rep->u.ti))
		return;
	op_replace(op, rep->u.ti.exists);
}

void op_replace(struct commit_op *op, bool exists)
{
	if (exists) {
		/* the dynamic sets' elements outlive the reload */
		op->t_dump = psep_now_ms();
		psep_submit(&op->d->helper, PSEP_REQ_DYN_DUMP, NULL, 0, COMMIT_TIMEOUT_MS, op_dyn, op);
		return;
	}
	op_commit(op, NULL, 0);
}


int daemon_commit_plan(struct daemon *d, struct plan *pl, enum daemon_source src, unsigned flags,
		       daemon_done_fn done, void *ctx)
{
	int r = op_start(d, pl, true, src, false, done, ctx);

	if (r == 0)
		d->op->flags = flags;
	return r;
}

/* Starts committing pl (owned: it becomes the active plan on success). */
int op_start(struct daemon *d, struct plan *pl, bool owned, enum daemon_source src,
		    bool first, daemon_done_fn done, void *ctx)
{
	struct commit_op *op;

	if (d->op)
		return -EBUSY;
	op = xzalloc(sizeof(*op));
	op->d = d;
	op->pl = pl;
	op->owned = owned;
	op->source = src;
	op->first = first;
	op->done = done;
	op->ctx = ctx;
	d->op = op;
	op_send_info(op);
	return 0;
}
