/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "vigil/agg.h"
#include "vigil/bundle.h"
#include "vigil/nftmon_sock.h"
#include "vigil/plan.h"
#include "vigil/psep.h"

/*
 * vigild watch's daemon core. One sd-event loop owns every descriptor:
 * conntrack events, the nf_tables monitor, the helper's socket and pidfd,
 * signals and timers (and the control socket). Handlers are short and
 * never block: requests to the helper are queued, one in flight, with a
 * timeout; SQLite runs on a writer thread (writer.c) fed each second.
 */

/* What `vigild watch` was asked to do (options parsed by the CLI). */
struct daemon_opts {
	const char *policy;      /* path */
	const char *table;       /* --table, or NULL: the policy's own (else vigil) */
	const char *user;
	const char *db;          /* --db, or NULL: STATE_DIR/flows.db */
	const char *fallback;    /* --fallback FILE, or NULL: the built-in fail-closed policy */
	size_t ct_buffer;
	bool ct_accounting;
	bool aggregate;
	int64_t retention;       /* seconds */
	size_t db_buffer;        /* rows kept while the database cannot be written */
	bool force;
	bool quiet;
	bool reassert;           /* re-commit the policy when someone else changes the table */
	int owner;               /* table owner|persist: -1 when the kernel can, 0 never, 1 must */
	const char *metrics_file;   /* --metrics-file PATH, or NULL */
	const char *metrics_listen; /* --metrics-listen ADDR:PORT, or NULL */
	unsigned metrics_interval;  /* seconds between metrics files (0: 15) */
	const char *on_event;       /* --on-event CMD, or NULL */
	uint16_t nflog_group;    /* refused traffic: the NFLOG group (--nflog-group); 0: none (--no-refused) */
	unsigned count_every;    /* seconds between dumps of the refused counters (--count-every) */
	size_t row_cap;          /* rows per minute and rule (--row-cap); 0: AGG_DEFAULT_ROW_CAP */
	uint64_t db_max_size;    /* --db-max-size bytes; 0: a tenth of the file system */
};

enum daemon_state {
	DS_STARTING,
	DS_ACTIVE,      /* the configured policy is in the kernel */
	DS_DEGRADED,    /* the last-known-good or the fallback is, or the kernel differs */
	DS_STOPPING,
};

/* Which policy is in the kernel. */
enum daemon_source {
	SRC_NONE,
	SRC_POLICY,     /* the configured policy file */
	SRC_LKG,        /* the last-known-good bundle */
	SRC_FALLBACK,   /* the fail-closed fallback */
};

/* The outcome of a commit, for whoever asked (a reload, the control socket). */
struct daemon_outcome {
	int code;               /* EXIT_OK 0, 1 invalid policy, 3 system/kernel */
	struct diags d;         /* everything said, located */
	char summary[400];
};
/* daemon_outcome.code of a request refused because a commit is under way */
#define DAEMON_BUSY 75
/* refused by the state of things: confirm or rollback with nothing
 * waiting, a reload while a change waits (409; the CLI exits 1) */
#define DAEMON_CONFLICT 76
typedef void (*daemon_done_fn)(void *ctx, const struct daemon_outcome *out);

struct writer;
struct events;
struct control;
struct metrics_out;

/* Counters for the metrics. */
struct daemon_metrics {
	uint64_t applies_ok, applies_failed;
	uint64_t drift, reasserts;
	uint64_t ct_events, ct_lost, ct_full;
	uint64_t flushes;
	uint64_t refused_records;
};

struct daemon {
	struct daemon_opts o;
	sd_event *ev;
	enum daemon_state state;
	char reason[256];       /* why Degraded */
	int exit_code;

	/* privileged set-up */
	struct psep_ids ids;
	struct psep helper;
	sd_event_source *helper_io, *helper_child, *helper_timer;
	int policy_dirfd;       /* the policy's directory (set files are relative to it) */
	char *policy_base;      /* the policy's file name in it */
	char *policy_dir;       /* its absolute path, for messages */
	char **read_dirs;       /* what it may read beneath once confined (confine.c) */
	size_t nread_dirs, read_cap;
	bool reads_confined;    /* Landlock limits its reads to read_dirs */
	char group_name[64];    /* the control socket's group, for messages */
	int statefd, runfd;     /* STATE_DIR, RUN_DIR */
	int lockfd;             /* the table's writer lock */
	int ctfd, monfd;
	const char *table;      /* decided once the policy was read */
	int64_t t_start;        /* conntrack events are queued from here */
	struct lockout_local *locals; /* the host's addresses at the start (revoke) */
	size_t nlocals;
	size_t ct_granted;
	int acct, tstamp;

