/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DYNSET_H
#define VIGIL_DYNSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/batch.h"
#include "vigil/diag.h"
#include "vigil/ir.h"
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
