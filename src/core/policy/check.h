/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the semantic checker (policy_check.c, policy_sets.c): the
 * checker's state and the helpers both halves use.
 */
#ifndef VIGIL_POLICY_CHECK_INT_H
#define VIGIL_POLICY_CHECK_INT_H

#include "vigil/policy.h"

struct ck {
	const char *file;
	const struct ynode *root;
	struct diags *d;
	struct policy *pol;
	const struct policy_opts *opts;
	struct pset **byname;  /* pol->sets sorted by name, for lookups */
	unsigned unknown_sets; /* how many unknown-set errors so far */
	uint64_t field;        /* numbers each rule field, to spot repeated @refs */
};

static inline struct srcloc at(const struct ck *c, const struct ynode *n)
{
	return ynode_loc(c->file, n);
}

/* Node for item i of a list field of map m (the scalar itself when the
 * field was written as a single value). */
static inline const struct ynode *elem_node(const struct ynode *m, const char *key, size_t i)
{
	return ynode_elem(ynode_get(m, key), i);
}

static inline bool quiet(const struct ynode *n)
{
	return n && n->bad;
}

/* policy_warn.c: warnings about the parts of a valid rule that can never
 * match (empty sets, entries of an address family the rule cannot have). */
void rule_warnings(struct ck *c, const struct prule *r, const struct ynode *rn);

/* policy_sets.c: builds pol->sets (elements, set files) and the index. */
void check_sets(struct ck *c, const struct pdoc *pd);
/* The set named name, or NULL. */
struct pset *find_set(struct ck *c, const char *name);
/* Reports '@name' as unknown, with a did-you-mean for the first few. */
void unknown_set(struct ck *c, const struct ynode *n, const char *name);

/* policy_log.c: the log key of a rule (scalar: its text, else NULL) and
 * of defaults (pol->nflog). */
bool policy_parse_rate(const char *v, uint32_t *rate, uint32_t *unit);
void check_rule_log(struct ck *c, const char *scalar, const struct ynode *rn, struct prule *r);
void check_defaults_log(struct ck *c, const char *scalar, const struct ynode *dn);

#endif
