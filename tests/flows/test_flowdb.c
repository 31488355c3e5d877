// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowdb: the SQLite store. Migrations, upsert accumulation, retention with
 * a shrinking file, a bounded WAL, a reader while a writer writes, a writer
 * killed mid-flush, refusal of newer files, a reader without write access.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "unit.h"
#include "flows_sql.h"
#include "vigil/flowdb.h"
#include "vigil/ir.h"
#include "vigil/util.h"

/*
 * Every test works in a directory of its own under base, which the parent
 * process makes before and removes after all tests (unchecked fixtures run
 * in the parent): a failing test, whose process ends at the assertion,
 * leaves nothing behind.
 */
static char base[64];
static char dir[96];
static char path[128];

static void base_make(void)
{
	snprintf(base, sizeof(base), "/tmp/vigil-flowdb-XXXXXX");
	if (!mkdtemp(base) || chmod(base, 0755) < 0) {
		perror("mkdtemp");
		exit(1);
	}
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

static void base_remove(void)
{
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmpdb(void)
{
	snprintf(dir, sizeof(dir), "%s/dXXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/flows.db", dir);
}

static void rmdb(void)
{
	char p[160];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* A plain SQLite connection for looking at the file from outside. */
static sqlite3 *raw(void)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *qs(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s", sql);
	v = sqlite3_column_type(st, 0) == SQLITE_NULL ?
		    xstrdup("NULL") :
		    xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static struct flowdb *open_rw(void)
{
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN] = "";

	ck_assert_msg(flowdb_open(path, 0, &db, err) == 0, "open %s: %s", path, err);
	return db;
}

static struct ct_event ev(uint8_t type, int family, const char *src, const char *dst,
			  uint16_t dport, int rule_index)
{
	struct ct_event e = { .type = type, .family = (uint8_t)family, .proto = IPPROTO_TCP,
			      .sport = 33333, .dport = dport, .have = CT_HAVE_PORTS };

	/* no ck_assert on the way: each passing one writes a location record
	 * to check's pipe, and a writer child killed by SIGKILL in the middle
	 * of such a write (kill_9_mid_flush) garbles the test's messages */
	if (inet_pton(family, src, e.src) != 1 || inet_pton(family, dst, e.dst) != 1)
		ck_abort_msg("bad test address %s or %s", src, dst);
	if (rule_index >= 0) {
		/* the low bits are someone else's */
		e.mark = ir_mark_of_rule((unsigned)rule_index) | 0x1234;
		e.have |= CT_HAVE_MARK;
	}
	return e;
}

static const char *const rules[] = { "ssh", "web", "dns" };

START_TEST(fresh_database)
{
	struct flowdb *db;
	sqlite3 *r;
	char *s;

	tmpdb();
	db = open_rw();
	ck_assert_int_eq(flowdb_schema_latest(), 5);
	ck_assert_int_eq(flowdb_schema_version(db), 5);
	r = raw();
	ck_assert_int_eq(q1(r, "PRAGMA user_version"), 5);
	/* migration 4: refused traffic */
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
			       " ('refused', 'refused_counts')"), 2);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM pragma_table_info('observer')"
			       " WHERE name IN ('nflog_records', 'nflog_lost', 'nflog_enobufs', 'nflog_bad')"), 4);
	/* migration 2: when an observer started or stopped within a minute */
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM pragma_table_info('observer')"
			       " WHERE name IN ('started', 'stopped')"), 2);
	/* migration 3: why a minute is incomplete, conntrack full, db loss */
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM pragma_table_info('observer')"
			       " WHERE name IN ('incomplete', 'ct_early_drop', 'ct_insert_failed',"
			       " 'ct_drop', 'ct_max', 'ct_entries', 'db_lost_flows', 'db_lost_minutes')"), 8);
	ck_assert_int_eq(q1(r, "PRAGMA auto_vacuum"), 2); /* INCREMENTAL, set before the tables */
	s = qs(r, "PRAGMA journal_mode");
	ck_assert_str_eq(s, "wal");
	free(s);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
			       " ('flows', 'observer', 'meta')"), 3);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE name = 'flows_v'"), 1);
	/* WITHOUT ROWID: no separate index for the primary key */
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
			       " tbl_name = 'flows'"), 0);
	sqlite3_close(r);

	/* the text in the binary is schemas/flows.sql, byte for byte */
	size_t len;
	_cleanup_free_ char *src = read_src_file("schemas/flows.sql", &len);
	ck_assert_uint_eq(strlen(VIGIL_FLOWS_SQL), len);
	ck_assert_str_eq(VIGIL_FLOWS_SQL, src);

	/* reopening changes nothing */
	flowdb_close(db);
	db = open_rw();
	ck_assert_int_eq(flowdb_schema_version(db), 5);
	flowdb_close(db);
	rmdb();
}
END_TEST

/* --db-max-size: the oldest minutes go first, the newest stay, the cutoff
 * is recorded. */
START_TEST(expire_to_size)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 9);
	struct agg_key k = { .family = AF_INET, .proto = IPPROTO_TCP, .kind = AGG_KIND_SAMPLE, .rule = 1 };
	static const char *const rules[] = { "r" };
	uint64_t used = 0, after = 0;
	int64_t cut = 0;
	char *v = NULL;
	sqlite3 *r;

	tmpdb();
	db = open_rw();
	for (int m = 0; m < 200; m++)
		for (int i = 0; i < 50; i++) {
			k.dport = (uint16_t)i;
			k.src[3] = (uint8_t)m;
			agg_add_refused(a, &k, &(struct agg_val){ .flows = 1 }, 60000 + m * 60);
			agg_add_obs(a, 60000 + m * 60, NULL);
		}
	ck_assert_int_eq(flowdb_flush(db, a, rules, 1), 0);
	ck_assert_int_eq(flowdb_used_bytes(db, &used), 0);
	ck_assert_int_eq(flowdb_expire_to_size(db, used * 4, 60000 + 199 * 60, &cut), 0);
	ck_assert_int_eq(flowdb_expire_to_size(db, used / 2, 60000 + 190 * 60, &cut), 1);
	ck_assert_int_eq(flowdb_used_bytes(db, &after), 0);
	ck_assert_uint_le(after, used / 2);
	r = raw();
	ck_assert_int_eq(q1(r, "SELECT MIN(minute) FROM refused"), cut);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM refused WHERE minute >= 60000 + 190 * 60"), 10 * 50);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM observer WHERE minute < " "60000"), 0);
	sqlite3_close(r);
	ck_assert_int_eq(flowdb_meta_get(db, "expired_early_before", &v), 0);
	ck_assert_int_eq(strtoll(v, NULL, 10), cut);
	free(v);
	agg_free(a);
	flowdb_close(db);
	rmdb();
}
END_TEST

