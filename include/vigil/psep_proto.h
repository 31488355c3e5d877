/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PSEP_PROTO_H
#define VIGIL_PSEP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/nlreply.h"

/*
 * The fixed vocabulary between the unprivileged main process and the commit
 * helper (a socketpair, SOCK_STREAM). Every message is a header followed by
 * exactly hdr.len bytes; each type has an exact size, or a bounded one for
 * the few that carry bytes (batches, dumps). Anything else ends the
 * conversation: the helper logs it and exits. Both sides are the same
 * binary (the helper is an exec of it), so structs travel as they are.
 *
 * Which requests a helper serves depends on the verb it was started for
 * (psep_mode): see the permit tables in src/sys/helper.c.
 */
#define PSEP_MAGIC 0x7669676cu /* "vigl" */

enum psep_type {
	PSEP_REQ_COMMIT = 1,      /* batch bytes: verify, send, answer RESULT */
	PSEP_REQ_VALIDATE = 2,    /* batch bytes: verify, let the kernel check it, commit nothing */
	PSEP_REQ_GETGEN = 3,      /* nothing: answer GEN */
	PSEP_REQ_CT_STATS = 4,    /* nothing: answer CT_STATS */
	PSEP_REQ_TABLE_INFO = 5,  /* nothing: answer TABLE_INFO (vigild's table) */
	PSEP_REQ_DUMP = 6,        /* nothing: answer DUMP (vigild's table, every object) */
	PSEP_REQ_SET_TABLE = 7,   /* struct psep_set_table: fixes the table (once, first) */
	PSEP_REQ_CT_DUMP = 8,     /* nothing: answer DUMP (the conntrack table) */
	PSEP_REQ_ARM = 9,         /* struct psep_arm + rollback batch: become a rollback guard */
	PSEP_REQ_DISARM = 10,     /* nothing: the change failed, no rollback */
	PSEP_REQ_DYN_DUMP = 11,   /* nothing: answer DUMP (vigild's dynamic sets and their elements) */
	PSEP_REQ_SETELEM = 12,    /* batch bytes: only elements of dynamic sets (batch_verify_setelem) */
	PSEP_REQ_CT_DELETE = 13,  /* IPCTNL_MSG_CT_DELETE messages (revoke_verify): answer RESULT */
	PSEP_REQ_MAX_ = 14,
	PSEP_REP_READY = 0x80,    /* struct psep_ready: the helper's first word */
	PSEP_REP_RESULT = 0x81,   /* struct psep_result + nerr struct nl_err */
	PSEP_REP_GEN = 0x83,      /* struct psep_gen */
	PSEP_REP_CT_STATS = 0x84, /* struct psep_ct_stats */
	PSEP_REP_TABLE_INFO = 0x85, /* struct psep_table_info */
	PSEP_REP_DUMP = 0x86,     /* struct psep_dump + len bytes of netlink messages */
	PSEP_REP_OK = 0x87,       /* struct psep_ok */
};

/* The verbs a helper can be started for; each serves its own requests. */
enum psep_mode {
	PSEP_MODE_APPLY = 1,  /* vigild apply: validate/commit a replacement, read the table */
	PSEP_MODE_REMOVE = 2, /* vigild remove: commit the deletion of the table, once */
	PSEP_MODE_WATCH = 3,  /* vigild watch: commits, reads, conntrack statistics */
	PSEP_MODE_SET = 4,    /* vigild set: elements of dynamic sets, and reading them */
	PSEP_MODE_READ = 5,   /* vigild diff: reads the table, never commits */
};

struct psep_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t zero;
	uint32_t len;
};

/* Kernel features the helper found at its start. */
enum {
	PSEP_F_PERSIST = 1u << 0, /* table flags owner|persist (kernel 6.9+) */
	PSEP_F_DESTROY = 1u << 1, /* NFT_MSG_DESTROYTABLE (kernel 6.3+) */
};

/* Sent once, when the helper has dropped to CAP_NET_ADMIN under seccomp
 * (status 0) or failed to (status < 0, why says what). */
struct psep_ready {
	int32_t status;
	uint32_t portid;    /* the helper's nf_tables socket: its commits carry it */
	uint32_t features;  /* PSEP_F_* */
	uint32_t zero;
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
	uint64_t inserts;       /* sum of per-CPU conntrack "insert" counters */
	uint64_t drop;          /* packets dropped: no conntrack entry could be made */
	uint64_t early_drop;    /* entries evicted early because the table was full */
	uint64_t insert_failed; /* entries that could not be inserted */
	uint64_t count;         /* entries now (CTA_STATS_GLOBAL_ENTRIES) */
	uint64_t max;           /* nf_conntrack_max (CTA_STATS_GLOBAL_MAX_ENTRIES) */
};

/* vigild's table as the kernel has it now. */
struct psep_table_info {
	int32_t status;     /* 0, or -errno of the lookup */
	uint32_t exists;    /* 0: no such table */
	uint32_t flags;     /* NFTA_TABLE_FLAGS */
	uint32_t owned;     /* 1: owned (NFT_TABLE_F_OWNER) by a socket that is not the helper's */
	uint32_t genid;     /* the ruleset generation the answer was read at */
	uint32_t zero;
	char comment[128];  /* the table's comment ("" if none); vigild's is IR_TABLE_MARK */
};

/* A dump: status, then len bytes of the kernel's netlink messages (every
 * multipart message, NLMSG_DONE removed), as received. */
struct psep_dump {
	int32_t status;
	uint32_t len;
	uint32_t genid;     /* for the table dump: generation before the dump */
	uint32_t zero;
	char why[200];
};

struct psep_set_table {
	char name[64];      /* NUL-terminated */
};

/* apply --confirm: roll back to the batch that follows unless confirmed
 * within seconds (vigild(8), apply --confirm). */
struct psep_arm {
	uint32_t seconds;
	uint32_t zero;
	char pending[128];  /* the pending file's name in the run directory */
};

struct psep_ok {
	int32_t status;
	char why[200];
};

#define PSEP_MAX_ERRORS 4096u
#define PSEP_MAX_BATCH (1024u << 20)
#define PSEP_MAX_DUMP (1024u << 20)
/* a CT_DELETE request: at most REVOKE_MAX_PER_REQUEST messages of
 * REVOKE_MSG_MAX bytes (revoke.h) */
#define PSEP_MAX_CT_DELETE (1024u * 128u)

/*
 * Checks a header against the vocabulary. requests: known types with their
 * exact (or bounded) sizes; replies: exactly `expect`. For replies whose
 * size depends on content (RESULT, DUMP), psep_reply_size() gives the exact
 * size once the fixed part is read.
 * Returns 0 or -EPROTO with *why set.
 */
int psep_check_request(const struct psep_hdr *h, const char **why);
int psep_check_reply(const struct psep_hdr *h, uint16_t expect, const char **why);
/* Exact payload size of a RESULT with r->nerr errors, or 0 if nerr is too big. */
size_t psep_result_size(const struct psep_result *r);
/* Size of a reply's fixed part (what to read before psep_*_size), 0 if unknown. */
size_t psep_reply_fixed(uint16_t type);
/* The request's name, for logs ("COMMIT"); "?" when unknown. */
const char *psep_type_name(uint16_t type);

#endif
