// SPDX-License-Identifier: GPL-2.0-or-later
/* shadow: warnings for rules that can never match, and no false ones. */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vigil/policy.h"
#include "vigil/util.h"

#define SETS                                                                                   \
	"version: 1\n"                                                                         \
	"sets:\n"                                                                              \
	"  admins: {type: cidr, elements: [192.0.2.0/24, \"2001:db8::/32\"]}\n"                \
	"  v4nets: {type: cidr, elements: [198.51.100.0/25]}\n"                                \
	"  v4more: {type: cidr, elements: [198.51.100.128/25]}\n"                              \
	"  web: {type: port, elements: [80, 443, 8000-8099]}\n"                                \
	"rules:\n"
/* then the rule using the sets (line 8), then the rules of a test, from line 9 */

/* The policy SETS + rules is valid, and its diagnostics are exactly want
 * (the sets are used by an unrelated first rule, so they draw no warning). */
static void warns(const char *rules, const char *want)
{
	_cleanup_free_ char *text = xasprintf(
		"%s  - {name: uses-sets, chain: forward, src: [\"@admins\", \"@v4nets\", "
		"\"@v4more\"], proto: tcp, dport: \"@web\", iif: zz9, action: drop}\n%s",
		SETS, rules);
	_cleanup_free_ char *out = NULL;
	struct policy pol;
	int r = check_text("p.yml", text, NULL, &pol, &out);

	policy_free(&pol);
	ck_assert_msg(r == 0, "policy invalid:\n%s\n%s", text, out);
	ck_assert_msg(streq(out, want), "for:\n%s\ngot:\n%s\nexpected:\n%s", text, out, want);
}

#define NEVER(line, b, a, aline, chain)                                                        \
	"p.yml:" #line ":5: warning: rule '" b "' can never match: rule '" a "' (line " #aline \
	") comes before it in chain " chain " and matches every packet it would\n"

START_TEST(covered)
{
	/* the same rule twice */
	warns("  - {name: a, chain: input, proto: tcp, dport: 22, action: drop}\n"
	      "  - {name: b, chain: input, proto: tcp, dport: 22, action: accept}\n",
	      NEVER(10, "b", "a", 9, "input"));
	/* accept covers a later drop too: a packet without a conntrack entry,
	 * which skips the accept rule (its mark needs one), meets the rule's
	 * untracked twin right after it */
	warns("  - {name: a, chain: input, proto: tcp, dport: 22, action: accept}\n"
	      "  - {name: b, chain: input, proto: tcp, dport: 22, action: accept, log: true}\n"
	      "  - {name: c, chain: input, proto: tcp, dport: 22, action: drop}\n",
	      NEVER(10, "b", "a", 9, "input") NEVER(11, "c", "a", 9, "input"));
	/* a prefix holds the address; a set holds the prefix, both families */
	warns("  - {name: a, chain: input, src: 192.0.2.0/24, action: drop}\n"
	      "  - {name: b, chain: input, src: 192.0.2.7, proto: udp, action: accept}\n"
	      "  - {name: c, chain: input, src: \"@admins\", action: drop}\n"
	      "  - {name: d, chain: input, src: [\"2001:db8:1::/48\", 192.0.2.128/25], "
	      "proto: tcp, dport: 22, action: accept}\n",
	      NEVER(10, "b", "a", 9, "input") NEVER(12, "d", "c", 11, "input"));
	/* any protocol covers tcp; a port set covers a port and a range in it */
	warns("  - {name: a, chain: output, dst: 203.0.113.1, action: reject}\n"
	      "  - {name: b, chain: output, dst: 203.0.113.1, proto: tcp, dport: 443, "
	      "action: accept}\n"
	      "  - {name: c, chain: output, proto: [tcp, udp], dport: \"@web\", action: accept}\n"
	      "  - {name: d, chain: output, proto: udp, dport: [8000-8010, 80], action: accept}\n",
	      NEVER(10, "b", "a", 9, "output") NEVER(12, "d", "c", 11, "output"));
	/* a wildcard covers the names it matches; a rule without fields covers all */
	warns("  - {name: a, chain: forward, iif: \"eth*\", oif: wg0, action: drop}\n"
	      "  - {name: b, chain: forward, iif: [eth0, eth1], oif: wg0, proto: udp, "
	      "action: accept}\n"
	      "  - {name: c, chain: forward, action: drop}\n"
	      "  - {name: d, chain: forward, src: 10.0.0.1, action: accept}\n",
	      NEVER(10, "b", "a", 9, "forward") NEVER(12, "d", "c", 11, "forward"));
	/* names longer than the 8 bytes shadow.c compares first; a port list
	 * covers a port of it */
	warns("  - {name: a, chain: forward, iif: \"vethabcdefgh*\", action: drop}\n"
	      "  - {name: b, chain: forward, iif: [vethabcdefgh1, \"vethabcdefgh2*\"], "
	      "action: accept}\n"
	      "  - {name: c, chain: input, iif: abcdefghijk, proto: tcp, dport: [22, 80], "
	      "action: drop}\n"
	      "  - {name: d, chain: input, iif: abcdefghijk, proto: tcp, dport: 80, action: drop}\n",
	      NEVER(10, "b", "a", 9, "forward") NEVER(12, "d", "c", 11, "input"));
	/* icmp types: a list covers its part; an IPv4-only rule covers icmp */
	warns("  - {name: a, chain: input, proto: [icmp, icmpv6], icmp-type: [echo-request, "
	      "destination-unreachable], action: accept}\n"
	      "  - {name: b, chain: input, proto: icmpv6, icmp-type: echo-request, action: accept}\n"
	      "  - {name: c, chain: input, src: 0.0.0.0/0, action: drop}\n"
	      "  - {name: d, chain: input, proto: icmp, src: 10.0.0.0/8, action: accept}\n",
	      NEVER(10, "b", "a", 9, "input") NEVER(12, "d", "c", 11, "input"));
}
END_TEST

