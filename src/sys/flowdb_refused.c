// SPDX-License-Identifier: GPL-2.0-or-later
/* Refused traffic in the flows database: the tables refused and
 * refused_counts (schemas/flows.sql, migration 4), written in the same
 * transaction as the accepted flows (flowdb_flush). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "flowdb_int.h"
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

const char *flowdb_refused_rule(const struct flowdb *db, const struct agg_key *k, char *buf,
				size_t len)
{
	if (k->kind & AGG_KIND_DEFAULT) {
		snprintf(buf, len, "default:%s", k->rule < CH_MAX ? chain_name(k->rule) : "?");
		return buf;
	}
	if (k->rule && (size_t)k->rule - 1 < db->nrules && db->rules[k->rule - 1])
		return db->rules[k->rule - 1];
	snprintf(buf, len, "#%u", (unsigned)k->rule);
	return buf;
}

int flowdb_put_refused(struct flowdb *db, const struct agg_row *row)
{
	const struct agg_key *k = &row->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], rbuf[48];
	const char *rule = flowdb_refused_rule(db, k, rbuf, sizeof(rbuf));
	const char *verdict = (k->kind & AGG_KIND_REJECT) ? "reject" : "drop";
	int fam = k->family == AF_INET6 ? AF_INET6 : AF_INET;
	sqlite3_stmt *st;

	if ((k->kind & AGG_KIND_TYPE) == AGG_KIND_COUNT) {
		st = db->up_cnt;
		sqlite3_bind_int64(st, 1, k->minute);
		sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)row->val.packets);
		sqlite3_bind_int64(st, 5, (int64_t)row->val.bytes);
		sqlite3_bind_int64(st, 6, (int64_t)row->val.flows);
		sqlite3_bind_int64(st, 7, (int64_t)row->val.destroys);
		return flowdb_step(db, st, "storing refused totals");
	}
	if (!k->family) /* the rule's overflow row of the minute */
		src[0] = dst[0] = '\0';
	else if (!inet_ntop(fam, k->src, src, sizeof(src)) || !inet_ntop(fam, k->dst, dst, sizeof(dst)))
		snprintf(src, sizeof(src), "?"), snprintf(dst, sizeof(dst), "?");
	st = db->up_ref;
	sqlite3_bind_int64(st, 1, k->minute);
	sqlite3_bind_int(st, 2, !k->family ? 0 : fam == AF_INET6 ? 6 : 4);
	sqlite3_bind_int(st, 3, k->proto);
	sqlite3_bind_text(st, 4, k->src_any ? "" : src, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, dst, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, k->dport);
	sqlite3_bind_text(st, 7, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (int64_t)row->val.flows);
	return flowdb_step(db, st, "storing refused traffic");
}
