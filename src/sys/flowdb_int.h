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
	/* during a flush */
	const char *const *rules;
	size_t nrules;
	const char *const *nats; /* nat entry names (flowdb_flush_nat) */
	size_t nnats;
	char err[FLOWDB_ERRLEN];
};

/* Records the failure of rc while doing what in db->err; returns -errno. */
int flowdb_fail(struct flowdb *db, int rc, const char *what);

/* flowdb_refused.c: refused traffic (rows of kind != AGG_KIND_ACCEPTED) */
extern const char flowdb_up_refused_sql[], flowdb_up_count_sql[];
int flowdb_put_refused(struct flowdb *db, const struct agg_row *row);
/* The rule a row of refused traffic names (the rule, "default:CHAIN", or "#N"). */
const char *flowdb_refused_rule(const struct flowdb *db, const struct agg_key *k, char *buf,
				size_t len);
/* flowdb_nat.c: binds 13 to 16 of the flows UPSERT (the translation of
 * accepted row k, fam AF_INET/AF_INET6), with buffers that must outlive
 * the step. */
void flowdb_bind_nat(struct flowdb *db, sqlite3_stmt *st, const struct agg_key *k, int fam,
		     char ndst[INET6_ADDRSTRLEN], char nsrc[INET6_ADDRSTRLEN],
		     char nat[2 * NAT_NAME_LEN]);
/* int flowdb_step_reset(...) for flowdb_refused.c */
int flowdb_step(struct flowdb *db, sqlite3_stmt *st, const char *what);

#endif
