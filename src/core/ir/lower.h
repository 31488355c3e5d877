/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_IR_LOWER_H
#define VIGIL_IR_LOWER_H

/* Inside src/core/ir: the lowering's state, shared by compile.c (the
 * driver, sets, built-in rules) and lower.c (one policy rule). */

#include "vigil/ir.h"

struct lower {
	const struct policy *pol;
	const struct ir_opts *opts;
	struct ir_table *t;
	struct ir_set **set4, **set6, **setp; /* per policy set: its kernel sets */
	/* the limits, and what the policy will become so far: the kernel rules
	 * and anonymous set elements lowered, times the companion rules each
	 * will get (ir_add_companions) */
	size_t max_rules, max_elems, proj_rules, proj_elems;
	bool over;
	/* nat.c: lowering a nat entry's matches (lower_rule on its prule):
	 * into chain nat_chain, or (nat_accept) the forward accept of a
	 * dnat; of the families nat_fams only (bit 1 IPv4, bit 2 IPv6) */
	const struct pnat *nat;
	size_t nat_chain;
	bool nat_accept;
	unsigned nat_fams;
};

/* Appends an empty rule (origin -1) to base chain c and counts it. */
struct ir_rule *lower_chain_add(struct ir_table *t, enum chain_id c);
void lower_rule_add_match(struct ir_rule *r, const struct ir_match *m);
/* A match for literal values of key k: one compare, or an anonymous set
 * (owned by the rule that takes the match; rule = its origin). */
struct ir_match lower_lit_match(struct lower *L, enum ir_key k, uint8_t l4,
				const struct ivlist *l, int rule);
/* The kernel rules of one policy rule, appended to its chain. */
void lower_rule(struct lower *L, const struct prule *pr);

/* nat.c: the forward accepts of dnat entries (right after the forward
 * chain's built-in rules), the nat chains and their rules (after every
 * filter chain), and the end of one kernel rule of a nat entry. */
void lower_nat_accepts(struct lower *L);
/* The forward accept of one dnat entry (nat.c). */
void lower_nat_accept(struct lower *L, const struct pnat *n);
/* natmap.c: can entry n be in a port-forward map; the run of them that
 * starts at entry i, lowered as one map lookup into chain pre: returns
 * its end (exclusive), or i when no run long enough starts there. */
bool natmap_entry(const struct pnat *n);
size_t lower_natmap_run(struct lower *L, size_t pre, size_t i);
void lower_nats(struct lower *L);
void lower_nat_finish(struct lower *L, struct ir_rule *r, enum addr_family f);

/* defer.c: defer-to's forward accepts, before the forward chain's last
 * rule (its default counter: run after merging and dispatch, which leave
 * it last), and how many kernel rules they are. */
void lower_defer(struct lower *L);
size_t lower_defer_count(const struct policy *pol);

/* The reject of a rule of protocols `protos` in family part f. */
void lower_set_reject(struct ir_rule *r, unsigned protos, enum addr_family f);

/* limit.c: the over-limit rule of a limited policy rule, before r (r is
 * the rule lower_part just appended; the over rule is inserted before it
 * and the pointer to r stays valid: the return). `sets` caches the part's
 * dynamic sets (rate, count) across its kernel rules. */
struct ir_set;
struct ir_rule *lower_limit_rules(struct lower *L, const struct prule *pr, enum addr_family f,
				  struct ir_set *sets[2]);

/* companions.c: the rate-limited log rules and the untracked twins. */
void ir_add_companions(struct ir_table *t);
/* A table with at least `min` anonymous sets (0: IR_SHARE_LISTS_MIN): each
 * distinct literal list becomes one named set, list.HASH, that all its
 * rules look up (lists.c says why). Run after the companion rules. */
void ir_share_lists(struct ir_table *t, size_t min);

#endif
