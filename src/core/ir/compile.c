// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lowering: checked policy -> kernel objects (struct ir_table). This file
 * drives the pipeline: named sets, the built-in rules, each policy rule
 * (lower.c), the default counters, merging (merge.c), decision trees
 * (dispatch.c), defer-to's accepts (defer.c), the companion rules
 * (companions.c).
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <string.h>

#include "lower.h"

static void over(struct lower *L, bool rules, int rule, int set)
{
	L->over = true;
	L->t->over = (struct ir_over){ rules, rules ? L->max_rules : L->max_elems, rule, set, 0 };
}

static void set_named(struct lower *L, const char *name, enum ir_key key, const struct ivlist *el,
		      int origin, bool interval, struct ir_set **slot)
{
	struct ir_table *t = L->t;
	struct ir_set *s = ir_set_new(t, key, false);

	s->name = xstrdup(name);
	ivlist_copy(&s->elems, el);
	s->interval = interval || ivlist_has_range(el);
	s->origin_set = origin;
	t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	t->nelems += el->n;
	*slot = s;
}

/* A dynamic set: both families, empty, a hash set for single addresses */
static void lower_dynset(struct lower *L, const struct pset *ps, int i)
{
	struct ir_set **slot[2] = { &L->set4[i], &L->set6[i] };

	for (int f = 0; f < 2; f++) {
		_cleanup_free_ char *n = xasprintf("%s_v%d", ps->name, f ? 6 : 4);
		struct ivlist none = { 0 };

		set_named(L, n, f ? K_IP6_SADDR : K_IP_SADDR, &none, i, !ps->single, slot[f]);
		(*slot[f])->dynamic = true;
		(*slot[f])->timeout_ms = ps->timeout_ms;
		(*slot[f])->size = ps->size;
	}
}

static void lower_sets(struct lower *L)
{
	const struct policy *pol = L->pol;

	L->set4 = xcalloc(pol->nsets, sizeof(*L->set4));
	L->set6 = xcalloc(pol->nsets, sizeof(*L->set6));
	L->setp = xcalloc(pol->nsets, sizeof(*L->setp));
	for (size_t i = 0; i < pol->nsets && !L->over; i++) {
		const struct pset *ps = &pol->sets[i];
		bool empty = !ps->v4.n && !ps->v6.n;

		if (L->t->nelems + ps->v4.n + ps->v6.n + ps->ports.n > L->max_elems) {
			over(L, false, -1, (int)i);
			break;
		}

		if (ps->dynamic) {
			lower_dynset(L, ps, (int)i);
			continue;
		}
		if (ps->type == PSET_PORT) {
			set_named(L, ps->name, K_DPORT, &ps->ports, (int)i, false, &L->setp[i]);
			continue;
		}
		/* a kernel set holds one family: split; an empty group gets both */
		if (ps->v4.n || empty) {
			_cleanup_free_ char *n = xasprintf("%s_v4", ps->name);
			set_named(L, n, K_IP_SADDR, &ps->v4, (int)i, true, &L->set4[i]);
		}
		if (ps->v6.n || empty) {
			_cleanup_free_ char *n = xasprintf("%s_v6", ps->name);
			set_named(L, n, K_IP6_SADDR, &ps->v6, (int)i, true, &L->set6[i]);
		}
	}
}

/* Elements of the anonymous sets of ch's rules from `first` on. */
static size_t anon_elems(const struct ir_chain *ch, size_t first)
{
	size_t n = 0;

	for (size_t i = first; i < ch->n; i++)
		for (size_t j = 0; j < ch->rules[i].nm; j++)
			if (ch->rules[i].m[j].op == OP_SET && ch->rules[i].m[j].set->anonymous)
				n += ch->rules[i].m[j].set->elems.n;
	return n;
}

/* lower_rule, counting what the rule becomes against the limits: its
 * kernel rules and their anonymous sets, each once more for the untracked
 * twin of an accept rule and once more for a rate-limited log rule. */
static void lower_rule_counted(struct lower *L, const struct prule *pr)
{
	const struct ir_chain *ch = &L->t->chains[pr->chain];
	size_t first = ch->n, rules0 = L->t->nrules;
	const struct plog *lg = pr->nflog.set ? &pr->nflog : &L->pol->nflog;
	size_t times = 1 + (pr->action == VERDICT_ACCEPT) + (pr->log && pr->log_rate) +
		       (L->opts->nflog_group && pr->action != VERDICT_ACCEPT && !lg->off);

	lower_rule(L, pr);
	L->proj_rules += (L->t->nrules - rules0) * times;
	L->proj_elems += anon_elems(ch, first) * times;
	if (L->proj_rules > L->max_rules)
		over(L, true, (int)pr->index, -1);
	else if (L->t->nelems + L->proj_elems > L->max_elems)
		over(L, false, (int)pr->index, -1);
}

/* ---- built-in rules ---- */

static void builtin(struct ir_table *t, enum chain_id c, const char *what, struct ir_match *m,
		    size_t nm, enum ir_verdict v)
{
	struct ir_rule *r = lower_chain_add(t, c);

	for (size_t i = 0; i < nm; i++)
		lower_rule_add_match(r, &m[i]);
	r->verdict = v;
	r->comment = xasprintf(IR_BUILTIN_PREFIX "%s", what);
}

/* ICMPv6 types an IPv6 host needs whatever the policy says: neighbour
 * discovery, router discovery, and multicast listener discovery (without
 * MLD, snooping switches stop forwarding the solicited-node multicast that
 * neighbour discovery itself runs on). */
static const unsigned nd_types[] = ND_ICMPV6_TYPES;

