// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lowering: checked policy -> kernel objects (struct ir_table).
 *
 * A policy rule becomes one kernel rule per combination of
 *   address family (a group mixing IPv4 and IPv6 becomes one part each) x
 *   alternative per field (literal values form one alternative, held in an
 *   anonymous set when there are several; each referenced named set is
 *   another; each interface wildcard is another).
 * All kernel rules of a policy rule are adjacent and carry the same verdict,
 * so "first match wins" is preserved exactly.
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#include "vigil/ir.h"

struct lower {
	const struct policy *pol;
	const struct ir_opts *opts;
	struct ir_table *t;
	struct ir_set **set4, **set6, **setp; /* per policy set: its kernel sets */
	/* the limits, and what the policy will become so far: the kernel rules
	 * and anonymous set elements lowered, times the companion rules each
	 * will get (add_companion_rules) */
	size_t max_rules, max_elems, proj_rules, proj_elems;
	bool over;
};

static void over(struct lower *L, bool rules, int rule, int set)
{
	L->over = true;
	L->t->over = (struct ir_over){ rules, rules ? L->max_rules : L->max_elems, rule, set, 0 };
}

static struct ir_set *set_new(struct ir_table *t, enum ir_key key, bool anonymous)
{
	struct ir_set *s = xzalloc(sizeof(*s));

	s->key = key;
	s->anonymous = anonymous;
	s->id = ++t->next_set_id;
	s->origin_set = -1;
	s->origin_rule = -1;
	return s;
}