	/* what is in the kernel */
	struct ir_opts io;      /* how policies are compiled (the NFLOG group) */
	struct plan *active;
	enum daemon_source source;
	uint32_t own_genid;     /* generation after our last commit */
	int64_t applied_at;
	char policy_hash[65];   /* SHA-256 of the configured policy file as last read */
	struct bundle *lkg;     /* the stored last-known-good, if any */

	/* apply --confirm through this watch (confirm.c) */
	struct plan *confirm_prev;  /* what a rollback restores: the state before the first */
	enum daemon_source confirm_prev_source;
	int64_t confirm_deadline;   /* Unix seconds; 0: nothing waits */
	sd_event_source *confirm_timer;
	char confirm_policy[512];

	/* the commit in progress */
	struct commit_op *op;
	bool reassert_pending;
	unsigned reasserts;     /* in the current minute: a fight is stopped */
	int64_t reassert_minute;

	/* drift */
	sd_event_source *mon_src, *reassert_timer;
	char drift[512];        /* foreign changes since the last NEWGEN */
	bool drift_seen;
	bool drift_active;      /* a foreign change not reverted yet */
	bool table_absent;
	struct nftmon_stats monst;

	/* operators */
	struct events *events;
	struct control *ctl;
	int ctlfd;
	struct metrics_out *mo;
	int metrics_lfd, metrics_dirfd; /* bound / opened while privileged */
	int evfd;               /* --on-event: the spawner's socket, or -1 */
	pid_t evpid;
	int64_t ev_minute;      /* rate limit: events passed on in this minute */
	unsigned ev_sent, ev_dropped;
	bool owned;             /* the table is owner|persist */
	char db_path[4096];
	int64_t last_apply_at;
	char last_apply_result[16]; /* "ok", "invalid", "refused" */
	char last_error[512];
	struct daemon_metrics m;
	/* accepted connections (conntrack NEW) per rule: of the names in
	 * force (index: rule + 1, 0 none), and of earlier policies by name */
	uint64_t *rc_cur;
	size_t rc_ncur;
	struct rule_count *rc_old;
	size_t rc_nold, rc_capold;

	/* flows */
	sd_event_source *ct_src, *tick;
	struct agg *cur;
	struct agg_cap *cap;    /* rows per minute and rule, across the aggregates */
	uint64_t seed;
	bool agg_sources;
	struct writer *w;
	struct names *names;
	uint32_t last_drops;
	uint64_t enobufs, bad, last_enobufs, last_bad;
	struct psep_ct_stats last_ct;
	bool have_ct;
	bool ct_pending;
	int64_t since_retention;
	uint32_t incomplete;    /* AGG_INC_* for the current second's minute */

	/* refused traffic (refused.c) */
	int nflfd;              /* the NFLOG socket, -1: none */
	sd_event_source *nfl_src;
	bool nfl_have_seq, nfl_bad_said;
	uint32_t nfl_seq;
	uint32_t *ref_names;    /* rule indices sorted by name */
	size_t nref_names;
	struct refused_ctr *ref_ctr; /* counters at the last dump, by handle */
	size_t nref_ctr;
	int64_t ctr_next;
	bool ctr_pending;
};

/* Runs vigild watch. Returns the exit code. */
int daemon_run(const struct daemon_opts *o);

/* ---- commit.c ---- */

/* Commits an owned plan (the active one on success); flags: */
enum {
	DAEMON_COMMIT_KEEP_PREV = 1u << 0, /* keep what runs now for a rollback (confirm.c) */
};
int daemon_commit_plan(struct daemon *d, struct plan *pl, enum daemon_source src, unsigned flags,
		       daemon_done_fn done, void *ctx);
/* Stores the plan's input as the table's last-known-good. */
void daemon_store_lkg(struct daemon *d, struct plan *pl);

/* ---- confirm.c ---- */
/* apply --confirm through the watch: the policy text buf (len bytes) of
 * the file at path (its set files are read beside it, within the watch's
 * read limit), rolled back after seconds unless confirmed. */
void daemon_apply_confirm(struct daemon *d, const char *path, const char *buf, size_t len,
			  unsigned seconds, daemon_done_fn done, void *ctx);
/* Keeps the active plan for the rollback (commit.c calls it). */
void daemon_confirm_stash(struct daemon *d);
/* 0, or -ENOENT when nothing waits. */
int daemon_confirm(struct daemon *d, char *msg, size_t len);
void daemon_rollback(struct daemon *d, daemon_done_fn done, void *ctx);

/* Reads, compiles and commits the policy file; out-of-band (reload). */
void daemon_reload(struct daemon *d, daemon_done_fn done, void *ctx);
/* The same with a policy's text (POST /v1/reload with a body); set files
 * are relative to the policy file's directory. */
