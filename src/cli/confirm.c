// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply --confirm without a running vigild watch (vigild(8), apply
 * --confirm): before the change, the table as the kernel has it is dumped
 * and made into the batch that restores it (rebuild.c); the helper of this
 * apply verifies that batch and becomes its rollback guard (guard.c),
 * outside this process's session and process group; the pending state is
 * a file in the run directory, for confirm, rollback and status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "confirm.h"
#include "ctl_client.h"
#include "vigil/fileio.h"
#include "vigil/psep.h"
#include "vigil/rebuild.h"
#include "vigil/state.h"

int confirm_arm(struct psep *p, int runfd, const char *table, const char *policy, unsigned seconds)
{
	struct psep_reply rep;
	struct psep_table_info ti;
	struct nftc_opts o;
	struct pending pe;
	struct batch b;
	struct strbuf pl = { 0 };
	char name[128];
	json_object *j;
	int r;

	if (pending_read(runfd, table, &pe) == 0 && pe.alive) {
		char when[32];
		time_t t = (time_t)pe.deadline;
		strftime(when, sizeof(when), "%H:%M:%S UTC", gmtime(&t));
		cli_error("a change of table inet %s is waiting for confirmation until %s (rollback guard pid %d): 'vigild confirm' keeps it, 'vigild rollback' undoes it; nothing was changed",
			  table, when, (int)pe.pid);
		return EXIT_SYSTEM;
	}
	r = psep_table_info(p, &ti);
	if (r < 0) {
		cli_error("cannot read the state of table inet %s: %s", table, strerror(-r));
		return EXIT_SYSTEM;
	}
	/* the table as it is now: what a rollback restores */
	psep_call(p, PSEP_REQ_DUMP, NULL, 0, &rep);
	if (rep.status < 0 || (rep.u.dump.status < 0 && rep.u.dump.status != -ENOENT)) {
		cli_error("cannot read table inet %s to keep it for the rollback: %s", table,
			  rep.status < 0 ? rep.why : strerror(-rep.u.dump.status));
		psep_reply_free(&rep);
		return EXIT_SYSTEM;
	}
	/* the rollback is checked against no generation (it comes later) and
	 * makes no owner (vigild apply's tables have none) */
	psep_plan_opts(p, &ti, false, &o);
	o.have_genid = false;
	batch_init(&b, (uint32_t)time(NULL) << 8 | 0x80u);
	r = rebuild_replace(rep.extra, rep.extra_len, table, &o, &b);
	psep_reply_free(&rep);
	if (r < 0) {
		cli_error("table inet %s cannot be kept for a rollback (its dump is malformed)", table);
		batch_free(&b);
		return EXIT_SYSTEM;
	}
	/* the record first: without it no 'vigild confirm' could find the
	 * guard, so without it there is no change */
	pending_name(name, sizeof(name), table);
	j = json_object_new_object();
	json_object_object_add(j, "table", json_object_new_string(table));
	json_object_object_add(j, "policy", json_object_new_string(policy));
	json_object_object_add(j, "seconds", json_object_new_int((int)seconds));
	json_object_object_add(j, "deadline", json_object_new_int64((int64_t)time(NULL) + seconds));
	json_object_object_add(j, "guard_pid", json_object_new_int(p->pid));
	sb_puts(&pl, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	sb_putc(&pl, '\n');
	json_object_put(j);
	r = state_write(runfd, name, pl.s, pl.len, 0640);
	sb_free(&pl);
	if (r < 0) {
		cli_error("cannot record the pending change in %s: %s; nothing was changed", run_dir_path(),
			  strerror(-r));
		batch_free(&b);
		return EXIT_SYSTEM;
	}
	{
		size_t len = sizeof(struct psep_arm) + b.len;
		uint8_t *msg = xzalloc(len);
		struct psep_arm *arm = (struct psep_arm *)msg;

		arm->seconds = seconds;
		snprintf(arm->pending, sizeof(arm->pending), "%s", name);
		memcpy(msg + sizeof(*arm), b.buf, b.len);
		psep_call(p, PSEP_REQ_ARM, msg, len, &rep);
		free(msg);
	}
	batch_free(&b);
	if (rep.status < 0 || rep.u.ok.status < 0) {
		rep.u.ok.why[sizeof(rep.u.ok.why) - 1] = '\0';
		cli_error("the rollback could not be prepared, so nothing was changed: %s",
			  rep.status < 0 ? rep.why : rep.u.ok.why);
		unlinkat(runfd, name, 0);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

void confirm_disarm(struct psep *p)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_DISARM, NULL, 0, &rep);
}

/* ---- vigild confirm / rollback without a watch ---- */

int confirm_signal(int runfd, const char *table, bool rollback)
{
	char name[128], done[160];
	_cleanup_free_ char *buf = NULL;
	struct pending pe;
	size_t len = 0;

	if (pending_read(runfd, table, &pe) < 0 || !pe.alive) {
		cli_error("nothing pending: no change of table inet %s is waiting for confirmation", table);
		return EXIT_INVALID;
	}
	if (kill(pe.pid, rollback ? SIGUSR2 : SIGUSR1) < 0) {
		cli_error("cannot reach the rollback guard (pid %d): %s (it takes root)", (int)pe.pid,
			  strerror(errno));
		return EXIT_SYSTEM;
	}
	pending_name(name, sizeof(name), table);
	snprintf(done, sizeof(done), "%s.done", name);
	for (int i = 0; i < 200 && kill(pe.pid, 0) == 0; i++)
		usleep(50000);
	if (state_read(runfd, done, 4096, &buf, &len) == 0 && strstr(buf, "\"confirmed\""))
		printf("confirmed: table inet %s keeps %s\n", table, pe.policy);
	else if (buf && strstr(buf, "\"rolled back\""))
		printf("rolled back: table inet %s is as it was before %s\n", table, pe.policy);
	else if (buf && strstr(buf, "\"rollback failed\"")) {
		cli_error("rolling back table inet %s FAILED (see the log); the change is still in the kernel",
			  table);
		return EXIT_SYSTEM;
	}
	else {
		cli_error("the rollback guard ended without saying how (%s)", buf ? buf : "no outcome file");
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* ---- vigild apply --confirm with a running watch ---- */

/* The policy's text, for the watch: read here, as the caller (apply
 * without a watch opens the policy as root too), so the watch reads no
 * path outside its read limit (src/daemon/confine.c). A located error and
 * EXIT_INVALID, or EXIT_OK. */
static int read_policy_text(const char *path, char **buf, size_t *len)
{
	int r = read_stable_at(AT_FDCWD, path, POLICY_MAX_FILE, buf, len);

	if (r == -EFBIG) {
		fprintf(stderr, "%s:1:1: error: the policy is larger than the limit of %u MiB (load large lists from a set file)\n",
			path, POLICY_MAX_FILE >> 20);
		return EXIT_INVALID;
	}
	if (r < 0) {
		fprintf(stderr, "%s: error: cannot read the policy: %s\n", path,
			r == POLICY_READ_NOT_REGULAR ? "not a regular file" : strerror(-r));
		return EXIT_INVALID;
	}
	return EXIT_OK;
}

int confirm_via_watch(const char *policy, const char *table, unsigned seconds, bool quiet)
{
	_cleanup_free_ char *abs = NULL, *text = NULL;
	struct ctl_answer a;
	json_object *j;
	const char *body;
	size_t tlen = 0, blen;
	char ns[24];
	int r;

	if (streq(policy, "-"))
		return -1; /* set files beside it: the normal path says why not */
	abs = realpath(policy, NULL);
	if (!abs)
		return -1;
	if (ctl_request("GET", "/v1/status", NULL, 0, 5000, &a) < 0)
		return -1; /* no watch here: the normal path */
	ctl_answer_free(&a);
	r = read_policy_text(policy, &text, &tlen);
	if (r != EXIT_OK)
		return r;
	j = json_object_new_object();
	json_object_object_add(j, "path", json_object_new_string(abs));
	json_object_object_add(j, "policy", json_object_new_string_len(text, (int)tlen));
	json_object_object_add(j, "confirm", json_object_new_int((int)seconds));
	if (table)
		json_object_object_add(j, "table", json_object_new_string(table));
	/* a watch of another network namespace may share the run directory */
	snprintf(ns, sizeof(ns), "%" PRIu64, state_netns_id());
	json_object_object_add(j, "netns", json_object_new_string(ns));
	body = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	blen = strlen(body);
	if (blen > CTL_BODY_MAX) {
		/* (the watch would answer 413) */
		fprintf(stderr, "%s:1:1: error: the policy, sent to the running watch as JSON (%zu bytes), is larger than its control socket's limit of %u MiB; nothing was changed (load large lists from a set file)\n",
			policy, blen, CTL_BODY_MAX >> 20);
		json_object_put(j);
		return EXIT_INVALID;
	}
	r = ctl_request("POST", "/v1/apply", body, blen, 300000, &a);
	json_object_put(j);
	if (r < 0)
		return -1; /* no watch here */
	if (a.status == 404) {
		ctl_answer_free(&a);
		return -1; /* a watch of another table */
	}
	r = ctl_print_outcome(&a, quiet, "nothing was changed: the running policy stays");
	ctl_answer_free(&a);
	return r;
}