static void lower_builtins(struct lower *L, enum chain_id c)
{
	struct ir_table *t = L->t;
	struct ir_match m;

	/* ct state established,related accept */
	m = (struct ir_match){ .key = K_CT_STATE, .op = OP_MASK };
	m.v.lo = m.v.hi = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	builtin(t, c, "established", &m, 1, IV_ACCEPT);

	/* ct state invalid drop */
	m = (struct ir_match){ .key = K_CT_STATE, .op = OP_MASK };
	m.v.lo = m.v.hi = NF_CT_STATE_INVALID_BIT;
	builtin(t, c, "invalid", &m, 1, IV_DROP);

	if (c == CH_FORWARD)
		return;

	/* loopback */
	m = (struct ir_match){ .key = c == CH_INPUT ? K_IIFNAME : K_OIFNAME, .op = OP_EQ };
	memcpy(m.ifname, "lo", 2);
	m.iflen = 3;
	builtin(t, c, "loopback", &m, 1, IV_ACCEPT);

	/* neighbour discovery */
	struct ivlist l = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(nd_types); i++)
		ivlist_add(&l, nd_types[i], nd_types[i]);
	ivlist_dedup(&l);
	m = lower_lit_match(L, K_ICMPV6_TYPE, 0, &l, -1);
	ivlist_free(&l);
	builtin(t, c, "icmpv6-nd", &m, 1, IV_ACCEPT);
}

int ir_compile(const struct policy *pol, const struct ir_opts *opts, struct ir_table *t)
{
	static const struct ir_opts no_opts;
	struct lower L = { .pol = pol, .opts = opts ? opts : &no_opts, .t = t };

	L.max_rules = L.opts->max_rules ? L.opts->max_rules : IR_MAX_RULES;
	L.max_elems = L.opts->max_elems ? L.opts->max_elems : IR_MAX_ELEMS;

	memset(t, 0, sizeof(*t));
	t->name = xstrdup(pol->table);
	t->chains = xcalloc(CH_MAX, sizeof(*t->chains));
	t->nchains = CH_MAX;
	for (int c = 0; c < CH_MAX; c++) {
		t->chains[c].base = true;
		t->chains[c].name = xstrdup(chain_name(c));
		t->chains[c].hook = (enum chain_id)c;
		t->chains[c].policy = pol->defaults[c];
	}
	lower_sets(&L);
	for (int c = 0; c < CH_MAX; c++)
		lower_builtins(&L, (enum chain_id)c);
	lower_nat_accepts(&L);
	/* and each chain's counter rule, at the end, with its NFLOG rule */
	L.proj_rules = t->nrules + CH_MAX * (1 + (L.opts->nflog_group != 0)) + lower_defer_count(pol);
	for (int c = 0; c < CH_MAX; c++)
		L.proj_elems += anon_elems(&t->chains[c], 0);
	if (!L.over && (L.proj_rules > L.max_rules || t->nelems + L.proj_elems > L.max_elems)) {
		bool rules = L.proj_rules > L.max_rules; /* the built-in rules alone */
		over(&L, rules, -1, -1);
		t->over.count = rules ? L.proj_rules : t->nelems + L.proj_elems;
	}
	for (size_t i = 0; i < pol->nrules && !L.over; i++)
		lower_rule_counted(&L, &pol->rules[i]);
	if (L.over) {
		free(L.set4);
		free(L.set6);
		free(L.setp);
		return -E2BIG;
	}
	for (int c = 0; c < CH_MAX; c++) {
		struct ir_rule *r = lower_chain_add(t, (enum chain_id)c);
		r->verdict = IV_NONE;
		r->comment = xstrdup(IR_BUILTIN_PREFIX "default");
		if (L.opts->nflog_group && pol->defaults[c] != VERDICT_ACCEPT && !pol->nflog.off) {
			r->nflog_group = L.opts->nflog_group;
			r->nflog_prefix = xasprintf(IR_NFLOG_DEFAULT "%s", chain_name(c));
			r->nflog_rate = pol->nflog.rate ? pol->nflog.rate : NFLOG_DEFAULT_RATE;
			r->nflog_unit = pol->nflog.unit ? pol->nflog.unit : 1;
			r->nflog_burst = pol->nflog.burst ? pol->nflog.burst : NFLOG_DEFAULT_BURST;
		}
	}
	ir_merge(t, pol, L.opts->merge_min);
	/* trees keep within the limits: a chain whose tree would cross one
	 * stays a list (ir_dispatch) */
	struct ir_opts dopts = *L.opts;
	dopts.max_rules = L.max_rules;
	dopts.max_elems = L.max_elems;
	ir_dispatch(t, pol, &dopts);
	lower_defer(&L); /* after the policy's rules, trees included */
	lower_nats(&L); /* into nat chains after every filter chain */
	free(L.set4);
	free(L.set6);
	free(L.setp);
	ir_add_companions(t);
	ir_share_lists(t, L.opts->share_lists_min);
	/* count anonymous set elements too */
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			for (size_t j = 0; j < t->chains[c].rules[i].nm; j++) {
				const struct ir_match *m = &t->chains[c].rules[i].m[j];
				if (m->op == OP_SET && m->set->anonymous)
					t->nelems += m->set->elems.n;
			}
	for (int c = 0; c < CH_MAX; c++)
		t->worst[c] = ir_worst_path(t, (size_t)c);
	/* merging can add a few: the result counts */
	if (t->nrules > L.max_rules || t->nelems > L.max_elems) {
		bool rules = t->nrules > L.max_rules;
		over(&L, rules, -1, -1);
		t->over.count = rules ? t->nrules : t->nelems;
		return -E2BIG;
	}
	return 0;
}