/* Samples and exact totals of refused traffic land in their tables, in
 * the flush of the accepted flows; defaults are named default:CHAIN. */
START_TEST(refused_rows_stored)
{
	static const char *const rules[] = { "ssh", "telnet" };
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 5);
	struct agg_key k = { .family = AF_INET, .proto = IPPROTO_TCP, .dport = 23, .rule = 2,
			     .kind = AGG_KIND_SAMPLE };
	struct agg_val one = { .flows = 1 }, tot = { .packets = 40, .bytes = 2400, .flows = 12,
						     .destroys = 11 };
	sqlite3 *r;
	char *s;

	tmpdb();
	db = open_rw();
	k.src[0] = 10, k.src[3] = 7, k.dst[0] = 10, k.dst[3] = 1;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(agg_add_refused(a, &k, &one, 6000 + i), 0);
	k.kind = AGG_KIND_SAMPLE | AGG_KIND_DEFAULT | AGG_KIND_REJECT;
	k.rule = 0; /* CH_INPUT */
	k.dport = 80;
	ck_assert_int_eq(agg_add_refused(a, &k, &one, 6001), 0);
	struct agg_key c = { .rule = 2, .kind = AGG_KIND_COUNT };
	ck_assert_int_eq(agg_add_refused(a, &c, &tot, 6002), 0);
	struct agg_obs o = { .nflog_records = 4, .nflog_lost = 2, .nflog_enobufs = 1, .nflog_bad = 3 };
	agg_add_obs(a, 6003, &o);
	ck_assert_uint_eq(agg_flows_total(a), 0); /* no accepted flow among them */
	ck_assert_int_eq(flowdb_flush(db, a, rules, 2), 0);
	r = raw();
	ck_assert_int_eq(q1(r, "SELECT sampled FROM refused WHERE rule = 'telnet' AND verdict = 'drop'"
			       " AND src = '10.0.0.7' AND dst = '10.0.0.1' AND dport = 23 AND proto = 6"
			       " AND family = 4 AND minute = 6000"), 3);
	s = qs(r, "SELECT rule || ' ' || verdict FROM refused WHERE dport = 80");
	ck_assert_str_eq(s, "default:input reject");
	free(s);
	ck_assert_int_eq(q1(r, "SELECT counted FROM refused_counts WHERE rule = 'telnet'"), 40);
	ck_assert_int_eq(q1(r, "SELECT bytes + logged + sampled FROM refused_counts"), 2400 + 12 + 11);
	ck_assert_int_eq(q1(r, "SELECT nflog_records * 1000 + nflog_lost * 100 + nflog_enobufs * 10 +"
			       " nflog_bad FROM observer WHERE minute = 6000"), 4213);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows"), 0);
	sqlite3_close(r);
	ck_assert_int_eq(flowdb_retention(db, 7000, NULL), 0);
	r = raw();
	ck_assert_int_eq(q1(r, "SELECT (SELECT count(*) FROM refused) + (SELECT count(*) FROM refused_counts)"), 0);
	sqlite3_close(r);
	agg_free(a);
	flowdb_close(db);
	rmdb();
}
END_TEST

