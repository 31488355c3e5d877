// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the daemon commits and when: reading and compiling the configured
 * policy, a reload (from the file or from text sent over the control
 * socket), a re-assert of the active plan after a change by someone else,
 * and the start's first apply with its candidates (the policy, then the
 * last-known-good, then the fail-closed fallback). Each ends in a commit
 * of commit.c (op_start).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "vigil/fileio.h"
#include "vigil/log.h"
#include "vigil/state.h"
#include "commit_int.h"
#include "daemon.h"
#include "events.h"

/* ---- reading the policy ---- */

/* Reads and compiles the configured policy into a new plan (diagnostics
 * in it). Returns the plan (compiled or not); *hash: the file's SHA-256. */
static struct plan *compile_policy(struct daemon *d, char hash[65])
{
	struct plan *pl = xzalloc(sizeof(*pl));
	struct policy_opts po = { .table = d->table ? d->table : d->o.table,
				  .read_file = daemon_read_set_file, .read_ctx = d,
				  .as_user = d->ids.name, .set_dir = d->policy_dir };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	hash[0] = '\0';
	r = read_stable_at(d->policy_dirfd, d->policy_base, POLICY_MAX_FILE, &buf, &len);
	if (r < 0) {
		struct srcloc at = { d->o.policy, 0, 0 };

		memset(pl, 0, sizeof(*pl));
		if (r == -EFBIG)
			diag_err(&pl->d, ((struct srcloc){ d->o.policy, 1, 1 }),
				 "the policy is larger than the limit of %u MiB (load large lists from a set file)",
				 POLICY_MAX_FILE >> 20);
		else if (r == -EAGAIN)
			diag_err(&pl->d, at,
				 "the policy changed while it was read (being written?); reload again once it is saved");
		else if (r == -ENODEV)
			diag_err(&pl->d, at, "the policy is not a regular file");
		else
			diag_err(&pl->d, at, "cannot read the policy: %s", strerror(-r));
		return pl;
	}
	bundle_sha256_hex(buf, len, hash);
	plan_compile(pl, d->o.policy, buf, len, &po, &d->io);
	return pl;
}

/* ---- reload ---- */

struct reload_ctx {
	struct daemon *d;
	daemon_done_fn done;
	void *ctx;
	char hash[65];
};

static void reload_done(void *ctx, const struct daemon_outcome *out)
{
	struct reload_ctx *rc = ctx;
	struct daemon *d = rc->d;

	if (out->code == 0) {
		memcpy(d->policy_hash, rc->hash, sizeof(d->policy_hash));
	} else {
		log_diags(&out->d, LOG_LVL_ERR);
		log_error("the new policy was not applied (see above); the running policy stays (%s)",
			  daemon_source_name(d->source));
		daemon_event(d, LOG_LVL_ERR, "refused",
			     "the kernel refused the new policy; the running policy (%s) stays",
			     daemon_source_name(d->source));
	}
	sd_notify(0, "READY=1");
	if (d->state == DS_ACTIVE)
		sd_notify(0, "STATUS=Active");
	if (rc->done)
		rc->done(rc->ctx, out);
	free(rc);
}

static void reload_busy(daemon_done_fn done, void *ctx)
{
	struct daemon_outcome out = { .code = DAEMON_BUSY };

	diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }),
		 "another change is being committed; try again in a moment");
	if (done)
		done(ctx, &out);
	else
		log_warning("reload requested while a change is being committed: try again");
	diags_free(&out.d);
}

/* Commits a freshly compiled plan as the configured policy. */
static void reload_plan(struct daemon *d, struct plan *pl, const char hash[65], daemon_done_fn done,
			void *ctx)
{
	struct reload_ctx *rc;

	sd_notify(0, "RELOADING=1\nSTATUS=Reloading");
	if (!pl->compiled) {
		struct daemon_outcome out = { .code = 1 };

		take_diags(&out, pl);
		plan_free(pl);
		free(pl);
		log_diags(&out.d, LOG_LVL_ERR);
		log_error("the new policy was not applied (see above); the running policy stays (%s)",
			  daemon_source_name(d->source));
		note_failure(d, &out, "invalid");
		d->m.applies_failed++;
		daemon_event(d, LOG_LVL_ERR, "refused", "the new policy is invalid; the running policy (%s) stays",
			     daemon_source_name(d->source));
		sd_notify(0, "READY=1");
		daemon_set_state(d, d->state, "%s", d->reason);
		if (done)
			done(ctx, &out);
		diags_free(&out.d);
		return;
	}
	/* warnings now: they do not stop the commit */
	log_diags(&pl->d, LOG_LVL_ERR);
	diags_free(&pl->d);
	rc = xzalloc(sizeof(*rc));
	rc->d = d;
	rc->done = done;
	rc->ctx = ctx;
	memcpy(rc->hash, hash, sizeof(rc->hash));
	op_start(d, pl, true, SRC_POLICY, false, reload_done, rc);
}

