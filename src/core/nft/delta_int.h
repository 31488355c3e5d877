/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Incremental apply's inside: what the plan (delta_plan.c) and the batch
 * (delta_batch.c) share. */
#ifndef VIGIL_DELTA_INT_H
#define VIGIL_DELTA_INT_H

#include "tablediff_int.h"
#include "vigil/delta.h"

/*
 * A set's elements as items to diff: one item per element, except that an
 * interval's start and the end that follows it (NFT_SET_ELEM_INTERVAL_END)
 * are one item, so that an interval is deleted or added whole. first[i]
 * is item i's first element in s->e (sorted: td_set_sort), count[i] 1 or 2.
 */
struct delta_elems {
	size_t *first;
	uint8_t *count;
	size_t n;
};
void delta_elems_of(const struct td_set *s, struct delta_elems *d);
void delta_elems_free(struct delta_elems *d);
/* The items of k not in w (*del, indices into kd) and of w not in k
 * (*add, into wd), ascending; one merge of the sorted sides. */
void delta_elems_diff(const struct td_set *k, const struct delta_elems *kd, const struct td_set *w,
		      const struct delta_elems *wd, size_t **del, size_t *ndel, size_t **add,
		      size_t *nadd);

/* The named set `name` of m, or NULL. */
const struct td_set *delta_named(const struct td_model *m, const char *name);
/* A set whose elements the kernel or `vigild set` fills (NFT_SET_EVAL, or
 * vigild's dynamic mark): an incremental apply leaves them alone. */
bool delta_set_filled(const struct td_set *s);
/* Chains and named sets the same on both sides, but for base chains'
 * policies (else p->full, p->reason); policy[i] (may be NULL; w->nchains
 * entries): wanted chain i's policy changes (counted in p->chains_policy). */
bool delta_same_objects(const struct td_model *k, const struct td_model *w, struct delta_plan *p,
			bool *policy);
/* The length of the chain's name in a td_model chain ("NAME DEFINITION"). */
size_t delta_chain_name_len(const char *c);
/* The rules of chain (clen bytes of it) on each side: kernel rules with
 * their handles, wanted rules' identities and their indices in w->rules. */
void delta_chain_rules(const struct td_model *k, const struct td_model *w, const char *chain,
		       size_t clen, struct delta_krule **kr, size_t *nk, const char ***wr,
		       size_t **wi, size_t *nw);

#endif
