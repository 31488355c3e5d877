// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared lists (lists.c): a large table's literal lists become one named
 * set per distinct content, and nothing else changes.
 *
 * Random policies (randpol.c) compile twice, with sharing forced and with
 * it off: every rule's lookups must then be of named sets the table owns,
 * one per distinct content, the table's element count must be what it
 * holds, the batch must pass the helper's verifier, and random packets
 * must get the same outcome (verdict, deciding rule, mark, log) from both.
 * By hand: the threshold (IR_SHARE_LISTS_MIN anonymous sets).
 */
#include <stdio.h>
#include <string.h>

#include "randpol.h"
#include "unit.h"
#include "vigil/batch.h"
#include "vigil/eval.h"
#include "vigil/nftc.h"

static void compile_with(const char *yaml, size_t share_min, struct policy *pol, struct ir_table *t)
{
	struct ir_opts o = { .share_lists_min = share_min };
	struct diags d = { 0 };

	if (policy_compile_buffer("random.yml", yaml, strlen(yaml), NULL, pol, &d) < 0) {
		_cleanup_free_ char *txt = diags_text(&d);
		ck_abort_msg("policy does not compile:\n%.2000s\n%.2000s", txt, yaml);
	}
	diags_free(&d);
	ck_assert_int_eq(ir_compile(pol, &o, t), 0);
}

static bool owned(const struct ir_table *t, const struct ir_set *s)
{
	for (size_t i = 0; i < t->nsets; i++)
		if (t->sets[i] == s)
			return true;
	return false;
}

static bool is_list(const struct ir_set *s)
{
	return !s->anonymous && s->name && strncmp(s->name, "list.", 5) == 0;
}

/* list.HASH: 16 hex digits, perhaps .N (not a tree's list.RULE.ID) */
static bool is_hashed(const struct ir_set *s)
{
	if (!is_list(s) || strlen(s->name) < 21)
		return false;
	for (int i = 5; i < 21; i++)
		if (!strchr("0123456789abcdef", s->name[i]))
			return false;
	return s->name[21] == 0 || s->name[21] == '.';
}

struct shape {
	size_t lookups, anon, lists, hashed;
};

/* What t's rules look up, checked: lookups of named sets the table owns;
 * when shared, list sets distinct in name and content. */
static struct shape check_table(const struct ir_table *t, bool shared, const char *yaml)
{
	struct shape sh = { 0 };

	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			for (size_t j = 0; j < t->chains[c].rules[i].nm; j++) {
				const struct ir_match *m = &t->chains[c].rules[i].m[j];
				if (m->op != OP_SET || m->set->vmap)
					continue;
				sh.lookups++;
				if (m->set->anonymous) {
					sh.anon++;
				} else {
					expect(owned(t, m->set), "a lookup of set %s the table does not hold\n%.2000s",
					       m->set->name, yaml);
				}
			}
	for (size_t i = 0; i < t->nsets; i++) {
		const struct ir_set *a = t->sets[i];
		if (!is_list(a))
			continue;
		sh.lists++;
		sh.hashed += is_hashed(a);
		if (!shared)
			continue;
		for (size_t k = i + 1; k < t->nsets; k++) {
			const struct ir_set *b = t->sets[k];
			expect(strcmp(a->name, b->name) != 0, "two sets named %s", a->name);
			if (!is_list(b) || a->key != b->key || a->interval != b->interval ||
			    a->elems.n != b->elems.n)
				continue;
			bool same = true;
			for (size_t e = 0; e < a->elems.n && same; e++)
				same = a->elems.v[e].lo == b->elems.v[e].lo && a->elems.v[e].hi == b->elems.v[e].hi;
			expect(!same, "%s and %s hold the same list\n%.2000s", a->name, b->name, yaml);
		}
	}
	return sh;
}

static bool same_outcome(const struct ir_outcome *a, const struct ir_outcome *b)
{
	return a->verdict == b->verdict && a->policy == b->policy && a->origin == b->origin &&
	       a->marked == b->marked && a->mark == b->mark && a->logged == b->logged;
}

static void verify_batch(const struct ir_table *t, const struct policy *pol, const char *yaml)
{
	struct batch b;
	struct batch_refusal r;

	batch_init(&b, 1);
	nftc_build_replace(t, &b);
	expect(batch_verify(b.buf, b.len, pol->table, &r) == 0, "the batch is refused: %s\n%.2000s", r.why,
	       yaml);
	batch_free(&b);
}

