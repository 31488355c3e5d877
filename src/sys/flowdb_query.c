// SPDX-License-Identifier: GPL-2.0-or-later
/* The flows database's queries, for vigild flows (read-only handles). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

#include "vigil/flowdb.h"
#include "vigil/util.h"
#include "flowdb_int.h"

static const char *flowdb_text_or_null(sqlite3_stmt *st, int col)
{
	const char *s;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	s = (const char *)sqlite3_column_text(st, col);
	return s && *s ? s : NULL; /* '' is "none" */
}

static int flowdb_int_or(sqlite3_stmt *st, int col, int dflt)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? dflt : sqlite3_column_int(st, col);
}

/* vigil_in(addr, cidr): 1 when the address text is in the prefix. */
static bool cidr_parse(const char *c, int *fam, uint8_t net[16], unsigned *plen)
{
	char buf[64];
	const char *sl = strchr(c, '/');
	size_t n = sl ? (size_t)(sl - c) : strlen(c);
	char *end;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, c, n);
	buf[n] = '\0';
	*fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*fam, buf, net) != 1)
		return false;
	*plen = *fam == AF_INET6 ? 128 : 32;
	if (sl) {
		unsigned long v;
		errno = 0;
		v = strtoul(sl + 1, &end, 10);
		if (!sl[1] || *end || errno || v > *plen)
			return false;
		*plen = (unsigned)v;
	}
	return true;
}

int flowdb_cidr_ok(const char *cidr)
{
	int fam;
	uint8_t net[16];
	unsigned plen;

	return cidr_parse(cidr, &fam, net, &plen);
}