/* A change waiting for confirmation: a reload would be rolled back over. */
static bool reload_pending(struct daemon *d, daemon_done_fn done, void *ctx)
{
	struct daemon_outcome out = { .code = DAEMON_CONFLICT };

	if (!d->confirm_deadline)
		return false;
	diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }),
		 "a change (%s) is waiting for confirmation: 'vigild confirm' or 'vigild rollback' first",
		 d->confirm_policy);
	if (done)
		done(ctx, &out);
	else
		log_warning("reload refused: a change (%s) is waiting for confirmation", d->confirm_policy);
	diags_free(&out.d);
	return true;
}

void daemon_reload(struct daemon *d, daemon_done_fn done, void *ctx)
{
	struct plan *pl;
	char hash[65];

	if (reload_pending(d, done, ctx))
		return;
	if (d->op) {
		reload_busy(done, ctx);
		return;
	}
	pl = compile_policy(d, hash);
	reload_plan(d, pl, hash, done, ctx);
}

void daemon_reload_text(struct daemon *d, const char *name, const char *text, size_t len,
			daemon_done_fn done, void *ctx)
{
	struct policy_opts po = { .table = d->table, .read_file = daemon_read_set_file, .read_ctx = d,
				  .as_user = d->ids.name, .set_dir = d->policy_dir };
	struct plan *pl;
	char hash[65];

	if (reload_pending(d, done, ctx))
		return;
	if (d->op) {
		reload_busy(done, ctx);
		return;
	}
	pl = xzalloc(sizeof(*pl));
	bundle_sha256_hex(text, len, hash);
	plan_compile(pl, name, text, len, &po, &d->io);
	reload_plan(d, pl, hash, done, ctx);
}

/* ---- re-assert ---- */

static void reassert_done(void *ctx, const struct daemon_outcome *out)
{
	struct daemon *d = ctx;

	if (out->code == 0) {
		log_warning("re-asserted the %s: table inet %s is as vigild made it again",
			    daemon_source_name(d->source), d->table);
		d->m.reasserts++;
		daemon_event(d, LOG_LVL_WARNING, "reverted", "table inet %s is as vigild made it again",
			     d->table);
		if (d->source == SRC_POLICY && d->state == DS_DEGRADED)
			daemon_set_state(d, DS_ACTIVE, NULL);
		return;
	}
	log_diags(&out->d, LOG_LVL_ERR);
	log_error("re-asserting table inet %s failed; retrying", d->table);
	daemon_set_state(d, DS_DEGRADED, "table inet %s differs from the policy and re-asserting it failed",
			 d->table);
	d->reassert_pending = true;
}

void daemon_reassert(struct daemon *d)
{
	if (!d->active)
		return;
	if (d->op) {
		d->reassert_pending = true;
		return;
	}
	op_start(d, d->active, false, d->source, false, reassert_done, d);
}

/* ---- the start ---- */

static struct plan *compile_text(struct daemon *d, const char *path, const char *text, size_t len,
				 const char *table, policy_read_fn rd, void *rdctx)
{
	struct plan *pl = xzalloc(sizeof(*pl));
	struct policy_opts po = { .table = table, .read_file = rd, .read_ctx = rdctx };

	plan_compile(pl, path, text, len, &po, &d->io);
	return pl;
}

/* The next thing to try at start: the policy, the LKG, the fallback. */
static struct plan *next_candidate(struct daemon *d, enum daemon_source *src)
{
	struct plan *pl;

