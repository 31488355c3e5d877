// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which rule decides a packet (eval.h): the compiled table walked as the
 * kernel walks it, and the checked policy read as written.
 */
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <string.h>

#include "vigil/eval.h"

/* the kernel's jump stack (NFT_JUMP_STACK_SIZE in nf_tables.h, kernel
 * side; the validator refuses deeper chains, gotos included) */
#define EVAL_MAX_DEPTH 16

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* The interface names the hook has: none out of input, none into output. */
static const char *iif_of(const struct ir_pkt *p, enum chain_id hook)
{
	return hook == CH_OUTPUT ? "" : p->iif;
}

static const char *oif_of(const struct ir_pkt *p, enum chain_id hook)
{
	return hook == CH_INPUT ? "" : p->oif;
}

static uint32_t ct_bit(enum ir_ct_state s)
{
	switch (s) {
	case IR_CT_ESTABLISHED:
		return NF_CT_STATE_BIT(IP_CT_ESTABLISHED);
	case IR_CT_RELATED:
		return NF_CT_STATE_BIT(IP_CT_RELATED);
	case IR_CT_INVALID:
		return NF_CT_STATE_INVALID_BIT;
	case IR_CT_UNTRACKED:
		return NF_CT_STATE_UNTRACKED_BIT;
	default:
		return NF_CT_STATE_BIT(IP_CT_NEW);
	}
}

/* A conntrack entry exists (reading or setting its mark works). */
static bool has_ct(const struct ir_pkt *p)
{
	return p->ct != IR_CT_INVALID && p->ct != IR_CT_UNTRACKED;
}

struct walk {
	const struct ir_table *t;
	enum chain_id hook;
	const struct ir_pkt *p;
	struct ir_outcome *o;
	size_t budget;
};

/*
 * The packet's value for a key, as the kernel loads it; false when the load
 * (or the dependency nft puts before it) fails and the rule ends there.
 * `th` ports (l4 0) are read only from tcp, udp and sctp: vigild puts a
 * `meta l4proto` of port protocols before every `th` match, and dispatch
 * maps keyed on `th dport` lead only to rules that check their protocol, so
 * what the bytes hold for other protocols never decides anything.
 */
static bool value_of(const struct walk *W, enum ir_key k, uint8_t l4, u128 *v)
{
	const struct ir_pkt *p = W->p;

	switch (k) {
	case K_NFPROTO:
		*v = p->family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
		return true;
	case K_IIFNAME:
		*v = ir_pack_ifname(iif_of(p, W->hook));
		return true;
	case K_OIFNAME:
		*v = ir_pack_ifname(oif_of(p, W->hook));
		return true;
	case K_IP_SADDR:
	case K_IP6_SADDR:
		*v = p->saddr;
		return p->family == (k == K_IP_SADDR ? 4 : 6);
	case K_IP_DADDR:
	case K_IP6_DADDR:
		*v = p->daddr;
		return p->family == (k == K_IP_DADDR ? 4 : 6);
	case K_L4PROTO:
		*v = p->l4proto;
		return true;
	case K_SPORT:
	case K_DPORT:
		*v = k == K_SPORT ? p->sport : p->dport;
		return l4 ? p->l4proto == l4 : has_ports(p->l4proto);
	case K_ICMP_TYPE:
		*v = p->icmp_type;
		return p->family == 4 && p->l4proto == IPPROTO_ICMP;
	case K_ICMPV6_TYPE:
		*v = p->icmp_type;
		return p->family == 6 && p->l4proto == IPPROTO_ICMPV6;
	case K_CT_STATE:
		*v = ct_bit(p->ct);
		return true;
	case K_CT_STATUS:
		/* no conntrack entry: the load fails and the rule ends */
		*v = p->dnat ? IPS_DST_NAT : 0;
		return has_ct(p);
	default:
		return false;
	}
}

static bool in_list(const struct ivlist *l, u128 v)
{
	for (size_t i = 0; i < l->n; i++)
		if (v >= l->v[i].lo && v <= l->v[i].hi)
			return true;
	return false;
}

static int lookup(const struct walk *W, const struct ir_set *s, long *hit);

