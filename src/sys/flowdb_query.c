// SPDX-License-Identifier: GPL-2.0-or-later
/* The flows database's queries, for vigild flows (read-only handles). */
#include <errno.h>
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

int flowdb_query(struct flowdb *db, const struct flowdb_query *q,
		 int (*cb)(void *ctx, const struct flowdb_row *row), void *ctx)
{
	/* selected: first, last, family, proto, src, dst, dport, rule, then sums */
	static const char *const cols[] = {
		[FLOWDB_BY_NONE] = "minute, minute, family, proto, src, dst, dport, rule,"
				   " flows, packets, bytes, duration_ms, destroys",
		[FLOWDB_BY_SRC] = "MIN(minute), MAX(minute), family, NULL, src, NULL, NULL, NULL",
		[FLOWDB_BY_DST] = "MIN(minute), MAX(minute), family, NULL, NULL, dst, NULL, NULL",
		[FLOWDB_BY_DPORT] = "MIN(minute), MAX(minute), NULL, proto, NULL, NULL, dport,"
				    " NULL",
		[FLOWDB_BY_RULE] = "MIN(minute), MAX(minute), NULL, NULL, NULL, NULL, NULL, rule",
	};
	static const char *const group[] = {
		[FLOWDB_BY_SRC] = "family, src",
		[FLOWDB_BY_DST] = "family, dst",
		[FLOWDB_BY_DPORT] = "proto, dport",
		[FLOWDB_BY_RULE] = "rule",
	};
	static const char where[] =
		" FROM flows WHERE minute >= ?1 AND minute < ?2 AND (?3 IS NULL OR rule = ?3)";
	_cleanup_free_ char *sql = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = 0, n = 0;

	if ((unsigned)q->by > FLOWDB_BY_RULE)
		return -EINVAL;
	db->err[0] = '\0';
	if (q->by == FLOWDB_BY_NONE)
		sql = xasprintf("SELECT %s%s ORDER BY %s LIMIT ?4", cols[q->by], where,
				q->top ? "flows DESC, bytes DESC, minute" :
					 "minute, flows DESC, bytes DESC");
	else
		sql = xasprintf("SELECT %s, SUM(flows), SUM(packets), SUM(bytes), SUM(duration_ms),"
				" SUM(destroys)%s GROUP BY %s"
				" ORDER BY SUM(flows) DESC, SUM(bytes) DESC, %s LIMIT ?4",
				cols[q->by], where, group[q->by], group[q->by]);
	rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "preparing the query");
	sqlite3_bind_int64(st, 1, q->since);
	sqlite3_bind_int64(st, 2, q->until);
	if (q->rule)
		sqlite3_bind_text(st, 3, q->rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->top ? (int64_t)q->top : -1);
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
			.flows = (uint64_t)sqlite3_column_int64(st, 8),
			.packets = (uint64_t)sqlite3_column_int64(st, 9),
			.bytes = (uint64_t)sqlite3_column_int64(st, 10),
			.duration_ms = (uint64_t)sqlite3_column_int64(st, 11),
			.destroys = (uint64_t)sqlite3_column_int64(st, 12),
		};
		row.counted = row.destroys > 0;
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