START_TEST(upserts_accumulate)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 11), *n = agg_new(AGG_F_NO_SOURCES, 0, 12);
	sqlite3 *r;
	char *s;

	tmpdb();
	db = open_rw();
	for (int round = 0; round < 3; round++) {
		struct ct_event e1 = ev(CT_EVENT_NEW, AF_INET, "192.0.2.1", "198.51.100.1", 22, 0);
		struct ct_event e2 =
			ev(CT_EVENT_NEW, AF_INET6, "2001:db8::1", "2001:db8::2", 443, 1);
		struct ct_event e3 = ev(CT_EVENT_NEW, AF_INET, "192.0.2.1", "198.51.100.1", 53, 7);
		struct ct_event e4 = ev(CT_EVENT_NEW, AF_INET, "192.0.2.9", "198.51.100.1", 80, -1);
		struct ct_event d =
			ev(CT_EVENT_DESTROY, AF_INET, "192.0.2.1", "198.51.100.1", 22, 0);

		d.orig_packets = 10;
		d.orig_bytes = 1000;
		d.reply_packets = 5;
		d.reply_bytes = 500;
		d.start_ns = 1000000000;
		d.stop_ns = 3500000000;
		d.have |= CT_HAVE_COUNTERS_ORIG | CT_HAVE_COUNTERS_REPLY | CT_HAVE_TS_START |
			  CT_HAVE_TS_STOP;
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(agg_add(a, &e1, 6000 + i), 0);
		ck_assert_int_eq(agg_add(a, &e2, 6000), 0);
		ck_assert_int_eq(agg_add(a, &e3, 6000), 0); /* index 7: no such rule */
		ck_assert_int_eq(agg_add(a, &e4, 6000), 0); /* not vigild's */
		ck_assert_int_eq(agg_add(a, &d, 6030), 0);
		ck_assert_int_eq(agg_add(n, &e1, 6000), 0);
		e1.src[3] = 2;
		ck_assert_int_eq(agg_add(n, &e1, 6000), 0);
		agg_add_obs(a, 6000, &(struct agg_obs){ .lost = 2, .enobufs = 1 });
		ck_assert_int_eq(flowdb_flush(db, a, rules, ARRAY_SIZE(rules)), 0);
		ck_assert_int_eq(flowdb_flush(db, n, rules, ARRAY_SIZE(rules)), 0);
		ck_assert_uint_eq(agg_rows(a), 0);
		/* an empty flush is a no-op */
		ck_assert_int_eq(flowdb_flush(db, a, rules, ARRAY_SIZE(rules)), 0);
	}
	r = raw();
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows"), 5);
	ck_assert_int_eq(q1(r, "SELECT flows FROM flows WHERE dport = 22 AND src = '192.0.2.1'"),
			 12);
	ck_assert_int_eq(q1(r, "SELECT packets FROM flows WHERE dport = 22 AND src <> ''"), 45);
	ck_assert_int_eq(q1(r, "SELECT bytes FROM flows WHERE dport = 22 AND src <> ''"), 4500);
	ck_assert_int_eq(q1(r, "SELECT destroys FROM flows WHERE dport = 22 AND src <> ''"), 3);
	ck_assert_int_eq(q1(r, "SELECT duration_ms FROM flows WHERE dport = 22 AND src <> ''"),
			 7500);
	ck_assert_int_eq(q1(r, "SELECT minute FROM flows WHERE dport = 22 AND src <> ''"), 6000);
	s = qs(r, "SELECT rule FROM flows WHERE dport = 22 AND src <> ''");
	ck_assert_str_eq(s, "ssh");
	free(s);
	s = qs(r, "SELECT rule || ' ' || family || ' ' || dst FROM flows WHERE dport = 443");
	ck_assert_str_eq(s, "web 6 2001:db8::2");
	free(s);
	/* rule index 7 of a 3-rule policy: mark 8 << 16, stored as rule number 8 */
	s = qs(r, "SELECT rule FROM flows WHERE dport = 53");
	ck_assert_str_eq(s, "#8");
	free(s);
	s = qs(r, "SELECT quote(rule) || ' ' || quote(packets) FROM flows_v WHERE dport = 80");
	ck_assert_str_eq(s, "NULL NULL");
	free(s);
	/* sources aggregated: '' in the table, NULL in the view; 2 srcs x 3 rounds */
	ck_assert_int_eq(q1(r, "SELECT flows FROM flows WHERE src = ''"), 6);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows_v WHERE src IS NULL"), 1);
	/* observer: 8 events a round in minute 6000 (the destroy was at 6030: same minute) */
	ck_assert_int_eq(q1(r, "SELECT events FROM observer WHERE minute = 6000"), 3 * 8 + 3 * 2);
	ck_assert_int_eq(q1(r, "SELECT lost FROM observer WHERE minute = 6000"), 6);
	ck_assert_int_eq(q1(r, "SELECT enobufs FROM observer WHERE minute = 6000"), 3);
	sqlite3_close(r);

	/* meta */
	char *v = NULL;
	ck_assert_int_eq(flowdb_meta_get(db, "policy", &v), -ENOENT);
	ck_assert_int_eq(flowdb_meta_set(db, "policy", "/etc/vigil/policy.yml"), 0);
	ck_assert_int_eq(flowdb_meta_set(db, "policy", "/etc/vigil/other.yml"), 0);
	ck_assert_int_eq(flowdb_meta_get(db, "policy", &v), 0);
	ck_assert_str_eq(v, "/etc/vigil/other.yml");
	free(v);

	flowdb_close(db);
	agg_free(a);
	agg_free(n);
	rmdb();
}
END_TEST

static int count_rows(void *ctx, const struct flowdb_row *row)
{
	uint64_t *sum = ctx;

	*sum += row->flows;
	return 0;
}

START_TEST(queries)
{
	struct flowdb *db, *ro;
	struct agg *a = agg_new(0, 0, 13);
	struct flowdb_query q = { .since = 0, .until = 1000000 };
	struct flowdb_loss l;
	uint64_t sum;
	char err[FLOWDB_ERRLEN];

	tmpdb();
	db = open_rw();
	/* minute 60: ssh from .1 x3, web from .2 x5; minute 120: web from .1 x1 */
	struct ct_event s1 = ev(CT_EVENT_NEW, AF_INET, "10.0.0.1", "10.0.0.9", 22, 0);
	struct ct_event w2 = ev(CT_EVENT_NEW, AF_INET, "10.0.0.2", "10.0.0.9", 443, 1);
	struct ct_event w1 = ev(CT_EVENT_NEW, AF_INET, "10.0.0.1", "10.0.0.9", 443, 1);
	for (int i = 0; i < 3; i++)
		agg_add(a, &s1, 60);
	for (int i = 0; i < 5; i++)
		agg_add(a, &w2, 61);
	agg_add(a, &w1, 125);
	agg_add_obs(a, 180, NULL);
	ck_assert_int_eq(flowdb_flush(db, a, rules, ARRAY_SIZE(rules)), 0);
	ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &ro, err), 0);

	sum = 0;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 3);
	ck_assert_uint_eq(sum, 9);
	q.rule = "web";
	sum = 0;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 2);
	ck_assert_uint_eq(sum, 6);
	q.rule = "";
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 0);
	q.rule = NULL;
	q.since = 120; /* only minute 120 */
	sum = 0;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 1);
	ck_assert_uint_eq(sum, 1);
	q.since = 0;
	q.until = 120; /* minute 120 excluded */
	sum = 0;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 2);
	ck_assert_uint_eq(sum, 8);
	q.until = 1000000;
	q.by = FLOWDB_BY_SRC;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 2);
	q.by = FLOWDB_BY_DPORT;
	q.top = 1;
	sum = 0;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 1);
	ck_assert_uint_eq(sum, 6); /* 443 is the top port */
	q.by = FLOWDB_BY_RULE;
	q.top = 0;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), 2);
	q.by = (enum flowdb_by)42;
	ck_assert_int_eq(flowdb_query(ro, &q, count_rows, &sum), -EINVAL);

	ck_assert_int_eq(flowdb_loss(ro, 0, 1000000, &l), 0);
	ck_assert_uint_eq(l.minutes, 3);
	ck_assert_int_eq(l.first, 60);
	ck_assert_int_eq(l.last, 180);
	ck_assert_uint_eq(l.events, 9);
	ck_assert_uint_eq(l.new_events, 9);
	ck_assert_int_eq(flowdb_loss(ro, 500, 1000, &l), 0);
	ck_assert_uint_eq(l.minutes, 0);

	/* a read-only handle writes nothing */
	agg_add(a, &w1, 125);
	ck_assert_int_eq(flowdb_flush(ro, a, rules, 3), -EROFS);
	ck_assert_int_eq(flowdb_retention(ro, 1000, NULL), -EROFS);
	ck_assert_int_eq(flowdb_meta_set(ro, "x", "y"), -EROFS);
	flowdb_close(ro);
	flowdb_close(db);
	agg_free(a);
	rmdb();
}
END_TEST