static bool match(const struct walk *W, const struct ir_match *m)
{
	u128 v;

	if (m->op == OP_SET && m->set->nfields > 1) {
		/* a set of concatenations (natmap.c's dnatfwd): its elements
		 * are points, no two equal */
		long hit;
		return lookup(W, m->set, &hit) == 0 && hit >= 0;
	}
	if (!value_of(W, m->key, m->l4, &v))
		return false;
	if ((m->key == K_IIFNAME || m->key == K_OIFNAME) && m->op == OP_EQ) {
		/* a compare of iflen bytes of the NUL-padded name: the NUL
		 * included for an exact name, left out for "eth*" */
		const char *name = m->key == K_IIFNAME ? iif_of(W->p, W->hook) : oif_of(W->p, W->hook);
		char buf[16] = { 0 };
		memcpy(buf, name, strnlen(name, 15));
		return memcmp(buf, m->ifname, m->iflen) == 0;
	}
	switch (m->op) {
	case OP_EQ:
		return v == m->v.lo;
	case OP_PREFIX:
	case OP_RANGE:
		return v >= m->v.lo && v <= m->v.hi;
	case OP_SET:
		return in_list(&m->set->elems, v);
	case OP_MASK:
		return (v & m->v.lo) != 0;
	default:
		return false;
	}
}

/* The element of map s the packet's key falls in: *hit is its index, or -1
 * when a field cannot be loaded or no element holds the key (the rule ends
 * there). Returns -EEXIST when two elements hold it. */
static int lookup(const struct walk *W, const struct ir_set *s, long *hit)
{
	u128 key[IR_MAX_CONCAT];

	*hit = -1;
	for (int k = 0; k < s->nfields; k++)
		if (!value_of(W, s->fields[k].key, s->fields[k].l4, &key[k]))
			return 0;
	for (size_t i = 0; i < s->ncelems; i++) {
		bool in = true;
		for (int k = 0; k < s->nfields && in; k++)
			in = key[k] >= s->celems[i].f[k].lo && key[k] <= s->celems[i].f[k].hi;
		if (!in)
			continue;
		if (*hit >= 0)
			return -EEXIST;
		*hit = (long)i;
	}
	return 0;
}

static void decide(struct walk *W, size_t c, size_t i, const struct ir_rule *r)
{
	struct ir_outcome *o = W->o;

	o->verdict = r->verdict;
	o->policy = false;
	o->chain = (int)c;
	o->rule = (int)i;
	o->origin = r->origin;
	o->comment = r->comment;
	if (r->set_mark) {
		o->marked = true;
		o->mark = r->mark_xor;
	}
}

/*
 * One rule: 1 when it decided, 0 when the walk goes on with the next rule,
 * 2 when it sends the walk to another chain (*next, *push for a jump),
 * or a negative errno.
 */
static int eval_rule(struct walk *W, size_t c, size_t i, size_t *next, bool *push)
{
	const struct ir_rule *r = &W->t->chains[c].rules[i];
	long hit;
	int ret;

	W->o->walked++;
	if (r->nm == 1 && r->m[0].op == OP_VMAP) {
		const struct ir_set *s = r->m[0].set;
		struct ir_match g;
		if (ir_vmap_guard(&r->m[0], &g) && !match(W, &g))
			return 0;
		ret = lookup(W, s, &hit);
		if (ret < 0 || hit < 0)
			return ret;
		*next = s->celems[hit].chain;
		*push = s->jump;
		return 2;
	}
	/* an over-limit rule: the packet is taken to be within the limit
	 * (what explain describes does not depend on the traffic's rate) */
	if (r->lim.kind)
		return 0;
	for (size_t j = 0; j < r->nm; j++)
		if (!match(W, &r->m[j]))
			return 0;
	/* `ct mark set ct mark and ...` reads the mark first: without a
	 * conntrack entry the read fails and ends the rule (NFT_BREAK) */
	if (r->set_mark && !has_ct(W->p))
		return 0;
	if (r->log)
		W->o->logged = true;
	if (r->verdict == IV_NONE)
		return 0;
	decide(W, c, i, r);
	return 1;
}

int ir_eval(const struct ir_table *t, enum chain_id hook, const struct ir_pkt *p,
	    struct ir_outcome *o)
{
	struct {
		size_t chain, rule, depth;
	} stack[EVAL_MAX_DEPTH];
	struct walk W = { .t = t, .hook = hook, .p = p, .o = o };
	size_t depth = 0, sp = 0, c = (size_t)hook, i = 0;

