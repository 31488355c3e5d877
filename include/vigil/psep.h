/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PSEP_H
#define VIGIL_PSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/nlreply.h"
#include "vigil/psep_proto.h"
#include "vigil/sandbox.h"

/*
 * Privilege separation. The process that reads untrusted input (YAML, set
 * files, conntrack events) holds no capabilities; the commit helper, an
 * exec of vigild's own binary, keeps only CAP_NET_ADMIN, runs as the same
 * unprivileged user under no_new_privs and a seccomp allow-list, serves
 * only the requests its mode permits, and sends to the kernel only batches
 * that batch_verify() confines to vigild's own table.
 */

struct psep_ids {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/*
 * Resolves the unprivileged user: `name` if given (error if unknown), else
 * "vigil", else "nobody". When we are not root, the current ids are kept.
 */
int psep_resolve_user(const char *name, struct psep_ids *ids, char *why, size_t whylen);

/* True when the process can run the privileged verbs (CAP_NET_ADMIN). */
bool psep_can_admin(void);

/* The argv[1] that makes vigild the helper (internal; main.c hands over). */
#define PSEP_HELPER_ARGV "__vigild-helper"
/* The helper's main (argv as psep_start passes it); never returns on success. */
int psep_helper_main(int argc, char **argv);

struct psep_call;

/* A helper's answer. Transport failures (the helper gone, a malformed
 * reply) are status < 0 with why; the helper's own answers are in u. */
struct psep_reply {
	uint16_t type;          /* PSEP_REP_* */
	int status;             /* 0: u holds the reply; < 0: no reply (why) */
	char why[256];
	union {
		struct psep_ready ready;
		struct psep_result result;
		struct psep_gen gen;
		struct psep_ct_stats ct;
		struct psep_table_info ti;
		struct psep_dump dump;
		struct psep_ok ok;
	} u;
	uint8_t *extra;         /* RESULT: nerr struct nl_err; DUMP: the messages */
	size_t extra_len;
};
void psep_reply_free(struct psep_reply *rep);

typedef void (*psep_done_fn)(void *ctx, struct psep_reply *rep);

struct psep {
	pid_t pid;
	int fd;                 /* the socketpair, non-blocking */
	int pidfd;              /* the helper's pidfd, -1 when the kernel has none */
	uint32_t portid;        /* the helper's nf_tables socket (its commits carry it) */
	uint32_t features;      /* PSEP_F_*, what the kernel can */
	/* requests: the first is in flight once (partly) written */
	struct psep_call *head, *tail;
	size_t wr_off;
	/* the reply being read */
	uint8_t *rx;
	size_t rx_len, rx_cap;
};

/* What psep_setup does, for which verb. */
struct psep_setup_opts {
	const char *verb;       /* "vigild apply", for messages */
	enum psep_mode mode;
	const char *table;      /* NULL: the main process names it once (psep_set_table) */
	bool force;
	const char *user;       /* --user, or NULL */
	/* Opens what needs privileges (policy, sockets, directories), as root,
	 * after the user is known and before anything is dropped; may be NULL.
	 * Returns 0 or a negative errno, having put the reason into why. */
	int (*privileged)(void *ctx, const struct psep_ids *ids, char *why, size_t whylen);
	void *ctx;
	/* the run directory's fd, for a helper that may become a rollback
	 * guard (read after privileged ran; NULL or -1: none) */
	const int *helper_runfd;
	/* where a rollback guard logs once it leaves the session (the
	 * journal's stream socket; NULL or -1: on the caller's stderr) */
	const int *helper_logfd;
	/* the directories this verb writes beneath once unprivileged (the
	 * database's, the state and run directories, NULL entries skipped):
	 * Landlock refuses file writes anywhere else (src/sys/landlock.c) */
	const char *rw_dirs[SANDBOX_MAX_RW_DIRS];
};

/*
 * The privileged set-up, the same for every verb that changes the kernel:
 * checks CAP_NET_ADMIN, resolves the user, runs opts->privileged, starts
 * the helper (fork + fexecve of our binary) and waits until it runs with
 * only CAP_NET_ADMIN under seccomp, then drops every capability of this
 * process and switches to the user. Call before reading anything untrusted
 * and before starting threads. Returns 0, or a negative errno with why
 * (-EPERM: not privileged).
 */
int psep_setup(const struct psep_setup_opts *opts, struct psep *p, struct psep_ids *ids,
	       char *why, size_t whylen);

/*
 * Drops every capability of the calling (main) process, switches to ids,
 * sets no_new_privs. Returns 0 or a negative errno, with the reason in why.
 */
int psep_drop(const struct psep_ids *ids, char *why, size_t whylen);

/* ---- requests, blocking (the one-shot verbs) ---- */

/* Sends one request and waits for its reply (no other request may be
 * pending). rep->status < 0 when the helper is gone. */
int psep_call(struct psep *p, uint16_t type, const void *payload, size_t len,
	      struct psep_reply *rep);

/*
 * Asks the helper to commit (or, validate_only, to let the kernel check
 * without committing) a batch. Returns 0 when the batch reached the kernel
 * (res holds its answer), -EPERM when the helper refused it (why says why),
 * -EBUSY when another process owns the table, other negative errnos for
 * failures (why says what).
 */
int psep_commit(struct psep *p, const void *batch, size_t len, bool validate_only,
		struct nl_result *res, char *why, size_t whylen);
/* The kernel's answer inside a RESULT reply, as psep_commit returns it. */
int psep_reply_to_result(struct psep_reply *rep, struct nl_result *res, char *why, size_t whylen);

int psep_getgen(struct psep *p, uint32_t *genid);
int psep_ct_stats(struct psep *p, struct psep_ct_stats *st);
int psep_table_info(struct psep *p, struct psep_table_info *ti);
/* Fixes the helper's table (once, before anything else; helpers started
 * without one). */
int psep_set_table(struct psep *p, const char *table, char *why, size_t whylen);
/* The dynamic sets of the helper's table with their elements (DYN_DUMP),
 * parsed into l (dynset_list_free it), and the generation they were read
 * at. Returns 0 or a negative errno with why. */
struct dynset_list;
int psep_dyn_dump(struct psep *p, struct dynset_list *l, uint32_t *genid, char *why, size_t whylen);
/* The kernel's conntrack "insert" statistic, summed over CPUs. */
int psep_ct_inserts(struct psep *p, uint64_t *inserts);

/* ---- requests, asynchronous (the daemon's event loop) ---- */

/*
 * Queues a request (payload is copied); done runs from psep_io once its
 * reply is complete, or with rep->status < 0 when the helper is gone or the
 * request timed out (timeout_ms after it was sent). One request is in
 * flight at a time.
 */
void psep_submit(struct psep *p, uint16_t type, const void *payload, size_t len,
		 unsigned timeout_ms, psep_done_fn done, void *ctx);
/* poll(2) events the socket needs now (POLLIN, plus POLLOUT while writing). */
short psep_poll_events(const struct psep *p);
/* Does what revents allow; runs callbacks. Returns 0, or a negative errno
 * when the channel is broken (every pending request has then been failed). */
int psep_io(struct psep *p, short revents);
/* Monotonic ms at which the request in flight times out; 0 = none. */
uint64_t psep_deadline(const struct psep *p);
/* Fails the request in flight if its time is up (-ETIMEDOUT); returns true
 * when one was failed (the helper is then stuck: stop it). */
bool psep_check_timeout(struct psep *p, uint64_t now_ms);
bool psep_idle(const struct psep *p);
/* Fails every pending request with status err (callbacks run). */
void psep_fail_all(struct psep *p, int err, const char *why);

/*
 * Closes the channel and reaps the helper. Returns its exit status or -1.
 * With !wait, returns at once (init reaps the helper): releasing its
 * nf_tables socket makes the kernel first finish freeing the previous
 * ruleset (NETLINK_URELEASE flushes the deferred destroy work), up to a
 * second or so, which a stopping watcher need not wait for.
 */
int psep_stop(struct psep *p, bool wait);

struct nftc_opts;
/* How to build a replacement for what TABLE_INFO said: DESTROYTABLE when
 * the kernel has it, the generation check, and (own) owner|persist flags
 * when the kernel has persist. */
void psep_plan_opts(const struct psep *p, const struct psep_table_info *ti, bool own,
		    struct nftc_opts *o);

/* Monotonic milliseconds. */
uint64_t psep_now_ms(void);

#endif
