// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply --confirm when vigild watch runs: the change goes through the
 * watch (so attribution follows it and the two never fight), which keeps
 * the plan that ran before it and commits that plan again at the deadline
 * unless `vigild confirm` comes first. The watch is outside the operator's
 * session: a dropped SSH connection does not stop the rollback.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "vigil/fileio.h"
#include "vigil/log.h"
#include "daemon.h"
#include "events.h"

struct path_reader {
	struct daemon *d;
	int dirfd;
	int err;          /* why dirfd is not open */
	const char *base;
};

/* set files beside the policy sent, within what the watch may read */
static int read_beside(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct path_reader *pr = ctx;

	if (pr->dirfd < 0 && path[0] != '/')
		return pr->err; /* its directory is not the watch's user's to open */
	return daemon_read_confined(pr->d, pr->dirfd, pr->base, path, max, buf, len);
}

void daemon_confirm_stash(struct daemon *d)
{
	/* (daemon_apply_confirm refuses a second change while one waits) */
	d->confirm_prev = d->active;
	d->confirm_prev_source = d->source;
	d->active = NULL;
}

static void confirm_clear(struct daemon *d)
{
	d->confirm_deadline = 0;
	d->confirm_policy[0] = '\0';
	if (d->confirm_timer)
		sd_event_source_set_enabled(d->confirm_timer, SD_EVENT_OFF);
}

static void rollback_done(void *ctx, const struct daemon_outcome *out);

struct rb_ctx {
	struct daemon *d;
	daemon_done_fn done;
	void *ctx;
	bool expired;
};

static void start_rollback(struct daemon *d, bool expired, daemon_done_fn done, void *ctx)
{
	struct rb_ctx *rc = xzalloc(sizeof(*rc));
	struct plan *prev = xzalloc(sizeof(*prev));

	rc->d = d;
	rc->done = done;
	rc->ctx = ctx;
	rc->expired = expired;
	/* the plan that ran, made again from its stored input (the same input
	 * gives the same ruleset); the stash stays until the rollback is in */
	plan_compile_bundle(prev, &d->confirm_prev->input, d->table, &d->io);
	diags_free(&prev->d);
	if (daemon_commit_plan(d, prev, d->confirm_prev_source, 0, rollback_done, rc) < 0) {
		/* a commit is under way: try again in a moment */
		plan_free(prev);
		free(prev);
		free(rc);
		if (d->confirm_timer) {
			sd_event_source_set_time_relative(d->confirm_timer, 200000);
			sd_event_source_set_enabled(d->confirm_timer, SD_EVENT_ONESHOT);
		}
		if (done) {
			struct daemon_outcome out = { .code = DAEMON_BUSY };
			diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }),
				 "another change is being committed; try again in a moment");
			done(ctx, &out);
			diags_free(&out.d);
		}
	}
}

static void rollback_done(void *ctx, const struct daemon_outcome *out)
{
	struct rb_ctx *rc = ctx;
	struct daemon *d = rc->d;

	if (out->code == 0) {
		struct daemon_outcome o2 = *out;

		snprintf(o2.summary, sizeof(o2.summary), "rolled back: table inet %.32s is as it was before %.160s",
			 d->table, d->confirm_policy);
		if (rc->done)
			rc->done(rc->ctx, &o2);
		rc->done = NULL;
		plan_free(d->confirm_prev);
		free(d->confirm_prev);
		d->confirm_prev = NULL;
		log_warning("%s: table inet %s is back as it was before %s",
			    rc->expired ? "not confirmed in time" : "rolled back as asked", d->table,
			    d->confirm_policy);
		daemon_event(d, LOG_LVL_WARNING, rc->expired ? "confirm-expired" : "rollback",
			     "table inet %s is back as it was before %s", d->table, d->confirm_policy);
		confirm_clear(d);
	} else {
		/* the kernel refused: keep trying, and say so */
		log_error("rolling back table inet %s failed; trying again in a second", d->table);
		daemon_set_state(d, DS_DEGRADED, "a rollback of table inet %s failed", d->table);
		sd_event_source_set_time_relative(d->confirm_timer, 1000000);
		sd_event_source_set_enabled(d->confirm_timer, SD_EVENT_ONESHOT);
	}
	if (rc->done)
		rc->done(rc->ctx, out);
	free(rc);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct daemon *d = ctx;

	(void)s;
	(void)usec;
	if (d->confirm_prev)
		start_rollback(d, true, NULL, NULL);
	return 0;
}