START_TEST(not_covered)
{
	/* each later rule matches a packet the earlier one does not */
	warns("  - {name: a, chain: input, proto: tcp, dport: 22, action: accept}\n"
	      "  - {name: b, chain: output, proto: tcp, dport: 22, action: drop}\n"
	      "  - {name: c, chain: input, proto: udp, dport: 22, action: drop}\n"
	      "  - {name: d, chain: input, proto: [tcp, udp], dport: 22, action: drop}\n"
	      "  - {name: e, chain: input, proto: tcp, dport: [22, 23], action: drop}\n"
	      "  - {name: f, chain: input, proto: tcp, action: drop}\n",
	      "");
	warns("  - {name: a, chain: input, src: 192.0.2.7, action: drop}\n"
	      "  - {name: b, chain: input, src: 192.0.2.0/24, action: drop}\n"
	      "  - {name: c, chain: input, src: 192.0.0.0/16, dst: 192.0.2.1, action: drop}\n"
	      "  - {name: d, chain: input, action: drop}\n",
	      "");
	/* names that differ past the first 8 bytes, or in them, or in length;
	 * a port between two of a list's ports is not in it */
	warns("  - {name: a, chain: forward, iif: \"vethabcdefgh*\", action: drop}\n"
	      "  - {name: b, chain: forward, iif: \"vethabcdefgX*\", action: drop}\n"
	      "  - {name: c, chain: forward, iif: vethabcdefg, action: drop}\n"
	      "  - {name: d, chain: forward, iif: vethabcdXfgh1, action: drop}\n"
	      "  - {name: e, chain: forward, iif: vethabcXefgh1, action: drop}\n"
	      "  - {name: f, chain: input, iif: abcdefghij, action: drop}\n"
	      "  - {name: g, chain: input, iif: abcdefghijk, action: drop}\n"
	      "  - {name: h, chain: output, proto: tcp, dport: [22, 80], action: drop}\n"
	      "  - {name: i, chain: output, proto: tcp, dport: 23, action: drop}\n"
	      "  - {name: j, chain: output, proto: tcp, sport: 1024-2047, action: drop}\n"
	      "  - {name: k, chain: output, proto: tcp, sport: 2000-2100, action: drop}\n",
	      "");
	/* IPv4-only covers nothing of a rule that matches IPv6 too */
	warns("  - {name: a, chain: input, src: 0.0.0.0/0, action: drop}\n"
	      "  - {name: b, chain: input, proto: tcp, action: drop}\n"
	      "  - {name: c, chain: input, src: \"@admins\", action: drop}\n",
	      "");
	/* proto icmp alone is not IPv4 only: the kernel rule is `meta l4proto
	 * icmp`, and an IPv6 packet can carry protocol 1 */
	warns("  - {name: a, chain: input, src: 0.0.0.0/0, action: drop}\n"
	      "  - {name: b, chain: input, proto: icmp, action: reject}\n",
	      "");
	/* an exact name does not cover a wildcard; icmp types need icmp types */
	warns("  - {name: a, chain: forward, iif: eth0, action: drop}\n"
	      "  - {name: b, chain: forward, iif: \"eth*\", action: drop}\n"
	      "  - {name: c, chain: input, proto: icmp, icmp-type: echo-request, action: drop}\n"
	      "  - {name: d, chain: input, proto: icmp, action: drop}\n",
	      "");
	/* not noticed (a warning only when certain): a prefix split across two
	 * sets, each holding half of it */
	warns("  - {name: a, chain: input, src: [\"@v4nets\", \"@v4more\"], action: drop}\n"
	      "  - {name: b, chain: input, src: 198.51.100.0/24, action: drop}\n",
	      "");
	/* forward has no built-in loopback or neighbour discovery rule */
	warns("  - {name: a, chain: forward, iif: lo, action: drop}\n"
	      "  - {name: b, chain: forward, proto: icmpv6, icmp-type: nd-neighbor-solicit, "
	      "action: drop}\n",
	      "");
}
END_TEST

