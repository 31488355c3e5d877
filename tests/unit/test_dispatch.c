// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decision trees (dispatch.c) give the same answer as a linear walk.
 *
 * Random policies of mixed shapes (randpol.c: named sets, wildcards,
 * ranges, lists, both families, ICMP types, every chain) compile with
 * trees forced on every chain of more than two kernel rules, under
 * several bounds; random packets near their values go through the
 * compiled table (ir_eval, as the kernel walks it) and through the policy
 * as written (ir_eval_policy). The verdict, the deciding policy rule (or
 * built-in rule), the conntrack mark and the log must be the same for
 * every packet; no walk may be longer than the worst path `check`
 * reports; the bounds on copies and size must hold.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "randpol.h"
#include "unit.h"
#include "vigil/eval.h"
#include "vigil/render.h"

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

static void compile_opts(const char *yaml, const struct ir_opts *o, struct policy *pol,
			 struct ir_table *t)
{
	struct diags d = { 0 };

	if (policy_compile_buffer("random.yml", yaml, strlen(yaml), NULL, pol, &d) < 0) {
		_cleanup_free_ char *txt = diags_text(&d);
		fprintf(stderr, "%s\n", yaml);
		ck_abort_msg("random policy does not compile:\n%.2000s", txt);
	}
	diags_free(&d);
	ir_compile(pol, o, t);
}

static bool is_dispatch_chain(const struct ir_table *t, int c)
{
	return c >= CH_MAX && strncmp(t->chains[c].name, "dispatch.", 9) == 0;
}

/* Kernel rules per policy rule. */
static void count_origins(const struct ir_table *t, unsigned *n, size_t nrules)
{
	memset(n, 0, nrules * sizeof(*n));
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			if (t->chains[c].rules[i].origin >= 0)
				n[t->chains[c].rules[i].origin]++;
}

struct tally {
	unsigned policies, trees, fallbacks, packets, in_leaf, deferred_checks;
};

/* One policy: its trees against the policy, packet by packet. */
static void one_policy(unsigned *seed, const struct randpol_opts *ro, struct tally *T)
{
	static const unsigned copies[] = { 64, 64, 4, 2 }, growth[] = { 4, 4, 2, 1 };
	_cleanup_free_ char *yaml = randpol_policy(seed, ro);
	unsigned k = (unsigned)rand_r(seed) % 4;
	struct ir_opts lin_o = { .dispatch_min = SIZE_MAX };
	struct ir_opts o = { .dispatch_min = 2, .dispatch_copies = copies[k],
			     .dispatch_growth = growth[k],
			     .merge_min = (size_t[]){ 0, SIZE_MAX, 2 }[rand_r(seed) % 3] };
	struct policy pol, pol2;
	struct ir_table t, lin;

	compile_opts(yaml, &o, &pol, &t);
	compile_opts(yaml, &lin_o, &pol2, &lin);
	T->policies++;
	T->trees += (unsigned)t.ndispatch;
	T->fallbacks += (unsigned)t.warnings.n;

	/* bounds: no policy rule has more kernel rules than copies x its
	 * linear ones; the table is at most growth x the linear one (plus
	 * the lookups of merged runs, the same in both) */
	_cleanup_free_ unsigned *nt = xcalloc(pol.nrules + 1, sizeof(*nt));
	_cleanup_free_ unsigned *nl = xcalloc(pol.nrules + 1, sizeof(*nl));
	count_origins(&t, nt, pol.nrules);
	count_origins(&lin, nl, pol.nrules);
	for (size_t r = 0; r < pol.nrules; r++)
		ck_assert_msg(nt[r] <= nl[r] * o.dispatch_copies,
			      "rule r%zu: %u kernel rules, %u linear, copies %u\n%.3000s", r, nt[r], nl[r],
			      o.dispatch_copies, yaml);
	ck_assert_msg(t.nrules <= lin.nrules * o.dispatch_growth + 8,
		      "%zu kernel rules, %zu linear\n%.3000s", t.nrules, lin.nrules, yaml);
	/* a chain left linear after a warning has no lookup of its own */
	if (t.warnings.n)
		ck_assert_uint_gt(t.warnings.v[0].line, 0);

	for (int n = 0; n < 1000; n++) {
		struct ir_pkt p;
		randpol_packet(seed, ro, &p);
		for (int c = 0; c < CH_MAX; c++) {
			struct ir_outcome a, ref;
			int r = ir_eval(&t, c, &p, &a);
			expect(r == 0, "ir_eval: %d\n%.3000s", r, yaml);
			expect(ir_eval_policy(&pol, c, &p, &ref) == 0, "ir_eval_policy");
			if (!same_outcome(&a, &ref)) {
				struct strbuf sb = { 0 };
				/* the whole story on stderr; Check's message is short */
				render_table(&sb, &t, &pol);
				fprintf(stderr, "%s\n%s\n", yaml, sb.s);
				sb_free(&sb);
				ck_abort_msg("chain %d, packet %s: the tree says %d by rule %d (%s), the policy %d by rule %d (%s)",
					     c, randpol_pkt_str(&p), a.verdict, a.origin,
					     a.comment ? a.comment : "-", ref.verdict, ref.origin,
					     ref.comment ? ref.comment : "-");
			}
			expect(a.walked <= t.worst[c], "walked %u > worst path %zu\n%.3000s", a.walked,
			       t.worst[c], yaml);
			T->packets++;
			T->in_leaf += !a.policy && is_dispatch_chain(&t, a.chain);
		}
	}
	ir_table_free(&t);
	ir_table_free(&lin);
	policy_free(&pol);
	policy_free(&pol2);
}

