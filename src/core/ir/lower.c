// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One policy rule -> its kernel rules. A policy rule becomes one kernel
 * rule per combination of
 *   address family (a group mixing IPv4 and IPv6 becomes one part each) x
 *   alternative per field (literal values form one alternative, held in an
 *   anonymous set when there are several; each referenced named set is
 *   another; each interface wildcard is another).
 * All kernel rules of a policy rule are adjacent and carry the same verdict,
 * so "first match wins" is preserved exactly.
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#include "lower.h"

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
struct ir_match lower_lit_match(struct lower *L, enum ir_key k, uint8_t l4, const struct ivlist *l,
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
	m.set = ir_set_new(L->t, k, true);
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
		alts_add(a, lower_lit_match(L, k, 0, lit, rule));
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
		alts_add(a, lower_lit_match(L, k, l4, &pp->lit, rule));
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
		m.set = ir_set_new(L->t, k, true);
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
	m = lower_lit_match(L, K_L4PROTO, 0, &l, rule);
	ivlist_free(&l);
	return m;
}

/* ---- rules ---- */

struct ir_rule *lower_chain_add(struct ir_table *t, enum chain_id c)
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

void lower_rule_add_match(struct ir_rule *r, const struct ir_match *m)
{
	r->m = xreallocarray(r->m, r->nm + 1, sizeof(*r->m));
	r->m[r->nm++] = *m;
}

void lower_set_reject(struct ir_rule *r, unsigned protos, enum addr_family f)
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

/* The NFLOG of a refused rule under watch (ir_opts.nflog_group). */
static void finish_nflog(const struct lower *L, struct ir_rule *r, const struct prule *pr)
{
	const struct plog *lg = pr->nflog.set ? &pr->nflog : &L->pol->nflog;

	if (!L->opts->nflog_group || pr->action == VERDICT_ACCEPT || lg->off)
		return;
	r->nflog_group = L->opts->nflog_group;
	r->nflog_prefix = lg->label ? xasprintf(IR_BUILTIN_PREFIX "%s %s", pr->name, lg->label)
				    : xasprintf(IR_BUILTIN_PREFIX "%s", pr->name);
	r->nflog_rate = lg->rate ? lg->rate : NFLOG_DEFAULT_RATE;
	r->nflog_unit = lg->unit ? lg->unit : 1;
	r->nflog_burst = lg->burst ? lg->burst : NFLOG_DEFAULT_BURST;
}

static void finish_rule(const struct lower *L, struct ir_rule *r, const struct prule *pr,
			unsigned protos, enum addr_family f)
{
	finish_nflog(L, r, pr);
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
		lower_set_reject(r, protos, f);
		break;
	}
}

enum { F_IIF, F_OIF, F_SRC, F_DST, F_L4, F_SPORT, F_DPORT, F_ICMP, F_N };

/* One family part of a policy rule: the product of its fields' alternatives. */
static void lower_part(struct lower *L, const struct prule *pr, enum addr_family f)
{
	struct alts a[F_N];
	unsigned protos = pr->protos;
	int rule = L->nat ? -1 : (int)pr->index;
	size_t idx[F_N], total = 1;
	bool ports = pr->sport.present || pr->dport.present;
	struct ir_set *limsets[2] = { NULL, NULL };

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
		alts_add(&a[F_ICMP], lower_lit_match(L, f == AF_V4 ? K_ICMP_TYPE : K_ICMPV6_TYPE, 0, types,
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
		struct ir_rule *r = lower_chain_add(L->t, L->nat && !L->nat_accept
							       ? (enum chain_id)L->nat_chain
							       : pr->chain);
		for (int i = 0; i < F_N; i++) {
			if (!a[i].n)
				continue;
			/* an anonymous set belongs to one kernel rule: the first
			 * rule using an alternative takes it, later ones a copy */
			struct ir_match m = used[i][idx[i]] ? ir_match_copy(L->t, &a[i].v[idx[i]])
						   : a[i].v[idx[i]];
			used[i][idx[i]] = true;
			lower_rule_add_match(r, &m);
		}
		if (L->nat) {
			lower_nat_finish(L, r, f);
		} else {
			finish_rule(L, r, pr, protos, f);
			if (pr->limit.rate || pr->limit.ct_count)
				lower_limit_rules(L, pr, f, limsets);
		}
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

void lower_rule(struct lower *L, const struct prule *pr)
{
	unsigned fams, only = L->nat ? L->nat_fams : 3;
	/* per-source limits key on the source address: one part per family */
	bool by_family = pr->src.present || pr->dst.present || pr->has_icmp_type || only != 3 ||
			 (!L->nat && (pr->limit.per_source || pr->limit.ct_count));

	if (!by_family) {
		lower_part(L, pr, AF_NONE);
		return;
	}
	fams = addr_fams(L, &pr->src) & addr_fams(L, &pr->dst) & only;
	if (pr->has_icmp_type)
		fams &= ((pr->protos & P_ICMP) ? 1 : 0) | ((pr->protos & P_ICMPV6) ? 2 : 0);
	if (fams & 1)
		lower_part(L, pr, AF_V4);
	if (fams & 2)
		lower_part(L, pr, AF_V6);
}