START_TEST(builtins)
{
	warns("  - {name: a, chain: input, iif: lo, proto: tcp, dport: 7000, action: accept}\n"
	      "  - {name: b, chain: output, oif: lo, action: drop}\n"
	      "  - {name: c, chain: output, oif: \"l*\", action: drop}\n"
	      "  - {name: d, chain: input, iif: [lo, eth0], action: drop}\n",
	      "p.yml:9:5: warning: rule 'a' can never match: vigild's built-in rule "
	      "'vigil:loopback' accepts every packet on lo earlier in chain input\n"
	      "p.yml:10:5: warning: rule 'b' can never match: vigild's built-in rule "
	      "'vigil:loopback' accepts every packet on lo earlier in chain output\n");
	warns("  - {name: a, chain: input, proto: icmpv6, icmp-type: [nd-neighbor-solicit, "
	      "nd-neighbor-advert], action: drop}\n"
	      "  - {name: b, chain: output, proto: icmpv6, icmp-type: [echo-request, "
	      "nd-router-solicit], action: drop}\n"
	      "  - {name: c, chain: input, proto: icmpv6, icmp-type: echo-request, action: drop}\n",
	      "p.yml:9:5: warning: rule 'a' can never match: vigild's built-in rule "
	      "'vigil:icmpv6-nd' accepts nd-neighbor-solicit, nd-neighbor-advert earlier in "
	      "chain input, which IPv6 needs to work\n"
	      "p.yml:10:5: warning: rule 'b': icmpv6 nd-router-solicit never reaches it: vigild's "
	      "built-in rule 'vigil:icmpv6-nd' accepts it earlier in chain output, which IPv6 "
	      "needs to work\n");
}
END_TEST

/* Past 2,048 rules in a chain, only the built-in rules are compared. */
START_TEST(long_chains)
{
	struct strbuf sb = { 0 };
	_cleanup_free_ char *text = NULL, *out = NULL;
	struct policy pol;

	sb_puts(&sb, "version: 1\nrules:\n");
	for (unsigned i = 0; i < 2049; i++)
		sb_printf(&sb, "  - {name: r%u, chain: input, src: 10.0.%u.%u, action: drop}\n", i,
			  i / 250, i % 250);
	sb_puts(&sb, "  - {name: dup, chain: input, src: 10.0.0.0, action: drop}\n"
		     "  - {name: lo, chain: input, iif: lo, action: drop}\n");
	text = sb_take(&sb);
	ck_assert_int_eq(check_text("p.yml", text, NULL, &pol, &out), 0);
	policy_free(&pol);
	ck_assert_msg(streq(out, "p.yml:2053:5: warning: rule 'lo' can never match: vigild's "
				 "built-in rule 'vigil:loopback' accepts every packet on lo "
				 "earlier in chain input\n"),
		      "%s", out);
}
END_TEST