START_TEST(open_failures)
{
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN] = "";
	sqlite3 *r;
	int fd;

	tmpdb();
	ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &db, err), -ENOENT);
	ck_assert_ptr_null(db);

	/* not an SQLite file */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(write(fd, "this is not a database\n", 23), 23);
	close(fd);
	ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &db, err), -EBADMSG);
	ck_assert_msg(strstr(err, "not a database"), "%s", err);
	ck_assert_int_eq(flowdb_open(path, 0, &db, err), -EBADMSG);
	unlink(path);

	/* an SQLite file that is not ours */
	ck_assert_int_eq(sqlite3_open(path, &r), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(r, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(r);
	ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &db, err), -ENOMSG);
	unlink(path);

	/* a symlink is refused by the writer */
	char target[160];
	snprintf(target, sizeof(target), "%s/real.db", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_lt(flowdb_open(path, 0, &db, err), 0);
	ck_assert_int_eq(access(target, F_OK), -1);
	unlink(path);
	rmdb();
}
END_TEST

/* Starts and stops within a minute; an unclean stop found at the next start. */
START_TEST(starts_and_stops)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 21);
	struct flowdb_loss l;
	int64_t m = -1;
	sqlite3 *r;

	tmpdb();
	db = open_rw();
	ck_assert_int_eq(flowdb_mark_unclean_stop(db, &m), 0); /* nothing yet */
	/* a run from 6030 to 6150: minutes 6000 and 6120 in part, 6060 whole */
	agg_add_obs(a, 6030, &(struct agg_obs){ .started = 6030 });
	agg_add_obs(a, 6031, NULL);
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	agg_add_obs(a, 6060, NULL);
	agg_add_obs(a, 6150, &(struct agg_obs){ .stopped = 6150 });
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	ck_assert_int_eq(flowdb_mark_unclean_stop(db, &m), 0); /* it stopped cleanly */
	ck_assert_int_eq(flowdb_loss(db, 6000, 6180, &l), 0);
	ck_assert_uint_eq(l.minutes, 3);
	ck_assert_uint_eq(l.partial, 2);
	ck_assert_uint_eq(l.npart, 2);
	ck_assert_int_eq(l.part[0].minute, 6000);
	ck_assert_int_eq(l.part[0].started, 6030);
	ck_assert_int_eq(l.part[0].stopped, 0);
	ck_assert_int_eq(l.part[1].minute, 6120);
	ck_assert_int_eq(l.part[1].started, 0);
	ck_assert_int_eq(l.part[1].stopped, 6150);
	ck_assert_int_eq(flowdb_loss(db, 6060, 6120, &l), 0);
	ck_assert_uint_eq(l.partial, 0);

	/* the next run starts in the same minute and dies (no stop): the
	 * run after it marks that minute */
	agg_add_obs(a, 6170, &(struct agg_obs){ .started = 6170 });
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	ck_assert_int_eq(flowdb_mark_unclean_stop(db, &m), 1);
	ck_assert_int_eq(m, 6120);
	r = raw();
	ck_assert_int_eq(q1(r, "SELECT started FROM observer WHERE minute = 6120"), 6170);
	ck_assert_int_eq(q1(r, "SELECT stopped FROM observer WHERE minute = 6120"), 6120);
	sqlite3_close(r);
	/* a run killed in a minute of its own */
	agg_add_obs(a, 6200, &(struct agg_obs){ .started = 6200 });
	agg_add_obs(a, 6240, NULL);
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	ck_assert_int_eq(flowdb_mark_unclean_stop(db, &m), 1);
	ck_assert_int_eq(m, 6240);
	ck_assert_int_eq(flowdb_loss(db, 6180, 6300, &l), 0);
	ck_assert_uint_eq(l.partial, 2);
	ck_assert_int_eq(l.part[1].stopped, 6240);
	flowdb_close(db);
	agg_free(a);
	rmdb();
}
END_TEST

