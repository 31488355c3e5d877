// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild diff: the kernel's table against the policy's, object by object
 * (tablediff.h). Chains and named sets are compared as sets of
 * definitions, elements as sets of items, rules chain by chain as
 * sequences (their order decides, first match wins): a longest common
 * subsequence keeps the rules both sides share, the rest is - or +.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include "tablediff_int.h"

/* past this many rule pairs in one chain, rules are compared as sets */
#define TD_LCS_MAX (4u << 20)

static void line(struct strbuf *out, struct tablediff_counts *c, char sign, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void line(struct strbuf *out, struct tablediff_counts *c, char sign, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	sb_putc(out, sign);
	sb_puts(out, s);
	sb_putc(out, '\n');
	free(s);
	if (sign == '+')
		c->added++;
	else
		c->removed++;
}

static bool has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

static void diff_chains(const struct td_model *k, const struct td_model *p, struct strbuf *out,
			struct tablediff_counts *c)
{
	for (size_t i = 0; i < k->nchains; i++)
		if (!has_str(p->chains, p->nchains, k->chains[i]))
			line(out, c, '-', "chain %s", k->chains[i]);
	for (size_t i = 0; i < p->nchains; i++)
		if (!has_str(k->chains, k->nchains, p->chains[i]))
			line(out, c, '+', "chain %s", p->chains[i]);
}

static const struct td_set *named(const struct td_model *m, const char *name)
{
	for (size_t i = 0; i < m->nsets; i++)
		if (!m->sets[i].anon && streq(m->sets[i].name, name))
			return &m->sets[i];
	return NULL;
}

static bool same_header(const struct td_set *a, const struct td_set *b)
{
	return a->flags == b->flags && a->keytype == b->keytype && a->keylen == b->keylen &&
	       a->datatype == b->datatype && a->datalen == b->datalen;
}

static void whole_set(struct strbuf *out, struct tablediff_counts *c, char sign, const struct td_set *s)
{
	struct strbuf tn = { 0 };

	td_type_text(&tn, s->keytype);
	if (s->datatype) {
		sb_puts(&tn, " : ");
		td_type_text(&tn, s->datatype);
	}
	line(out, c, sign, "set %s { type %s;%s%s }", s->name, tn.s,
	     s->flags & NFT_SET_INTERVAL ? " flags interval;" : "",
	     s->flags & NFT_SET_MAP ? " map;" : "");
	sb_free(&tn);
	for (size_t i = 0; i < s->nitem; i++)
		line(out, c, sign, "element %s { %s }", s->name, s->item[i]);
}

static void diff_sets(const struct td_model *k, const struct td_model *p, struct strbuf *out,
		      struct tablediff_counts *c)
{
	for (size_t i = 0; i < k->nsets; i++) {
		const struct td_set *ks = &k->sets[i], *ps;
		if (ks->anon)
			continue;
		ps = named(p, ks->name);
		if (!ps || !same_header(ks, ps)) {
			whole_set(out, c, '-', ks);
			if (ps)
				whole_set(out, c, '+', ps);
			continue;
		}
		for (size_t e = 0; e < ks->nitem; e++)
			if (!has_str(ps->item, ps->nitem, ks->item[e]))
				line(out, c, '-', "element %s { %s }", ks->name, ks->item[e]);
		for (size_t e = 0; e < ps->nitem; e++)
			if (!has_str(ks->item, ks->nitem, ps->item[e]))
				line(out, c, '+', "element %s { %s }", ps->name, ps->item[e]);
	}
	for (size_t i = 0; i < p->nsets; i++)
		if (!p->sets[i].anon && !named(k, p->sets[i].name))
			whole_set(out, c, '+', &p->sets[i]);
}

/* The rules of chain `name`, in order (pointers into m). */
static size_t chain_rules(const struct td_model *m, const char *name, const struct td_rule ***v)
{
	size_t n = 0;

	*v = xcalloc(m->nrules + 1, sizeof(**v));
	for (size_t i = 0; i < m->nrules; i++)
		if (streq(m->rules[i].chain, name))
			(*v)[n++] = &m->rules[i];
	return n;
}

static const char *text_of(const struct td_rule *r, const struct td_model *names)
{
	if (r->text)
		return r->text;
	for (size_t i = 0; names && i < names->nrules; i++)
		if (names->rules[i].text && streq(names->rules[i].chain, r->chain) &&
		    streq(names->rules[i].key, r->key))
			return names->rules[i].text;
	return r->key;
}

struct rule_out {
	const char *chain;
	bool header;
	const struct td_model *names;
};

static void rule_line(struct strbuf *out, struct tablediff_counts *c, struct rule_out *ro, char sign,
		      const struct td_rule *r)
{
	if (!ro->header) {
		sb_printf(out, " chain %s:\n", ro->chain);
		ro->header = true;
	}
	line(out, c, sign, "\t%s", text_of(r, ro->names));
}

/* a longest common subsequence of the two keys' lists, then the walk */
static void diff_rule_seq(const struct td_rule **a, size_t na, const struct td_rule **b, size_t nb,
			  struct strbuf *out, struct tablediff_counts *c, struct rule_out *ro)
{
	uint32_t *L = xcalloc((na + 1) * (nb + 1), sizeof(*L));
	size_t i = 0, j = 0;

#define AT(x, y) L[(x) * (nb + 1) + (y)]
	for (size_t x = na; x-- > 0;)
		for (size_t y = nb; y-- > 0;)
			AT(x, y) = streq(a[x]->key, b[y]->key) ? AT(x + 1, y + 1) + 1 :
				   AT(x + 1, y) > AT(x, y + 1) ? AT(x + 1, y) : AT(x, y + 1);
	while (i < na || j < nb) {
		if (i < na && j < nb && streq(a[i]->key, b[j]->key)) {
			c->same_rules++;
			i++, j++;
		} else if (i < na && (j == nb || AT(i + 1, j) >= AT(i, j + 1))) {
			rule_line(out, c, ro, '-', a[i++]); /* removals first, as diff(1) */
		} else {
			rule_line(out, c, ro, '+', b[j++]);
		}
	}
#undef AT
	free(L);
}

static bool in_list(const struct td_rule **v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i]->key, key))
			return true;
	return false;
}

