// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Random policies of mixed shapes (randpol.h): named sets of both
 * families, address prefixes and ranges, interface names and nested
 * wildcards, port ranges and lists,
 * ICMP types, every chain, every action, logs; rules cluster on one field
 * or another (a policy has a style), so decision trees form, split again,
 * leave rules out and move rules past their segments.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "randpol.h"
#include "vigil/ival.h"
#include "vigil/util.h"

static unsigned rnd(unsigned *seed, unsigned n)
{
	return (unsigned)rand_r(seed) % n;
}

#define PICK(seed, a) ((a)[rnd(seed, ARRAY_SIZE(a))])

static const char *const v4pool[] = { "10.0.0.1", "10.0.0.2", "10.0.0.0/24", "10.0.1.0/24",
				      "10.0.0.0/16", "192.0.2.7", "192.0.2.16/28", "10.0.3.0/25",
				      "0.0.0.0/0", "198.51.100.0/24", "10.0.2.0/23",
				      "10.0.0.2-10.0.0.40" };
static const char *const v6pool[] = { "2001:db8::1", "2001:db8::2", "2001:db8::/64",
				      "2001:db8:1::/48", "fd00::9", "::/0", "fd00::/16",
				      "2001:db8::1-2001:db8::ff" };
static const char *const portpool[] = { "22", "23", "53", "80", "443", "1000-2000", "1500",
					"8080", "0-1023", "3000-3010", "3005", "60000-65535", "7",
					"9" };
static const char *const ifexact[] = { "eth0", "eth1", "eth10", "wg0", "veth70" };
static const char *const ifwild[] = { "eth*", "eth1*", "wg*", "veth7*", "v*" };
static const char *const icmptypes[] = { "0", "3", "8", "128", "129", "1", "2", "4" };

/* netns mode: the host serves 7000-7023 */
static const char *const nswild[] = { "vd*", "v*", "ve*", "vd1*" };

struct gen {
	unsigned *seed;
	const struct randpol_opts *o;
	struct strbuf sb;
	int style;          /* 0 ports, 1 interfaces, 2 mixed */
	char port[16];
};

static unsigned R(struct gen *G, unsigned n)
{
	return rnd(G->seed, n);
}

/* A port or range from the pool, or in netns mode one the host serves. */
static const char *port_value(struct gen *G)
{
	unsigned lo = 7000 + R(G, 24);

	if (!G->o->netns)
		return PICK(G->seed, portpool);
	if (R(G, 4) == 0 && lo < 7021)
		snprintf(G->port, sizeof(G->port), "%u-%u", lo, lo + 1 + R(G, 2));
	else
		snprintf(G->port, sizeof(G->port), "%u", lo);
	return G->port;
}

static void put_sets(struct gen *G)
{
	struct strbuf *sb = &G->sb;

	sb_puts(sb, "sets:\n");
	for (int s = 0; s < 4; s++) {
		unsigned n = s == 3 ? 0 : 1 + R(G, 3);
		sb_printf(sb, "  s%d: {type: cidr, elements: [", s);
		for (unsigned i = 0; i < n; i++) {
			const char *v;
			if (G->o->netns)
				v = R(G, 2) || !G->o->nsrc6 ? G->o->src4[R(G, G->o->nsrc4)]
							   : G->o->src6[R(G, G->o->nsrc6)];
			else
				v = s == 2 || (s == 0 && R(G, 2)) ? PICK(G->seed, v6pool)
								  : PICK(G->seed, v4pool);
			sb_printf(sb, "%s\"%s\"", i ? ", " : "", v);
		}
		sb_puts(sb, "]}\n");
	}
	for (int s = 0; s < 2; s++) {
		unsigned n = 1 + R(G, 3);
		sb_printf(sb, "  p%d: {type: port, elements: [", s);
		for (unsigned i = 0; i < n; i++)
			sb_printf(sb, "%s\"%s\"", i ? ", " : "", port_value(G));
		sb_puts(sb, "]}\n");
	}
}

/* fam: 4, 6 or 0 (both: at least one literal of each) */
static void put_addrs(struct gen *G, const char *key, int fam, bool refs)
{
	unsigned n = (fam ? 1 : 2) + R(G, 2);

	sb_printf(&G->sb, ", %s: [", key);
	for (unsigned i = 0; i < n; i++) {
		bool six = fam == 6 || (fam == 0 && (i == 1 || (i > 1 && R(G, 2))));
		const char *v;
		if (G->o->netns)
			v = six ? G->o->src6[R(G, G->o->nsrc6)] : G->o->src4[R(G, G->o->nsrc4)];
		else
			v = six ? PICK(G->seed, v6pool) : PICK(G->seed, v4pool);
		sb_printf(&G->sb, "%s\"%s\"", i ? ", " : "", v);
	}
	if (refs && R(G, 2))
		sb_printf(&G->sb, ", \"@s%u\"", R(G, 4));
	sb_puts(&G->sb, "]");
}