/* One writer per database: flowdb_lock. */
START_TEST(writer_lock)
{
	struct flowdb_lock a = { .fd = -1 }, b = { .fd = -1 };
	struct flowdb *db;
	char p[160];
	int holder = -1;

	tmpdb();
	/* absent: created, and removed again with everything SQLite made */
	ck_assert_int_eq(flowdb_lock(path, &a, &holder), 0);
	ck_assert(a.created);
	db = open_rw();
	ck_assert_int_eq(flowdb_is_empty(db), 1);
	/* a second claim, even from this process (another open file), is refused */
	ck_assert_int_eq(flowdb_lock(path, &b, &holder), -EWOULDBLOCK);
	ck_assert_int_eq(holder, getpid());
	ck_assert_int_eq(b.fd, -1);
	flowdb_close(db);
	flowdb_unlock(&a, path, true);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(p, sizeof(p), "%s-wal", path);
	ck_assert_int_eq(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s-shm", path);
	ck_assert_int_eq(access(p, F_OK), -1);

	/* present and not empty: never removed; the lock goes with the descriptor */
	ck_assert_int_eq(flowdb_lock(path, &a, NULL), 0);
	db = open_rw();
	ck_assert_int_eq(flowdb_meta_set(db, "k", "v"), 0);
	ck_assert_int_eq(flowdb_is_empty(db), 0);
	flowdb_close(db);
	flowdb_unlock(&a, path, false);
	ck_assert_int_eq(flowdb_lock(path, &b, NULL), 0);
	ck_assert(!b.created);
	flowdb_unlock(&b, path, true); /* not created by this claim: stays */
	ck_assert_int_eq(access(path, F_OK), 0);

	/* not a database file */
	snprintf(p, sizeof(p), "%s/link.db", dir);
	ck_assert_int_eq(symlink(path, p), 0);
	ck_assert_int_eq(flowdb_lock(p, &a, NULL), -ELOOP);
	unlink(p);
	ck_assert_int_eq(symlink("/nonexistent/x.db", p), 0);
	ck_assert_int_eq(flowdb_lock(p, &a, NULL), -ELOOP);
	unlink(p);
	ck_assert_int_eq(flowdb_lock(dir, &a, NULL), -EISDIR);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(flowdb_lock(p, &a, NULL), -EINVAL);
	unlink(p);
	ck_assert_int_eq(a.fd, -1);
	rmdb();
}
END_TEST

/* The schema of this build (version N = flowdb_schema_latest()) plus a
 * migration N + 1. */
static char *schema_v3(const char *migration3)
{
	return xasprintf("%s\n-- migration %d\n%s\n", VIGIL_FLOWS_SQL, flowdb_schema_latest() + 1,
			 migration3);
}

START_TEST(migrations)
{
	struct flowdb *db = NULL;
	struct agg *a = agg_new(0, 0, 14);
	char err[FLOWDB_ERRLEN] = "";
	_cleanup_free_ char *good = schema_v3("CREATE TABLE extra (x INTEGER);\n"
					      "INSERT INTO meta (key, value)"
					      " VALUES ('v3', 'yes');");
	_cleanup_free_ char *broken = schema_v3("CREATE TABLE half (x);\nCREATE TABLE (;");
	const int N = flowdb_schema_latest();
	_cleanup_free_ char *gap = xasprintf("%s\n-- migration %d\nSELECT 1;\n", VIGIL_FLOWS_SQL, N + 2);
	_cleanup_free_ char *mig = xasprintf("migration %d", N + 1);
	_cleanup_free_ char *newer = xasprintf("schema version %d", N + 1);
	sqlite3 *r;
	char *s;

	tmpdb();
	db = open_rw();
	struct ct_event e = ev(CT_EVENT_NEW, AF_INET, "192.0.2.1", "192.0.2.2", 22, 0);
	agg_add(a, &e, 60);
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	flowdb_close(db);

	/* a failing migration changes nothing: not even its first statement */
	ck_assert_int_lt(flowdb_open_schema(path, 0, broken, &db, err), 0);
	ck_assert_msg(strstr(err, mig), "%s", err);
	r = raw();
	ck_assert_int_eq(q1(r, "PRAGMA user_version"), N);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE name = 'half'"), 0);
	sqlite3_close(r);

	/* migrations must be numbered 1, 2, 3 ... */
	ck_assert_int_eq(flowdb_open_schema(path, 0, gap, &db, err), -EINVAL);
	ck_assert_int_eq(flowdb_open_schema(path, 0, "CREATE TABLE x (y);", &db, err), -EINVAL);

	/* 2 -> 3: only migration 3 runs, the data stays */
	ck_assert_int_eq(flowdb_open_schema(path, 0, good, &db, err), 0);
	ck_assert_int_eq(flowdb_schema_version(db), N + 1);
	flowdb_close(db);
	r = raw();
	ck_assert_int_eq(q1(r, "PRAGMA user_version"), N + 1);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM extra"), 0);
	ck_assert_int_eq(q1(r, "SELECT flows FROM flows"), 1);
	s = qs(r, "SELECT value FROM meta WHERE key = 'v3'");
	ck_assert_str_eq(s, "yes");
	free(s);
	sqlite3_close(r);

	/* this build knows version 2 only: the version 3 file is refused, untouched */
	struct stat before, after;
	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_int_eq(flowdb_open(path, 0, &db, err), -EPROTONOSUPPORT);
	ck_assert_msg(strstr(err, newer) && strstr(err, "newer"), "%s", err);
	ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &db, err), -EPROTONOSUPPORT);
	ck_assert_msg(strstr(err, "newer"), "%s", err);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_int_eq(before.st_mtime, after.st_mtime);
	ck_assert_int_eq(before.st_size, after.st_size);
	r = raw();
	ck_assert_int_eq(q1(r, "PRAGMA user_version"), N + 1);
	sqlite3_close(r);

	/* a fresh file goes 0 -> N + 1 in one open */
	rmdb();
	tmpdb();
	ck_assert_int_eq(flowdb_open_schema(path, 0, good, &db, err), 0);
	ck_assert_int_eq(flowdb_schema_version(db), N + 1);
	flowdb_close(db);

	/* a version 1 file (vigild 0.1.0) is brought to the latest: observer gains started/stopped */
	rmdb();
	tmpdb();
	{
		const char *m2 = strstr(VIGIL_FLOWS_SQL, "\n-- migration 2\n");
		_cleanup_free_ char *v1 = NULL;

		ck_assert_ptr_nonnull(m2);
		/* as vigild 0.1.0 made it (this build's writer prepares version 2 statements) */
		v1 = xasprintf("PRAGMA journal_mode = WAL; %.*s\nPRAGMA user_version = 1;"
			       " INSERT INTO observer (minute, events) VALUES (60, 5);",
			       (int)(m2 - VIGIL_FLOWS_SQL), VIGIL_FLOWS_SQL);
		ck_assert_int_eq(sqlite3_open(path, &r), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(r, v1, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(r);
		db = open_rw();
		ck_assert_int_eq(flowdb_schema_version(db), flowdb_schema_latest());
		/* its last minute had no recorded stop: an old watcher's end */
		int64_t m = 0;
		ck_assert_int_eq(flowdb_mark_unclean_stop(db, &m), 1);
		ck_assert_int_eq(m, 60);
		flowdb_close(db);
		r = raw();
		ck_assert_int_eq(q1(r, "SELECT events FROM observer WHERE minute = 60"), 5);
		ck_assert_int_eq(q1(r, "SELECT stopped FROM observer WHERE minute = 60"), 60);
		sqlite3_close(r);
	}
	agg_free(a);
	rmdb();
}
END_TEST

/* a row's translation, for nat_rows */
struct natrow {
	int n;
	char text[8][160];
};

static int nat_collect(void *ctx, const struct flowdb_row *r)
{
	struct natrow *c = ctx;

	if (c->n < 8)
		snprintf(c->text[c->n++], sizeof(c->text[0]), "%s:%d %s %s %s %llu",
			 r->dst ? r->dst : "-", r->dport, r->nat_dst ? r->nat_dst : "-",
			 r->nat_src ? r->nat_src : "-", r->nat ? r->nat : "-",
			 (unsigned long long)r->flows);
	return 0;
}

static void nat_to(struct ct_event *e, const char *dst, uint16_t dport, const char *src)
{
	if (dst) {
		e->nat |= CT_NAT_DST;
		ck_assert(inet_pton(e->family, dst, e->nat_dst) == 1);
		e->nat_dport = dport;
	}
	if (src) {
		e->nat |= CT_NAT_SRC;
		ck_assert(inet_pton(e->family, src, e->nat_src) == 1);
		e->nat_sport = e->sport;
	}
}

/* Flows through NAT: the translation and the nat entry in the key, in
 * queries, per nat entry; a version 4 file upgraded keeps its rows. */
START_TEST(nat_rows)
{
	static const char *const nats[] = { "masq", "web", "web6" };
	struct flowdb *db, *ro;
	struct agg *a = agg_new(0, 0, 17);
	struct flowdb_query q = { .since = 0, .until = 1000000 };
	struct natrow got = { 0 };
	char err[FLOWDB_ERRLEN];
	sqlite3 *r;
	char *s;

	tmpdb();
	db = open_rw();
	/* two forwards of gateway:8080 (to two servers) stay two rows */
	struct ct_event f1 = ev(CT_EVENT_NEW, AF_INET, "198.51.100.20", "203.0.113.1", 8080, 0);
	struct ct_event f2 = f1;
	nat_to(&f1, "10.1.0.2", 80, NULL);
	nat_to(&f2, "10.1.0.3", 80, NULL);
	agg_add_nat(a, &f1, 1, -1, 60);
	agg_add_nat(a, &f1, 1, -1, 61);
	agg_add_nat(a, &f2, -1, -1, 62); /* no entry fits */
	/* masqueraded, and an IPv6 dnat */
	struct ct_event m = ev(CT_EVENT_NEW, AF_INET, "10.1.0.5", "192.0.2.80", 443, 2);
	nat_to(&m, NULL, 0, "203.0.113.1");
	agg_add_nat(a, &m, -1, 0, 63);
	struct ct_event v6 = ev(CT_EVENT_NEW, AF_INET6, "2001:db8::20", "2001:db8::1", 8080, -1);
	nat_to(&v6, "fd00:1::2", 80, NULL);
	agg_add_nat(a, &v6, 2, -1, 64);
	/* a source port changed alone is not kept; entry 8 is beyond the names */
	struct ct_event port = ev(CT_EVENT_NEW, AF_INET, "10.1.0.6", "192.0.2.80", 443, 2);
	port.nat = CT_NAT_SRC;
	memcpy(port.nat_src, port.src, 16);
	port.nat_sport = 1;
	agg_add_nat(a, &port, -1, 7, 65);
	/* a hairpin: both */
	struct ct_event hp = ev(CT_EVENT_NEW, AF_INET, "10.1.0.5", "203.0.113.1", 8080, 0);
	nat_to(&hp, "10.1.0.2", 80, "10.1.0.1");
	agg_add_nat(a, &hp, 1, 0, 66);
	ck_assert_int_eq(flowdb_flush_nat(db, a, rules, ARRAY_SIZE(rules), nats, ARRAY_SIZE(nats)), 0);
	flowdb_close(db);

	r = raw();
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows"), 6);
	ck_assert_int_eq(q1(r, "SELECT flows FROM flows WHERE nat_dst = '10.1.0.2' AND nat = 'web'"), 2);
	s = qs(r, "SELECT rule || ' ' || nat_dport || ' ' || quote(nat) FROM flows WHERE nat_dst = '10.1.0.3'");
	ck_assert_str_eq(s, "ssh 80 ''");
	free(s);
	s = qs(r, "SELECT nat_src || ' ' || nat || ' ' || quote(nat_dst) || ' ' || nat_dport FROM flows"
		  " WHERE dport = 443 AND src = '10.1.0.5'");
	ck_assert_str_eq(s, "203.0.113.1 masq '' 0");
	free(s);
	s = qs(r, "SELECT quote(nat_src) || ' ' || nat FROM flows WHERE src = '10.1.0.6'");
	ck_assert_str_eq(s, "'' #8");
	free(s);
	s = qs(r, "SELECT nat_dst || ' ' || nat FROM flows WHERE family = 6");
	ck_assert_str_eq(s, "fd00:1::2 web6");
	free(s);
	s = qs(r, "SELECT nat || ' ' || nat_src FROM flows WHERE src = '10.1.0.5' AND dport = 8080");
	ck_assert_str_eq(s, "web,masq 10.1.0.1");
	free(s);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows_v WHERE nat_dst IS NULL AND nat_dport IS NULL"), 2);
	sqlite3_close(r);

	ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &ro, err), 0);
	q.dport = 8080;
	q.dport_set = true;
	q.src = "198.51.100.0/24";
	ck_assert_int_eq(flowdb_query(ro, &q, nat_collect, &got), 2);
	ck_assert_str_eq(got.text[0], "203.0.113.1:8080 10.1.0.2 - web 2");
	ck_assert_str_eq(got.text[1], "203.0.113.1:8080 10.1.0.3 - - 1");
	/* per nat entry: translated connections only (web, web,masq, masq, web6, #8, none) */
	memset(&got, 0, sizeof(got));
	q = (struct flowdb_query){ .since = 0, .until = 1000000, .by = FLOWDB_BY_NAT };
	ck_assert_int_eq(flowdb_query(ro, &q, nat_collect, &got), 6);
	ck_assert_str_eq(got.text[0], "-:-1 - - web 2");
	flowdb_close(ro);
	agg_free(a);

	/* a version 4 file: its rows gain empty translations */
	rmdb();
	tmpdb();
	{
		const char *m5 = strstr(VIGIL_FLOWS_SQL, "\n-- migration 5\n");
		_cleanup_free_ char *v4 = NULL;

		ck_assert_ptr_nonnull(m5);
		v4 = xasprintf("PRAGMA journal_mode = WAL; %.*s\nPRAGMA user_version = 4;"
			       " INSERT INTO flows (minute, family, proto, src, dst, dport, rule, flows,"
			       " packets, bytes, duration_ms, destroys)"
			       " VALUES (60, 4, 6, '10.0.0.1', '10.0.0.9', 22, 'ssh', 3, 10, 1000, 5, 1);",
			       (int)(m5 - VIGIL_FLOWS_SQL), VIGIL_FLOWS_SQL);
		ck_assert_int_eq(sqlite3_open(path, &r), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(r, v4, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(r);
		db = open_rw();
		ck_assert_int_eq(flowdb_schema_version(db), 5);
		/* the same key again, untranslated, adds to the old row */
		a = agg_new(0, 0, 3);
		struct ct_event s1 = ev(CT_EVENT_NEW, AF_INET, "10.0.0.1", "10.0.0.9", 22, 0);
		agg_add(a, &s1, 61);
		ck_assert_int_eq(flowdb_flush(db, a, rules, ARRAY_SIZE(rules)), 0);
		agg_free(a);
		flowdb_close(db);
		r = raw();
		ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows"), 1);
		s = qs(r, "SELECT flows || ' ' || packets || ' ' || bytes || ' ' || destroys || ' '"
			  " || length(nat_dst) || nat_dport || length(nat_src) || length(nat) FROM flows");
		ck_assert_str_eq(s, "4 10 1000 1 0000");
		free(s);
		ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE name = 'flows_nat'"), 0);
		ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows_v WHERE nat IS NULL"), 1);
		sqlite3_close(r);
	}
	rmdb();
}
END_TEST

START_TEST(failed_flush_keeps_the_aggregate)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 15);
	sqlite3 *r;
	time_t t0;

	tmpdb();
	db = open_rw();
	struct ct_event e = ev(CT_EVENT_NEW, AF_INET, "192.0.2.1", "192.0.2.2", 22, 0);
	for (int i = 0; i < 10; i++)
		agg_add(a, &e, 60 * i);
	/* another writer holds the write lock: the flush waits busy_timeout, then fails */
	r = raw();
	ck_assert_int_eq(sqlite3_exec(r, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	t0 = time(NULL);
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), -EBUSY);
	ck_assert_int_ge(time(NULL) - t0, FLOWDB_BUSY_TIMEOUT_MS / 1000 - 1);
	ck_assert_uint_eq(agg_rows(a), 10);
	ck_assert_int_eq(sqlite3_exec(r, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	ck_assert_uint_eq(agg_rows(a), 0);
	ck_assert_int_eq(q1(r, "SELECT sum(flows) FROM flows"), 10);
	ck_assert_int_eq(q1(r, "SELECT sum(events) FROM observer"), 10);
	sqlite3_close(r);
	flowdb_close(db);
	agg_free(a);
	rmdb();
}
END_TEST

/* Fills minutes [m0, m0 + n) with rows_per_minute distinct flows each. */
static void fill(struct flowdb *db, struct agg *a, int64_t m0, int n, int rows_per_minute)
{
	char src[32];

	for (int m = 0; m < n; m++) {
		for (int i = 0; i < rows_per_minute; i++) {
			snprintf(src, sizeof(src), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255,
				 i & 255);
			struct ct_event e = ev(CT_EVENT_NEW, AF_INET, src, "192.0.2.2", 443, 1);
			ck_assert_int_eq(agg_add(a, &e, (m0 + m) * 60), 0);
		}
		agg_add_obs(a, (m0 + m) * 60, NULL);
		ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);
	}
}