static void diff_rule_sets(const struct td_rule **a, size_t na, const struct td_rule **b, size_t nb,
			   struct strbuf *out, struct tablediff_counts *c, struct rule_out *ro)
{
	for (size_t i = 0; i < na; i++)
		if (!in_list(b, nb, a[i]->key))
			rule_line(out, c, ro, '-', a[i]);
		else
			c->same_rules++;
	for (size_t j = 0; j < nb; j++)
		if (!in_list(a, na, b[j]->key))
			rule_line(out, c, ro, '+', b[j]);
}

static void diff_rules_of(const char *name, const struct td_model *k, const struct td_model *p,
			  const struct td_model *names, struct strbuf *out, struct tablediff_counts *c)
{
	const struct td_rule **a, **b;
	size_t na = chain_rules(k, name, &a), nb = chain_rules(p, name, &b);
	struct rule_out ro = { name, false, names };

	if ((na + 1) * (nb + 1) <= TD_LCS_MAX)
		diff_rule_seq(a, na, b, nb, out, c, &ro);
	else
		diff_rule_sets(a, na, b, nb, out, c, &ro);
	free(a);
	free(b);
}

/* every chain that has rules on either side: the policy's order first */
static void diff_rules(const struct td_model *k, const struct td_model *p, const struct td_model *names,
		       struct strbuf *out, struct tablediff_counts *c)
{
	char **seen = NULL;
	size_t nseen = 0;
	const struct td_model *side[2] = { p, k };

	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < side[s]->nrules; i++) {
			const char *ch = side[s]->rules[i].chain;
			if (has_str(seen, nseen, ch))
				continue;
			seen = xreallocarray(seen, nseen + 1, sizeof(*seen));
			seen[nseen++] = (char *)ch;
			diff_rules_of(ch, k, p, names, out, c);
		}
	free(seen);
}

int tablediff(const struct tablediff_side *kernel, const struct tablediff_side *policy,
	      const struct tablediff_side *names, struct strbuf *out, struct tablediff_counts *c)
{
	struct td_model k, p, n = { 0 };
	int r;

	memset(c, 0, sizeof(*c));
	r = td_model_load(kernel, &k);
	if (r == 0)
		r = td_model_load(policy, &p);
	else
		memset(&p, 0, sizeof(p));
	if (r == 0 && names && td_model_load(names, &n) < 0) {
		td_model_free(&n); /* names are a courtesy: without them, low-level text */
		memset(&n, 0, sizeof(n));
	}
	if (r == 0) {
		c->kernel_table = k.table;
		diff_chains(&k, &p, out, c);
		diff_sets(&k, &p, out, c);
		diff_rules(&k, &p, &n, out, c);
	}
	td_model_free(&k);
	td_model_free(&p);
	td_model_free(&n);
	return r;
}