static void set_named(struct lower *L, const char *name, enum ir_key key, const struct ivlist *el,
		      int origin, bool interval, struct ir_set **slot)
{
	struct ir_table *t = L->t;
	struct ir_set *s = set_new(t, key, false);

	s->name = xstrdup(name);
	ivlist_copy(&s->elems, el);
	s->interval = interval || ivlist_has_range(el);
	s->origin_set = origin;
	t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	t->nelems += el->n;
	*slot = s;
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

static size_t set_index(const struct policy *pol, const struct pset *s)
{
	return (size_t)(s - pol->sets);
}

/* ---- matches ---- */

static bool is_addr_key(enum ir_key k)
{
	return k == K_IP_SADDR || k == K_IP_DADDR || k == K_IP6_SADDR || k == K_IP6_DADDR;
}

static enum addr_family key_family(enum ir_key k)
{
	return k == K_IP_SADDR || k == K_IP_DADDR ? AF_V4 : AF_V6;
}

/* A match for literal values: one compare, or an anonymous set. */
static struct ir_match lit_match(struct lower *L, enum ir_key k, uint8_t l4, const struct ivlist *l,
				 int rule)
{
	struct ir_match m = { .key = k, .l4 = l4 };

	if (l->n == 1) {
		m.v = l->v[0];
		if (m.v.lo == m.v.hi) {
			m.op = OP_EQ;
		} else if (is_addr_key(k)) {
			enum addr_family f = key_family(k);
			if (m.v.lo == 0 && m.v.hi == family_max(f)) {
				/* 0.0.0.0/0 or ::/0: any address of that family */
				m.key = K_NFPROTO;
				m.op = OP_EQ;
				m.v.lo = m.v.hi = f == AF_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
			} else {
				m.op = ival_prefix_len(&m.v, f) >= 0 ? OP_PREFIX : OP_RANGE;
			}
		} else {
			m.op = OP_RANGE;
		}
		return m;
	}
	m.op = OP_SET;
	m.set = set_new(L->t, k, true);
	ivlist_copy(&m.set->elems, l);
	m.set->interval = ivlist_has_range(l);
	m.set->origin_rule = rule;
	return m;
}

static struct ir_match ref_match(enum ir_key k, uint8_t l4, struct ir_set *s)
{
	struct ir_match m = { .key = k, .l4 = l4, .op = OP_SET, .set = s };
	return m;
}

/* The alternatives for one field: any one of them may match. */
struct alts {
	struct ir_match *v;
	size_t n;
};

static void alts_add(struct alts *a, struct ir_match m)
{
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = m;
}

static void addr_alts(struct lower *L, const struct paddr *pa, enum addr_family f, bool src,
		      int rule, struct alts *a)
{
	enum ir_key k = f == AF_V4 ? (src ? K_IP_SADDR : K_IP_DADDR)
				   : (src ? K_IP6_SADDR : K_IP6_DADDR);
	const struct ivlist *lit = f == AF_V4 ? &pa->v4 : &pa->v6;

	if (lit->n)
		alts_add(a, lit_match(L, k, 0, lit, rule));
	for (size_t i = 0; i < pa->nrefs; i++) {
		size_t si = set_index(L->pol, pa->refs[i]);
		struct ir_set *s = f == AF_V4 ? L->set4[si] : L->set6[si];
		if (s)
			alts_add(a, ref_match(k, 0, s));
	}
}

static void port_alts(struct lower *L, const struct pport *pp, enum ir_key k, uint8_t l4, int rule,
		      struct alts *a)
{
	if (pp->lit.n)
		alts_add(a, lit_match(L, k, l4, &pp->lit, rule));
	for (size_t i = 0; i < pp->nrefs; i++)
		alts_add(a, ref_match(k, l4, L->setp[set_index(L->pol, pp->refs[i])]));
}

static void ifname_alts(struct lower *L, const struct pifname *pi, enum ir_key k, int rule,
			struct alts *a)
{
	struct ivlist exact = { 0 };
	const char *one = NULL;

	for (size_t i = 0; i < pi->n; i++) {
		const char *n = pi->names[i];
		size_t len = strlen(n);
		if (n[len - 1] == '*') {
			struct ir_match m = { .key = k, .op = OP_EQ };
			memcpy(m.ifname, n, len - 1);
			m.iflen = (uint8_t)(len - 1);
			alts_add(a, m);
		} else {
			u128 v = ir_pack_ifname(n);
			ivlist_add(&exact, v, v);
			one = n;
		}
	}
	if (exact.n == 1) {
		struct ir_match m = { .key = k, .op = OP_EQ };
		memcpy(m.ifname, one, strlen(one));
		m.iflen = (uint8_t)(strlen(one) + 1);
		alts_add(a, m);
	} else if (exact.n > 1) {
		struct ir_match m = { .key = k, .op = OP_SET };
		ivlist_dedup(&exact);
		m.set = set_new(L->t, k, true);
		m.set->elems = exact;
		m.set->origin_rule = rule;
		alts_add(a, m);
		return;
	}
	ivlist_free(&exact);
}

static uint8_t proto_num(unsigned bit)
{
	switch (bit) {
	case P_TCP:
		return IPPROTO_TCP;
	case P_UDP:
		return IPPROTO_UDP;
	case P_SCTP:
		return IPPROTO_SCTP;
	case P_ICMP:
		return IPPROTO_ICMP;
	default:
		return IPPROTO_ICMPV6;
	}
}

static struct ir_match l4proto_match(struct lower *L, unsigned protos, int rule)
{
	struct ivlist l = { 0 };
	struct ir_match m;

	for (unsigned bit = 1; bit <= P_ICMPV6; bit <<= 1)
		if (protos & bit)
			ivlist_add(&l, proto_num(bit), proto_num(bit));
	ivlist_dedup(&l);
	m = lit_match(L, K_L4PROTO, 0, &l, rule);
	ivlist_free(&l);
	return m;
}

/* ---- rules ---- */

static struct ir_rule *chain_add(struct ir_table *t, enum chain_id c)
{
	struct ir_chain *ch = &t->chains[c];
	struct ir_rule *r;

	GROW(ch->rules, ch->cap, ch->n + 1);
	r = &ch->rules[ch->n++];
	memset(r, 0, sizeof(*r));
	r->origin = -1;
	t->nrules++;
	return r;
}

static void rule_add_match(struct ir_rule *r, const struct ir_match *m)
{
	r->m = xreallocarray(r->m, r->nm + 1, sizeof(*r->m));
	r->m[r->nm++] = *m;
}

/* An anonymous set belongs to exactly one kernel rule: copy it for others. */
static struct ir_match clone_match(struct lower *L, const struct ir_match *m, bool first)
{
	struct ir_match c = *m;

	if (first || m->op != OP_SET || !m->set->anonymous)
		return c;
	c.set = set_new(L->t, m->set->key, true);
	ivlist_copy(&c.set->elems, &m->set->elems);
	c.set->interval = m->set->interval;
	c.set->origin_rule = m->set->origin_rule;
	return c;
}

static void set_reject(struct ir_rule *r, unsigned protos, enum addr_family f)
{
	r->verdict = IV_REJECT;
	if (protos == P_TCP) {
		r->reject_type = NFT_REJECT_TCP_RST;
		r->reject_code = 0;
	} else if (f == AF_V4) {
		r->reject_type = NFT_REJECT_ICMP_UNREACH;
		r->reject_code = 3; /* ICMP_PORT_UNREACH */
	} else if (f == AF_V6) {
		r->reject_type = NFT_REJECT_ICMP_UNREACH;
		r->reject_code = 4; /* ICMPV6_PORT_UNREACH */
	} else {
		r->reject_type = NFT_REJECT_ICMPX_UNREACH;
		r->reject_code = NFT_REJECT_ICMPX_PORT_UNREACH;
	}
}

static void finish_rule(struct ir_rule *r, const struct prule *pr, unsigned protos,
			enum addr_family f)
{
	r->origin = (int)pr->index;
	r->comment = xstrdup(pr->name);
	if (pr->log) {
		r->log = true;
		r->log_prefix = xasprintf("vigil:%s ", pr->name);
		r->log_rate = pr->log_rate;
		r->log_unit = pr->log_unit;
	}
	switch (pr->action) {
	case VERDICT_ACCEPT:
		r->verdict = IV_ACCEPT;
		/* name the rule in the connection's mark, keeping other bits */
		r->set_mark = true;
		r->mark_and = ~IR_MARK_MASK;
		r->mark_xor = ir_mark_of_rule(pr->index);
		break;
	case VERDICT_DROP:
		r->verdict = IV_DROP;
		break;
	case VERDICT_REJECT:
		set_reject(r, protos, f);
		break;
	}
}

enum { F_IIF, F_OIF, F_SRC, F_DST, F_L4, F_SPORT, F_DPORT, F_ICMP, F_N };

/* One family part of a policy rule: the product of its fields' alternatives. */
static void lower_part(struct lower *L, const struct prule *pr, enum addr_family f)
{
	struct alts a[F_N];
	unsigned protos = pr->protos;
	int rule = (int)pr->index;
	size_t idx[F_N], total = 1;
	bool ports = pr->sport.present || pr->dport.present;

	memset(a, 0, sizeof(a));
	if (f == AF_V4)
		protos &= ~(unsigned)P_ICMPV6;
	else if (f == AF_V6)
		protos &= ~(unsigned)P_ICMP;
	if (pr->protos && !protos)
		return; /* e.g. the IPv6 part of an icmp-only rule */

	if (pr->iif.present)
		ifname_alts(L, &pr->iif, K_IIFNAME, rule, &a[F_IIF]);
	if (pr->oif.present)
		ifname_alts(L, &pr->oif, K_OIFNAME, rule, &a[F_OIF]);
	if (pr->src.present)
		addr_alts(L, &pr->src, f, true, rule, &a[F_SRC]);
	if (pr->dst.present)
		addr_alts(L, &pr->dst, f, false, rule, &a[F_DST]);

	if (ports) {
		uint8_t l4 = 0;
		/* one protocol: "tcp dport" (the dependency is implied);
		 * several: "meta l4proto { tcp, udp } th dport" */
		if ((protos & (protos - 1)) == 0)
			l4 = proto_num(protos);
		else
			alts_add(&a[F_L4], l4proto_match(L, protos, rule));
		if (pr->sport.present)
			port_alts(L, &pr->sport, K_SPORT, l4, rule, &a[F_SPORT]);
		if (pr->dport.present)
			port_alts(L, &pr->dport, K_DPORT, l4, rule, &a[F_DPORT]);
	} else if (pr->has_icmp_type) {
		const struct ivlist *types = f == AF_V4 ? &pr->icmp4 : &pr->icmp6;
		alts_add(&a[F_ICMP], lit_match(L, f == AF_V4 ? K_ICMP_TYPE : K_ICMPV6_TYPE, 0, types,
					       rule));
	} else if (protos) {
		alts_add(&a[F_L4], l4proto_match(L, protos, rule));
	}

	/* a present field without alternatives for this family cannot match */
	bool present[F_N] = { pr->iif.present, pr->oif.present, pr->src.present, pr->dst.present,
			      a[F_L4].n > 0, pr->sport.present, pr->dport.present, pr->has_icmp_type };
	bool *used[F_N];
	for (int i = 0; i < F_N; i++) {
		used[i] = xcalloc(a[i].n, sizeof(bool));
		if (present[i] && !a[i].n)
			total = 0;
		else if (a[i].n)
			total *= a[i].n;
	}

	memset(idx, 0, sizeof(idx));
	for (size_t k = 0; k < total; k++) {
		struct ir_rule *r = chain_add(L->t, pr->chain);
		for (int i = 0; i < F_N; i++) {
			if (!a[i].n)
				continue;
			/* an anonymous set belongs to one kernel rule: the first
			 * rule using an alternative takes it, later ones a copy */
			struct ir_match m = clone_match(L, &a[i].v[idx[i]], !used[i][idx[i]]);
			used[i][idx[i]] = true;
			rule_add_match(r, &m);
		}
		finish_rule(r, pr, protos, f);
		/* next combination */
		for (int i = F_N - 1; i >= 0; i--) {
			if (!a[i].n)
				continue;
			if (++idx[i] < a[i].n)
				break;
			idx[i] = 0;
		}
	}
	for (int i = 0; i < F_N; i++) {
		for (size_t j = 0; j < a[i].n; j++)
			if (!used[i][j])
				ir_match_free(&a[i].v[j]);
		free(used[i]);
		free(a[i].v);
	}
}

static unsigned addr_fams(const struct lower *L, const struct paddr *pa)
{
	unsigned f = 0;

	if (!pa->present)
		return 3;
	f |= pa->v4.n ? 1 : 0;
	f |= pa->v6.n ? 2 : 0;
	for (size_t i = 0; i < pa->nrefs; i++) {
		size_t si = set_index(L->pol, pa->refs[i]);
		f |= L->set4[si] ? 1 : 0;
		f |= L->set6[si] ? 2 : 0;
	}
	return f;
}

static void lower_rule(struct lower *L, const struct prule *pr)
{
	unsigned fams;
	bool by_family = pr->src.present || pr->dst.present || pr->has_icmp_type;

	if (!by_family) {
		lower_part(L, pr, AF_NONE);
		return;
	}
	fams = addr_fams(L, &pr->src) & addr_fams(L, &pr->dst);
	if (pr->has_icmp_type)
		fams &= ((pr->protos & P_ICMP) ? 1 : 0) | ((pr->protos & P_ICMPV6) ? 2 : 0);
	if (fams & 1)
		lower_part(L, pr, AF_V4);
	if (fams & 2)
		lower_part(L, pr, AF_V6);
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
	size_t times = 1 + (pr->action == VERDICT_ACCEPT) + (pr->log && pr->log_rate);

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
	struct ir_rule *r = chain_add(t, c);

	for (size_t i = 0; i < nm; i++)
		rule_add_match(r, &m[i]);
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
	m = lit_match(L, K_ICMPV6_TYPE, 0, &l, -1);
	ivlist_free(&l);
	builtin(t, c, "icmpv6-nd", &m, 1, IV_ACCEPT);
}

/* r's matches for another kernel rule, after `front` leading slots left
 * empty: an anonymous set belongs to one kernel rule, so sets are copied. */
static struct ir_match *clone_matches(struct ir_table *t, const struct ir_rule *r, size_t front)
{
	struct ir_match *m = xcalloc(r->nm + front ? r->nm + front : 1, sizeof(*m));

	for (size_t j = 0; j < r->nm; j++) {
		m[front + j] = r->m[j];
		if (r->m[j].op == OP_SET && r->m[j].set->anonymous) {
			const struct ir_set *o = r->m[j].set;
			struct ir_set *cp = set_new(t, o->key, true);
			ivlist_copy(&cp->elems, &o->elems);
			cp->interval = o->interval;
			cp->origin_rule = o->origin_rule;
			m[front + j].set = cp;
		}
	}
	return m;
}

/*
 * Kernel rules that go with a rule, done after merging (so a merged rule's
 * small chain gets them too), with their own copies of anonymous sets (an
 * anonymous set belongs to one kernel rule):
 *
 * - A limit is a match: a packet over it skips the rest of its rule. So a
 *   rule whose log is rate-limited gets a log rule right before it with the
 *   same matches (`limit rate ... counter log prefix ...`, no verdict: every
 *   packet goes on), and itself counts and decides, always.
 * - An accept rule names itself in the connection's mark, and reading the
 *   mark of a packet without a conntrack entry (made `notrack` by another
 *   table, or an ICMPv6 type conntrack leaves alone) ends the rule: the
 *   packet would skip every accept rule. So each is followed by its twin,
 *   `ct state untracked <same matches> counter accept`, without the mark;
 *   a tracked packet fails the twin's first match.
 */
static void add_companion_rules(struct ir_table *t)
{
	for (size_t c = 0; c < t->nchains; c++) {
		struct ir_chain *ch = &t->chains[c];
		size_t extra = 0, k = 0;

		for (size_t i = 0; i < ch->n; i++)
			extra += (ch->rules[i].log && ch->rules[i].log_rate) + ch->rules[i].set_mark;
		if (!extra)
			continue;
		struct ir_rule *out = xcalloc(ch->n + extra, sizeof(*out));
		for (size_t i = 0; i < ch->n; i++) {
			struct ir_rule *r = &ch->rules[i];

			if (r->log && r->log_rate) {
				struct ir_rule *lr = &out[k++];
				lr->m = clone_matches(t, r, 0);
				lr->nm = r->nm;
				lr->log = true;
				lr->log_prefix = r->log_prefix;
				lr->log_rate = r->log_rate;
				lr->log_unit = r->log_unit;
				lr->verdict = IV_NONE;
				lr->comment = xstrdup(r->comment);
				lr->origin = r->origin;
				r->log = false;
				r->log_prefix = NULL;
				r->log_rate = r->log_unit = 0;
				t->nrules++;
			}
			out[k++] = *r;
			if (r->set_mark) {
				struct ir_rule *tw = &out[k++];
				tw->m = clone_matches(t, r, 1);
				tw->nm = r->nm + 1;
				tw->m[0] = (struct ir_match){ .key = K_CT_STATE, .op = OP_MASK };
				tw->m[0].v.lo = tw->m[0].v.hi = NF_CT_STATE_UNTRACKED_BIT;
				tw->verdict = r->verdict;
				tw->comment = xstrdup(r->comment);
				tw->origin = r->origin;
				/* a log without a limit is in the rule itself, after
				 * the mark: the twin logs what the rule could not */
				if (r->log) {
					tw->log = true;
					tw->log_prefix = xstrdup(r->log_prefix);
				}
				t->nrules++;
			}
		}
		free(ch->rules);
		ch->rules = out;
		ch->n = ch->cap = k;
	}
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
	L.proj_rules = t->nrules + CH_MAX; /* and each chain's counter rule, at the end */
	for (int c = 0; c < CH_MAX; c++)
		L.proj_elems += anon_elems(&t->chains[c], 0);
	if (!L.over && (L.proj_rules > L.max_rules || t->nelems + L.proj_elems > L.max_elems)) {
		bool rules = L.proj_rules > L.max_rules; /* the built-in rules alone */
		over(&L, rules, -1, -1);
		t->over.count = rules ? L.proj_rules : t->nelems + L.proj_elems;
	}
	for (size_t i = 0; i < pol->nrules && !L.over; i++)
		lower_rule_counted(&L, &pol->rules[i]);
	free(L.set4);
	free(L.set6);
	free(L.setp);
	if (L.over)
		return -E2BIG;
	for (int c = 0; c < CH_MAX; c++) {
		struct ir_rule *r = chain_add(t, (enum chain_id)c);
		r->verdict = IV_NONE;
		r->comment = xstrdup(IR_BUILTIN_PREFIX "default");
	}
	ir_merge(t, pol, L.opts->merge_min);
	add_companion_rules(t);
	/* count anonymous set elements too */
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			for (size_t j = 0; j < t->chains[c].rules[i].nm; j++) {
				const struct ir_match *m = &t->chains[c].rules[i].m[j];
				if (m->op == OP_SET && m->set->anonymous)
					t->nelems += m->set->elems.n;
			}
	/* merging can add a few: the result counts */
	if (t->nrules > L.max_rules || t->nelems > L.max_elems) {
		bool rules = t->nrules > L.max_rules;
		over(&L, rules, -1, -1);
		t->over.count = rules ? t->nrules : t->nelems;
		return -E2BIG;
	}
	return 0;
}
