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
};

const struct ir_keyinfo *ir_keyinfo(enum ir_key k)
{
	return &keyinfo[k];
}

u128 ir_pack_ifname(const char *name)
{
	char b[16] = { 0 };
	u128 v;

	memcpy(b, name, strnlen(name, 15));
	memcpy(&v, b, sizeof(v));
	return v;
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
	memset(t, 0, sizeof(*t));
}
