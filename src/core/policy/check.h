/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the semantic checker (policy_check.c, policy_sets.c): the
 * checker's state and the helpers both halves use.
 */
#ifndef VIGIL_POLICY_CHECK_INT_H
#define VIGIL_POLICY_CHECK_INT_H

#include "vigil/policy.h"

/* A zone: a named list of interface names (policy_zones.c). */
struct pzone {
	char *name;
	char **names;
	size_t n;
	struct srcloc loc;
	unsigned uses;
};

struct ck {
	const char *file;
	const struct ynode *root;
	struct diags *d;
	struct policy *pol;
	const struct policy_opts *opts;
	struct pset **byname;  /* pol->sets sorted by name, for lookups */
	unsigned unknown_sets; /* how many unknown-set errors so far */
	uint64_t field;        /* numbers each rule field, to spot repeated @refs */
	struct pzone *zones;   /* zones:, for iif/oif "@zone" */
	size_t nzones;
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

/* policy_check.c: the match fields a rule and a nat entry share; each
 * reads key of map rn (n values) and reports every bad one there. */
void check_addr(struct ck *c, const struct ynode *rn, const char *key, char **vals, unsigned n,
		struct paddr *pa);
void check_port(struct ck *c, const struct ynode *rn, const char *key, char **vals, unsigned n,
		struct pport *pp);
void check_ifname(struct ck *c, const struct ynode *rn, const char *key, char **vals, unsigned n,
		  struct pifname *pi);

/* An interface name as iif/oif take it (policy_check.c); else *why. */
bool valid_ifname(const char *s, const char **why);

/* policy_zones.c: the top-level zones: mapping into c->zones; the zone
 * named name (reported at n with a did-you-mean when unknown: NULL);
 * warnings for unused zones, and freeing them. */
void check_zones(struct ck *c, const struct pdoc *pd);
const struct pzone *find_zone(struct ck *c, const struct ynode *n, const char *name);
void zones_done(struct ck *c);

/* policy_limit.c: a rule's limit, per-source, ct-count and over. */
void check_limit(struct ck *c, const struct pdoc_rule *dr, const struct ynode *rn, struct prule *r);

/* policy_nat.c: the top-level nat: list into pol->nats. */
void check_nats(struct ck *c, const struct pdoc *pd);

/* policy_warn.c: warnings about the parts of a valid rule that can never
 * match (empty sets, entries of an address family the rule cannot have). */
void rule_warnings(struct ck *c, const struct prule *r, const struct ynode *rn);

/* policy_sets.c: builds pol->sets (elements, set files) and the index. */
void check_sets(struct ck *c, const struct pdoc *pd);
/* policy_dynset.c: `dynamic`, `timeout`, `size` of set s (true when the
 * set is dynamic: it then has no elements to read). */
bool check_dynamic(struct ck *c, struct pset *s, const struct pdoc_set *ds,
		   const struct ynode *vn);
int policy_bool(const char *v);

/* policy_revoke.c: the top-level revoke: key into pol->revoke. */
void check_revoke(struct ck *c, const struct pdoc *pd);
/* The set named name, or NULL. */
struct pset *find_set(struct ck *c, const char *name);
/* Reports '@name' as unknown, with a did-you-mean for the first few. */
void unknown_set(struct ck *c, const struct ynode *n, const char *name);

/* policy_log.c: the log key of a rule (scalar: its text, else NULL) and
 * of defaults (pol->nflog). */
bool policy_parse_rate(const char *v, uint32_t *rate, uint32_t *unit);
void check_rule_log(struct ck *c, const char *scalar, const struct ynode *rn, struct prule *r);
void check_defaults_log(struct ck *c, const char *scalar, const struct ynode *dn);

/* policy_defer.c: defaults.forward written as a mapping {default,
 * defer-to} (dn: the defaults node) into pol->defaults and pol->defer. */
void check_defaults_forward(struct ck *c, const struct ynode *dn);

#endif
