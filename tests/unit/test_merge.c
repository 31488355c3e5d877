// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The merge pass must not change what a policy does. The shared evaluator
 * (eval.h) walks the compiled IR the way the kernel walks the ruleset
 * (first match wins; vmap lookups go to the per-rule chain) and random
 * packets go through the merged and the unmerged compilation of random
 * policies, and through the policy as written: the verdict and the policy
 * rule that decided must be the same every time.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vigil/eval.h"
#include "vigil/ir.h"
#include "vigil/render.h"

/* A packet's fate in one base chain of a compiled table (eval.h). */
static void walk(const struct ir_table *t, enum chain_id c, const struct ir_pkt *p,
		 struct ir_outcome *o)
{
	ck_assert_int_eq(ir_eval(t, c, p, o), 0);
}

/* The same verdict by the same policy rule (or built-in rule, by name, or
 * the chain's default), with the same conntrack mark and log. */
static bool same_outcome(const struct ir_outcome *a, const struct ir_outcome *b)
{
	if (a->verdict != b->verdict || a->policy != b->policy || a->origin != b->origin)
		return false;
	if (a->marked != b->marked || a->mark != b->mark || a->logged != b->logged)
		return false;
	if (a->origin < 0 && !a->policy)
		return strcmp(a->comment, b->comment) == 0;
	return true;
}

/* ---- random policies ---- */

static unsigned seed;

static unsigned rnd(unsigned n)
{
	return (unsigned)rand_r(&seed) % n;
}

static const char *const v4pool[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.0/24",
				      "10.0.1.0/24", "10.0.0.0/16", "192.0.2.7", "192.0.2.16/28",
				      "10.0.2.0/24", "10.0.3.0/25", "0.0.0.0/0" };
static const char *const v6pool[] = { "2001:db8::1", "2001:db8::2", "2001:db8::/64",
				      "2001:db8:1::/48", "fd00::9", "::/0" };
static const char *const portpool[] = { "22", "23", "80", "443", "1000-2000", "1500", "53",
					"0-1023" };
static const char *const ifpool[] = { "eth0", "eth1", "wg0", "eth*" };

/* fam: 4, 6, or 0 for both (then the list holds at least one of each, so
 * src and dst always share a family) */
static void pick_addrs(struct strbuf *sb, const char *key, int fam)
{
	unsigned n = (fam ? 1 : 2) + rnd(3);

	sb_printf(sb, ", %s: [", key);
	for (unsigned i = 0; i < n; i++) {
		bool six = fam == 6 || (fam == 0 && (i == 1 || (i > 1 && rnd(3) == 0)));
		sb_printf(sb, "%s\"%s\"", i ? ", " : "",
			  six ? v6pool[rnd(ARRAY_SIZE(v6pool))] : v4pool[rnd(ARRAY_SIZE(v4pool))]);
	}
	sb_puts(sb, "]");
}

/*
 * Rules come in groups that share a shape (the same fields, protocol and
 * chain) with values drawn from small pools, so runs form often and
 * overlap now and then, as in real policies.
 */
struct shape_tpl {
	bool fwd, src, dst, ports, sport, iif;
	int fam;
	const char *proto;
};

static void random_tpl(struct shape_tpl *t)
{
	static const char *const protos[] = { "tcp", "udp", "[tcp, udp]", "sctp" };

	t->fwd = rnd(5) == 0;
	t->src = rnd(4) != 0;
	t->dst = rnd(4) == 0;
	t->ports = rnd(5) != 0;
	t->sport = rnd(6) == 0;
	t->iif = rnd(6) == 0;
	t->fam = (int[]){ 4, 4, 6, 0 }[rnd(4)];
	t->proto = protos[rnd(ARRAY_SIZE(protos))];
}

/*
 * Rules come in groups that share a shape (the same fields, protocol and
 * chain), drawn from a few templates per policy, with values from small
 * pools: runs form often, overlap now and then, and IPv4, IPv6 and
 * family-less groups interleave, as in real policies.
 */
