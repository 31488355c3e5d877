/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_FLOWDB_H
#define VIGIL_FLOWDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/agg.h"

/*
 * The flows database (SQLite, schema in schemas/flows.sql, embedded at build
 * time). One writer (vigild watch) and any number of read-only readers
 * (vigild flows/status) at once: WAL mode, readers never block the writer.
 *
 * Errors are negative errnos; the text of the last one (for people) is
 * copied into the caller's buffer of FLOWDB_ERRLEN bytes or kept in the
 * handle (flowdb_errmsg). Not thread-safe: one handle per thread.
 */

#define FLOWDB_DEFAULT_PATH "/var/lib/vigil/flows.db"
#define FLOWDB_ERRLEN 256
#define FLOWDB_BUSY_TIMEOUT_MS 5000
/* journal_size_limit: the WAL file is cut back to this after a checkpoint */
#define FLOWDB_WAL_LIMIT (16 * 1024 * 1024)

struct flowdb;

enum {
	FLOWDB_RDONLY = 1u << 0, /* query only; never creates or migrates */
};

/*
 * Opens (creating it when absent, unless FLOWDB_RDONLY) the database at path
 * and brings its schema to the newest version. Read-write handles set WAL,
 * synchronous=NORMAL, busy_timeout, journal_size_limit, auto_vacuum =
 * INCREMENTAL (on a new file, before the first table), and keep the WAL and
 * shared-memory files after close (SQLITE_FCNTL_PERSIST_WAL) so readers
 * without write access to the directory can always open the database.
 * A read-only handle that cannot create the -shm file (no write access to
 * the directory, read-only file system) opens a file without a non-empty
 * -wal as immutable (no writer has it open); with one it fails (-EACCES).
 * Returns 0 and *ret, or:
 *   -ENOENT           no such file (read-only; only when the file is missing)
 *   -EISDIR           a directory (read-only)
 *   -EACCES/-EROFS    no permission
 *   -EPROTONOSUPPORT  the file's schema is newer than this vigild knows
 *   -ENOMSG           not a vigild flows database (read-only, no schema)
 *   -EBADMSG          not an SQLite database, or corrupt
 *   -EIO ...          other SQLite failures
 * err (may be NULL) receives a message for people on failure.
 */
int flowdb_open(const char *path, unsigned flags, struct flowdb **ret, char *err);
void flowdb_close(struct flowdb *db);

/*
 * flowdb_open with another schema text in the format of schemas/flows.sql
 * (the migration tests use it to play future versions).
 */
int flowdb_open_schema(const char *path, unsigned flags, const char *schema,
		       struct flowdb **ret, char *err);

/*
 * The writer's claim on a database file: one vigild watch per database.
 * flowdb_lock opens path read-write (creating it empty, mode 0644 less the
 * umask, when absent; never through a symbolic link: O_NOFOLLOW) and takes
 * an exclusive flock(2) on that descriptor, kept open until flowdb_unlock.
 * flock locks are independent of the POSIX (fcntl) locks SQLite takes on
 * the same file, but closing ANY descriptor of the file drops this
 * process's POSIX locks: call flowdb_unlock only after flowdb_close.
 * Returns 0, or:
 *   -EWOULDBLOCK  another process holds the lock; *holder (may be NULL)
 *                 gets its pid from /proc/locks, or 0 when unknown
 *   -ELOOP        path is a symbolic link
 *   -EISDIR       path is a directory
 *   -EINVAL       path is not a regular file
 *   -EACCES, -EROFS, -ENOENT, ... from open(2)
 */
struct flowdb_lock {
	int fd;               /* -1: not held */
	bool created;         /* this call created the file */
	bool had_wal, had_shm; /* PATH-wal, PATH-shm existed before */
};
int flowdb_lock(const char *path, struct flowdb_lock *lk, int *holder);

/*
 * Releases the lock. With remove, and only when flowdb_lock created the
 * file, first deletes it and the -wal and -shm files that did not exist
 * before (a start that failed leaves nothing behind).
 */
void flowdb_unlock(struct flowdb_lock *lk, const char *path, bool remove);

/* 1 when flows, observer and meta hold no row, 0 when one does, or -errno. */
int flowdb_is_empty(struct flowdb *db);

/* The message of the last failure on db ("" if none). Valid until the next call. */
const char *flowdb_errmsg(const struct flowdb *db);

/* The schema version this build creates, and the one the open file has. */
int flowdb_schema_latest(void);
int flowdb_schema_version(struct flowdb *db);

