// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy's nat: entries -> kernel objects.
 *
 *  - Two base chains of type nat, after every filter chain of the table:
 *    prerouting at priority dstnat (-100) holds dnat and redirect,
 *    postrouting at priority srcnat (100) snat and masquerade (the kernel
 *    allows DNAT only in prerouting and output, SNAT only in postrouting
 *    and input: nft_nat.c's validate). Their policy is accept: a nat
 *    chain translates, the filter chains decide. The kernel consults them
 *    for the first packet of a connection only; later packets reuse the
 *    binding (nf_nat_core.c).
 *  - Each entry becomes the kernel rules of its matches, exactly as a
 *    policy rule's (lower.c: one per address family and alternative),
 *    each ending in `counter` and the translation. An entry whose target
 *    is an address of one family gets that family's part only (in an inet
 *    table the kernel would skip the other family's packets anyway:
 *    nft_nat_inet_eval).
 *  - A dnat entry with accept (the default) also gets a forward rule,
 *    right after the forward chain's built-in rules: `ct status dnat`,
 *    the entry's interface and source matches, and the translated
 *    destination (address, protocol, port) accept. Only connections this
 *    table's prerouting translated pass it, and only to where they were
 *    translated to.
 *  - Runs of port forwards become one map lookup instead, and their
 *    forward accepts one set lookup (natmap.c).
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <string.h>

#include "lower.h"

static bool nat_pre(const struct pnat *n)
{
	return n->action == NAT_DNAT || n->action == NAT_REDIRECT;
}

static unsigned nat_fams(const struct pnat *n)
{
	return n->fam == AF_V4 ? 1 : n->fam == AF_V6 ? 2 : 3;
}

static void prepend_match(struct ir_rule *r, const struct ir_match *m)
{
	r->m = xreallocarray(r->m, r->nm + 1, sizeof(*r->m));
	memmove(&r->m[1], &r->m[0], r->nm * sizeof(*r->m));
	r->m[0] = *m;
	r->nm++;
}

static bool has_addr_match(const struct ir_rule *r)
{
	for (size_t i = 0; i < r->nm; i++)
		if (r->m[i].key == K_IP_SADDR || r->m[i].key == K_IP_DADDR ||
		    r->m[i].key == K_IP6_SADDR || r->m[i].key == K_IP6_DADDR ||
		    r->m[i].key == K_NFPROTO)
			return true;
	return false;
}

void lower_nat_finish(struct lower *L, struct ir_rule *r, enum addr_family f)
{
	const struct pnat *n = L->nat;

	r->origin = -1;
	r->verdict = IV_NONE;
	/* a part of one family says so, if no address match does */
	if (f != AF_NONE && !has_addr_match(r)) {
		struct ir_match m = { .key = K_NFPROTO, .op = OP_EQ };
		m.v.lo = m.v.hi = f == AF_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
		prepend_match(r, &m);
	}
	if (L->nat_accept) {
		struct ir_match m = { .key = K_CT_STATUS, .op = OP_MASK };
		m.v.lo = m.v.hi = IPS_DST_NAT;
		prepend_match(r, &m);
		r->verdict = IV_ACCEPT;
		r->comment = xstrdup(n->accept_comment); /* IR_BUILTIN_PREFIX "dnat NAME" */
		return;
	}
	r->comment = xstrdup(n->m.name);
	switch (n->action) {
	case NAT_MASQUERADE:
		r->nat.kind = IR_NAT_MASQ;
		break;
	case NAT_SNAT:
		r->nat.kind = IR_NAT_SNAT;
		break;
	case NAT_DNAT:
		r->nat.kind = IR_NAT_DNAT;
		break;
	case NAT_REDIRECT:
		r->nat.kind = IR_NAT_REDIR;
		break;
	}
	r->nat.fam = n->fam;
	r->nat.addr_lo = n->addr_lo;
	r->nat.addr_hi = n->addr_hi;
	r->nat.port = n->has_port;
	r->nat.port_lo = n->port_lo;
	r->nat.port_hi = n->port_hi;
}

/* The forward accept of dnat entry n: its matches, with the destination
 * (and the port, if it translates one) replaced by the target. */
void lower_nat_accept(struct lower *L, const struct pnat *n)
{
	struct prule fr = n->m;

	memset(&fr.dst, 0, sizeof(fr.dst));
	fr.dst.present = true;
	ivlist_add(n->fam == AF_V4 ? &fr.dst.v4 : &fr.dst.v6, n->addr_lo, n->addr_hi);
	if (n->has_port) {
		memset(&fr.dport, 0, sizeof(fr.dport));
		fr.dport.present = true;
		ivlist_add(&fr.dport.lit, n->port_lo, n->port_hi);
	}
	fr.chain = CH_FORWARD;
	L->nat = n;
	L->nat_accept = true;
	L->nat_fams = nat_fams(n);
	lower_rule(L, &fr);
	L->nat = NULL;
	L->nat_accept = false;
	ivlist_free(&fr.dst.v4);
	ivlist_free(&fr.dst.v6);
	if (n->has_port)
		ivlist_free(&fr.dport.lit);
}

static size_t nat_chain_new(struct ir_table *t, const char *name, enum ir_nat_hook hook)
{
	struct ir_chain *ch;

	t->chains = xreallocarray(t->chains, t->nchains + 1, sizeof(*t->chains));
	ch = &t->chains[t->nchains];
	memset(ch, 0, sizeof(*ch));
	ch->name = xstrdup(name);
	ch->base = true;
	ch->nat = (uint8_t)hook;
	ch->policy = VERDICT_ACCEPT;
	return t->nchains++;
}

void lower_nats(struct lower *L)
{
	const struct policy *pol = L->pol;
	size_t pre, post;

	if (!pol->nnats)
		return;
	pre = nat_chain_new(L->t, "prerouting", IR_NAT_HOOK_PRE);
	post = nat_chain_new(L->t, "postrouting", IR_NAT_HOOK_POST);
	for (size_t i = 0; i < pol->nnats; i++) {
		const struct pnat *n = &pol->nats[i];
		size_t j = lower_natmap_run(L, pre, i);
		if (j > i) {
			i = j - 1; /* a run of port forwards: one map lookup (natmap.c) */
			continue;
		}
		L->nat = n;
		L->nat_chain = nat_pre(n) ? pre : post;
		L->nat_fams = nat_fams(n);
		lower_rule(L, &n->m);
	}
	L->nat = NULL;
}