static off_t fsize(const char *suffix)
{
	char p[160];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

START_TEST(retention_shrinks_the_file)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 16);
	int64_t pages0, pages1, free1;
	off_t size0, size1;
	uint64_t deleted = 0;
	sqlite3 *r;

	tmpdb();
	db = open_rw();
	fill(db, a, 1000, 100, 1000); /* 100 minutes x 1000 rows */
	ck_assert_int_eq(flowdb_retention(db, 0, &deleted), 0); /* checkpoints, deletes nothing */
	ck_assert_uint_eq(deleted, 0);
	r = raw();
	pages0 = q1(r, "PRAGMA page_count");
	size0 = fsize("");
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows"), 100000);

	/* keep the last 10 minutes */
	ck_assert_int_eq(flowdb_retention(db, 1090 * 60, &deleted), 0);
	ck_assert_uint_eq(deleted, 90 * 1000 + 90);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM flows"), 10000);
	ck_assert_int_eq(q1(r, "SELECT min(minute) FROM flows"), 1090 * 60);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM observer"), 10);
	pages1 = q1(r, "PRAGMA page_count");
	free1 = q1(r, "PRAGMA freelist_count");
	size1 = fsize("");
	fprintf(stderr, "# retention: %lld -> %lld pages, freelist %lld, file %lld -> %lld bytes\n",
		(long long)pages0, (long long)pages1, (long long)free1, (long long)size0,
		(long long)size1);
	ck_assert_int_eq(free1, 0);
	ck_assert_int_lt(pages1 * 5, pages0); /* 90% of the rows gone: far fewer pages */
	ck_assert_int_lt(size1 * 5, size0);   /* and the file itself shrank */
	ck_assert_int_eq(size1, pages1 * q1(r, "PRAGMA page_size"));
	sqlite3_close(r);
	flowdb_close(db);
	agg_free(a);
	rmdb();
}
END_TEST