START_TEST(trees_equal_linear)
{
	struct randpol_opts ro = { .min_rules = 8, .max_rules = 60 };
	struct tally T = { 0 };
	unsigned seed = 20251123;

	for (int i = 0; i < 1000; i++)
		one_policy(&seed, &ro, &T);
	printf("# %u policies, %u lookups, %u chains left linear, %u decisions (%u in a leaf)\n",
	       T.policies, T.trees, T.fallbacks, T.packets, T.in_leaf);
	/* meaningful only if trees formed, decided, and the bounds bit */
	ck_assert_uint_ge(T.policies, 1000);
	ck_assert_uint_ge(T.packets, 1000u * 1000u * CH_MAX);
	ck_assert_uint_gt(T.trees, T.policies * 2);
	ck_assert_uint_gt(T.in_leaf, T.packets / 10);
	ck_assert_uint_gt(T.fallbacks, 10);
}
END_TEST

/* ---- shapes, by hand ---- */

static void compile_default(const char *yaml, struct policy *pol, struct ir_table *t)
{
	compile_opts(yaml, NULL, pol, t);
}

static unsigned maps_on(const struct ir_table *t, enum ir_key k)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->nsets; i++)
		n += t->sets[i]->vmap && t->sets[i]->jump && t->sets[i]->fields[0].key == k;
	return n;
}