	if ((p->family != 4 && p->family != 6) || (int)hook < 0 || hook >= CH_MAX ||
	    (size_t)hook >= t->nchains)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	for (size_t k = 0; k < t->nchains; k++)
		W.budget += t->chains[k].n;
	W.budget = W.budget * 4 + 64;
	for (;;) {
		size_t next = 0;
		bool push = false;
		int r;

		if (i >= t->chains[c].n) {
			if (!sp)
				break; /* end of the base chain, or of a chain reached by goto */
			sp--;
			c = stack[sp].chain;
			i = stack[sp].rule;
			depth = stack[sp].depth;
			continue;
		}
		if (o->walked > W.budget)
			return -ELOOP;
		r = eval_rule(&W, c, i, &next, &push);
		if (r < 0)
			return r;
		if (r == 1)
			return 0;
		if (r == 0) {
			i++;
			continue;
		}
		if (next >= t->nchains || ++depth >= EVAL_MAX_DEPTH)
			return -ELOOP;
		if (push) {
			stack[sp].chain = c;
			stack[sp].rule = i + 1;
			stack[sp].depth = depth - 1;
			sp++;
		}
		c = next;
		i = 0;
	}
	o->verdict = t->chains[hook].policy == VERDICT_ACCEPT ? IV_ACCEPT : IV_DROP;
	o->policy = true;
	o->chain = o->rule = o->origin = -1;
	o->comment = NULL;
	return 0;
}

/* ---- the checked policy, read as written ---- */

static bool ifname_matches(const struct pifname *pi, const char *name)
{
	for (size_t i = 0; i < pi->n; i++) {
		const char *n = pi->names[i];
		size_t len = strlen(n);
		if (n[len - 1] == '*' ? strncmp(name, n, len - 1) == 0 : strcmp(name, n) == 0)
			return true;
	}
	return false;
}

static bool addr_matches(const struct paddr *pa, int family, u128 a)
{
	if (in_list(family == 4 ? &pa->v4 : &pa->v6, a))
		return true;
	for (size_t i = 0; i < pa->nrefs; i++)
		if (in_list(family == 4 ? &pa->refs[i]->v4 : &pa->refs[i]->v6, a))
			return true;
	return false;
}

static bool port_matches(const struct pport *pp, uint16_t port)
{
	if (in_list(&pp->lit, port))
		return true;
	for (size_t i = 0; i < pp->nrefs; i++)
		if (in_list(&pp->refs[i]->ports, port))
			return true;
	return false;
}

static unsigned proto_bit(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return P_TCP;
	case IPPROTO_UDP:
		return P_UDP;
	case IPPROTO_SCTP:
		return P_SCTP;
	case IPPROTO_ICMP:
		return P_ICMP;
	case IPPROTO_ICMPV6:
		return P_ICMPV6;
	default:
		return 0;
	}
}

static bool rule_matches(const struct prule *r, enum chain_id hook, const struct ir_pkt *p)
{
	unsigned protos = r->protos;

	/* a rule with addresses or ICMP types is split by family, and each
	 * part keeps its family's ICMP only: `proto: [icmp, icmpv6]` with
	 * addresses does not match ICMP in IPv6 (without them it does: the
	 * rule is one `meta l4proto` compare) */
	if (r->src.present || r->dst.present || r->has_icmp_type)
		protos &= ~(unsigned)(p->family == 4 ? P_ICMPV6 : P_ICMP);
	if (r->protos && !(protos & proto_bit(p->l4proto)))
		return false;
	if (r->src.present && !addr_matches(&r->src, p->family, p->saddr))
		return false;
	if (r->dst.present && !addr_matches(&r->dst, p->family, p->daddr))
		return false;
	/* ports exist for tcp, udp and sctp only (policy_check holds every
	 * proto of a rule with ports to those) */
	if (r->sport.present && !(has_ports(p->l4proto) && port_matches(&r->sport, p->sport)))
		return false;
	if (r->dport.present && !(has_ports(p->l4proto) && port_matches(&r->dport, p->dport)))
		return false;
	if (r->has_icmp_type) {
		bool v4 = p->family == 4 && p->l4proto == IPPROTO_ICMP;
		bool v6 = p->family == 6 && p->l4proto == IPPROTO_ICMPV6;
		if (!(v4 && in_list(&r->icmp4, p->icmp_type)) &&
		    !(v6 && in_list(&r->icmp6, p->icmp_type)))
			return false;
	}
	if (r->iif.present && !ifname_matches(&r->iif, iif_of(p, hook)))
		return false;
	if (r->oif.present && !ifname_matches(&r->oif, oif_of(p, hook)))
		return false;
	return true;
}

bool ir_eval_prule_matches(const struct prule *r, enum chain_id hook, const struct ir_pkt *p)
{
	return rule_matches(r, hook, p);
}