struct ac_ctx {
	struct daemon *d;
	unsigned seconds;
	daemon_done_fn done;
	void *ctx;
	char path[512];
};

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void applied(void *ctx, const struct daemon_outcome *out)
{
	struct ac_ctx *ac = ctx;
	struct daemon *d = ac->d;
	struct daemon_outcome o2;

	if (out->code == 0) {
		struct diags notes = { 0 };

		if (!same_file(ac->path, d->o.policy))
			diag_add(&notes, DIAG_WARNING, ((struct srcloc){ ac->path, 0, 0 }),
				 "this watch's own policy is %s: confirmed, this change runs until the next reload or restart, which apply that file",
				 d->o.policy ? d->o.policy : "(none)");
		d->confirm_deadline = time(NULL) + ac->seconds;
		snprintf(d->confirm_policy, sizeof(d->confirm_policy), "%s", ac->path);
		if (!d->confirm_timer)
			sd_event_add_time_relative(d->ev, &d->confirm_timer, CLOCK_MONOTONIC,
						   (uint64_t)ac->seconds * 1000000u, 100000, on_deadline, d);
		sd_event_source_set_time_relative(d->confirm_timer, (uint64_t)ac->seconds * 1000000u);
		sd_event_source_set_enabled(d->confirm_timer, SD_EVENT_ONESHOT);
		daemon_event(d, LOG_LVL_WARNING, "confirm-pending",
			     "%s applied: rolled back in %u s unless confirmed", ac->path, ac->seconds);
		log_warning("%s applied; it is rolled back in %u s unless 'vigild confirm' runs", ac->path,
			    ac->seconds);
		o2 = *out;
		for (size_t i = 0; i < out->d.n; i++)
			diag_add(&notes, out->d.v[i].sev,
				 ((struct srcloc){ out->d.v[i].file, out->d.v[i].line, out->d.v[i].col }), "%s",
				 out->d.v[i].msg);
		o2.d = notes;
		{
			char tail[128];
			size_t n = strlen(o2.summary);

			snprintf(tail, sizeof(tail),
				 "; confirm within %u s with 'vigild confirm', or the previous ruleset comes back",
				 ac->seconds);
			if (n + strlen(tail) < sizeof(o2.summary))
				memcpy(o2.summary + n, tail, strlen(tail) + 1);
		}
		if (ac->done)
			ac->done(ac->ctx, &o2);
		diags_free(&notes);
	} else if (ac->done) {
		ac->done(ac->ctx, out);
	}
	free(ac);
}

void daemon_apply_confirm(struct daemon *d, const char *path, const char *buf, size_t len,
			  unsigned seconds, daemon_done_fn done, void *ctx)
{
	struct policy_opts po = { .table = d->table, .read_file = read_beside, .as_user = d->ids.name };
	_cleanup_free_ char *copy = xstrdup(path);
	struct path_reader pr = { d, -1, -ENOENT, NULL };
	struct daemon_outcome out = { .code = 1 };
	struct plan *pl;
	struct ac_ctx *ac;
	char hash[65];

	if (d->op) {
		out.code = DAEMON_BUSY;
		diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }),
			 "another change is being committed; try again in a moment");
		goto fail;
	}
	if (d->confirm_deadline) {
		/* one change waits at a time: the rollback has one state to go to */
		out.code = DAEMON_CONFLICT;
		diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }),
			 "a change (%s) is already waiting for confirmation: 'vigild confirm' or 'vigild rollback' first; nothing was changed",
			 d->confirm_policy);
		goto fail;
	}
	if (path[0] != '/') {
		diag_err(&out.d, ((struct srcloc){ path, 0, 0 }), "the policy's path must be absolute");
		goto fail;
	}
	/* the text came with the request (the watch need not read the file,
	 * which may be outside what it may read); its set files are read
	 * beside it, where the watch may */
	pr.base = dirname(copy);
	pr.dirfd = open(pr.base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pr.dirfd < 0)
		pr.err = -errno;
	po.read_ctx = &pr;
	po.set_dir = pr.base;
	pl = xzalloc(sizeof(*pl));
	bundle_sha256_hex(buf, len, hash);
	plan_compile(pl, path, buf, len, &po, &d->io);
	if (pr.dirfd >= 0)
		close(pr.dirfd);
	if (!pl->compiled) {
		for (size_t i = 0; i < pl->d.n; i++)
			diag_add(&out.d, pl->d.v[i].sev,
				 ((struct srcloc){ pl->d.v[i].file, pl->d.v[i].line, pl->d.v[i].col }), "%s",
				 pl->d.v[i].msg);
		plan_free(pl);
		free(pl);
		goto fail;
	}
	diags_free(&pl->d);
	ac = xzalloc(sizeof(*ac));
	ac->d = d;
	ac->seconds = seconds;
	ac->done = done;
	ac->ctx = ctx;
	snprintf(ac->path, sizeof(ac->path), "%s", path);
	if (daemon_commit_plan(d, pl, SRC_POLICY, DAEMON_COMMIT_KEEP_PREV, applied, ac) < 0) {
		free(ac);
		plan_free(pl);
		free(pl);
		out.code = DAEMON_BUSY;
		diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }), "another change is being committed");
		goto fail;
	}
	return;
fail:
	if (done)
		done(ctx, &out);
	diags_free(&out.d);
}

int daemon_confirm(struct daemon *d, char *msg, size_t len)
{
	if (!d->confirm_prev || !d->confirm_deadline) {
		snprintf(msg, len, "nothing pending: no change of table inet %s is waiting for confirmation",
			 d->table);
		return -ENOENT;
	}
	plan_free(d->confirm_prev);
	free(d->confirm_prev);
	d->confirm_prev = NULL;
	/* confirmed: now it is the last-known-good */
	if (d->active)
		daemon_store_lkg(d, d->active);
	snprintf(msg, len, "confirmed: table inet %s keeps %s", d->table, d->confirm_policy);
	log_info("%s", msg);
	daemon_event(d, LOG_LVL_INFO, "confirmed", "%s", msg);
	confirm_clear(d);
	return 0;
}

void daemon_rollback(struct daemon *d, daemon_done_fn done, void *ctx)
{
	if (!d->confirm_prev) {
		struct daemon_outcome out = { .code = DAEMON_CONFLICT };
		diag_err(&out.d, ((struct srcloc){ "vigild", 0, 0 }),
			 "nothing pending: no change of table inet %s is waiting for confirmation", d->table);
		if (done)
			done(ctx, &out);
		diags_free(&out.d);
		return;
	}
	start_rollback(d, false, done, ctx);
}