START_TEST(wal_stays_bounded)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 1u << 20, 17);
	off_t big, after;

	tmpdb();
	db = open_rw();
	/* one huge transaction makes the WAL file grow past the limit ... */
	fill(db, a, 2000, 1, 400000);
	big = fsize("-wal");
	/* ... the checkpoint after it lets the next transaction restart the WAL,
	 * and journal_size_limit cuts the file back then */
	fill(db, a, 2001, 3, 100);
	after = fsize("-wal");
	fprintf(stderr, "# WAL after a 400k-row flush: %lld bytes, after the next ones: %lld\n",
		(long long)big, (long long)after);
	ck_assert_int_gt(big, FLOWDB_WAL_LIMIT);
	ck_assert_int_le(after, FLOWDB_WAL_LIMIT);
	flowdb_close(db);
	/* PERSIST_WAL: the files stay for readers without write access to the directory */
	ck_assert_int_ge(fsize("-wal"), 0);
	ck_assert_int_ge(fsize("-shm"), 0);
	agg_free(a);
	rmdb();
}
END_TEST

/* Each flush of the writer adds exactly K flows: readers must only ever see multiples. */
#define K 500

static void writer_loop(unsigned seed, int flushes)
{
	struct flowdb *db = NULL;
	struct agg *a = agg_new(0, 0, seed);
	char err[FLOWDB_ERRLEN], src[32];

	if (flowdb_open(path, 0, &db, err) < 0) {
		fprintf(stderr, "# writer: %s\n", err);
		_exit(2);
	}
	for (int f = 0; flushes < 0 || f < flushes; f++) {
		for (int i = 0; i < K; i++) {
			snprintf(src, sizeof(src), "10.1.%d.%d", (f * 7 + i) % 250, i % 250);
			struct ct_event e = ev(CT_EVENT_NEW, AF_INET, src, "192.0.2.2", 443, 1);
			agg_add(a, &e, 60 * (f % 50));
		}
		if (flowdb_flush(db, a, rules, 3) < 0) {
			fprintf(stderr, "# writer: flush: %s\n", flowdb_errmsg(db));
			_exit(3);
		}
	}
	flowdb_close(db);
	agg_free(a);
	_exit(0);
}