static const char *builtin_decides(enum chain_id hook, const struct ir_pkt *p,
				   enum ir_verdict *v)
{
	static const unsigned nd[] = ND_ICMPV6_TYPES;

	*v = IV_ACCEPT;
	if (p->ct == IR_CT_ESTABLISHED || p->ct == IR_CT_RELATED)
		return IR_BUILTIN_PREFIX "established";
	if (p->ct == IR_CT_INVALID) {
		*v = IV_DROP;
		return IR_BUILTIN_PREFIX "invalid";
	}
	if (hook == CH_FORWARD)
		return NULL;
	if (strcmp(hook == CH_INPUT ? iif_of(p, hook) : oif_of(p, hook), "lo") == 0)
		return IR_BUILTIN_PREFIX "loopback";
	if (p->family == 6 && p->l4proto == IPPROTO_ICMPV6)
		for (size_t i = 0; i < ARRAY_SIZE(nd); i++)
			if (p->icmp_type == nd[i])
				return IR_BUILTIN_PREFIX "icmpv6-nd";
	return NULL;
}

/* The forward accept of a dnat entry (nat.c): `ct status dnat`, the
 * entry's matches, with the destination (and port) it translates to. */
static bool nat_accept_matches(const struct pnat *n, const struct ir_pkt *p)
{
	struct prule fr = n->m;
	struct ival a = { n->addr_lo, n->addr_hi }, port = { n->port_lo, n->port_hi };

	if (n->action != NAT_DNAT || !n->accept || !p->dnat || !has_ct(p))
		return false;
	memset(&fr.dst, 0, sizeof(fr.dst));
	fr.dst.present = true;
	*(n->fam == AF_V4 ? &fr.dst.v4 : &fr.dst.v6) = (struct ivlist){ .v = &a, .n = 1 };
	if (n->has_port) {
		memset(&fr.dport, 0, sizeof(fr.dport));
		fr.dport.present = true;
		fr.dport.lit = (struct ivlist){ .v = &port, .n = 1 };
	}
	return rule_matches(&fr, CH_FORWARD, p);
}

/* defer-to's accepts, after every forward rule (defer.c): in on one of
 * a manager's bridges, or out on one with `ct status dnat`. */
static const char *defer_decides(const struct policy *pol, const struct ir_pkt *p)
{
	for (int d = 0; d < DEFER_MAX; d++) {
		const struct defer_info *di = defer_info((enum defer_id)d);
		bool from = false, to = false; /* a bridge of d's is the iif, the oif */

		if (!(pol->defer & (1u << d)))
			continue;
		for (const char *const *q = di->ifaces; *q; q++) {
			from = from || defer_pattern_covers(*q, p->iif);
			to = to || defer_pattern_covers(*q, p->oif);
		}
		if (from)
			return di->comment_out;
		if (to && p->dnat && has_ct(p))
			return di->comment_dnat;
	}
	return NULL;
}

int ir_eval_policy(const struct policy *pol, enum chain_id hook, const struct ir_pkt *p,
		   struct ir_outcome *o)
{
	enum ir_verdict v;

	if ((p->family != 4 && p->family != 6) || (int)hook < 0 || hook >= CH_MAX)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->chain = o->rule = o->origin = -1;
	o->comment = builtin_decides(hook, p, &v);
	if (o->comment) {
		o->verdict = v;
		return 0;
	}
	for (size_t i = 0; hook == CH_FORWARD && i < pol->nnats; i++)
		if (nat_accept_matches(&pol->nats[i], p)) {
			o->verdict = IV_ACCEPT;
			o->comment = pol->nats[i].accept_comment;
			return 0;
		}
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct prule *r = &pol->rules[i];

		if (r->chain != hook || !rule_matches(r, hook, p))
			continue;
		o->origin = (int)r->index;
		o->comment = r->name;
		o->logged = r->log;
		switch (r->action) {
		case VERDICT_ACCEPT:
			o->verdict = IV_ACCEPT;
			/* untracked packets are accepted by the rule's twin,
			 * which cannot set a mark */
			o->marked = p->ct != IR_CT_UNTRACKED;
			o->mark = o->marked ? ir_mark_of_rule(r->index) : 0;
			break;
		case VERDICT_DROP:
			o->verdict = IV_DROP;
			break;
		case VERDICT_REJECT:
			o->verdict = IV_REJECT;
			break;
		}
		return 0;
	}
	if (hook == CH_FORWARD && (o->comment = defer_decides(pol, p))) {
		o->verdict = IV_ACCEPT;
		return 0;
	}
	o->verdict = pol->defaults[hook] == VERDICT_ACCEPT ? IV_ACCEPT : IV_DROP;
	o->policy = true;
	return 0;
}