START_TEST(named_sets_dispatch_on_ports)
{
	struct strbuf sb = { 0 };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nsets:\n");
	for (int i = 0; i < 100; i++)
		sb_printf(&sb, "  team%d: {type: cidr, elements: [10.%d.0.0/16, \"fd00:%x::/32\"]}\n", i, i, i);
	sb_puts(&sb, "rules:\n");
	for (int i = 0; i < 100; i++)
		sb_printf(&sb, "  - {name: t%d, chain: input, proto: udp, src: \"@team%d\", dport: %d, action: drop}\n",
			  i, i, 1000 + i);
	sb_puts(&sb, "  - {name: pass, chain: input, proto: udp, dport: 9, action: accept}\n");
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_default(yaml, &pol, &t);
	ck_assert_uint_eq(maps_on(&t, K_DPORT), 1);
	/* 4 built-ins, the lookup, a leaf of 2 (IPv4, IPv6), the default */
	ck_assert_uint_eq(t.worst[CH_INPUT], 8);
	/* the named sets are still looked up, inside the leaves */
	for (size_t i = 0; i < t.nsets; i++)
		ck_assert(t.sets[i]->vmap || !t.sets[i]->anonymous);
	struct ir_pkt p = { .family = 6, .l4proto = IPPROTO_UDP, .dport = 1042,
			    .saddr = ((u128)0xfd00002au << 96) | 5 };
	struct ir_outcome o;
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert_int_eq(o.origin, 42);
	ck_assert(is_dispatch_chain(&t, o.chain));
	ck_assert_uint_le(o.walked, 8);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(wildcards_dispatch_on_names)
{
	struct strbuf sb = { 0 };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nrules:\n");
	for (int i = 0; i < 200; i++)
		sb_printf(&sb, "  - {name: w%d, chain: input, iif: \"veth%03d*\", action: drop}\n", i, i);
	sb_puts(&sb, "  - {name: pass, chain: input, proto: udp, dport: 9, action: accept}\n");
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_default(yaml, &pol, &t);
	ck_assert_uint_eq(maps_on(&t, K_IIFNAME), 1);
	ck_assert_uint_le(t.worst[CH_INPUT], 9);
	struct ir_pkt p = { .family = 4, .l4proto = IPPROTO_UDP, .dport = 9 };
	struct ir_outcome o;
	memcpy(p.iif, "veth123x", 9);
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert_int_eq(o.origin, 123);
	memcpy(p.iif, "veth12", 7); /* no rule's prefix: on to 'pass' */
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert_int_eq(o.origin, 200);
	/* every element starts with "veth": the lookup is guarded by it, and
	 * a packet from another interface meets the guard, not the map */
	const struct ir_chain *in = &t.chains[CH_INPUT];
	const struct ir_rule *lk = NULL;
	for (size_t i = 0; i < in->n; i++)
		if (in->rules[i].nm == 1 && in->rules[i].m[0].op == OP_VMAP)
			lk = &in->rules[i];
	ck_assert_ptr_nonnull(lk);
	struct ir_match g;
	ck_assert(ir_vmap_guard(&lk->m[0], &g));
	ck_assert_uint_eq(g.iflen, 4);
	ck_assert(memcmp(g.ifname, "veth", 4) == 0);
	struct strbuf out = { 0 };
	render_rule(&out, lk);
	ck_assert_msg(strstr(out.s, "counter iifname \"veth*\" iifname vmap @dispatch.input.1"), "%s",
		      out.s);
	sb_free(&out);
	memcpy(p.iif, "eth0", 5);
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert_int_eq(o.origin, 200);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(nested_wildcards_stay_out)
{
	/* "eth*" holds "eth1*" and "eth2": its remainder is no name or
	 * wildcard, so it cannot be an element; it ends the segment */
	static const char yaml[] =
		"version: 1\nrules:\n"
		"  - {name: a, chain: input, iif: \"eth1*\", proto: tcp, action: drop}\n"
		"  - {name: b, chain: input, iif: eth2, action: drop}\n"
		"  - {name: c, chain: input, iif: wg0, action: drop}\n"
		"  - {name: d, chain: input, iif: \"eth*\", action: accept}\n"
		"  - {name: e, chain: input, iif: eth1, action: reject}\n";
	struct ir_opts o = { .dispatch_min = 2 };
	struct policy pol;
	struct ir_table t;

	compile_opts(yaml, &o, &pol, &t);
	ck_assert_uint_eq(maps_on(&t, K_IIFNAME), 1);
	for (size_t i = 0; i < t.nsets; i++) {
		const struct ir_set *s = t.sets[i];
		for (size_t e = 0; s->vmap && e < s->ncelems; e++) {
			char name[17];
			ck_assert(s->celems[e].f[0].lo == s->celems[e].f[0].hi ||
				  ir_ifname_wildcard(&s->celems[e].f[0], name));
		}
	}
	const char *ifs[] = { "eth1", "eth10", "eth2", "eth3", "wg0", "x" };
	for (size_t i = 0; i < ARRAY_SIZE(ifs); i++) {
		struct ir_pkt p = { .family = 4, .l4proto = IPPROTO_TCP, .dport = 1 };
		struct ir_outcome a, b;
		memcpy(p.iif, ifs[i], strlen(ifs[i]) + 1);
		ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &a), 0);
		ck_assert_int_eq(ir_eval_policy(&pol, CH_INPUT, &p, &b), 0);
		ck_assert_int_eq(a.origin, b.origin);
	}
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(too_large_stays_linear)
{
	/* every rule's range holds every other rule's port: each would be
	 * copied into most leaves; with growth 1 the chain stays linear */
	struct strbuf sb = { 0 };
	struct ir_opts o = { .dispatch_growth = 1 };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nrules:\n");
	for (int i = 0; i < 40; i++)
		sb_printf(&sb, "  - {name: r%d, chain: input, proto: tcp, dport: [%d, %d-%d], action: drop}\n",
			  i, 100 + i, 1000 - i, 1000 + i);
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_opts(yaml, &o, &pol, &t);
	ck_assert_uint_eq(t.ndispatch, 0);
	ck_assert_uint_eq(t.warnings.n, 1);
	ck_assert_uint_eq(t.warnings.v[0].sev, DIAG_WARNING);
	ck_assert_ptr_nonnull(strstr(t.warnings.v[0].msg, "chain input stays a linear walk"));
	ck_assert_uint_eq(t.worst[CH_INPUT], 4 + 40 + 1);
	ir_table_free(&t);
	policy_free(&pol);
	/* with room to grow it is a tree */
	o.dispatch_growth = 64;
	compile_opts(yaml, &o, &pol, &t);
	ck_assert_uint_eq(t.warnings.n, 0);
	ck_assert_uint_gt(t.ndispatch, 0);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(little_help_is_said)
{
	/* single ports, each followed by a range over half of all ports:
	 * a range would be copied into more leaves than allowed, so each ends
	 * a segment, and the chain is walked nearly rule by rule. check says
	 * so, naming the ranges */
	struct strbuf sb = { 0 };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nsets:\n  s: {type: cidr, elements: [10.0.0.0/8]}\nrules:\n");
	for (int i = 0; i < 200; i++)
		sb_printf(&sb,
			  "  - {name: p%d, chain: input, proto: tcp, src: \"@s\", dport: %d, action: drop}\n"
			  "  - {name: w%d, chain: input, proto: tcp, src: \"@s\", dport: %d-%d, action: drop}\n",
			  i, 1000 + 7 * i, i, 100 + i, 30100 + i);
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_default(yaml, &pol, &t);
	ck_assert_uint_eq(t.warnings.n, 1);
	ck_assert_ptr_nonnull(strstr(t.warnings.v[0].msg, "chain input stays a linear walk of its 405"));
	ck_assert_ptr_nonnull(strstr(t.warnings.v[0].msg, "200 rules (such as 'w0' (line 6)"));
	ck_assert_uint_gt(t.worst[CH_INPUT], 200);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(rules_move_past_a_segment)
{
	/* the icmp rules compare no port but cannot match a udp packet: they
	 * go after the lookup and the segment runs on (unmerged: a merged run
	 * is one rule whose values the tree does not look into) */
	struct strbuf sb = { 0 };
	struct ir_opts o = { .dispatch_min = 2, .merge_min = SIZE_MAX };
	struct policy pol;
	struct ir_table t;

	sb_puts(&sb, "version: 1\nrules:\n");
	for (int i = 0; i < 30; i++) {
		sb_printf(&sb, "  - {name: u%d, chain: input, proto: udp, dport: %d, action: drop}\n", i, 100 + i);
		if (i % 10 == 5)
			sb_printf(&sb, "  - {name: i%d, chain: input, proto: icmp, action: accept}\n", i);
	}
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_opts(yaml, &o, &pol, &t);
	ck_assert_uint_eq(maps_on(&t, K_DPORT), 1);
	/* input: 4 built-ins, the lookup, three icmp rules (and twins), default */
	ck_assert_uint_eq(t.chains[CH_INPUT].n, 4 + 1 + 6 + 1);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, trees_equal_linear);
	tcase_add_test(tc, named_sets_dispatch_on_ports);
	tcase_add_test(tc, wildcards_dispatch_on_names);
	tcase_add_test(tc, nested_wildcards_stay_out);
	tcase_add_test(tc, too_large_stays_linear);
	tcase_add_test(tc, rules_move_past_a_segment);
	tcase_add_test(tc, little_help_is_said);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
