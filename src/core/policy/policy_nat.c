// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The top-level `nat:` list: each entry a name, the matches a rule has
 * (proto, src, dst, sport, dport, iif, oif: the same checks, shared with
 * policy_check.c), an action (masquerade, snat, dnat, redirect) and its
 * target `to`. Every problem is reported at the key it is about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/util.h"
#include "check.h"

static const struct {
	const char *name;
	unsigned bit;
} nat_protos[] = {
	{ "tcp", P_TCP }, { "udp", P_UDP }, { "sctp", P_SCTP }, { "icmp", P_ICMP }, { "icmpv6", P_ICMPV6 },
};

static const struct {
	const char *name;
	enum nat_action a;
} nat_actions[] = {
	{ "masquerade", NAT_MASQUERADE },
	{ "snat", NAT_SNAT },
	{ "dnat", NAT_DNAT },
	{ "redirect", NAT_REDIRECT },
};

static void nat_proto(struct ck *c, const struct pdoc_nat *dn, const struct ynode *en_map,
		      struct pnat *n)
{
	for (unsigned i = 0; i < dn->proto_count; i++) {
		const struct ynode *en = elem_node(en_map, "proto", i);
		size_t k;

		if (quiet(en))
			continue;
		for (k = 0; k < ARRAY_SIZE(nat_protos); k++)
			if (streq(dn->proto[i], nat_protos[k].name))
				break;
		if (k == ARRAY_SIZE(nat_protos)) {
			diag_err(c->d, at(c, en), "proto must be tcp, udp, sctp, icmp or icmpv6, not '%s'",
				 dn->proto[i]);
			continue;
		}
		if (n->m.protos & nat_protos[k].bit)
			diag_err(c->d, at(c, en), "proto '%s' is listed twice", dn->proto[i]);
		n->m.protos |= nat_protos[k].bit;
	}
}

/* "P" or "P-Q" into n (1..65535). */
static bool nat_port(struct ck *c, const struct ynode *tn, const char *s, struct pnat *n)
{
	struct ival iv;
	const char *why;

	if (port_parse(s, &iv, &why) < 0) {
		diag_err(c->d, at(c, tn), "bad port '%s' in 'to': %s", s, why);
		return false;
	}
	if (iv.lo == 0) {
		diag_err(c->d, at(c, tn), "bad port '%s' in 'to': port 0 cannot be a translation target", s);
		return false;
	}
	n->has_port = true;
	n->port_lo = (uint16_t)iv.lo;
	n->port_hi = (uint16_t)iv.hi;
	return true;
}

/* "A", "A-B" (one address family, single addresses, not prefixes). */
static bool nat_addr(struct ck *c, const struct ynode *tn, const char *s, const char *whole,
		     struct pnat *n)
{
	enum addr_family f;
	struct ival iv;
	const char *why;

	if (addr_parse(s, &f, &iv, &why) < 0) {
		diag_err(c->d, at(c, tn),
			 "'to' must be an address[:port] (10.1.0.2:80, [fd00::2]:80, a range A-B), not '%s': %s",
			 whole, why);
		return false;
	}
	if (strchr(s, '/') && iv.lo != iv.hi) {
		diag_err(c->d, at(c, tn),
			 "'to' is a prefix ('%s'); NAT translates to one address or a range FIRST-LAST", s);
		return false;
	}
	n->fam = f;
	n->addr_lo = iv.lo;
	n->addr_hi = iv.hi;
	return true;
}

/*
 * snat/dnat targets: "10.1.0.2", "10.1.0.2:80", "10.1.0.2-10.1.0.9:80-89",
 * "fd00::2", "[fd00::2]:80", "[fd00::2-fd00::9]:80". redirect and
 * masquerade: a port or a port range.
 */
static void nat_to(struct ck *c, const struct pdoc_nat *dn, const struct ynode *map, struct pnat *n)
{
	const struct ynode *tn = ynode_get(map, "to");
	const char *s = dn->to;
	_cleanup_free_ char *a = NULL;
	const char *colon;

	if (n->action == NAT_MASQUERADE || n->action == NAT_REDIRECT) {
		if (s[0] == ':')
			s++;
		nat_port(c, tn, s, n);
		return;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':') || (close[1] == ':' && !close[2])) {
			diag_err(c->d, at(c, tn),
				 "'to' must be an address[:port] ([fd00::2]:80), not '%s': a bracketed IPv6 address is followed by ':PORT' or nothing",
				 dn->to);
			return;
		}
		a = xstrndup(s + 1, (size_t)(close - s - 1));
		if (nat_addr(c, tn, a, dn->to, n) && n->fam != AF_V6)
			diag_err(c->d, at(c, tn), "brackets are for IPv6 addresses; write '%s' without them",
				 a);
		if (close[1] == ':')
			nat_port(c, tn, close + 2, n);
		return;
	}
	/* IPv4 (a dot, one colon at most) with a port; else the whole address */
	colon = strrchr(s, ':');
	if (colon && strchr(s, '.') && strchr(s, ':') == colon) {
		a = xstrndup(s, (size_t)(colon - s));
		if (!colon[1]) {
			diag_err(c->d, at(c, tn), "'to' ends in ':' without a port ('%s')", dn->to);
			return;
		}
		if (nat_addr(c, tn, a, dn->to, n))
			nat_port(c, tn, colon + 1, n);
		return;
	}
	nat_addr(c, tn, s, dn->to, n);
}