	if (*src < SRC_LKG) {
		*src = SRC_LKG;
		if (d->lkg) {
			pl = xzalloc(sizeof(*pl));
			if (plan_compile_bundle(pl, d->lkg, d->table, &d->io) == 0) {
				char when[32];

				iso8601(d->lkg->time, when, sizeof(when));
				log_warning("using the last-known-good policy (%s as it was at %s, input SHA-256 %.16s...)",
					    d->lkg->source, when, d->lkg->hash);
				return pl;
			}
			log_diags(&pl->d, LOG_LVL_ERR);
			log_error("the last-known-good policy does not compile any more; it is not used");
			plan_free(pl);
			free(pl);
		} else {
			log_warning("there is no last-known-good policy for table inet %s", d->table);
		}
	}
	if (*src < SRC_FALLBACK) {
		*src = SRC_FALLBACK;
		if (d->o.fallback) {
			_cleanup_free_ char *buf = NULL;
			size_t len = 0;
			int r = read_file_at(AT_FDCWD, d->o.fallback, POLICY_MAX_FILE, &buf, &len);

			if (r == 0) {
				pl = compile_text(d, d->o.fallback, buf, len, d->table, NULL, NULL);
				if (pl->compiled) {
					log_warning("using the fallback policy %s", d->o.fallback);
					return pl;
				}
				log_diags(&pl->d, LOG_LVL_ERR);
				plan_free(pl);
				free(pl);
			}
			log_error("the fallback policy %s cannot be used%s%s; using the built-in fail-closed policy",
				  d->o.fallback, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		} else {
			log_warning("using the built-in fail-closed fallback policy (input and forward drop; established, loopback, essential ICMP and tcp/22 accepted)");
		}
		pl = compile_text(d, "(built-in fallback)", daemon_fallback_policy,
				  strlen(daemon_fallback_policy), d->table, NULL, NULL);
		if (pl->compiled)
			return pl;
		log_diags(&pl->d, LOG_LVL_ERR); /* a bug: the tests compile it */
		plan_free(pl);
		free(pl);
	}
	return NULL;
}

struct first_ctx {
	struct daemon *d;
	enum daemon_source src;
};

static void first_done(void *ctx, const struct daemon_outcome *out);

static void first_try(struct daemon *d, struct plan *pl, enum daemon_source src)
{
	struct first_ctx *fc = xzalloc(sizeof(*fc));

	fc->d = d;
	fc->src = src;
	op_start(d, pl, true, src, true, first_done, fc);
}

static void first_done(void *ctx, const struct daemon_outcome *out)
{
	struct first_ctx *fc = ctx;
	struct daemon *d = fc->d;
	enum daemon_source src = fc->src;
	struct plan *pl;

	free(fc);
	if (out->code == 0) {
		sd_notify(0, "READY=1");
		daemon_started(d);
		return;
	}
	log_diags(&out->d, LOG_LVL_ERR);
	log_error("the kernel refused the %s", daemon_source_name(src));
	if (src == SRC_POLICY)
		daemon_set_state(d, DS_DEGRADED, "the kernel refused the policy");
	pl = next_candidate(d, &src);
	if (!pl) {
		log_error("nothing could be applied: table inet %s is as it was before vigild started",
			  d->table);
		d->exit_code = 3;
		sd_event_exit(d->ev, 3);
		return;
	}
	first_try(d, pl, src);
}

void daemon_first_apply(struct daemon *d, struct plan *pl)
{
	enum daemon_source src = SRC_POLICY;

	if (!pl->compiled) {
		log_diags(&pl->d, LOG_LVL_ERR);
		log_error("the policy %s is invalid", d->o.policy);
		daemon_set_state(d, DS_DEGRADED, "the policy %s is invalid", d->o.policy);
		plan_free(pl);
		free(pl);
		pl = next_candidate(d, &src);
		if (!pl) {
			log_error("nothing could be applied: table inet %s is as it was", d->table);
			d->exit_code = 3;
			sd_event_exit(d->ev, 3);
			return;
		}
	} else {
		log_diags(&pl->d, LOG_LVL_ERR); /* warnings */
		diags_free(&pl->d);
	}
	first_try(d, pl, src);
}

struct plan *daemon_compile_policy(struct daemon *d)
{
	return compile_policy(d, d->policy_hash);
}
