/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DYNSET_H
#define VIGIL_DYNSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/batch.h"
#include "vigil/diag.h"
#include "vigil/ir.h"
#include "vigil/ival.h"
#include "vigil/policy.h"

/*
 * Dynamic sets as the kernel holds them: the kernel sets of vigild's table
 * whose comment is IR_DYNSET_MARK, and their elements with what is left of
 * their lifetimes. Read from a dump (pure, hostile-input safe), carried
 * over a reload, changed by `vigild set add/del`.
 */
struct dynset_elem {
	uint8_t key[16];
	uint8_t keylen;
	bool end;              /* NFT_SET_ELEM_INTERVAL_END */
	uint64_t timeout_ms;   /* 0: none (or the set's default, when adding) */
	uint64_t expires_ms;   /* what is left of it; 0: none */
};

struct dynset {
	char name[64];         /* the kernel set: NAME_v4, NAME_v6 */
	uint32_t flags, key_type, key_len, size;
	uint64_t timeout_ms;   /* the set's default timeout, 0 = none */
	struct dynset_elem *v;
	size_t n, cap;
};

struct dynset_list {
	struct dynset *v;
	size_t n, cap;
	/* the table's other named sets (for "not a dynamic set") */
	char (*others)[64];
	size_t nothers, capothers;
};

/*
 * The dynamic sets of a dump (NEWSET messages with vigild's mark) and,
 * with elements, their elements (NEWSETELEM). Returns 0 or -EBADMSG.
 */
int dynset_parse(const void *dump, size_t len, bool elements, struct dynset_list *out);
void dynset_list_free(struct dynset_list *l);
struct dynset *dynset_find(const struct dynset_list *l, const char *name);

/*
 * A reload keeps the elements of every dynamic set that stays one of the
 * same kind (key type, intervals or not, timeouts or not). A set that
 * would lose its elements otherwise (now static, of another type, without
 * timeouts while its elements have some) is an error located at the
 * policy's set, unless full (then its elements go, with a warning).
 * Returns 0 or -EINVAL.
 */
int dynset_check_reload(const struct dynset_list *old, const struct ir_table *t,
			const struct policy *pol, bool full, struct diags *d);
/* Takes ms off every element's remaining lifetime (at least 1 ms is
 * left): the time from the dump to the commit, which a reload would
 * otherwise add to every ban. */
void dynset_age(struct dynset_list *l, uint64_t ms);
/* Is the set of t at index i one whose old elements are carried over? */
const struct dynset *dynset_kept(const struct dynset_list *old, const struct ir_set *s);

/*
 * Appends messages of type (NFT_MSG_NEWSETELEM or NFT_MSG_DELSETELEM) with
 * flags for the n elements of v to set `set` of table (set_id: the batch's
 * id of a set made in it, 0 for a set the kernel has), at most
 * DYNSET_MSG_ELEMS elements a message. what: for kernel errors.
 */
#define DYNSET_MSG_ELEMS 512
void dynset_put_elems(struct batch *b, const char *table, const char *set, uint32_t set_id,
		      uint16_t type, uint16_t flags, const struct dynset_elem *v, size_t n,
		      int origin_set, const char *what);

#endif

/* ---- vigild set: requests against what the kernel holds ---- */

/* One element as the user wrote it (an address, a prefix, a range). */
struct dynset_req {
	enum addr_family f;
	struct ival iv;
	uint64_t timeout_ms;   /* 0: the set's default */
	unsigned line;         /* stdin: its line; 0 for an argument */
	char text[64];         /* as written, for messages */
};

/* The kernel set of a dynamic set NAME for family f: "NAME_v4", "NAME_v6". */
void dynset_kernel_name(const char *name, enum addr_family f, char *buf, size_t len);

/*
 * The kernel elements of q in set s: the address (a hash set), or an
 * interval's start and end (a cidr set; no end at the top of the space).
 * Returns their number (1 or 2), or -EINVAL with why: a prefix or range
 * in a set of single addresses, a timeout in a set without timeouts.
 */
int dynset_req_elems(const struct dynset *s, const struct dynset_req *q, struct dynset_elem out[2],
		     char *why, size_t len);

/* Sorts s's elements by key (then starts before ends) for dynset_has. */
void dynset_sort(struct dynset *s);
/* Is e (key, and whether it ends an interval) among s's sorted elements? */
bool dynset_has(const struct dynset *s, const struct dynset_elem *e);

/* s's elements as intervals (sorted s): calls fn for each address,
 * prefix or range, with the start element's timeout and expiration. */
void dynset_walk(const struct dynset *s, enum addr_family f,
		 void (*fn)(void *ctx, const struct ival *iv, const struct dynset_elem *e),
		 void *ctx);

/* One `vigild set add|del NAME ...`. */
struct dynset_op {
	const char *table;
	const char *name;      /* the policy's set name (NAME, not NAME_v4) */
	bool add;
	const struct dynset_req *q;
	size_t n;
	const char *source;    /* where q came from: "<stdin>", or "vigild set" */
};

/* Kernel elements in one batch at most (each batch is one transaction). */
#define DYNSET_BATCH_ELEMS 16384

/*
 * Checks every element of op against the kernel's dynamic sets l (sorted
 * with dynset_sort): the set exists and is dynamic, each element fits it
 * (family, type, timeout), an add is not there yet (nor twice in op) and
 * fits the set's size, a delete is there. Every problem is an error in d
 * naming the element and the set, and then nothing is built. Otherwise
 * builds the batches (BEGIN, NEWSETELEM or DELSETELEM, END) of at most
 * DYNSET_BATCH_ELEMS kernel elements each into *out (*nout of them;
 * d must hold no errors before;
 * batch_free each, free the array). Returns 0 or -EINVAL.
 */
int dynset_build(const struct dynset_list *l, const struct dynset_op *op, uint32_t seq0,
		 struct batch **out, size_t *nout, struct diags *d);