static void put_ports(struct gen *G, const char *key)
{
	unsigned n = 1 + (R(G, 3) == 0) + (R(G, 5) == 0);

	sb_printf(&G->sb, ", %s: [", key);
	for (unsigned i = 0; i < n; i++)
		sb_printf(&G->sb, "%s\"%s\"", i ? ", " : "", port_value(G));
	if (R(G, 5) == 0)
		sb_printf(&G->sb, ", \"@p%u\"", R(G, 2));
	sb_puts(&G->sb, "]");
}

static void put_ifnames(struct gen *G, const char *key)
{
	unsigned n = 1 + (R(G, 4) == 0);

	sb_printf(&G->sb, ", %s: [", key);
	for (unsigned i = 0; i < n; i++) {
		const char *v;
		if (G->o->netns)
			v = R(G, 3) ? G->o->ifaces[R(G, G->o->nifaces)] : PICK(G->seed, nswild);
		else
			v = R(G, 2) ? PICK(G->seed, ifexact) : PICK(G->seed, ifwild);
		sb_printf(&G->sb, "%s\"%s\"", i ? ", " : "", v);
	}
	sb_puts(&G->sb, "]");
}

static void put_rule(struct gen *G, unsigned i)
{
	static const char *const portprotos[] = { "tcp", "udp", "[tcp, udp]", "sctp", "[udp, sctp]" };
	static const char *const nsprotos[] = { "tcp", "udp", "[tcp, udp]" };
	static const char *const icmps[] = { "icmp", "icmpv6", "[icmp, icmpv6]" };
	static const char *const acts[] = { "accept", "accept", "accept", "drop", "drop", "reject" };
	const char *chain = "input", *proto = NULL;
	bool ports = false, icmp = false, net = G->o->netns;
	int fam = (int[]){ 4, 4, 6, 0 }[R(G, 4)];
	unsigned pdport = net ? 100 : G->style == 0 ? 85 : G->style == 2 ? 50 : 15;
	unsigned piif = G->style == 1 ? 70 : G->style == 2 ? 35 : 10;

	if (!net && R(G, 10) < 4)
		chain = R(G, 2) ? "forward" : "output";
	sb_printf(&G->sb, "  - {name: r%u, chain: %s, action: %s", i, chain, PICK(G->seed, acts));
	unsigned p = R(G, 100);
	if (net || p < 60) {
		proto = net ? PICK(G->seed, nsprotos) : PICK(G->seed, portprotos);
		ports = true;
	} else if (!net && p < 75) {
		proto = PICK(G->seed, icmps);
		icmp = true;
		if (proto[0] == 'i' && proto[4] == '\0')
			fam = 4;
		else if (proto[0] == 'i')
			fam = 6;
	}
	if (proto)
		sb_printf(&G->sb, ", proto: %s", proto);
	if (ports && R(G, 100) < pdport)
		put_ports(G, "dport");
	if (ports && !net && R(G, 10) == 0)
		put_ports(G, "sport");
	if (icmp && R(G, 10) < 6) {
		sb_printf(&G->sb, ", icmp-type: [%s", PICK(G->seed, icmptypes));
		if (R(G, 3) == 0)
			sb_printf(&G->sb, ", %s", PICK(G->seed, icmptypes));
		sb_puts(&G->sb, "]");
	}
	bool src = R(G, 100) < (G->style == 1 ? 30u : 50u);
	if (net && !G->o->nsrc6 && fam != 4)
		fam = 4;
	if (src)
		put_addrs(G, "src", fam, true);
	if (src && !net && R(G, 5) == 0)
		put_addrs(G, "dst", fam, false);
	if (strcmp(chain, "output") && R(G, 100) < piif)
		put_ifnames(G, "iif");
	if (strcmp(chain, "input") && R(G, 100) < (strcmp(chain, "output") ? 30u : 60u))
		put_ifnames(G, "oif");
	if (!net && R(G, 10) == 0)
		sb_printf(&G->sb, ", log: %s", (const char *[]){ "true", "unlimited", "3/minute" }[R(G, 3)]);
	sb_puts(&G->sb, "}\n");
}

