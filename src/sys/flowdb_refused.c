// SPDX-License-Identifier: GPL-2.0-or-later
/* Refused traffic in the flows database: the tables refused and
 * refused_counts (schemas/flows.sql, migration 4), written in the same
 * transaction as the accepted flows (flowdb_flush). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "flowdb_int.h"
#include "vigil/flowdb_follow.h"
#include "vigil/policy.h"
#include "vigil/util.h"

const char flowdb_up_refused_sql[] =
	"INSERT INTO refused (minute, family, proto, src, dst, dport, rule, verdict, sampled)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	" ON CONFLICT (minute, family, proto, src, dst, dport, rule, verdict) DO UPDATE SET"
	" sampled = sampled + excluded.sampled";

const char flowdb_up_count_sql[] =
	"INSERT INTO refused_counts (minute, rule, verdict, counted, bytes, logged, sampled)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT (minute, rule, verdict) DO UPDATE SET"
	" counted = counted + excluded.counted, bytes = bytes + excluded.bytes,"
	" logged = logged + excluded.logged, sampled = sampled + excluded.sampled";

int flowdb_put_refused(struct flowdb *db, const struct agg_row *row)
{
	const struct agg_key *k = &row->key;
	struct flowdb_row_text t;
	struct flowdb_row r;
	sqlite3_stmt *st;

	if (flowdb_agg_row(row, &db->names, &r, &t) == 0) {
		/* a sample; family 0: the rule's overflow row of the minute */
		st = db->up_ref;
		flowdb_bind_key(st, &r);
		sqlite3_bind_text(st, 8, r.verdict, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, (int64_t)row->val.flows);
		return flowdb_step(db, st, "storing refused traffic");
	}
	/* a rule's exact totals from the kernel's counters */
	st = db->up_cnt;
	sqlite3_bind_int64(st, 1, k->minute);
	sqlite3_bind_text(st, 2, flowdb_rule_name(k, &db->names, t.rule, sizeof(t.rule)), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, (k->kind & AGG_KIND_REJECT) ? "reject" : "drop", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)row->val.packets);
	sqlite3_bind_int64(st, 5, (int64_t)row->val.bytes);
	sqlite3_bind_int64(st, 6, (int64_t)row->val.flows);
	sqlite3_bind_int64(st, 7, (int64_t)row->val.destroys);
	return flowdb_step(db, st, "storing refused totals");
}
