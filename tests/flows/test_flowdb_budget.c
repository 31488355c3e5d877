// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowdb_set_budget (GET /v1/flows runs its query in vigild watch's event
 * loop): a query over a large database stops at the budget and says so; a
 * budget that suffices changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "unit.h"
#include "vigil/flowdb.h"
#include "vigil/util.h"

static char dir[] = "/tmp/vigil-budget.XXXXXX";
static char path[64];

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int count(void *ctx, const struct flowdb_row *row)
{
	(void)row;
	(*(size_t *)ctx)++;
	return 0;
}

/* A database with 400000 flows rows (20000 sources over 20 minutes). */
static void make_db(void)
{
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN];
	sqlite3 *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/flows.db", dir);
	ck_assert_msg(flowdb_open(path, 0, &db, err) == 0, "%s", err);
	flowdb_close(db);
	ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s,
		"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 399999)"
		" INSERT INTO flows (minute, family, proto, src, dst, dport, rule, flows)"
		" SELECT 1700000000 + (i % 20) * 60, 4, 6, '10.0.' || (i / 20 / 250) || '.' || (i / 20 % 250),"
		" '10.1.0.1', 443, 'web', 1 FROM n", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
}

static void rm_db(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(budget)
{
	struct flowdb_query q = { .since = 1700000000, .until = 1700000000 + 20 * 60, .by = FLOWDB_BY_SRC };
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN];
	struct timespec t0;
	uint64_t deadline;
	size_t n = 0;
	int r;

	make_db();
	/* enough: all 20000 groups */
	ck_assert_msg(flowdb_open(path, FLOWDB_RDONLY, &db, err) == 0, "%s", err);
	flowdb_set_budget(db, 60000, &deadline);
	r = flowdb_query(db, &q, count, &n);
	ck_assert_int_eq(r, 20000);
	ck_assert_uint_eq(n, 20000);
	ck_assert(!flowdb_over_budget(&deadline));
	flowdb_close(db);

	/* 2 ms: the grouping of 400000 rows takes far longer */
	ck_assert_msg(flowdb_open(path, FLOWDB_RDONLY, &db, err) == 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	flowdb_set_budget(db, 2, &deadline);
	n = 0;
	r = flowdb_query(db, &q, count, &n);
	ck_assert_msg(r < 0, "the query ended within 2 ms (%d rows)", r);
	ck_assert(flowdb_over_budget(&deadline));
	ck_assert_msg(ms_since(&t0) < 200, "stopped after %.0f ms", ms_since(&t0));
	flowdb_close(db);
	rm_db();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowdb_budget");
	TCase *tc = tcase_create("budget");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, budget);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