/* ---- destination NAT ---- */

static void dnat_of(struct ir_dnat *o, const struct ir_nat *n)
{
	o->hit = true;
	o->kind = n->kind;
	o->fam = n->fam;
	o->addr_lo = n->addr_lo;
	o->addr_hi = n->addr_hi;
	o->port = n->port;
	o->port_lo = n->port_lo;
	o->port_hi = n->port_hi;
}

/* A port-forward map's element for the packet's destination port (NULL:
 * none); -EEXIST when it holds the port twice (the kernel refuses such
 * a map). */
static int natmap_find(const struct ir_set *s, const struct ir_pkt *p, const struct ir_natelem **e)
{
	*e = NULL;
	if (!has_ports(p->l4proto) || (s->fields[0].l4 && s->fields[0].l4 != p->l4proto))
		return 0;
	for (size_t i = 0; i < s->nnelems; i++)
		if (s->nelems[i].port == p->dport) {
			if (*e)
				return -EEXIST;
			*e = &s->nelems[i];
		}
	return 0;
}

int ir_eval_dnat(const struct ir_table *t, const struct ir_pkt *p, struct ir_dnat *o)
{
	/* prerouting has an input interface and no output one: as input */
	struct ir_outcome scratch;
	struct walk W = { .t = t, .hook = CH_INPUT, .p = p, .o = &scratch };

	if (p->family != 4 && p->family != 6)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	for (size_t c = 0; c < t->nchains; c++) {
		const struct ir_chain *ch = &t->chains[c];
		if (ch->nat != IR_NAT_HOOK_PRE)
			continue;
		for (size_t i = 0; i < ch->n; i++) {
			const struct ir_rule *r = &ch->rules[i];
			const struct ir_natelem *e = NULL;
			bool ok = true;
			for (size_t j = 0; j < r->nm && ok; j++)
				ok = match(&W, &r->m[j]);
			if (!ok || (r->nat.kind != IR_NAT_DNAT && r->nat.kind != IR_NAT_REDIR))
				continue;
			if (r->nat.map && natmap_find(r->nat.map, p, &e) < 0)
				return -EEXIST;
			if (r->nat.map && !e)
				continue; /* the lookup breaks the rule */
			/* an address of the other family: nft_nat_inet_eval skips it */
			enum addr_family f = r->nat.map ? r->nat.map->nat_fam : r->nat.fam;
			if (f != AF_NONE && f != (p->family == 4 ? AF_V4 : AF_V6))
				continue;
			dnat_of(o, &r->nat);
			if (e) {
				o->fam = f;
				o->addr_lo = o->addr_hi = e->addr;
				o->port = true;
				o->port_lo = o->port_hi = e->to_port;
			}
			return 0;
		}
	}
	return 0;
}

int ir_eval_policy_dnat_next(const struct policy *pol, const struct ir_pkt *p, size_t from,
			     unsigned flags)
{
	for (size_t i = from; i < pol->nnats; i++) {
		const struct pnat *n = &pol->nats[i];
		struct prule m = n->m;

		if (n->action != NAT_DNAT && n->action != NAT_REDIRECT)
			continue;
		if (n->fam != AF_NONE && n->fam != (p->family == 4 ? AF_V4 : AF_V6))
			continue;
		if (flags & IR_DNAT_ANY_IIF)
			m.iif.present = false;
		/* prerouting has an input interface and no output one */
		if (rule_matches(&m, CH_INPUT, p))
			return (int)i;
	}
	return -1;
}

int ir_eval_policy_dnat(const struct policy *pol, const struct ir_pkt *p, struct ir_dnat *o)
{
	const struct pnat *n;
	int i;

	if (p->family != 4 && p->family != 6)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	i = ir_eval_policy_dnat_next(pol, p, 0, 0);
	if (i < 0)
		return 0;
	n = &pol->nats[i];
	dnat_of(o, &(struct ir_nat){ .kind = n->action == NAT_DNAT ? IR_NAT_DNAT : IR_NAT_REDIR,
				     .fam = n->fam, .addr_lo = n->addr_lo, .addr_hi = n->addr_hi,
				     .port = n->has_port, .port_lo = n->port_lo,
				     .port_hi = n->port_hi });
	return 0;
}