char *randpol_policy(unsigned *seed, const struct randpol_opts *o)
{
	struct gen G = { .seed = seed, .o = o };
	unsigned n = o->min_rules + rnd(seed, o->max_rules - o->min_rules + 1);

	G.style = (int)R(&G, 3);
	sb_puts(&G.sb, "version: 1\n");
	if (R(&G, 3) == 0)
		sb_puts(&G.sb, "defaults: {input: accept, forward: drop, output: drop}\n");
	else if (!o->netns && R(&G, 2) == 0)
		/* defer-to's accepts after the rules, trees and maps included */
		sb_printf(&G.sb, "defaults: {forward: {default: drop, defer-to: %s}}\n",
			  PICK(seed, ((const char *const[]){ "docker", "[libvirt, docker]", "[podman]" })));
	put_sets(&G);
	sb_puts(&G.sb, "rules:\n");
	for (unsigned i = 0; i < n; i++)
		put_rule(&G, i);
	return sb_take(&G.sb);
}

/* ---- pairs: a policy and a small change of it ---- */

struct lines {
	char **v;
	size_t n;
};

static void lines_of(const char *text, struct lines *l)
{
	const char *p = text;

	l->v = NULL;
	l->n = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = xstrndup(p, n);
		p += n + (e != NULL);
	}
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static bool is_rule(const char *s)
{
	return !strncmp(s, "  - {name: r", 12);
}

/* the line of `o` that starts as `l` does up to its first ':' (a set), or NULL */
static const char *same_set(const struct lines *o, const char *l)
{
	const char *c = strchr(l, ':');
	size_t n = c ? (size_t)(c - l) : 0;

	for (size_t i = 0; n && i < o->n; i++)
		if (!strncmp(o->v[i], l, n) && o->v[i][n] == ':')
			return o->v[i];
	return NULL;
}

char *randpol_mutate(unsigned *seed, const char *yaml, const struct randpol_opts *o)
{
	_cleanup_free_ char *other = randpol_policy(seed, o);
	struct lines a, b;
	struct strbuf sb = { 0 };
	unsigned edits = 1 + rnd(seed, 3), next = 1000 + rnd(seed, 1000);
	size_t first = 0;

	lines_of(yaml, &a);
	lines_of(other, &b);
	if (rnd(seed, 4) == 0 && a.n > 1) {
		/* the chains' defaults (their policies) changed */
		static const char *const defs[] = {
			"defaults: {input: accept, forward: drop, output: drop}",
			"defaults: {input: drop, forward: accept, output: accept}",
			"defaults: {input: drop, forward: drop, output: accept}",
		};
		const char *d = defs[rnd(seed, 3)];
		if (!strncmp(a.v[1], "defaults:", 9)) {
			free(a.v[1]);
			a.v[1] = xstrdup(d);
		} else {
			a.v = xreallocarray(a.v, a.n + 1, sizeof(*a.v));
			memmove(&a.v[2], &a.v[1], (a.n - 1) * sizeof(*a.v));
			a.v[1] = xstrdup(d);
			a.n++;
		}
	}
	while (first < a.n && !is_rule(a.v[first]))
		first++;
	for (unsigned e = 0; e < edits; e++) {
		unsigned k = rnd(seed, 5);
		size_t i = first + (a.n > first ? rnd(seed, (unsigned)(a.n - first)) : 0);
		size_t j = rnd(seed, (unsigned)b.n);

		if (k == 0 && a.n - first > 1) {
			/* a rule removed */
			free(a.v[i]);
			memmove(&a.v[i], &a.v[i + 1], (a.n - i - 1) * sizeof(*a.v));
			a.n--;
		} else if (k == 1 || k == 2) {
			/* a rule of the other policy inserted, under a new name */
			while (!is_rule(b.v[j]))
				j = (j + 1) % b.n;
			char *r = xasprintf("  - {name: n%u%s", next++, strchr(b.v[j], ','));
			a.v = xreallocarray(a.v, a.n + 1, sizeof(*a.v));
			memmove(&a.v[i + 1], &a.v[i], (a.n - i) * sizeof(*a.v));
			a.v[i] = r;
			a.n++;
		} else if (k == 3) {
			/* a set's elements as the other policy has them */
			size_t s = first ? rnd(seed, (unsigned)first) : 0;
			const char *l = same_set(&b, a.v[s]);
			if (l && strstr(a.v[s], "{type:")) {
				free(a.v[s]);
				a.v[s] = xstrdup(l);
			}
		} else if (a.n - first > 1) {
			/* two rules swapped */
			size_t t = first + rnd(seed, (unsigned)(a.n - first));
			char *x = a.v[i];
			a.v[i] = a.v[t];
			a.v[t] = x;
		}
	}
	for (size_t i = 0; i < a.n; i++)
		sb_printf(&sb, "%s\n", a.v[i]);
	lines_free(&a);
	lines_free(&b);
	return sb_take(&sb);
}

/* ---- packets ---- */

