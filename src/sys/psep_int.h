/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to privilege separation (psep*.c: the main process's side,
 * the wire's io and psep_drop_to shared with the helper; helper.c: the
 * helper). */
#ifndef VIGIL_PSEP_INT_H
#define VIGIL_PSEP_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/psep.h"

/* The helper's end of the socketpair, after the exec. */
#define PSEP_HELPER_FD 3

/* Helper flags (argv[6]). */
enum {
	PSEP_HF_FORCE = 1u << 0, /* replace or delete a table vigild did not make */
	PSEP_HF_RUNFD = 1u << 1, /* fd PSEP_HELPER_FD + 1 is the run directory */
	PSEP_HF_LOGFD = 1u << 2, /* fd PSEP_HELPER_FD + 2: a rollback guard's log */
};

int psep_write_full(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; -EPIPE on end of file. */
int psep_read_full(int fd, void *buf, size_t len);
/* Header + a + b, one message. */
int psep_send_msg(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen);

/*
 * Leaves the calling process with only `keep` (-1: nothing) in its
 * effective and permitted sets, as ids, no ambient capabilities, an empty
 * bounding set when it may clear it, and no_new_privs.
 */
int psep_drop_to(int keep, const struct psep_ids *ids, char *why, size_t whylen);

/* ---- inside the helper (helper.c, guard.c) ---- */

#include "vigil/nl.h"

struct permit;
struct helper {
	int fd;
	enum psep_mode mode;
	const struct permit *permits;
	char table[64];
	bool have_table;
	bool force;
	struct nl nl;
	uint32_t features;
	unsigned nreq;
	unsigned used[PSEP_REQ_MAX_];
	int runfd;             /* the run directory (apply's helper: a rollback guard writes there) */
	int logfd;             /* a rollback guard's stderr once armed (the journal), or -1 */
	/* armed rollback guard (apply --confirm) */
	bool armed;
	uint8_t *rollback;
	size_t rollback_len;
	uint64_t deadline_ms;
	char pending[128];     /* its pending file's name in runfd */
};

/* One line on stderr, "vigild[helper PID]: ...". */
void hlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* with a syslog priority (3 error, 4 warning, 6 info) */
void hlogp(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hlogv(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* stderr is the journal's stream socket (a rollback guard's log) */
extern bool hlog_to_journal;
/* The table must be vigild's (or absent) and not owned by another socket;
 * refuses the batch (answering RESULT) when not. */
int check_ownership(struct helper *H, const uint8_t *buf, size_t len, bool *refused);
/* A request's body of len bytes into a buffer of the helper's own (the
 * sender cannot change it after the check); <0: the conversation ends. */
int helper_read_body(struct helper *H, uint32_t len, uint8_t **buf);
/* helper_batch.c: a BATCH request of len bytes (validate: verified first) */
int helper_serve_batch(struct helper *H, uint32_t len, bool validate);
/* answers RESULT with status and the reason (logged): a refused request */
int refuse_batch(struct helper *H, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* guard.c: ARM (verify the rollback batch, detach, answer OK), DISARM, and
 * the guard's life once the main process is gone. */
int guard_arm(struct helper *H, uint32_t len);
int guard_disarm(struct helper *H);
void __attribute__((noreturn)) guard_run(struct helper *H);
/* helper_ct.c: CT_DELETE (revoke), len payload bytes still to read. */
int serve_ct_delete(struct helper *H, uint32_t len);

#endif
