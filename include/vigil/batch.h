/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BATCH_H
#define VIGIL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A NETLINK_NETFILTER batch as bytes, built before any socket exists, plus
 * what each message stands for, so that a kernel error (which names a
 * message by its sequence number) can be traced back to the policy.
 */
struct batch_msg {
	uint32_t seq;
	uint16_t type;     /* NFT_MSG_* or NFNL_MSG_BATCH_* */
	int origin_rule;   /* policy rule index, or -1 */
	int origin_set;    /* policy set index, or -1 */
	char *what;        /* "chain input", "set admins_v4", "rule ssh (kernel rule 2 of 3)" */
};

struct batch {
	uint8_t *buf;
	size_t len, cap;
	struct batch_msg *msgs;
	size_t nmsgs, capmsgs;
	uint32_t next_seq;
};

void batch_init(struct batch *b, uint32_t seq0);
void batch_free(struct batch *b);
/* Makes room for one more message of up to `room` bytes; returns where it goes. */
void *batch_reserve(struct batch *b, size_t room);
/* Accounts for the message just written at the reserved place. */
void batch_commit_msg(struct batch *b, int origin_rule, int origin_set, char *what);
uint32_t batch_seq(struct batch *b);
const struct batch_msg *batch_find_seq(const struct batch *b, uint32_t seq);


/*
 * The commit helper's gate: walks every message of a batch and accepts it
 * only when it is one nf_tables transaction (BEGIN first, END last, nothing
 * else framed), every message in between is nf_tables, family inet, of an
 * allowed type (new/delete table, chain, rule, set, set element), names the
 * table `table` exactly once by name and never refers to anything by
 * handle or position, and every length adds up. Pure; meant for hostile
 * input. Returns 0, or -EPERM with a reason in why (index = message number,
 * 0-based).
 */
struct batch_refusal {
	size_t index;
	char why[200];
};
int batch_verify(const void *buf, size_t len, const char *table, struct batch_refusal *why);

/*
 * The gate of `vigild set` (the helper's SETELEM request): one transaction
 * of NEWSETELEM (create, exclusive) or DELSETELEM messages and nothing
 * else, each for one of `sets` (the kernel's dynamic sets of table
 * `table`, as dynset_parse read them), every element's key as long as the
 * set's, an interval end only in a cidr set, a timeout only (added, not
 * deleted) in a set with timeouts. Returns 0, or -EPERM with a reason.
 */
struct dynset_list;
int batch_verify_setelem(const void *buf, size_t len, const char *table,
			 const struct dynset_list *sets, struct batch_refusal *why);

/*
 * The gate of an incremental apply (delta.h's batch): BEGIN with
 * NFNL_BATCH_GENID, then DELRULE by handle in a chain of the kernel's
 * table, NEWRULE (optionally with NFTA_RULE_POSITION) whose expressions
 * pass the same checks as a replacement's, DELSETELEM / NEWSETELEM on the
 * kernel's named sets (not those the kernel or `vigild set` fills), and
 * NEWSET / NEWSETELEM of anonymous sets for the rules it inserts; no table,
 * chain or named set made or deleted. kdump: the kernel's table, chains and
 * sets (the helper's own read), which the batch's names must be found in.
 * *genid: the batch's generation check, which the caller compares with
 * the generation kdump was read at. Returns 0, or -EPERM with a reason.
 */
int batch_verify_delta(const void *buf, size_t len, const char *table, const void *kdump,
		       size_t klen, uint32_t *genid, struct batch_refusal *why);

/* Upper bounds the verifier enforces. */
#define BATCH_MAX_BYTES (1024u << 20)
#define BATCH_MAX_MSGS (16u << 20)

#endif
