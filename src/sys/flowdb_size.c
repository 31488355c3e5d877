// SPDX-License-Identifier: GPL-2.0-or-later
/* The flows database's size bound (vigild watch --db-max-size): the oldest
 * minutes go first, before the retention would take them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "flowdb_int.h"
#include "vigil/util.h"

static int one(struct flowdb *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : flowdb_fail(db, rc, sql);
}

int flowdb_used_bytes(struct flowdb *db, uint64_t *bytes)
{
	int64_t pages, freel, psz;
	int r = one(db, "PRAGMA page_count", &pages);

	if (r == 0)
		r = one(db, "PRAGMA freelist_count", &freel);
	if (r == 0)
		r = one(db, "PRAGMA page_size", &psz);
	if (r == 0)
		*bytes = (uint64_t)(pages - freel) * (uint64_t)psz;
	return r;
}

int flowdb_expire_to_size(struct flowdb *db, uint64_t max, int64_t keep_from, int64_t *cutoff)
{
	uint64_t used;
	int64_t oldest, cut = 0;
	int r;

	for (int round = 0; round < 64; round++) {
		r = flowdb_used_bytes(db, &used);
		if (r < 0)
			return r;
		if (used <= max)
			break;
		r = one(db, "SELECT MIN(m) FROM (SELECT MIN(minute) AS m FROM observer UNION ALL"
			    " SELECT MIN(minute) FROM flows UNION ALL SELECT MIN(minute) FROM refused)",
			&oldest);
		if (r < 0)
			return r;
		if (oldest == INT64_MIN || oldest + 60 > keep_from)
			break; /* only the newest minutes are left: they stay */
		/* a tenth of what is there at a time, at least a minute */
		int64_t span = (keep_from - oldest) / 10;
		cut = oldest + (span < 60 ? 60 : span - span % 60);
		if (cut > keep_from)
			cut = keep_from;
		r = flowdb_retention(db, cut, NULL);
		if (r < 0)
			return r;
	}
	if (cut) {
		char v[32];
		snprintf(v, sizeof(v), "%" PRId64, cut);
		r = flowdb_meta_set(db, "expired_early_before", v);
		if (r < 0)
			return r;
	}
	*cutoff = cut;
	return cut ? 1 : 0;
}
