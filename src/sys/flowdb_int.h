/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the flows database (flowdb.c writes, flowdb_query.c reads). */
#ifndef VIGIL_FLOWDB_INT_H
#define VIGIL_FLOWDB_INT_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sqlite3.h>

#include "vigil/flowdb.h"

struct flowdb {
	sqlite3 *db;
	bool rdonly;
	sqlite3_stmt *begin, *commit, *rollback, *up_flow, *up_obs, *up_ref, *up_cnt;
	struct flowdb_names names; /* during a flush */
	char err[FLOWDB_ERRLEN];
};

/* Records the failure of rc while doing what in db->err; returns -errno. */
int flowdb_fail(struct flowdb *db, int rc, const char *what);

/* flowdb_refused.c: refused traffic (rows of kind != AGG_KIND_ACCEPTED) */
extern const char flowdb_up_refused_sql[], flowdb_up_count_sql[];
int flowdb_put_refused(struct flowdb *db, const struct agg_row *row);
/* flowdb_nat.c: the translation of accepted row k (flowdb_agg_row's
 * nat_dst, nat_dport, nat_src and nat, the text in t). */
struct flowdb_row_text;
void flowdb_agg_nat(const struct agg_key *k, const struct flowdb_names *nm, struct flowdb_row *out,
		    struct flowdb_row_text *t);
/* Binds a row's key, parameters 1-7 (minute, family, proto, src, dst,
 * dport, rule; '' for none), of the flows and refused upserts alike. */
struct flowdb_row;
void flowdb_bind_key(sqlite3_stmt *st, const struct flowdb_row *r);
/* Steps st once and resets it; a failure is recorded as doing `what`. */
int flowdb_step(struct flowdb *db, sqlite3_stmt *st, const char *what);
/* Runs sql (no rows) / a statement returning rows to completion. */
int flowdb_exec(struct flowdb *db, const char *sql);
int flowdb_run(struct flowdb *db, const char *sql);

#endif