static char *random_policy(unsigned nrules)
{
	struct strbuf sb = { 0 };
	static const char *const acts[] = { "accept", "drop", "reject" };
	struct shape_tpl tpl[4];
	unsigned ntpl = 2 + rnd(3), i = 0;

	for (unsigned k = 0; k < ntpl; k++)
		random_tpl(&tpl[k]);
	sb_puts(&sb, "version: 1\nrules:\n");
	while (i < nrules) {
		unsigned group = 1 + rnd(10);
		const struct shape_tpl *t = &tpl[rnd(ntpl)];

		for (unsigned g = 0; g < group && i < nrules; g++, i++) {
			sb_printf(&sb, "  - {name: r%u, chain: %s, action: %s", i,
				  t->fwd ? "forward" : "input", acts[rnd(3)]);
			if (t->src)
				pick_addrs(&sb, "src", t->fam);
			if (t->dst)
				pick_addrs(&sb, "dst", t->fam);
			if (t->ports) {
				sb_printf(&sb, ", proto: %s, dport: \"%s\"", t->proto,
					  portpool[rnd(ARRAY_SIZE(portpool))]);
				if (t->sport)
					sb_printf(&sb, ", sport: \"%s\"", portpool[rnd(ARRAY_SIZE(portpool))]);
			}
			if (t->iif)
				sb_printf(&sb, ", iif: %s", ifpool[rnd(ARRAY_SIZE(ifpool))]);
			sb_puts(&sb, "}\n");
		}
	}
	return sb_take(&sb);
}

static u128 addr_near(int fam)
{
	static const u128 v4[] = { 0x0a000001, 0x0a000002, 0x0a000003, 0x0a0000ff, 0x0a000100,
				   0x0a0001ff, 0x0a00ffff, 0x0a010000, 0xc0000207, 0xc0000210,
				   0x01020304 };
	if (fam == 4)
		return v4[rnd(ARRAY_SIZE(v4))];
	u128 base = (u128)0x20010db8u << 96;
	switch (rnd(6)) {
	case 0:
		return base | 1;
	case 1:
		return base | 2;
	case 2:
		return base | ((u128)1 << 80);
	case 3:
		return base | ((u128)0xffff << 64);
	case 4:
		return ((u128)0xfd00u << 112) | 9;
	default:
		return base | ((u128)1 << 64) | 7;
	}
}

static void random_packet(struct ir_pkt *p)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP };
	static const uint16_t ports[] = { 22, 23, 53, 80, 443, 999, 1000, 1500, 2000, 2001, 1023,
					  1024, 0, 65535 };
	static const char *const ifs[] = { "eth0", "eth1", "eth2", "wg0", "lo0" };

	memset(p, 0, sizeof(*p));
	p->family = rnd(3) ? 4 : 6;
	p->saddr = addr_near(p->family);
	p->daddr = addr_near(p->family);
	p->l4proto = protos[rnd(ARRAY_SIZE(protos))];
	p->sport = ports[rnd(ARRAY_SIZE(ports))];
	p->dport = ports[rnd(ARRAY_SIZE(ports))];
	snprintf(p->iif, sizeof(p->iif), "%s", ifs[rnd(ARRAY_SIZE(ifs))]);
	snprintf(p->oif, sizeof(p->oif), "%s", ifs[rnd(ARRAY_SIZE(ifs))]);
}

/* Mostly new connections; now and then one without a conntrack entry (the
 * untracked twins decide), or one the built-in rules decide. */
static enum ir_ct_state random_ct(void)
{
	static const enum ir_ct_state st[] = { IR_CT_UNTRACKED, IR_CT_UNTRACKED, IR_CT_ESTABLISHED,
					       IR_CT_RELATED, IR_CT_INVALID };
	unsigned k = rnd(16);

	return k < ARRAY_SIZE(st) ? st[k] : IR_CT_NEW;
}

static void compile_with(const char *yaml, size_t merge_min, struct policy *pol, struct ir_table *t)
{
	struct diags d = { 0 };
	struct ir_opts o = { .merge_min = merge_min };
	int r = policy_compile_buffer("random.yml", yaml, strlen(yaml), NULL, pol, &d);

	if (r < 0) {
		char *txt = diags_text(&d);
		ck_abort_msg("random policy does not compile:\n%s\n%s", txt, yaml);
	}
	diags_free(&d);
	ir_compile(pol, &o, t);
}