static void nat_action(struct ck *c, const struct pdoc_nat *dn, const struct ynode *map,
		       struct pnat *n, bool *ok)
{
	struct suggest sg;
	struct strbuf sb = { 0 };

	*ok = false;
	if (!dn->action)
		return;
	for (size_t k = 0; k < ARRAY_SIZE(nat_actions); k++)
		if (streq(dn->action, nat_actions[k].name)) {
			n->action = nat_actions[k].a;
			*ok = true;
			return;
		}
	suggest_init(&sg, dn->action);
	for (size_t k = 0; k < ARRAY_SIZE(nat_actions); k++)
		suggest_try(&sg, nat_actions[k].name);
	suggest_format(&sg, "", &sb);
	diag_err(c->d, at(c, ynode_get(map, "action")),
		 "nat action must be masquerade, snat, dnat or redirect, not '%s'%s", dn->action,
		 sb.s ? sb.s : "");
	sb_free(&sb);
}

/* What each action needs and cannot have. */
static void nat_needs(struct ck *c, const struct pdoc_nat *dn, const struct ynode *map,
		      struct pnat *n)
{
	bool pre = n->action == NAT_DNAT || n->action == NAT_REDIRECT;
	const char *act = dn->action;

	if (n->action == NAT_MASQUERADE && !n->m.oif.present)
		diag_err(c->d, at(c, map),
			 "nat entry '%s': masquerade needs 'oif' (the interface whose address the packets take)",
			 n->m.name ? n->m.name : "");
	if ((n->action == NAT_SNAT || n->action == NAT_DNAT) && !dn->to)
		diag_err(c->d, at(c, map), "nat entry '%s': %s needs 'to' (the address to translate to)",
			 n->m.name ? n->m.name : "", act);
	if (pre && n->m.oif.present)
		diag_err(c->d, at(c, ynode_key(map, "oif")),
			 "'oif' cannot be used with %s: it runs before routing (prerouting), when there is no output interface yet",
			 act);
	if (dn->accept && n->action != NAT_DNAT)
		diag_err(c->d, at(c, ynode_key(map, "accept")),
			 "'accept' is for dnat entries only (it opens the forward chain for what they translate)");
	if (dn->accept) {
		if (!strcasecmp(dn->accept, "true") || !strcasecmp(dn->accept, "yes"))
			n->accept = true;
		else if (!strcasecmp(dn->accept, "false") || !strcasecmp(dn->accept, "no"))
			n->accept = false;
		else
			diag_err(c->d, at(c, ynode_get(map, "accept")), "accept must be true or false, not '%s'",
				 dn->accept);
	}
}

static void nat_families(struct ck *c, const struct ynode *map, struct pnat *n)
{
	unsigned fs = paddr_families(&n->m.src, 3), fd = paddr_families(&n->m.dst, 3), fp = 3;
	unsigned want = n->fam == AF_V4 ? 1 : n->fam == AF_V6 ? 2 : 3;

	if (n->m.protos && !(n->m.protos & P_PORTS))
		fp = ((n->m.protos & P_ICMP) ? 1 : 0) | ((n->m.protos & P_ICMPV6) ? 2 : 0);
	if (fs && fd && fp && !(fs & fd & fp)) {
		diag_err(c->d, n->m.loc, "nat entry '%s' can never match: its addresses and protocols have no address family in common",
			 n->m.name ? n->m.name : "");
		return;
	}
	if (want != 3 && !(fs & fd & fp & want))
		diag_err(c->d, at(c, ynode_get(map, "to")),
			 "'to' is an %s address, but the entry matches %s packets only",
			 n->fam == AF_V4 ? "IPv4" : "IPv6", n->fam == AF_V4 ? "IPv6" : "IPv4");
}

static void check_nat(struct ck *c, const struct pdoc_nat *dn, const struct ynode *map,
		      struct pnat *n)
{
	bool act_ok;
	size_t errs = c->d->nerr;

