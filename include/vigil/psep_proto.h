/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PSEP_PROTO_H
#define VIGIL_PSEP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/nlreply.h"

/*
 * The fixed vocabulary between the unprivileged main process and the commit
 * helper (a socketpair, SOCK_STREAM). Every message is a header followed by
 * exactly hdr.len bytes; each type has an exact size (or, for batches, a
 * bounded one). Anything else ends the conversation: the helper logs it and
 * exits. Both sides are the same binary, so structs travel as they are.
 */
#define PSEP_MAGIC 0x7669676cu /* "vigl" */

enum psep_type {
	PSEP_REQ_COMMIT = 1,      /* batch bytes: verify, send, answer RESULT */
	PSEP_REQ_VALIDATE = 2,    /* batch bytes: verify, let the kernel check it, commit nothing */
	PSEP_REQ_GETGEN = 3,      /* nothing: answer GEN */
	PSEP_REQ_CT_STATS = 4,    /* nothing: answer CT_STATS */
	PSEP_REP_READY = 0x80,    /* struct psep_ready: the helper's first word */
	PSEP_REP_RESULT = 0x81,   /* struct psep_result + nerr struct nl_err */
	PSEP_REP_GEN = 0x83,      /* struct psep_gen */
	PSEP_REP_CT_STATS = 0x84, /* struct psep_ct_stats */
};

struct psep_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t zero;
	uint32_t len;
};

/* Sent once, when the helper has dropped to CAP_NET_ADMIN under seccomp
 * (status 0) or failed to (status < 0, why says what). */
struct psep_ready {
	int32_t status;
	char why[200];
};

struct psep_result {
	int32_t status;   /* 0: the batch reached the kernel (see errors); <0: it did not */
	uint32_t genid;   /* generation after a successful commit, 0 if unknown */
	uint32_t nerr;
	uint32_t lost;
	char why[200];    /* status < 0: why the helper refused or failed */
};

struct psep_gen {
	int32_t status;
	uint32_t genid;
};

/* Asking needs CAP_NET_ADMIN in the sender: only the helper can. */
struct psep_ct_stats {
	int32_t status;
	uint32_t zero;
	uint64_t inserts;  /* sum of per-CPU conntrack "insert" counters */
};

#define PSEP_MAX_ERRORS 4096u
#define PSEP_MAX_BATCH (1024u << 20)

/*
 * Checks a header against the vocabulary. requests: types 1-4 only; replies:
 * exactly `expect`. For replies whose size depends on content (RESULT),
 * psep_result_size() gives the exact size once the fixed part is read.
 * Returns 0 or -EPROTO with *why set.
 */
int psep_check_request(const struct psep_hdr *h, const char **why);
int psep_check_reply(const struct psep_hdr *h, uint16_t expect, const char **why);
/* Exact payload size of a RESULT with r->nerr errors, or 0 if nerr is too big. */
size_t psep_result_size(const struct psep_result *r);

#endif