/*
 * Writes everything agg holds in ONE transaction (BEGIN IMMEDIATE, prepared
 * UPSERTs reused across flushes, COMMIT) and empties agg only if the commit
 * succeeded; on failure agg is unchanged and the transaction rolled back,
 * so a later flush writes it all. rules[i] names rule index i (the policy's
 * rule order, i.e. ct mark >> 16 == i + 1); a mark beyond nrules is stored
 * as "#N" with N = ct mark >> 16 (the rule's number counting from 1), no
 * mark as ''. Returns 0 or negative errno.
 */
int flowdb_flush(struct flowdb *db, struct agg *agg, const char *const *rules, size_t nrules);
/*
 * flowdb_flush with the names of the policy's nat entries: nats[i] names
 * entry i (struct agg_key dnat/snat == i + 1), stored in column nat; an
 * index beyond nnats as "#N". The translated addresses go to nat_dst,
 * nat_dport and nat_src.
 */
#define NAT_NAME_LEN 40 /* a nat entry's name (32), or "#N", and its NUL */
int flowdb_flush_nat(struct flowdb *db, struct agg *agg, const char *const *rules, size_t nrules,
		     const char *const *nats, size_t nnats);
/* The names rows are stored under, as flowdb_flush_nat takes them. */
struct flowdb_names {
	const char *const *rules;
	size_t nrules;
	const char *const *nats;
	size_t nnats;
};

/*
 * Deletes flows and observer rows of minutes before cutoff (Unix seconds),
 * in one transaction, then runs PRAGMA incremental_vacuum and a passive
 * checkpoint so the file shrinks. *deleted (may be NULL) gets the number of
 * rows removed. Returns 0 or negative errno.
 */
int flowdb_retention(struct flowdb *db, int64_t cutoff, uint64_t *deleted);

/*
 * For a writer that holds the lock (flowdb_lock), at its start: when the
 * newest observer minute has no stop after its start, the writer before
 * did not stop cleanly (killed, crashed, or a vigild that did not record
 * stops): sets its stopped to the minute itself, so the minute counts as
 * observed only in part. Returns 1 and *minute (may be NULL) when it
 * marked one, 0 when not, or negative errno.
 */
int flowdb_mark_unclean_stop(struct flowdb *db, int64_t *minute);

/*
 * The size bound (vigild watch --db-max-size): while the pages in use are
 * more than max bytes, deletes the oldest minutes (a tenth of the span at a
 * time) but none from keep_from on, then records the cutoff in meta key
 * expired_early_before (Unix seconds). Returns 1 with *cutoff when it
 * expired some, 0 when nothing was needed, or negative errno.
 */
int flowdb_expire_to_size(struct flowdb *db, uint64_t max, int64_t keep_from, int64_t *cutoff);
int flowdb_used_bytes(struct flowdb *db, uint64_t *bytes);

/* Sets / reads a meta key. get: *value is malloc'd; -ENOENT when absent. */
int flowdb_meta_set(struct flowdb *db, const char *key, const char *value);
int flowdb_meta_get(struct flowdb *db, const char *key, char **value);

/* ---- queries (vigild flows) ---- */

enum flowdb_by {
	FLOWDB_BY_NONE = 0, /* the stored per-minute rows */
	FLOWDB_BY_SRC,
	FLOWDB_BY_DST,
	FLOWDB_BY_DPORT,    /* grouped by (proto, dport) */
	FLOWDB_BY_RULE,
	FLOWDB_BY_VERDICT,
	FLOWDB_BY_NAT,      /* grouped by nat entry; connections not translated left out */
};

/* Which rows: accepted flows (table flows), refused traffic (refused and
 * refused_counts), or both. */
enum flowdb_verdict {
	FLOWDB_V_ALL = 0,
	FLOWDB_V_ACCEPTED,
	FLOWDB_V_REFUSED,
};

enum flowdb_sort {
	FLOWDB_SORT_CONNECTIONS = 0, /* flows (refused: sampled attempts), then bytes */
	FLOWDB_SORT_PACKETS,
	FLOWDB_SORT_BYTES,
};

struct flowdb_query {
	int64_t since, until; /* rows with since <= minute < until (Unix seconds) */
	const char *rule;     /* NULL: any; "": flows no vigild rule accepted */
	enum flowdb_by by;
	size_t top;           /* 0: all. BY_NONE: the top rows, else the top groups */
	enum flowdb_verdict verdict;
	enum flowdb_sort sort;
	const char *src, *dst; /* NULL, or a CIDR (or one address) the address is in */
	int dport;            /* -1 or 0 with dport_set false: any */
	bool dport_set;
	int proto;            /* IPPROTO_*, with proto_set */
	bool proto_set;
};