static u128 addr_of(const char *s)
{
	enum addr_family f;
	struct ival iv;
	const char *why;

	if (addr_parse(s, &f, &iv, &why) < 0)
		abort();
	return iv.lo;
}

void randpol_packet(unsigned *seed, const struct randpol_opts *o, struct ir_pkt *p)
{
	static const char *const near4[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.255",
					     "10.0.1.0", "10.0.1.255", "10.0.255.255", "10.1.0.0",
					     "192.0.2.7", "192.0.2.16", "192.0.2.31", "192.0.2.32",
					     "10.0.3.127", "10.0.3.128", "198.51.100.9", "1.2.3.4",
					     "10.0.2.1", "10.0.4.0" };
	static const char *const near6[] = { "2001:db8::1", "2001:db8::2", "2001:db8::ffff:0:0:1",
					     "2001:db8:1::5", "2001:db8:2::", "fd00::9", "fd00::a",
					     "fe80::1", "2001:db8:0:1::7" };
	static const uint16_t ports[] = { 0, 1, 7, 8, 9, 21, 22, 23, 52, 53, 54, 79, 80, 81, 442,
					  443, 999, 1000, 1001, 1499, 1500, 1501, 1999, 2000, 2001,
					  1023, 1024, 2999, 3000, 3005, 3010, 3011, 8080, 59999,
					  60000, 65535 };
	static const char *const names[] = { "eth0", "eth1", "eth10", "eth11", "eth2", "wg0", "wg1",
					     "veth7", "veth70", "veth8", "vx", "lo", "", "docker0",
					     "br-1f2e", "virbr0", "podman1" };
	static const uint8_t types[] = { 0, 3, 8, 128, 129, 135, 133, 1, 2, 4 };
	unsigned k;

	memset(p, 0, sizeof(*p));
	p->family = rnd(seed, 5) < 3 ? 4 : 6;
	if (o->netns) {
		unsigned ifx = rnd(seed, o->nifaces);
		if (!o->nsrc6)
			p->family = 4;
		/* the client's addresses of interface ifx: two each */
		p->saddr = addr_of(p->family == 4 ? o->src4[2 * ifx + rnd(seed, 2)]
						  : o->src6[2 * ifx + rnd(seed, 2)]);
		p->l4proto = rnd(seed, 2) ? IPPROTO_TCP : IPPROTO_UDP;
		p->dport = (uint16_t)(7000 + rnd(seed, 24));
		p->sport = 40000;
		snprintf(p->iif, sizeof(p->iif), "%s", o->ifaces[ifx]);
		return;
	}
	p->saddr = addr_of(p->family == 4 ? PICK(seed, near4) : PICK(seed, near6));
	p->daddr = addr_of(p->family == 4 ? PICK(seed, near4) : PICK(seed, near6));
	k = rnd(seed, 100);
	if (k < 30)
		p->l4proto = IPPROTO_TCP;
	else if (k < 60)
		p->l4proto = IPPROTO_UDP;
	else if (k < 70)
		p->l4proto = IPPROTO_SCTP;
	else if (k < 85)
		p->l4proto = p->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	else
		p->l4proto = (uint8_t[]){ 47, IPPROTO_ICMP, IPPROTO_ICMPV6, 0 }[rnd(seed, 4)];
	p->sport = PICK(seed, ports);
	p->dport = PICK(seed, ports);
	p->icmp_type = PICK(seed, types);
	snprintf(p->iif, sizeof(p->iif), "%s", PICK(seed, names));
	snprintf(p->oif, sizeof(p->oif), "%s", PICK(seed, names));
	k = rnd(seed, 100);
	p->ct = k < 85 ? IR_CT_NEW : k < 93 ? IR_CT_UNTRACKED
		: (enum ir_ct_state[]){ IR_CT_ESTABLISHED, IR_CT_RELATED, IR_CT_INVALID }[rnd(seed, 3)];
	p->dnat = rnd(seed, 4) == 0; /* ct status dnat (meaningless without an entry) */
}

const char *randpol_pkt_str(const struct ir_pkt *p)
{
	static char buf[256];
	char s[64], d[64];

	addr_format(p->family == 4 ? AF_V4 : AF_V6, p->saddr, s, sizeof(s));
	addr_format(p->family == 4 ? AF_V4 : AF_V6, p->daddr, d, sizeof(d));
	snprintf(buf, sizeof(buf), "ipv%d %s -> %s proto %u sport %u dport %u type %u iif '%s' oif '%s' ct %d%s",
		 p->family, s, d, p->l4proto, p->sport, p->dport, p->icmp_type, p->iif, p->oif,
		 (int)p->ct, p->dnat ? " dnat" : "");
	return buf;
}
