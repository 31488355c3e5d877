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

/* companions.c: the rate-limited log rules and the untracked twins. */
void ir_add_companions(struct ir_table *t);

#endif
