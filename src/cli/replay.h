/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_REPLAY_H
#define VIGIL_CLI_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "vigil/lockout.h"
#include "vigil/policy.h"

/*
 * What-if against recorded traffic (vigild diff --flows, apply's summary):
 * the connections of the flows database in [since, until) replayed, each
 * as the packet that opened it, through the same evaluator as explain.
 */
struct replay_group {
	char *what;         /* "203.0.113.9 to tcp/22" */
	char *why;          /* "drop: the default of chain input" / "rule ssh" */
	uint64_t flows;
};

struct replay {
	uint64_t total;         /* connections replayed */
	uint64_t refused;       /* ... the policy would drop or reject */
	uint64_t moved;         /* ... it admits by another rule than the one that did */
	uint64_t skipped;       /* connections whose source was aggregated away */
	uint64_t translated;    /* connections a dnat or redirect sent elsewhere: not replayed */
	uint64_t attempts;      /* refused attempts sampled (NFLOG) in the window */
	uint64_t admitted;      /* ... the policy would admit */
	struct replay_group *g; /* refused, by deciding rule and source; most first */
	size_t ng;
	struct replay_group *mv; /* moved: old rule -> new rule */
	size_t nmv;
	struct replay_group *ad; /* newly admitted: by source and the rule that admits */
	size_t nad;
};

/*
 * Runs the replay. locals: the host's addresses (which chain a connection
 * met: to a local address input, from one output, else forward; the
 * interface: the one holding that address). Returns 0, or a negative errno
 * with err (FLOWDB_ERRLEN bytes) saying why.
 */
int replay_run(const char *db, int64_t since, int64_t until, const struct policy *pol,
	       const struct ir_table *t, const struct lockout_local *locals, size_t nlocals,
	       struct replay *out, char *err);
void replay_free(struct replay *r);

/* The report, and its one-line summary ("would refuse N connections seen
 * in the last D: ..."); window in seconds, for the wording. */
void replay_print(FILE *f, const struct replay *r, int64_t window);
void replay_summary(FILE *f, const struct replay *r, int64_t window);

/* Where vigild watch keeps its database by default: flows.db in the state
 * directory (VIGIL_STATE_DIR, else /var/lib/vigil). */
const char *replay_default_db(char *buf, size_t len);

/*
 * apply's one line: the last 7 days of db (NULL: the default path, and
 * nothing at all when it does not exist) against the policy, on stdout.
 */
void replay_apply_summary(const char *db, const struct policy *pol, const struct ir_table *t,
			  const struct lockout_local *locals, size_t nlocals);

#endif
