// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writing the flows database: a minute's aggregate flushed in one
 * transaction (accepted rows, refused rows, observer figures), retention,
 * and the meta table.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>

#include "vigil/flowdb.h"
#include "vigil/util.h"
#include "flowdb_int.h"
#include "vigil/flowdb_follow.h"

void flowdb_bind_key(sqlite3_stmt *st, const struct flowdb_row *r)
{
	sqlite3_bind_int64(st, 1, r->minute);
	/* family 0: the rule's overflow row of the minute (agg_cap) */
	sqlite3_bind_int(st, 2, r->family);
	sqlite3_bind_int(st, 3, r->proto);
	sqlite3_bind_text(st, 4, r->src ? r->src : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->dst ? r->dst : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->dport);
	sqlite3_bind_text(st, 7, r->rule ? r->rule : "", -1, SQLITE_STATIC);
}

/* The row's text and numbers are what flowdb_query will return for it
 * (flowdb_agg_row): '' where the query says none. */
static int flowdb_put_row(void *ctx, const struct agg_row *row)
{
	struct flowdb *db = ctx;
	struct flowdb_row_text t;
	struct flowdb_row r;
	sqlite3_stmt *st = db->up_flow;

	if (row->key.kind != AGG_KIND_ACCEPTED)
		return flowdb_put_refused(db, row);
	flowdb_agg_row(row, &db->names, &r, &t);
	flowdb_bind_key(st, &r);
	sqlite3_bind_int64(st, 8, (int64_t)row->val.flows);
	sqlite3_bind_int64(st, 9, (int64_t)row->val.packets);
	sqlite3_bind_int64(st, 10, (int64_t)row->val.bytes);
	sqlite3_bind_int64(st, 11, (int64_t)row->val.duration_ms);
	sqlite3_bind_int64(st, 12, (int64_t)row->val.destroys);
	/* through NAT: '' and 0 when not translated */
	sqlite3_bind_text(st, 13, r.nat_dst ? r.nat_dst : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 14, r.nat_dst ? r.nat_dport : 0);
	sqlite3_bind_text(st, 15, r.nat_src ? r.nat_src : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, r.nat ? r.nat : "", -1, SQLITE_STATIC);
	return flowdb_step(db, st, "storing flows");
}

static int flowdb_put_obs(void *ctx, int64_t minute, const struct agg_obs *o)
{
	struct flowdb *db = ctx;
	sqlite3_stmt *st = db->up_obs;

	sqlite3_bind_int64(st, 1, minute);
	sqlite3_bind_int64(st, 2, (int64_t)o->events);
	sqlite3_bind_int64(st, 3, (int64_t)o->new_events);
	sqlite3_bind_int64(st, 4, (int64_t)o->lost);
	sqlite3_bind_int64(st, 5, (int64_t)o->enobufs);
	sqlite3_bind_int64(st, 6, (int64_t)o->kernel_inserts);
	sqlite3_bind_int64(st, 7, (int64_t)o->overflow);
	sqlite3_bind_int64(st, 8, (int64_t)o->bad);
	if (o->started)
		sqlite3_bind_int64(st, 9, o->started);
	else
		sqlite3_bind_null(st, 9);
	if (o->stopped)
		sqlite3_bind_int64(st, 10, o->stopped);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int64(st, 11, (int64_t)o->incomplete);
	sqlite3_bind_int64(st, 12, (int64_t)o->ct_early_drop);
	sqlite3_bind_int64(st, 13, (int64_t)o->ct_insert_failed);
	sqlite3_bind_int64(st, 14, (int64_t)o->ct_drop);
	sqlite3_bind_int64(st, 15, (int64_t)o->ct_max);
	sqlite3_bind_int64(st, 16, (int64_t)o->ct_entries);
	sqlite3_bind_int64(st, 17, (int64_t)o->db_lost_flows);
	sqlite3_bind_int64(st, 18, (int64_t)o->db_lost_minutes);
	sqlite3_bind_int64(st, 19, (int64_t)o->nflog_records);
	sqlite3_bind_int64(st, 20, (int64_t)o->nflog_lost);
	sqlite3_bind_int64(st, 21, (int64_t)o->nflog_enobufs);
	sqlite3_bind_int64(st, 22, (int64_t)o->nflog_bad);
	sqlite3_bind_int64(st, 23, (int64_t)o->folded);
	return flowdb_step(db, st, "storing observer figures");
}