START_TEST(shared_equals_inline)
{
	struct randpol_opts ro = { .min_rules = 8, .max_rules = 60 };
	unsigned seed = 20261207;
	size_t lists = 0, inline_sets = 0, packets = 0;

	for (int n = 0; n < 300; n++) {
		_cleanup_free_ char *yaml = randpol_policy(&seed, &ro);
		struct policy pa, pb;
		struct ir_table a, b;

		compile_with(yaml, 1, &pa, &a);
		compile_with(yaml, SIZE_MAX, &pb, &b);
		struct shape sa = check_table(&a, true, yaml), sb = check_table(&b, false, yaml);
		ck_assert_uint_eq(sa.lookups, sb.lookups);
		expect(sa.anon == 0, "%zu anonymous lookups left\n%.2000s", sa.anon, yaml);
		ck_assert_uint_le(sa.lists, sb.anon + sb.lists);
		ck_assert_uint_le(a.nelems, b.nelems);
		lists += sa.lists;
		inline_sets += sb.anon;
		verify_batch(&a, &pa, yaml);
		for (int k = 0; k < 300; k++) {
			struct ir_pkt p;
			randpol_packet(&seed, &ro, &p);
			for (int c = 0; c < CH_MAX; c++) {
				struct ir_outcome oa, ob;
				ck_assert_int_eq(ir_eval(&a, c, &p, &oa), 0);
				ck_assert_int_eq(ir_eval(&b, c, &p, &ob), 0);
				expect(same_outcome(&oa, &ob), "chain %d, packet %s: shared %d by %d, inline %d by %d\n%.2000s",
				       c, randpol_pkt_str(&p), oa.verdict, oa.origin, ob.verdict, ob.origin, yaml);
				packets++;
			}
		}
		ir_table_free(&a);
		ir_table_free(&b);
		policy_free(&pa);
		policy_free(&pb);
	}
	printf("# 300 policies: %zu anonymous sets became %zu named lists; %zu decisions agree\n",
	       inline_sets, lists, packets);
	/* meaningful only if there was something to share, and it shrank */
	ck_assert_uint_gt(inline_sets, 1000);
	ck_assert_uint_lt(lists, inline_sets);
}
END_TEST

/* n accept rules, each with one of `distinct` port lists (src and dst in
 * turn, so that they do not merge) */
static char *listed(int n, int distinct)
{
	struct strbuf sb = { 0 };

	sb_puts(&sb, "version: 1\nrules:\n");
	for (int i = 0; i < n; i++)
		sb_printf(&sb, "  - {name: r%d, chain: input, proto: tcp, %s: 10.%d.%d.0/24, dport: [%d, %d], action: accept}\n",
			  i, i % 2 ? "dst" : "src", i / 256, i % 256, 1000 + i % distinct, 2000 + i % distinct);
	return sb_take(&sb);
}

START_TEST(threshold)
{
	struct policy pol;
	struct ir_table t;

	/* 100 accept rules: 200 anonymous sets with their untracked twins,
	 * under the threshold: the lists stay inline */
	_cleanup_free_ char *small = listed(100, 10);
	compile_with(small, 0, &pol, &t);
	struct shape s = check_table(&t, false, small);
	printf("# 100 rules: %zu lookups, %zu anonymous, %zu lists\n", s.lookups, s.anon, s.lists);
	ck_assert_uint_eq(s.hashed, 0);
	ck_assert_uint_ge(s.anon, 100);
	ir_table_free(&t);
	policy_free(&pol);

	/* 300: 600 anonymous sets, 10 distinct lists, and the built-in
	 * rule's list of ICMPv6 neighbour discovery types */
	_cleanup_free_ char *big = listed(300, 10);
	compile_with(big, 0, &pol, &t);
	s = check_table(&t, true, big);
	printf("# 300 rules: %zu lookups, %zu anonymous, %zu lists\n", s.lookups, s.anon, s.lists);
	ck_assert_uint_eq(s.anon, 0);
	ck_assert_uint_eq(s.lists, 11);
	ck_assert_uint_eq(s.hashed, 11);
	ck_assert_uint_ge(s.lookups, 600);
	/* r2: from 10.0.2.0/24 to {1002, 2002}, a list shared with r12, r22.. */
	struct ir_pkt p = { .family = 4, .l4proto = 6, .dport = 2002, .saddr = (10u << 24) | (2u << 8) | 9 };
	struct ir_outcome o;
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert_int_eq(o.origin, 2);
	ck_assert_int_eq(o.verdict, IV_ACCEPT);
	p.dport = 2007; /* r7's list, not r2's */
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert_int_ne(o.origin, 2);
	ck_assert_int_ne(o.verdict, IV_ACCEPT);
	verify_batch(&t, &pol, big);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lists");
	TCase *tc = tcase_create("lists");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, shared_equals_inline);
	tcase_add_test(tc, threshold);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
