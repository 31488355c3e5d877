/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DELTA_H
#define VIGIL_DELTA_H

/*
 * The pure half of incremental apply (issue 18 point 1): given what a chain
 * or a set holds in the kernel and what the compiled policy wants, the
 * smallest list of operations that turns one into the other. No netlink
 * here: the caller turns operations into DELRULE / NEWRULE-with-position /
 * NEWSETELEM / DELSETELEM messages of one batch.
 *
 * Rules are compared by identity (a string: the rule's compiled content and
 * comment), never by position, so a rule kept is left alone in the kernel
 * and its counter survives.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum delta_kind {
	DELTA_DEL,          /* delete the kernel rule `handle` */
	DELTA_INS_AFTER,    /* new rule `index` right after kernel rule `handle`
			       (NEWRULE, NFTA_RULE_POSITION + NLM_F_APPEND) */
	DELTA_INS_BEFORE,   /* new rule `index` right before `handle`
			       (NFTA_RULE_POSITION, no NLM_F_APPEND) */
	DELTA_APPEND,       /* new rule `index` at the chain's end */
};

struct delta_op {
	enum delta_kind kind;
	uint64_t handle;    /* DEL, INS_*: the kernel rule's handle */
	size_t index;       /* INS_*, APPEND: index into the wanted rules */
};

/* a rule in the kernel: its identity and handle */
struct delta_krule {
	const char *id;
	uint64_t handle;
};

/* Limits beyond which the diff declines (the caller replaces the chain). */
#define DELTA_MAX_CELLS (1u << 22)

/*
 * The operations, in the order to send them (all deletes first, then the
 * inserts), that turn the kernel chain `k` into the wanted sequence `want`:
 * a longest common subsequence is kept, everything else deleted or
 * inserted. *ops is allocated (free()); *nkept: rules left untouched.
 * Returns 0, or -E2BIG when the differing middle is too large to diff
 * (the caller falls back to a full replacement).
 */
int delta_rules(const struct delta_krule *k, size_t nk, const char *const *want, size_t nw,
		struct delta_op **ops, size_t *nops, size_t *nkept);

/* an element as bytes (key, end, flags, data serialised by the caller) */
struct delta_item {
	const void *p;
	size_t len;
};

/*
 * The multiset difference of a set's elements: *del (indices into `k`)
 * are in the kernel and not wanted, *add (indices into `w`) wanted and not
 * in the kernel. Both arrays allocated (free()), ascending.
 */
void delta_items(const struct delta_item *k, size_t nk, const struct delta_item *w, size_t nw,
		 size_t **del, size_t *ndel, size_t **add, size_t *nadd);

/*
 * What an incremental apply would send to turn the kernel's table (a dump,
 * klen 0: no table) into the compiled batch `want`: per chain the rule
 * operations above, per named set the element difference. full: it cannot
 * (reason says why, e.g. "no table", "chain input's definition changed",
 * "set admins changed type"); the caller then replaces the whole table.
 * messages: the rule and element messages of the delta batch (one
 * element message per set that changes), 0: the policy is unchanged.
 */
struct delta_plan {
	bool full;
	char reason[128];
	size_t rules_kept, rules_del, rules_add;
	size_t elems_del, elems_add;
	size_t chains_policy;   /* base chains whose policy (default) changes */
	size_t messages;
};

int delta_plan(const void *kdump, size_t klen, const void *want, size_t wlen, struct delta_plan *p);

/*
 * The incremental batch itself, appended to b (batch_init'ed by the
 * caller): BEGIN with NFNL_BATCH_GENID = genid (the generation kdump was
 * read at: a change made since fails the batch with ERESTART), DELRULE by
 * handle, DELSETELEM, NEWSETELEM, then each inserted rule (NFTA_RULE_POSITION
 * after or before a kept rule's handle, or appended) after the anonymous
 * sets it looks up, END. Interval sets lose and gain whole intervals (a
 * start and its end together). Sets the kernel or `vigild set` fills
 * (delta_set_filled) keep their elements. A base chain whose policy
 * alone changes is updated in place (its compiled NEWCHAIN, which the
 * kernel takes as an update of the existing chain: same hook and priority). p as delta_plan, except that
 * messages counts what b holds between BEGIN and END (elements go 512 to a
 * message). b is left as it was when p->full, or when p->messages is 0
 * (the policy is unchanged: nothing to send). Returns 0, or -EBADMSG when
 * a side does not parse.
 */
struct batch;
int delta_build(const void *kdump, size_t klen, const void *want, size_t wlen, const char *table,
		uint32_t genid, struct batch *b, struct delta_plan *p);

#endif