START_TEST(merged_equals_linear)
{
	unsigned policies = 0, merged_rules = 0;

	seed = 4242;
	for (int round = 0; round < 600; round++) {
		_cleanup_free_ char *yaml = random_policy(8 + rnd(40));
		struct policy p1, p2;
		struct ir_table lin, mer;

		compile_with(yaml, SIZE_MAX, &p1, &lin);
		compile_with(yaml, 2, &p2, &mer);
		ck_assert_uint_eq(lin.nmerged, 0);
		merged_rules += (unsigned)mer.nmerged;
		policies++;
		for (int k = 0; k < 400; k++) {
			struct ir_pkt p;
			struct ir_outcome a, b, ref;
			random_packet(&p);
			p.ct = random_ct();
			for (int c = 0; c < CH_MAX; c++) {
				walk(&lin, c, &p, &a);
				walk(&mer, c, &p, &b);
				ck_assert_int_eq(ir_eval_policy(&p1, c, &p, &ref), 0);
				ck_assert_msg(same_outcome(&a, &b) && same_outcome(&a, &ref),
					      "chain %d: linear says %d by rule %d, merged %d by rule %d, the policy %d by rule %d\n%s",
					      c, a.verdict, a.origin, b.verdict, b.origin, ref.verdict,
					      ref.origin, yaml);
			}
		}
		ir_table_free(&lin);
		ir_table_free(&mer);
		policy_free(&p1);
		policy_free(&p2);
	}
	/* the test means something only if merging happened a lot */
	ck_assert_msg(merged_rules > policies * 4, "only %u rules merged in %u policies",
		      merged_rules, policies);
}
END_TEST

/*
 * The shadow warnings (shadow.c) are never wrong: a rule said to be unable
 * to match is never the first match of any packet, in the linear
 * compilation, across random policies whose rules overlap often.
 */
START_TEST(shadow_warnings_are_true)
{
	unsigned warned = 0, decided = 0;

	seed = 777;
	for (int round = 0; round < 600; round++) {
		_cleanup_free_ char *yaml = random_policy(8 + rnd(40));
		_cleanup_free_ char *txt = NULL;
		_cleanup_free_ bool *dead = NULL;
		struct diags d = { 0 };
		struct ir_opts o = { .merge_min = SIZE_MAX };
		struct policy pol;
		struct ir_table lin;
		const char *w;

		ck_assert_int_eq(policy_compile_buffer("random.yml", yaml, strlen(yaml), NULL, &pol,
						       &d), 0);
		txt = diags_text(&d);
		diags_free(&d);
		dead = xcalloc(pol.nrules, sizeof(*dead));
		for (w = txt; (w = strstr(w, "warning: rule 'r")); w++) {
			unsigned i = (unsigned)strtoul(w + 16, NULL, 10);
			if (strstr(w, "can never match") && i < pol.nrules && !dead[i]) {
				dead[i] = true;
				warned++;
			}
		}
		ir_compile(&pol, &o, &lin);
		for (int k = 0; k < 400; k++) {
			struct ir_pkt p;
			struct ir_outcome a;
			random_packet(&p);
			for (int c = 0; c < CH_MAX; c++) {
				walk(&lin, c, &p, &a);
				if (a.origin < 0)
					continue;
				decided++;
				ck_assert_msg(!dead[a.origin],
					      "rule r%d was said never to match, yet decides a packet\n%.1500s\n%.2500s",
					      a.origin, txt, yaml);
			}
		}
		ir_table_free(&lin);
		policy_free(&pol);
	}
	/* meaningful only if many rules were warned about and many packets decided */
	ck_assert_msg(warned > 600 && decided > 50000, "%u warnings, %u decisions", warned,
		      decided);
}
END_TEST