static int flowdb_commit(void *ctx)
{
	struct flowdb *db = ctx;

	return flowdb_step(db, db->commit, "COMMIT");
}

int flowdb_flush(struct flowdb *db, struct agg *agg, const char *const *rules, size_t nrules)
{
	return flowdb_flush_nat(db, agg, rules, nrules, NULL, 0);
}

int flowdb_flush_nat(struct flowdb *db, struct agg *agg, const char *const *rules, size_t nrules,
		     const char *const *nats, size_t nnats)
{
	static const struct agg_sink sink = { flowdb_put_row, flowdb_put_obs, flowdb_commit };
	int r;

	if (db->rdonly)
		return -EROFS;
	db->err[0] = '\0';
	if (agg_rows(agg) == 0 && agg_obs_minutes(agg) == 0)
		return 0;
	r = flowdb_step(db, db->begin, "BEGIN");
	if (r < 0)
		return r;
	db->names = (struct flowdb_names){ rules, nrules, nats, nnats };
	r = agg_drain(agg, &sink, db);
	db->names = (struct flowdb_names){ 0 };
	if (r < 0 && !sqlite3_get_autocommit(db->db))
		flowdb_step(db, db->rollback, "ROLLBACK");
	return r;
}

/* ---- retention, meta ---- */

int flowdb_retention(struct flowdb *db, int64_t cutoff, uint64_t *deleted)
{
	static const char *const del[] = {
		"DELETE FROM flows WHERE minute < ?1",
		"DELETE FROM observer WHERE minute < ?1",
		"DELETE FROM refused WHERE minute < ?1",
		"DELETE FROM refused_counts WHERE minute < ?1",
	};
	uint64_t n = 0;
	int r;

	if (db->rdonly)
		return -EROFS;
	db->err[0] = '\0';
	r = flowdb_step(db, db->begin, "BEGIN");
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(del); i++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db->db, del[i], -1, &st, NULL);

		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, cutoff);
			rc = sqlite3_step(st);
		}
		if (rc == SQLITE_DONE)
			n += (uint64_t)sqlite3_changes64(db->db);
		else
			r = flowdb_fail(db, rc, del[i]);
		sqlite3_finalize(st);
	}
	if (r == 0)
		r = flowdb_step(db, db->commit, "COMMIT");
	if (r < 0) {
		if (!sqlite3_get_autocommit(db->db))
			flowdb_step(db, db->rollback, "ROLLBACK");
		return r;
	}
	if (deleted)
		*deleted = n;
	/* give the free pages back to the file system ... */
	r = flowdb_run(db, "PRAGMA incremental_vacuum");
	if (r < 0)
		return r;
	/*
	 * ... which happens when a checkpoint copies the shorter database back.
	 * PASSIVE never waits for readers; a busy reader only delays the shrink.
	 */
	return flowdb_run(db, "PRAGMA wal_checkpoint(PASSIVE)");
}

int flowdb_meta_set(struct flowdb *db, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db->rdonly)
		return -EROFS;
	rc = sqlite3_prepare_v2(db->db,
				"INSERT INTO meta (key, value) VALUES (?1, ?2)"
				" ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : flowdb_fail(db, rc, "setting meta");
}

int flowdb_mark_unclean_stop(struct flowdb *db, int64_t *minute)
{
	sqlite3_stmt *st = NULL;
	int64_t m = 0;
	char *sql;
	int rc, r;

	if (db->rdonly)
		return -EROFS;
	/* no RETURNING: SQLite 3.24 is enough for vigild */
	rc = sqlite3_prepare_v2(db->db,
				"SELECT minute FROM observer"
				" WHERE minute = (SELECT MAX(minute) FROM observer)"
				" AND (stopped IS NULL OR started >= stopped)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "looking for an unclean stop");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		m = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return flowdb_fail(db, rc, "looking for an unclean stop");
	sql = xasprintf("UPDATE observer SET stopped = minute WHERE minute = %" PRId64, m);
	r = flowdb_exec(db, sql);
	free(sql);
	if (r < 0)
		return r;
	if (minute)
		*minute = m;
	return 1;
}

int flowdb_meta_get(struct flowdb *db, const char *key, char **value)
{
	sqlite3_stmt *st = NULL;
	int rc, r = -ENOENT;

	rc = sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return flowdb_fail(db, rc, "reading meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = flowdb_fail(db, rc, "reading meta");
	}
	sqlite3_finalize(st);
	return r;
}