	n->m.loc = at(c, map);
	n->accept = true;
	nat_action(c, dn, map, n, &act_ok);
	nat_proto(c, dn, map, n);
	check_addr(c, map, "src", dn->src, dn->src_count, &n->m.src);
	check_addr(c, map, "dst", dn->dst, dn->dst_count, &n->m.dst);
	check_port(c, map, "sport", dn->sport, dn->sport_count, &n->m.sport);
	check_port(c, map, "dport", dn->dport, dn->dport_count, &n->m.dport);
	check_ifname(c, map, "iif", dn->iif, dn->iif_count, &n->m.iif);
	check_ifname(c, map, "oif", dn->oif, dn->oif_count, &n->m.oif);
	static const char *const port_keys[] = { "sport", "dport" };
	for (int k = 0; k < 2; k++) {
		const struct ynode *kn = ynode_key(map, port_keys[k]);
		if (kn && (!n->m.protos || (n->m.protos & ~P_PORTS)))
			diag_err(c->d, at(c, kn), "'%s' needs 'proto' set to tcp, udp or sctp only",
				 port_keys[k]);
	}
	if (!act_ok)
		return;
	nat_needs(c, dn, map, n);
	if (dn->to && !quiet(ynode_get(map, "to")))
		nat_to(c, dn, map, n);
	if (n->has_port && (!n->m.protos || (n->m.protos & ~P_PORTS)))
		diag_err(c->d, at(c, ynode_get(map, "to")),
			 "a port in 'to' needs 'proto' set to tcp, udp or sctp only (ports exist only for those)");
	if (n->action != NAT_DNAT)
		n->accept = false;
	if (n->accept && n->m.name) /* the forward accept's comment (nat.c, eval.c) */
		n->accept_comment = xasprintf("vigil:dnat %s", n->m.name);
	if (c->d->nerr == errs)
		nat_families(c, map, n);
}

static int cmp_nat_name(const void *a, const void *b)
{
	const struct pnat *x = *(struct pnat *const *)a, *y = *(struct pnat *const *)b;
	int r = strcmp(x->m.name, y->m.name);

	return r ? r : (x->m.index < y->m.index ? -1 : x->m.index > y->m.index);
}

static void nat_names(struct ck *c, const struct ynode *ns)
{
	struct policy *pol = c->pol;
	_cleanup_free_ struct pnat **v = xcalloc(pol->nnats + 1, sizeof(*v));
	size_t m = 0;

	for (size_t i = 0; i < pol->nnats; i++)
		if (pol->nats[i].m.name && valid_name(pol->nats[i].m.name, true))
			v[m++] = &pol->nats[i];
	qsort(v, m, sizeof(*v), cmp_nat_name);
	for (size_t i = 1, first = 0; i < m; i++) {
		if (!streq(v[i]->m.name, v[first]->m.name)) {
			first = i;
			continue;
		}
		diag_err(c->d, at(c, ynode_get(&ns->kids[v[i]->m.index], "name")),
			 "duplicate nat entry name '%s' (first used at line %u)", v[i]->m.name,
			 v[first]->m.loc.line);
	}
}

void check_nats(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *ns = ynode_get(c->root, "nat");

	if (!pd->nat_count || !ns || ns->kind != YN_SEQ)
		return;
	if (pd->nat_count > POLICY_MAX_RULES) {
		diag_err(c->d, at(c, ns), "the policy has %u nat entries; the limit is %u",
			 pd->nat_count, POLICY_MAX_RULES);
		return;
	}
	c->pol->nats = xcalloc(pd->nat_count, sizeof(*c->pol->nats));
	for (unsigned i = 0; i < pd->nat_count && i < ns->n; i++) {
		const struct pdoc_nat *dn = &pd->nat[i];
		const struct ynode *map = &ns->kids[i];
		struct pnat *n = &c->pol->nats[c->pol->nnats];

		if (quiet(map))
			continue;
		n->m.index = i; /* the entry's position (its node in ns) */
		c->pol->nnats++;
		if (dn->name) {
			if (!valid_name(dn->name, true))
				diag_err(c->d, at(c, ynode_get(map, "name")),
					 "invalid nat entry name '%s': use lower-case letters, digits, '_' or '-', up to 32, starting with a letter or digit",
					 dn->name);
			n->m.name = xstrdup(dn->name);
		}
		check_nat(c, dn, map, n);
	}
	nat_names(c, ns);
}

/* The first rule or nat entry that needs forwarding of family bit f. */
static bool forwards_why(const struct policy *pol, unsigned f, char *why, size_t len)
{
	for (size_t i = 0; i < pol->nnats; i++) {
		const struct pnat *n = &pol->nats[i];
		unsigned nf = n->fam == AF_V4 ? 1 : n->fam == AF_V6 ? 2 : 3;
		nf &= paddr_families(&n->m.src, 3) & paddr_families(&n->m.dst, 3);
		if (n->action != NAT_REDIRECT && (nf & f)) {
			snprintf(why, len, "nat entry '%s'", n->m.name);
			return true;
		}
	}
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct prule *r = &pol->rules[i];
		if (r->chain == CH_FORWARD && r->action == VERDICT_ACCEPT &&
		    (paddr_families(&r->src, 3) & paddr_families(&r->dst, 3) & f)) {
			snprintf(why, len, "forward rule '%s'", r->name);
			return true;
		}
	}
	return false;
}

unsigned policy_forward_families(const struct policy *pol, char why4[64], char why6[64])
{
	unsigned f = 0;

	if (forwards_why(pol, 1, why4, 64))
		f |= 1;
	if (forwards_why(pol, 2, why6, 64))
		f |= 2;
	return f;
}