START_TEST(overlapping_rules_split_runs)
{
	/* r2 overlaps r1 (10.1.0.0/16 is inside 10.0.0.0/8) and must keep
	 * losing to it: the run ends before r2 */
	static const char yaml[] =
		"version: 1\nrules:\n"
		"  - {name: r0, chain: input, src: 192.0.2.1, proto: tcp, dport: 1, action: accept}\n"
		"  - {name: r1, chain: input, src: 10.0.0.0/8, proto: tcp, dport: 22, action: drop}\n"
		"  - {name: r2, chain: input, src: 10.1.0.0/16, proto: tcp, dport: 22, action: accept}\n"
		"  - {name: r3, chain: input, src: 192.0.2.3, proto: tcp, dport: 3, action: accept}\n";
	struct policy pol;
	struct ir_table t;
	struct ir_pkt p = { .family = 4, .saddr = 0x0a010203, .l4proto = IPPROTO_TCP, .dport = 22 };
	struct ir_outcome o;

	compile_with(yaml, 2, &pol, &t);
	walk(&t, CH_INPUT, &p, &o);
	ck_assert_int_eq(o.verdict, IV_DROP);
	ck_assert_int_eq(o.origin, 1);
	/* two maps: {r0, r1} and {r2, r3} */
	unsigned maps = 0;
	for (size_t i = 0; i < t.nsets; i++)
		maps += t.sets[i]->vmap;
	ck_assert_uint_eq(maps, 2);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(threshold_and_families)
{
	/* 8 rules, each IPv4 and IPv6: two maps of 8; with 7 rules, none */
	struct strbuf sb = { 0 };
	struct policy pol;
	struct ir_table t;

	for (int n = 7; n <= 8; n++) {
		sb_puts(&sb, "version: 1\nrules:\n");
		for (int i = 0; i < n; i++)
			sb_printf(&sb,
				  "  - {name: r%d, chain: input, src: [10.0.0.%d, \"2001:db8::%d\"], proto: udp, dport: %d, action: accept}\n",
				  i, i + 1, i + 1, 100 + i);
		_cleanup_free_ char *yaml = sb_take(&sb);
		compile_with(yaml, 0, &pol, &t);
		ck_assert_uint_eq(t.nmerged, n == 8 ? 16 : 0);
		if (n == 8) {
			ck_assert_uint_eq(t.nchains, CH_MAX + 8); /* one chain per policy rule */
			/* input: 4 built-ins, 2 dispatch rules, the default rule */
			ck_assert_uint_eq(t.chains[CH_INPUT].n, 7);
		}
		ir_table_free(&t);
		policy_free(&pol);
	}
}
END_TEST

START_TEST(named_sets_and_wildcards_stay_rules)
{
	struct strbuf sb = { 0 };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nsets:\n  a: {type: cidr, elements: [10.0.0.0/8]}\nrules:\n");
	for (int i = 0; i < 10; i++)
		sb_printf(&sb, "  - {name: s%d, chain: input, src: \"@a\", proto: tcp, dport: %d, action: drop}\n",
			  i, i + 1);
	for (int i = 0; i < 10; i++)
		sb_printf(&sb, "  - {name: w%d, chain: input, iif: \"eth%d*\", action: drop}\n", i, i);
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_with(yaml, 0, &pol, &t);
	ck_assert_uint_eq(t.nmerged, 0);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(ten_thousand_rules_one_lookup)
{
	struct strbuf sb = { 0 };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nrules:\n");
	for (int i = 0; i < 10000; i++)
		sb_printf(&sb, "  - {name: d%d, chain: input, src: 10.%d.%d.%d, proto: udp, dport: %d, action: drop}\n",
			  i, i >> 16 & 255, i >> 8 & 255, i & 255, 1024 + i);
	sb_puts(&sb, "  - {name: ok, chain: input, proto: udp, dport: 9, action: accept}\n");
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_with(yaml, 0, &pol, &t);
	ck_assert_uint_eq(t.nmerged, 10000);
	/* input: 4 built-ins, one lookup, the accept rule and its untracked
	 * twin, the default */
	ck_assert_uint_eq(t.chains[CH_INPUT].n, 8);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, merged_equals_linear);
	tcase_add_test(tc, shadow_warnings_are_true);
	tcase_add_test(tc, overlapping_rules_split_runs);
	tcase_add_test(tc, threshold_and_families);
	tcase_add_test(tc, named_sets_and_wildcards_stay_rules);
	tcase_add_test(tc, ten_thousand_rules_one_lookup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
