// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The IR's own helpers: key facts, packing, new sets, copies of matches,
 * and freeing. The lowering (compile.c, lower.c), the merge pass (merge.c)
 * and the companion rules (companions.c) use them; none depends on another
 * through this file.
 */
#include <string.h>

#include "vigil/ir.h"

static const struct ir_keyinfo keyinfo[K_MAX] = {
	[K_NFPROTO] = { "nf_proto", 2, 1, 1 },
	[K_IIFNAME] = { "ifname", 41, 16, 1 },
	[K_OIFNAME] = { "ifname", 41, 16, 1 },
	[K_IP_SADDR] = { "ipv4_addr", 7, 4, 2 },
	[K_IP_DADDR] = { "ipv4_addr", 7, 4, 2 },
	[K_IP6_SADDR] = { "ipv6_addr", 8, 16, 2 },
	[K_IP6_DADDR] = { "ipv6_addr", 8, 16, 2 },
	[K_L4PROTO] = { "inet_proto", 12, 1, 2 },
	[K_SPORT] = { "inet_service", 13, 2, 2 },
	[K_DPORT] = { "inet_service", 13, 2, 2 },
	[K_ICMP_TYPE] = { "icmp_type", 14, 1, 2 },
	[K_ICMPV6_TYPE] = { "icmpv6_type", 29, 1, 2 },
	[K_CT_STATE] = { "ct_state", 26, 4, 1 },
	[K_CT_STATUS] = { "ct_status", 28, 4, 1 },
};

const struct ir_keyinfo *ir_keyinfo(enum ir_key k)
{
	return &keyinfo[k];
}

u128 ir_pack_ifname(const char *name)
{
	size_t n = strnlen(name, 15);
	u128 v = 0;

	for (size_t i = 0; i < 16; i++)
		v = v << 8 | (i < n ? (uint8_t)name[i] : 0);
	return v;
}

void ir_unpack_ifname(u128 v, char name[17])
{
	for (int i = 15; i >= 0; i--, v >>= 8)
		name[i] = (char)(uint8_t)v;
	name[16] = '\0';
}

bool ir_ifname_wildcard(const struct ival *iv, char name[17])
{
	size_t n;

	ir_unpack_ifname(iv->lo, name);
	n = strlen(name);
	if (n == 0 || n > 15 || iv->hi != (iv->lo | (~(u128)0 >> (8 * n))))
		return false;
	return iv->lo != iv->hi;
}

bool ir_vmap_guard(const struct ir_match *m, struct ir_match *g)
{
	if (m->op != OP_VMAP || (m->key != K_IIFNAME && m->key != K_OIFNAME) || !m->iflen)
		return false;
	*g = (struct ir_match){ .key = m->key, .op = OP_EQ, .iflen = m->iflen };
	memcpy(g->ifname, m->ifname, m->iflen);
	return true;
}

struct ir_set *ir_set_new(struct ir_table *t, enum ir_key key, bool anonymous)
{
	struct ir_set *s = xzalloc(sizeof(*s));

	s->key = key;
	s->anonymous = anonymous;
	s->id = ++t->next_set_id;
	s->origin_set = -1;
	s->origin_rule = -1;
	return s;
}

struct ir_match ir_match_copy(struct ir_table *t, const struct ir_match *m)
{
	struct ir_match c = *m;

	if (m->op != OP_SET || !m->set->anonymous)
		return c;
	c.set = ir_set_new(t, m->set->key, true);
	ivlist_copy(&c.set->elems, &m->set->elems);
	c.set->interval = m->set->interval;
	c.set->origin_rule = m->set->origin_rule;
	return c;
}

struct ir_match *ir_matches_copy(struct ir_table *t, const struct ir_rule *r, size_t front)
{
	struct ir_match *m = xcalloc(r->nm + front ? r->nm + front : 1, sizeof(*m));

	for (size_t j = 0; j < r->nm; j++)
		m[front + j] = ir_match_copy(t, &r->m[j]);
	return m;
}

void ir_set_free(struct ir_set *s)
{
	ivlist_free(&s->elems);
	free(s->celems);
	free(s->nelems);
	free(s->name);
	free(s);
}

void ir_match_free(struct ir_match *m)
{
	if (m->op == OP_SET && m->set && m->set->anonymous)
		ir_set_free(m->set);
	m->set = NULL;
}

void ir_rule_free(struct ir_rule *r)
{
	for (size_t j = 0; j < r->nm; j++)
		ir_match_free(&r->m[j]);
	free(r->m);
	free(r->log_prefix);
	free(r->nflog_prefix);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

void ir_table_free(struct ir_table *t)
{
	for (size_t c = 0; c < t->nchains; c++) {
		struct ir_chain *ch = &t->chains[c];
		for (size_t i = 0; i < ch->n; i++)
			ir_rule_free(&ch->rules[i]);
		free(ch->rules);
		free(ch->name);
	}
	free(t->chains);
	for (size_t i = 0; i < t->nsets; i++)
		ir_set_free(t->sets[i]);
	free(t->sets);
	free(t->name);
	diags_free(&t->warnings);
	memset(t, 0, sizeof(*t));
}

/* The longest walk through chain c (see ir_worst_path); memo[c]: + 1. */
static size_t walk_len(const struct ir_table *t, size_t c, size_t *memo, int depth)
{
	const struct ir_chain *ch = &t->chains[c];
	size_t total = 0, best = 0;

	if (memo[c])
		return memo[c] - 1;
	for (size_t i = 0; i < ch->n; i++) {
		const struct ir_rule *r = &ch->rules[i];
		size_t g = 0;
		total++;
		if (!(r->nm == 1 && r->m[0].op == OP_VMAP) || depth >= 16)
			continue;
		const struct ir_set *s = r->m[0].set;
		for (size_t e = 0; e < s->ncelems; e++) {
			size_t w = walk_len(t, s->celems[e].chain, memo, depth + 1);
			if (w > g)
				g = w;
		}
		if (s->jump) {
			total += g;            /* the leaf, then back */
		} else if (total + g > best) {
			best = total + g;      /* gone for good */
		}
	}
	if (total > best)
		best = total;
	memo[c] = best + 1;
	return best;
}

size_t ir_worst_path(const struct ir_table *t, size_t chain)
{
	_cleanup_free_ size_t *memo = xcalloc(t->nchains, sizeof(*memo));

	return walk_len(t, chain, memo, 0);
}

void ir_over_diag(const struct ir_table *t, const struct policy *pol, struct diags *d)
{
	const struct ir_over *o = &t->over;
	const char *what = o->rules ? "kernel rules" : "set elements";
	const char *opt = o->rules ? "--max-rules" : "--max-elements";
	struct srcloc top = { pol->file, 1, 1 };

	if (o->origin_rule >= 0)
		diag_err(d, pol->rules[o->origin_rule].loc,
			 "with rule '%s' the policy becomes more than %zu %s, the limit (%s N raises it)",
			 pol->rules[o->origin_rule].name, o->limit, what, opt);
	else if (o->origin_set >= 0)
		diag_err(d, pol->sets[o->origin_set].loc,
			 "with set '%s' the policy becomes more than %zu %s, the limit (%s N raises it)",
			 pol->sets[o->origin_set].name, o->limit, what, opt);
	else
		diag_err(d, top, "the policy becomes %zu %s, more than the limit of %zu (%s N raises it)",
			 o->count, what, o->limit, opt);
}