/* The reference for index_equals_pairs: does pattern a match every name b does? */
static bool ref_ifcovers(const char *a, const char *b)
{
	size_t la = strlen(a);

	return la && a[la - 1] == '*' ? strncmp(a, b, la - 1) == 0 : strcmp(a, b) == 0;
}

struct rrule {
	const char *ifs[2];
	unsigned nifs;   /* 0: no iif */
	unsigned ports[2];
	unsigned nports; /* 0: no dport */
};

static bool ref_covers(const struct rrule *a, const struct rrule *b)
{
	if (a->nifs) {
		if (!b->nifs)
			return false;
		for (unsigned i = 0; i < b->nifs; i++) {
			bool in = false;
			for (unsigned k = 0; k < a->nifs; k++)
				in = in || ref_ifcovers(a->ifs[k], b->ifs[i]);
			if (!in)
				return false;
		}
	}
	if (a->nports) {
		if (!b->nports)
			return false;
		for (unsigned i = 0; i < b->nports; i++)
			if (b->ports[i] != a->ports[0] && (a->nports < 2 || b->ports[i] != a->ports[1]))
				return false;
	}
	return true;
}

/* Long chains of interface names and ports, against every pair compared
 * by a reference: shadow.c's index of names finds the same first cover. */
START_TEST(index_equals_pairs)
{
	static const char *const pool[] = {
		"eth*", "eth1*", "eth12", "eth1", "veth*", "v*", "wg0", "vethabcdefgh*",
		"vethabcdefgh1", "vethabcdefgh12*", "vethabcdefgX*", "vethabcdXfgh1", "x",
		"vethabcdefgh123", "veth-a*", "veth-a1",
	};
	static const unsigned ports[] = { 22, 80, 443 };

	for (unsigned seed = 1; seed <= 40; seed++) {
		unsigned rs = seed;
		struct rrule R[70];
		struct strbuf y = { 0 }, want = { 0 };
		unsigned n = 40 + (unsigned)rand_r(&rs) % 30;

		for (unsigned i = 0; i < n; i++) {
			struct rrule *r = &R[i];
			memset(r, 0, sizeof(*r));
			r->nifs = (unsigned)rand_r(&rs) % 5 == 0 ? 0 : 1 + (unsigned)rand_r(&rs) % 2;
			for (unsigned k = 0; k < r->nifs; k++)
				r->ifs[k] = pool[(unsigned)rand_r(&rs) % ARRAY_SIZE(pool)];
			if (r->nifs == 2 && streq(r->ifs[0], r->ifs[1]))
				r->nifs = 1;
			r->nports = (unsigned)rand_r(&rs) % 3;
			r->ports[0] = ports[(unsigned)rand_r(&rs) % 3];
			r->ports[1] = ports[(unsigned)rand_r(&rs) % 3];
			if (r->nports == 2 && r->ports[0] == r->ports[1])
				r->nports = 1;
			sb_printf(&y, "  - {name: r%u, chain: input, proto: tcp", i);
			if (r->nifs == 1)
				sb_printf(&y, ", iif: \"%s\"", r->ifs[0]);
			if (r->nifs == 2)
				sb_printf(&y, ", iif: [\"%s\", \"%s\"]", r->ifs[0], r->ifs[1]);
			if (r->nports == 1)
				sb_printf(&y, ", dport: %u", r->ports[0]);
			if (r->nports == 2)
				sb_printf(&y, ", dport: [%u, %u]", r->ports[0], r->ports[1]);
			sb_puts(&y, ", action: drop}\n");
			for (unsigned k = 0; k < i; k++)
				if (ref_covers(&R[k], r)) {
					sb_printf(&want,
						  "p.yml:%u:5: warning: rule 'r%u' can never match: rule 'r%u' (line %u) comes before it in chain input and matches every packet it would\n",
						  9 + i, i, k, 9 + k);
					break;
				}
		}
		_cleanup_free_ char *rules = sb_take(&y);
		_cleanup_free_ char *expect_txt = sb_take(&want);
		warns(rules, expect_txt ? expect_txt : "");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shadow");
	TCase *tc = tcase_create("shadow");

	tcase_add_test(tc, covered);
	tcase_add_test(tc, not_covered);
	tcase_add_test(tc, builtins);
	tcase_add_test(tc, long_chains);
	tcase_add_test(tc, index_equals_pairs);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