bool flowdb_addr_in(const char *a, const char *c)
{
	uint8_t addr[16], net[16];
	unsigned plen, full, rest;
	int fam;

	if (!a || !c || !*a || !cidr_parse(c, &fam, net, &plen) || inet_pton(fam, a, addr) != 1)
		return false;
	full = plen / 8;
	rest = plen % 8;
	return memcmp(addr, net, full) == 0 &&
	       (!rest || ((addr[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0);
}

static void vigil_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int(ctx, flowdb_addr_in((const char *)sqlite3_value_text(argv[0]),
					       (const char *)sqlite3_value_text(argv[1])));
}

/* All rows, accepted and refused, under one set of names (see flowdb_query). */
static const char flowdb_ev_sql[] =
	"WITH ev(minute, family, proto, src, dst, dport, rule, verdict, flows, packets, bytes,"
	" duration_ms, destroys, known, nat_dst, nat_dport, nat_src, nat) AS ("
	" SELECT minute, family, proto, src, dst, dport, rule, 'accept', flows, packets, bytes,"
	" duration_ms, destroys, destroys, nat_dst, nat_dport, nat_src, nat FROM flows WHERE ?5 <> 2"
	" UNION ALL SELECT minute, family, proto, src, dst, dport, rule, verdict, sampled, 0, 0, 0,"
	" 0, 0, '', 0, '', '' FROM refused WHERE ?5 <> 1"
	" UNION ALL SELECT minute, NULL, NULL, NULL, NULL, NULL, rule, verdict, 0, counted, bytes,"
	" 0, 0, 1, '', 0, '', '' FROM refused_counts WHERE ?5 <> 1 AND ?10 = 1) ";

static char *flowdb_query_sql(const struct flowdb_query *q)
{
	/* selected: first, last, family, proto, src, dst, dport, rule, verdict, then
	 * sums (5), then the translation: nat_dst, nat_dport, nat_src, nat */
	static const char *const cols[] = {
		[FLOWDB_BY_NONE] = "minute, minute, family, proto, src, dst, dport, rule, verdict,"
				   " flows, packets, bytes, duration_ms, destroys, known,"
				   " nat_dst, nat_dport, nat_src, nat",
		[FLOWDB_BY_SRC] = "MIN(minute), MAX(minute), family, NULL, src, NULL, NULL, NULL, NULL",
		[FLOWDB_BY_DST] = "MIN(minute), MAX(minute), family, NULL, NULL, dst, NULL, NULL, NULL",
		[FLOWDB_BY_DPORT] = "MIN(minute), MAX(minute), NULL, proto, NULL, NULL, dport,"
				    " NULL, NULL",
		[FLOWDB_BY_RULE] = "MIN(minute), MAX(minute), NULL, NULL, NULL, NULL, NULL, rule,"
				   " verdict",
		[FLOWDB_BY_VERDICT] = "MIN(minute), MAX(minute), NULL, NULL, NULL, NULL, NULL, NULL,"
				      " verdict",
		[FLOWDB_BY_NAT] = "MIN(minute), MAX(minute), NULL, NULL, NULL, NULL, NULL, NULL, NULL",
	};
	/* grouped: the translation columns after the sums */
	static const char *const ncols[] = {
		[FLOWDB_BY_SRC] = "NULL, NULL, NULL, NULL",
		[FLOWDB_BY_DST] = "NULL, NULL, NULL, NULL",
		[FLOWDB_BY_DPORT] = "NULL, NULL, NULL, NULL",
		[FLOWDB_BY_RULE] = "NULL, NULL, NULL, NULL",
		[FLOWDB_BY_VERDICT] = "NULL, NULL, NULL, NULL",
		[FLOWDB_BY_NAT] = "NULL, NULL, NULL, nat",
	};
	static const char *const group[] = {
		[FLOWDB_BY_SRC] = "family, src",
		[FLOWDB_BY_DST] = "family, dst",
		[FLOWDB_BY_DPORT] = "proto, dport",
		[FLOWDB_BY_RULE] = "rule, verdict",
		[FLOWDB_BY_VERDICT] = "verdict",
		[FLOWDB_BY_NAT] = "nat",
	};
	static const char *const key[] = { "flows", "packets", "bytes" };
	static const char where[] =
		" FROM ev WHERE minute >= ?1 AND minute < ?2 AND (?3 IS NULL OR rule = ?3)"
		" AND (?6 IS NULL OR vigil_in(src, ?6)) AND (?7 IS NULL OR vigil_in(dst, ?7))"
		" AND (?8 IS NULL OR dport = ?8) AND (?9 IS NULL OR proto = ?9)";
	const char *k = key[q->sort <= FLOWDB_SORT_BYTES ? q->sort : 0];

	if (q->by == FLOWDB_BY_NONE) {
		if (q->top)
			return xasprintf("%sSELECT %s%s ORDER BY %s DESC, bytes DESC, minute, verdict LIMIT ?4",
					 flowdb_ev_sql, cols[0], where, k);
		return xasprintf("%sSELECT %s%s ORDER BY minute, flows DESC, bytes DESC, verdict LIMIT ?4",
				 flowdb_ev_sql, cols[0], where);
	}
	return xasprintf("%sSELECT %s, SUM(flows), SUM(packets), SUM(bytes), SUM(duration_ms),"
			 " SUM(destroys), SUM(known), %s%s%s GROUP BY %s"
			 " ORDER BY SUM(%s) DESC, SUM(bytes) DESC, %s LIMIT ?4",
			 flowdb_ev_sql, cols[q->by], ncols[q->by], where,
			 /* by nat: the translated connections only */
			 q->by == FLOWDB_BY_NAT ? " AND nat_dst || nat_src || nat <> ''" : "",
			 group[q->by], k, group[q->by]);
}

static void flowdb_query_bind(sqlite3_stmt *st, const struct flowdb_query *q)
{
	/* exact refused totals have no addresses or ports: only unfiltered
	 * sums per rule or verdict take them */
	bool counts = (q->by == FLOWDB_BY_RULE || q->by == FLOWDB_BY_VERDICT) && !q->src && !q->dst &&
		      !q->dport_set && !q->proto_set;

	sqlite3_bind_int64(st, 1, q->since);
	sqlite3_bind_int64(st, 2, q->until);
	if (q->rule)
		sqlite3_bind_text(st, 3, q->rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->top ? (int64_t)q->top : -1);
	sqlite3_bind_int(st, 5, q->verdict == FLOWDB_V_ACCEPTED ? 1 : q->verdict == FLOWDB_V_REFUSED ? 2 : 0);
	if (q->src)
		sqlite3_bind_text(st, 6, q->src, -1, SQLITE_STATIC);
	if (q->dst)
		sqlite3_bind_text(st, 7, q->dst, -1, SQLITE_STATIC);
	if (q->dport_set)
		sqlite3_bind_int(st, 8, q->dport);
	if (q->proto_set)
		sqlite3_bind_int(st, 9, q->proto);
	sqlite3_bind_int(st, 10, counts);
}

/*
 * One query over accepted flows and refused traffic alike (the CTE ev).
 * Refused rows count sampled attempts in flows; grouped by rule or verdict
 * without address, port or protocol filters, the exact totals of
 * refused_counts come in as packets and bytes.
 */
int flowdb_query(struct flowdb *db, const struct flowdb_query *q,
		 int (*cb)(void *ctx, const struct flowdb_row *row), void *ctx)
{
	_cleanup_free_ char *sql = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = 0, n = 0;

	if ((unsigned)q->by > FLOWDB_BY_NAT || (q->src && !flowdb_cidr_ok(q->src)) ||
	    (q->dst && !flowdb_cidr_ok(q->dst)))
		return -EINVAL;
	db->err[0] = '\0';
	rc = sqlite3_create_function_v2(db->db, "vigil_in", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
					NULL, vigil_in, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "preparing the query");
	sql = flowdb_query_sql(q);
	rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "preparing the query");
	flowdb_query_bind(st, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct flowdb_row row = {
			.minute = sqlite3_column_int64(st, 0),
			.last_minute = sqlite3_column_int64(st, 1),
			.family = flowdb_int_or(st, 2, 0),
			.proto = flowdb_int_or(st, 3, -1),
			.src = flowdb_text_or_null(st, 4),
			.dst = flowdb_text_or_null(st, 5),
			.dport = flowdb_int_or(st, 6, -1),
			.rule = flowdb_text_or_null(st, 7),
			.verdict = flowdb_text_or_null(st, 8),
			.flows = (uint64_t)sqlite3_column_int64(st, 9),
			.packets = (uint64_t)sqlite3_column_int64(st, 10),
			.bytes = (uint64_t)sqlite3_column_int64(st, 11),
			.duration_ms = (uint64_t)sqlite3_column_int64(st, 12),
			.destroys = (uint64_t)sqlite3_column_int64(st, 13),
		};
		row.counted = sqlite3_column_int64(st, 14) > 0;
		row.nat_dst = flowdb_text_or_null(st, 15);
		row.nat_dport = row.nat_dst ? flowdb_int_or(st, 16, -1) : -1;
		row.nat_src = flowdb_text_or_null(st, 17);
		row.nat = flowdb_text_or_null(st, 18);
		n++;
		r = cb(ctx, &row);
		if (r < 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = flowdb_fail(db, rc, "reading flows");
	sqlite3_finalize(st);
	return r < 0 ? r : n;
}

int flowdb_rules(struct flowdb *db, int (*cb)(void *ctx, const char *rule), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0, n = 0;

	rc = sqlite3_prepare_v2(db->db,
				"SELECT rule FROM flows WHERE rule <> '' UNION SELECT rule FROM refused"
				" UNION SELECT rule FROM refused_counts",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "reading rule names");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r >= 0) {
		r = cb(ctx, (const char *)sqlite3_column_text(st, 0));
		n++;
	}
	if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = flowdb_fail(db, rc, "reading rule names");
	sqlite3_finalize(st);
	return r < 0 ? r : n;
}

int flowdb_loss(struct flowdb *db, int64_t since, int64_t until, struct flowdb_loss *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(db->db,
				"SELECT count(*), MIN(minute), MAX(minute), SUM(events),"
				" SUM(new_events), SUM(lost), SUM(enobufs), SUM(kernel_inserts),"
				" SUM(overflow), SUM(bad), SUM(incomplete & 1 != 0), SUM(incomplete & 2 != 0),"
				" SUM(incomplete & 4 != 0), SUM(ct_early_drop), SUM(ct_insert_failed),"
				" SUM(ct_drop), SUM(ct_early_drop + ct_drop > 0), MAX(ct_max),"
				" SUM(db_lost_flows), SUM(db_lost_minutes)"
				" FROM observer WHERE minute >= ?1 AND minute < ?2",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "reading observer figures");
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		uint64_t *v[] = { &out->events, &out->new_events, &out->lost, &out->enobufs,
				  &out->kernel_inserts, &out->overflow, &out->bad,
				  &out->incomplete_minutes[0], &out->incomplete_minutes[1],
				  &out->incomplete_minutes[2], &out->ct_early_drop, &out->ct_insert_failed,
				  &out->ct_drop, &out->ct_full_minutes, &out->ct_max, &out->db_lost_flows,
				  &out->db_lost_minutes };
		out->minutes = (uint64_t)sqlite3_column_int64(st, 0);
		out->first = sqlite3_column_int64(st, 1);
		out->last = sqlite3_column_int64(st, 2);
		for (size_t i = 0; i < ARRAY_SIZE(v); i++)
			*v[i] = (uint64_t)sqlite3_column_int64(st, 3 + (int)i);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return flowdb_fail(db, rc, "reading observer figures");

	/* the minutes observed only in part */
	rc = sqlite3_prepare_v2(db->db,
				"SELECT minute, started, stopped FROM observer"
				" WHERE minute >= ?1 AND minute < ?2"
				" AND (started IS NOT NULL OR stopped IS NOT NULL) ORDER BY minute",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "reading observer figures");
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->npart < FLOWDB_PARTIAL_MAX) {
			struct flowdb_partial *p = &out->part[out->npart++];

			p->minute = sqlite3_column_int64(st, 0);
			p->started = sqlite3_column_int64(st, 1); /* NULL reads as 0 */
			p->stopped = sqlite3_column_int64(st, 2);
		}
		out->partial++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : flowdb_fail(db, rc, "reading observer figures");
}

int flowdb_minutes(struct flowdb *db, int64_t since, int64_t until,
		   int (*cb)(void *ctx, int64_t minute, bool complete), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db->db,
				"SELECT minute, lost + enobufs + overflow + bad + incomplete + ct_early_drop +"
				" ct_drop + db_lost_flows + db_lost_minutes + nflog_lost + nflog_enobufs + folded = 0"
				" AND started IS NULL AND stopped IS NULL FROM observer"
				" WHERE minute >= ?1 AND minute < ?2 ORDER BY minute",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "reading observer figures");
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1) != 0);
	if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = flowdb_fail(db, rc, "reading observer figures");
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}