void daemon_reload_text(struct daemon *d, const char *name, const char *text, size_t len,
			daemon_done_fn done, void *ctx);
/* Commits the active policy again (re-assert after drift). */
void daemon_reassert(struct daemon *d);
/* Reads and compiles the policy file (the plan says whether it compiled). */
struct plan *daemon_compile_policy(struct daemon *d);
/* Reads the stored last-known-good of d->table, if any (d->lkg). */
void daemon_load_lkg(struct daemon *d);
/* At start: pl (the policy, compiled or not), else the last-known-good,
 * else the fallback. Takes pl. */
void daemon_first_apply(struct daemon *d, struct plan *pl);
/* daemon.c: the first commit landed; start everything that follows it. */
void daemon_started(struct daemon *d);
/* daemon.c: once a second, after the flush. */
void daemon_tick(struct daemon *d);
/* A policy_read_fn for set files, relative to the policy's directory. */
int daemon_read_set_file(void *ctx, const char *path, size_t max, char **buf, size_t *len);

/* ---- the read limit (confine.c) ---- */

/* Confines reads (Landlock) to the policy's and its set files' directories
 * and more[] (nmore of them, NULL skipped); call before reading any set
 * file. 0 also when the kernel has no Landlock (said at info); a negative
 * errno with why. */
int daemon_confine_reads(struct daemon *d, const char *const *more, size_t nmore, char *why,
			 size_t whylen);
/* May the confined watch read beneath dir (absolute, resolved)? */
bool daemon_may_read_dir(const struct daemon *d, const char *dir);
/* read_file_at(dirfd, path) for a policy whose directory is base, or
 * POLICY_READ_CONFINED when the file is outside what the watch may read. */
int daemon_read_confined(struct daemon *d, int dirfd, const char *base, const char *path,
			 size_t max, char **buf, size_t *len);
void daemon_confine_free(struct daemon *d);
/* The built-in fail-closed policy's text. */
extern const char daemon_fallback_policy[];
void daemon_set_state(struct daemon *d, enum daemon_state s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *daemon_source_name(enum daemon_source s);

/* ---- status.c ---- */
#include <json-c/json.h>
const char *daemon_state_name(enum daemon_state s);
json_object *daemon_status_json(struct daemon *d);
/* The snapshot into RUN_DIR/status.NSID.TABLE (each second). */
void daemon_write_status(struct daemon *d);
/* Prometheus text; dump: the table's dump for the rule counters, or NULL. */
void daemon_metrics(struct daemon *d, const void *dump, size_t len, struct strbuf *sb);
/* GET /v1/diff (kdiff.c): the helper's DUMP reply against the running
 * policy, as text into out; returns the HTTP status. */
unsigned daemon_diff(struct daemon *d, const struct psep_reply *rep, struct strbuf *out);

/* ---- on_event.c (--on-event) ---- */
/* While privileged: forks the spawner (see vigil/spawner.h). */
int daemon_on_event_start(struct daemon *d, const struct psep_ids *ids, char *why, size_t whylen);
/* Closes its socket and waits for it. */
void daemon_on_event_stop(struct daemon *d);

/* ---- rule_conns.c ---- */
struct rule_count {
	char *name;
	uint64_t n;
};
/* A conntrack NEW event with this mark. */
void rule_conns_count(struct daemon *d, uint32_t mark);
/* The rule names change (d->names is still the old one): keep the counts by name. */
void rule_conns_rebase(struct daemon *d);
/* vigil_rule_connections_total */
void rule_conns_metrics(struct daemon *d, struct strbuf *sb);
void rule_conns_free(struct daemon *d);

/* ---- drift.c ---- */
int daemon_drift_start(struct daemon *d);
/* Our own commit landed at genid: events up to it are ours. */
void daemon_drift_committed(struct daemon *d, uint32_t genid);

/* revoke.c: the policy in force has revoke: true: end the connections in
 * conntrack it would not admit as new (asynchronous; logs the outcome). */
void daemon_revoke(struct daemon *d);

/* ---- flows.c ---- */
int daemon_flows_start(struct daemon *d, int64_t t_start);
/* Hands what was gathered to the writer (names of the active policy). */
void daemon_flows_flush(struct daemon *d);
void daemon_flows_stop(struct daemon *d);
/* The active policy changed: later flows carry its rule names. */
void daemon_flows_names_changed(struct daemon *d);

/* ---- refused.c ---- */
int daemon_refused_start(struct daemon *d);
void daemon_refused_stop(struct daemon *d);
void daemon_refused_tick(struct daemon *d);
void daemon_refused_names_changed(struct daemon *d);

#endif