START_TEST(reader_during_writes)
{
	struct flowdb *db;
	struct flowdb_query q = { .since = 0, .until = 1 << 30 };
	char err[FLOWDB_ERRLEN];
	uint64_t last = 0;
	unsigned reads = 0, grew = 0;
	int status;
	pid_t pid;

	tmpdb();
	flowdb_close(open_rw());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		writer_loop(18, 400);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		uint64_t sum = 0;
		int r;

		ck_assert_int_eq(flowdb_open(path, FLOWDB_RDONLY, &db, err), 0);
		r = flowdb_query(db, &q, count_rows, &sum);
		ck_assert_msg(r >= 0, "reader: %s", flowdb_errmsg(db));
		flowdb_close(db);
		ck_assert_msg(sum % K == 0, "a reader saw half a flush: %llu",
			      (unsigned long long)sum);
		ck_assert_uint_ge(sum, last);
		grew += sum > last;
		last = sum;
		reads++;
	}
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0); /* the writer never failed (never blocked) */
	fprintf(stderr, "# %u reads during the writes, %u saw new data\n", reads, grew);
	/* a blocked reader would read once or twice in all; on a loaded
	 * machine (CI beside benchmarks) 10 reads were seen, 23 when quiet */
	ck_assert_uint_ge(reads, 4);
	ck_assert_uint_ge(grew, 2);
	rmdb();
}
END_TEST

START_TEST(kill_9_mid_flush)
{
	struct flowdb *db;
	char err[FLOWDB_ERRLEN];
	uint64_t prev = 0;
	unsigned rng = 12345;

	tmpdb();
	flowdb_close(open_rw());
	for (int round = 0; round < 8; round++) {
		int status;
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			writer_loop(19 + (unsigned)round, -1);
		rng = rng * 1103515245 + 12345;
		usleep(100000 + (rng >> 8) % 300000);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		/* the next writer recovers the WAL; the file is sound and holds whole flushes */
		ck_assert_int_eq(flowdb_open(path, 0, &db, err), 0);
		flowdb_close(db);
		sqlite3 *r = raw();
		char *ok = qs(r, "PRAGMA integrity_check");
		ck_assert_str_eq(ok, "ok");
		free(ok);
		uint64_t sum = (uint64_t)q1(r, "SELECT coalesce(sum(flows), 0) FROM flows");
		uint64_t events = (uint64_t)q1(r, "SELECT coalesce(sum(events), 0) FROM observer");
		sqlite3_close(r);
		ck_assert_msg(sum % K == 0, "round %d: %llu flows", round, (unsigned long long)sum);
		ck_assert_uint_eq(events, sum);
		ck_assert_uint_gt(sum, prev);
		prev = sum;
	}
	fprintf(stderr, "# %llu flows in whole flushes after 8 kills\n", (unsigned long long)prev);
	rmdb();
}
END_TEST

/* An unprivileged reader (nobody) of a root-owned database in a root-owned directory. */
START_TEST(reader_without_write_access)
{
	struct flowdb *db;
	struct agg *a = agg_new(0, 0, 20);
	struct passwd *pw = getpwnam("nobody");
	int status;

	if (geteuid() != 0 || !pw) {
		fprintf(stderr, "# skipped: needs root and a 'nobody' user\n");
		return;
	}
	tmpdb();
	db = open_rw();
	struct ct_event e = ev(CT_EVENT_NEW, AF_INET, "192.0.2.1", "192.0.2.2", 22, 0);
	agg_add(a, &e, 60);
	ck_assert_int_eq(flowdb_flush(db, a, rules, 3), 0);

	for (int phase = 0; phase < 2; phase++) {
		/* phase 0: the writer is open; phase 1: it has closed */
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct flowdb *ro = NULL;
			struct flowdb_query q = { .since = 0, .until = 1 << 30 };
			char err[FLOWDB_ERRLEN];
			uint64_t sum = 0;

			if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
				_exit(10);
			if (access(dir, W_OK) == 0)
				_exit(11); /* the test would prove nothing */
			if (flowdb_open(path, FLOWDB_RDONLY, &ro, err) < 0) {
				fprintf(stderr, "# nobody: %s\n", err);
				_exit(12);
			}
			if (flowdb_query(ro, &q, count_rows, &sum) < 0 || sum != 1) {
				fprintf(stderr, "# nobody: query: %s\n", flowdb_errmsg(ro));
				_exit(13);
			}
			flowdb_close(ro);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "phase %d: status %d",
			      phase, status);
		if (phase == 0)
			flowdb_close(db);
	}
	agg_free(a);
	rmdb();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowdb");
	TCase *tc = tcase_create("flowdb");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, base_make, base_remove);
	tcase_add_test(tc, fresh_database);
	tcase_add_test(tc, refused_rows_stored);
	tcase_add_test(tc, expire_to_size);
	tcase_add_test(tc, upserts_accumulate);
	tcase_add_test(tc, queries);
	tcase_add_test(tc, open_failures);
	tcase_add_test(tc, writer_lock);
	tcase_add_test(tc, starts_and_stops);
	tcase_add_test(tc, migrations);
	tcase_add_test(tc, nat_rows);
	tcase_add_test(tc, failed_flush_keeps_the_aggregate);
	tcase_add_test(tc, retention_shrinks_the_file);
	tcase_add_test(tc, wal_stays_bounded);
	tcase_add_test(tc, reader_during_writes);
	tcase_add_test(tc, kill_9_mid_flush);
	tcase_add_test(tc, reader_without_write_access);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
