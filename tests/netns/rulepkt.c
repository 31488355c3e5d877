// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rulepkt: for tests/netns/explain.sh (not installed). Prints, for every
 * rule of a policy, the packets it is written for: one a line,
 *
 *   RULE CHAIN FAMILY PROTO SRC DST DPORT IFACE
 *
 * for each protocol and family the rule can match (no proto: tcp, udp and
 * the family's ICMP), addresses and ports taken from the rule (the first
 * of each list or set, a range's second address so that a network's own
 * address is not used), else the defaults 10.77.0.2 -> 10.77.0.1 and
 * fd77::2 -> fd77::1 (reversed in output), destination port 7999; ICMP is
 * an echo request, DPORT "-"; a rule with a source also gets the same
 * packets from the default source (RULE/other-src). IFACE: the rule's first iif (input) or oif
 * (output), a wildcard's prefix followed by 0, else eth0. Packets that
 * explain.sh cannot send from a namespace are printed as
 *
 *   skip RULE REASON
 *
 * (a source port, an ICMP type other than echo request, forward,
 * link-local, multicast or loopback addresses).
 */
#include <arpa/inet.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/policy.h"

static char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (!f)
		return NULL;
	buf = xmalloc(max + 1);
	*len = fread(buf, 1, max, f);
	fclose(f);
	return buf;
}

static int read_rel(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	char full[4096];

	snprintf(full, sizeof(full), "%s/%s", (const char *)ctx, path);
	*buf = slurp(full, max, len);
	return *buf ? 0 : -ENOENT;
}

/* An address of the field for family f, or false when it has none. */
static bool pick_addr(const struct paddr *pa, int f, u128 dflt, u128 *out)
{
	const struct ivlist *l = f == 4 ? &pa->v4 : &pa->v6;

	for (size_t i = 0; !l->n && i < pa->nrefs; i++)
		l = f == 4 ? &pa->refs[i]->v4 : &pa->refs[i]->v6;
	if (!pa->present) {
		*out = dflt;
		return true;
	}
	if (!l->n)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (dflt >= l->v[i].lo && dflt <= l->v[i].hi) {
			*out = dflt;
			return true;
		}
	*out = l->v[0].lo == l->v[0].hi ? l->v[0].lo : l->v[0].lo + 1;
	return true;
}

static const char *unsendable(int f, u128 a)
{
	if (f == 4) {
		uint32_t v = (uint32_t)a;
		if ((v >> 24) == 127 || (v >> 28) == 14 || v == 0)
			return "a loopback, multicast or zero IPv4 address";
		return NULL;
	}
	if ((a >> 118) == 0x3fa) /* fe80::/10 */
		return "a link-local IPv6 address";
	if ((a >> 120) == 0xff || a <= 1)
		return "a multicast, loopback or zero IPv6 address";
	return NULL;
}

static void put_addr(int f, u128 a)
{
	char buf[64];

	addr_format(f == 4 ? AF_V4 : AF_V6, a, buf, sizeof(buf));
	printf(" %s", buf);
}

static unsigned first_port(const struct pport *pp)
{
	if (!pp->present)
		return 7999;
	if (pp->lit.n)
		return (unsigned)pp->lit.v[0].lo;
	return (unsigned)pp->refs[0]->ports.v[0].lo;
}

static void iface_of(const struct pifname *pi, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", pi->present ? pi->names[0] : "eth0");
	n = strlen(buf);
	if (n && buf[n - 1] == '*')
		buf[n - 1] = '0';
}

static void one(const struct prule *r, int f, unsigned proto, bool other)
{
	u128 h = f == 4 ? 0x0a4d0001u : ((u128)0xfd77u << 112) | 1;
	u128 c = h + 1, s, d;
	bool out = r->chain == CH_OUTPUT;
	char ifn[32];
	const char *why;
	bool icmp = proto & P_ICMPS;

	if (!pick_addr(&r->src, f, out ? h : c, &s) || !pick_addr(&r->dst, f, out ? c : h, &d))
		return; /* the rule has no address of this family */
	if (other)
		s = out ? h : c;
	if ((why = unsendable(f, s)) || (why = unsendable(f, d))) {
		printf("skip %s %s\n", r->name, why);
		return;
	}
	if (icmp && r->has_icmp_type &&
	    !(f == 4 ? r->icmp4.n && r->icmp4.v[0].lo <= 8 && 8 <= r->icmp4.v[0].hi :
		       r->icmp6.n && r->icmp6.v[0].lo <= 128 && 128 <= r->icmp6.v[0].hi)) {
		printf("skip %s an ICMP type other than echo request\n", r->name);
		return;
	}
	iface_of(out ? &r->oif : &r->iif, ifn, sizeof(ifn));
	printf("%s%s %s %d %s", r->name, other ? "/other-src" : "", chain_name(r->chain), f,
	       icmp ? (f == 4 ? "icmp" : "icmpv6") : proto == P_TCP ? "tcp" : proto == P_UDP ? "udp" : "sctp");
	put_addr(f, s);
	put_addr(f, d);
	if (icmp)
		printf(" - %s\n", ifn);
	else
		printf(" %u %s\n", first_port(&r->dport), ifn);
}

static void rule(const struct prule *r)
{
	static const unsigned protos[] = { P_TCP, P_UDP, P_SCTP, P_ICMP, P_ICMPV6 };

	if (r->chain == CH_FORWARD) {
		printf("skip %s forward (the test has no router)\n", r->name);
		return;
	}
	if (r->sport.present) {
		printf("skip %s a source port (the probes cannot choose theirs)\n", r->name);
		return;
	}
	for (int f = 4; f <= 6; f += 2)
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
			unsigned p = protos[i], want = r->protos ? r->protos : P_TCP | P_UDP | P_ICMPS;
			if (!(want & p) || (p == P_ICMP && f == 6) || (p == P_ICMPV6 && f == 4))
				continue;
			if (p == P_SCTP) {
				printf("skip %s sctp (the probes speak tcp and udp)\n", r->name);
				continue;
			}
			one(r, f, p, false);
			if (r->src.present)
				one(r, f, p, true);
		}
}

int main(int argc, char **argv)
{
	struct policy pol;
	struct diags d = { 0 };
	struct policy_opts po = { .read_file = read_rel };
	size_t len;
	char *buf, *copy;

	if (argc != 2) {
		fprintf(stderr, "usage: rulepkt POLICY\n");
		return 2;
	}
	buf = slurp(argv[1], POLICY_MAX_FILE, &len);
	if (!buf) {
		perror(argv[1]);
		return 2;
	}
	copy = xstrdup(argv[1]);
	po.read_ctx = dirname(copy);
	if (policy_compile_buffer(argv[1], buf, len, &po, &pol, &d) < 0) {
		fprintf(stderr, "%s does not compile\n", argv[1]);
		return 1;
	}
	for (size_t i = 0; i < pol.nrules; i++)
		rule(&pol.rules[i]);
	diags_free(&d);
	policy_free(&pol);
	free(buf);
	free(copy);
	return 0;
}