/*
 * One result. Strings are valid during the callback only. With by != NONE,
 * only the grouped column(s) are set (others NULL / -1), minute is the first
 * and last_minute the last minute of the group in the window.
 */
struct flowdb_row {
	int64_t minute, last_minute;
	int family;               /* 4 or 6; 0 when grouped away */
	int proto;                /* -1 when grouped away */
	const char *src;          /* NULL: aggregated or grouped away */
	const char *dst;          /* NULL: grouped away */
	int dport;                /* -1: grouped away */
	const char *rule;         /* NULL: no vigild rule (or grouped away with by != RULE) */
	const char *verdict;      /* "accept", "drop", "reject"; NULL when grouped away */
	uint64_t flows;           /* connections; refused: the sampled attempts */
	bool counted;             /* packets/bytes known: a DESTROY with counters was seen,
				   * or (refused, grouped by rule or verdict) the kernel's
				   * exact counters */
	uint64_t packets, bytes, duration_ms, destroys;
	/* through NAT (accepted rows only; NULL / -1: not translated, or
	 * grouped away): where a dnat sent the connection, the source an snat
	 * gave it, the nat entry credited ("web", "web,masq" for both) */
	const char *nat_dst;
	int nat_dport;
	const char *nat_src;
	const char *nat;          /* BY_NAT: the group (NULL: translated, no entry known) */
};

/*
 * Runs q and calls cb for each row (stops and returns cb's value if < 0).
 * Ordering: BY_NONE without top by minute then flows (descending); with top,
 * or grouped, by flows then bytes (descending). Returns the number of rows
 * or negative errno.
 */
int flowdb_query(struct flowdb *db, const struct flowdb_query *q,
		 int (*cb)(void *ctx, const struct flowdb_row *row), void *ctx);
/* 1 when src/dst are valid CIDRs or addresses for flowdb_query, else 0. */
int flowdb_cidr_ok(const char *cidr);
/* true when the address text is in cidr (a CIDR or one address), as
 * flowdb_query's src and dst filters test it. */
bool flowdb_addr_in(const char *addr, const char *cidr);
/* Calls cb with every rule name the database records (accepted or
 * refused, any time), each once. Returns the count or negative errno. */
int flowdb_rules(struct flowdb *db, int (*cb)(void *ctx, const char *rule), void *ctx);

/*
 * Bounds every later statement on db to ms milliseconds from now (waiting
 * for a lock included): a statement still running then fails. deadline is
 * the caller's and must outlive db's use. flowdb_over_budget: it is spent
 * (a failure after that was the budget's).
 */
void flowdb_set_budget(struct flowdb *db, unsigned ms, uint64_t *deadline);
bool flowdb_over_budget(const uint64_t *deadline);

/* A minute observed only in part: an observer started or stopped within it. */
struct flowdb_partial {
	int64_t minute;
	int64_t started, stopped; /* Unix seconds, 0: did not; stopped == minute: an
				   * unclean stop (time unknown) or one at :00 */
};
#define FLOWDB_PARTIAL_MAX 8

/* Observer figures summed over [since, until). */
struct flowdb_loss {
	uint64_t minutes;         /* minutes with an observer row */
	int64_t first, last;      /* first and last such minute; 0 when none */
	uint64_t events, new_events, lost, enobufs, kernel_inserts, overflow, bad;
	uint64_t incomplete_minutes[3]; /* minutes with AGG_INC_TABLE_ABSENT, _CHANGED, _ATTRIBUTION */
	uint64_t ct_early_drop, ct_insert_failed, ct_drop; /* conntrack table full */
	uint64_t ct_full_minutes; /* minutes with any of those */
	uint64_t ct_max;          /* nf_conntrack_max at the last reading */
	uint64_t db_lost_flows, db_lost_minutes;
	uint64_t partial;         /* minutes observed only in part ... */
	struct flowdb_partial part[FLOWDB_PARTIAL_MAX]; /* ... the first of them */
	size_t npart;
};
int flowdb_loss(struct flowdb *db, int64_t since, int64_t until, struct flowdb_loss *out);
/* Each observed minute of [since, until), oldest first, and whether it is
 * complete (nothing lost, folded away or missed, observed throughout);
 * a minute without a call had no observer. */
int flowdb_minutes(struct flowdb *db, int64_t since, int64_t until,
		   int (*cb)(void *ctx, int64_t minute, bool complete), void *ctx);

#endif
