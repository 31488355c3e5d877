// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental apply's diff (delta.h) against a model of the kernel's rule
 * operations: deletes by handle, NEWRULE after / before a handle or at the
 * end. On seeded random chain pairs the operations give exactly the wanted
 * sequence, the rules left alone are a longest common subsequence (so as
 * many counters as possible survive), and a handle is never reused. Set
 * elements: the operations turn the kernel's multiset into the wanted one
 * with the fewest adds and deletes.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/delta.h"
#include "vigil/nftc.h"
#include "randpol.h"

#define MAXR 40

static const char *const alpha[] = { "a", "b", "c", "d", "e", "f", "g", "h" };

struct chain {
	const char *id[3 * MAXR];
	uint64_t h[3 * MAXR];
	size_t n;
};

static size_t find(const struct chain *c, uint64_t h)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->h[i] == h)
			return i;
	ck_abort_msg("no rule with handle %llu", (unsigned long long)h);
	return 0;
}

static void put(struct chain *c, size_t at, const char *id, uint64_t h)
{
	memmove(&c->id[at + 1], &c->id[at], (c->n - at) * sizeof(c->id[0]));
	memmove(&c->h[at + 1], &c->h[at], (c->n - at) * sizeof(c->h[0]));
	c->id[at] = id;
	c->h[at] = h;
	c->n++;
}

/* the kernel's side: apply the operations, new handles from *next */
static void play(struct chain *c, const struct delta_op *op, size_t nop, const char *const *w,
		 uint64_t *next)
{
	for (size_t i = 0; i < nop; i++) {
		size_t at;

		switch (op[i].kind) {
		case DELTA_DEL:
			at = find(c, op[i].handle);
			memmove(&c->id[at], &c->id[at + 1], (c->n - at - 1) * sizeof(c->id[0]));
			memmove(&c->h[at], &c->h[at + 1], (c->n - at - 1) * sizeof(c->h[0]));
			c->n--;
			break;
		case DELTA_INS_AFTER:
			put(c, find(c, op[i].handle) + 1, w[op[i].index], (*next)++);
			break;
		case DELTA_INS_BEFORE:
			put(c, find(c, op[i].handle), w[op[i].index], (*next)++);
			break;
		case DELTA_APPEND:
			put(c, c->n, w[op[i].index], (*next)++);
			break;
		}
	}
}

/* a plain O(n*m) LCS, as the oracle for how many rules can stay */
static size_t lcs(const struct delta_krule *k, size_t nk, const char *const *w, size_t nw)
{
	static size_t L[MAXR + 1][MAXR + 1];

	for (size_t i = 0; i <= nk; i++)
		for (size_t j = 0; j <= nw; j++)
			L[i][j] = !i || !j ? 0
				: !strcmp(k[i - 1].id, w[j - 1]) ? L[i - 1][j - 1] + 1
				: L[i - 1][j] > L[i][j - 1] ? L[i - 1][j] : L[i][j - 1];
	return L[nk][nw];
}

static void check_pair(const struct delta_krule *k, size_t nk, const char *const *w, size_t nw)
{
	struct chain c = { .n = nk };
	struct delta_op *op = NULL;
	size_t nop = 0, kept = 0, orig = 0;
	uint64_t next = 1000;

	for (size_t i = 0; i < nk; i++) {
		c.id[i] = k[i].id;
		c.h[i] = k[i].handle;
	}
	ck_assert_int_eq(delta_rules(k, nk, w, nw, &op, &nop, &kept), 0);
	play(&c, op, nop, w, &next);
	ck_assert_uint_eq(c.n, nw);
	for (size_t i = 0; i < nw; i++) {
		expect(!strcmp(c.id[i], w[i]), "position %zu: %s, wanted %s", i, c.id[i], w[i]);
		orig += c.h[i] < 1000;
	}
	ck_assert_uint_eq(orig, kept);
	ck_assert_uint_eq(kept, lcs(k, nk, w, nw));
	/* every operation is needed: one per rule deleted or inserted */
	ck_assert_uint_eq(nop, (nk - kept) + (nw - kept));
	free(op);
}

START_TEST(rules_unchanged_no_ops)
{
	struct delta_krule k[] = { { "a", 4 }, { "b", 5 }, { "c", 9 } };
	const char *w[] = { "a", "b", "c" };
	struct delta_op *op = NULL;
	size_t nop = 1, kept = 0;

	ck_assert_int_eq(delta_rules(k, 3, w, 3, &op, &nop, &kept), 0);
	ck_assert_uint_eq(nop, 0);
	ck_assert_uint_eq(kept, 3);
	free(op);
}
END_TEST

START_TEST(rules_one_changed_in_middle)
{
	struct delta_krule k[] = { { "a", 4 }, { "b", 5 }, { "c", 9 } };
	const char *w[] = { "a", "B", "c" };
	struct delta_op *op = NULL;
	size_t nop = 0, kept = 0;

	ck_assert_int_eq(delta_rules(k, 3, w, 3, &op, &nop, &kept), 0);
	ck_assert_uint_eq(nop, 2);
	ck_assert_int_eq(op[0].kind, DELTA_DEL);
	ck_assert_uint_eq(op[0].handle, 5);
	ck_assert_int_eq(op[1].kind, DELTA_INS_AFTER);
	ck_assert_uint_eq(op[1].handle, 4);
	ck_assert_uint_eq(op[1].index, 1);
	free(op);
	check_pair(k, 3, w, 3);
}
END_TEST

START_TEST(rules_edges)
{
	struct delta_krule k[] = { { "a", 1 }, { "b", 2 } };
	const char *front[] = { "x", "y", "a", "b" }, *none[] = { "x", "y" }, *dup[] = { "a", "a", "b", "b" };

	check_pair(k, 2, front, 4);
	check_pair(k, 2, none, 2);
	check_pair(k, 2, dup, 4);
	check_pair(k, 0, none, 2);
	check_pair(k, 2, none, 0);
}
END_TEST

START_TEST(rules_random_pairs)
{
	unsigned seed = 18;

	for (int t = 0; t < 3000; t++) {
		struct delta_krule k[MAXR];
		const char *w[MAXR];
		size_t nk = (size_t)rand_r(&seed) % MAXR, nw = (size_t)rand_r(&seed) % MAXR;
		size_t na = 2 + (size_t)rand_r(&seed) % 6;

		for (size_t i = 0; i < nk; i++)
			k[i] = (struct delta_krule){ alpha[rand_r(&seed) % na], 10 + 3 * i };
		for (size_t i = 0; i < nw; i++)
			w[i] = rand_r(&seed) % 3 && i < nk ? k[i].id : alpha[rand_r(&seed) % na];
		check_pair(k, nk, w, nw);
	}
}
END_TEST

START_TEST(rules_too_big_declines)
{
	size_t n = 3000;
	struct delta_krule *k = calloc(n, sizeof(*k));
	const char **w = calloc(n, sizeof(*w));
	struct delta_op *op = NULL;
	size_t nop = 0, kept = 0;

	for (size_t i = 0; i < n; i++) {
		k[i] = (struct delta_krule){ i % 2 ? "a" : "b", i + 1 };
		w[i] = i % 2 ? "c" : "d";
	}
	ck_assert_int_eq(delta_rules(k, n, w, n, &op, &nop, &kept), -E2BIG);
	ck_assert_ptr_null(op);
	/* a long chain with one change is fine: the common ends are trimmed */
	w[0] = "x";
	for (size_t i = 1; i < n; i++)
		w[i] = k[i].id;
	ck_assert_int_eq(delta_rules(k, n, w, n, &op, &nop, &kept), 0);
	ck_assert_uint_eq(nop, 2);
	ck_assert_uint_eq(kept, n - 1);
	free(op);
	free(k);
	free(w);
}
END_TEST

/* ---- elements ---- */

static int count(const struct delta_item *v, size_t n, const struct delta_item *x, const size_t *skip,
		 size_t nskip)
{
	int c = 0;

	for (size_t i = 0; i < n; i++) {
		bool s = false;

		for (size_t j = 0; j < nskip; j++)
			s |= skip[j] == i;
		c += !s && v[i].len == x->len && !memcmp(v[i].p, x->p, x->len);
	}
	return c;
}

START_TEST(items_random)
{
	unsigned seed = 7;
	static const uint8_t pool[6][4] = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 }, { 10, 0, 0, 3 },
					    { 192, 0, 2, 0 }, { 192, 0, 2, 255 }, { 1, 2, 3, 4 } };

	for (int t = 0; t < 2000; t++) {
		struct delta_item k[20], w[20];
		size_t nk = (size_t)rand_r(&seed) % 20, nw = (size_t)rand_r(&seed) % 20;
		size_t *del, *add, ndel, nadd;

		for (size_t i = 0; i < nk; i++)
			k[i] = (struct delta_item){ pool[rand_r(&seed) % 6], 2 + (size_t)rand_r(&seed) % 3 };
		for (size_t i = 0; i < nw; i++)
			w[i] = (struct delta_item){ pool[rand_r(&seed) % 6], 2 + (size_t)rand_r(&seed) % 3 };
		delta_items(k, nk, w, nw, &del, &ndel, &add, &nadd);
		/* per distinct element: kernel count minus deleted == wanted count */
		for (size_t i = 0; i < nk + nw; i++) {
			const struct delta_item *x = i < nk ? &k[i] : &w[i - nk];
			int have = count(k, nk, x, del, ndel), want = count(w, nw, x, NULL, 0);
			int added = 0;

			for (size_t j = 0; j < nadd; j++)
				added += w[add[j]].len == x->len && !memcmp(w[add[j]].p, x->p, x->len);
			expect(have + added == want, "element count %d + %d != %d", have, added, want);
			expect(have == (want < count(k, nk, x, NULL, 0) ? want : count(k, nk, x, NULL, 0)),
			       "deleted more than needed");
		}
		for (size_t j = 1; j < ndel; j++)
			expect(del[j - 1] < del[j], "deletes not ascending");
		for (size_t j = 1; j < nadd; j++)
			expect(add[j - 1] < add[j], "adds not ascending");
		free(del);
		free(add);
	}
}
END_TEST

START_TEST(items_one_changed)
{
	uint32_t kv[1000], wv[1000];
	struct delta_item k[1000], w[1000];
	size_t *del, *add, ndel, nadd;

	for (uint32_t i = 0; i < 1000; i++) {
		kv[i] = wv[i] = i * 7;
		k[i] = (struct delta_item){ &kv[i], 4 };
		w[i] = (struct delta_item){ &wv[999 - i], 4 };
	}
	wv[500] = 1u << 30;
	delta_items(k, 1000, w, 1000, &del, &ndel, &add, &nadd);
	ck_assert_uint_eq(ndel, 1);
	ck_assert_uint_eq(nadd, 1);
	ck_assert_uint_eq(del[0], 500);
	ck_assert_uint_eq(add[0], 499);
	free(del);
	free(add);
}
END_TEST

/* ---- the plan: compiled policies standing for the kernel's table ---- */

static const char a_yml[] =
	"version: 1\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"sets:\n"
	"  admins: {type: cidr, elements: [192.0.2.0/24, \"2001:db8:ad::/48\"]}\n"
	"rules:\n"
	"  - {name: ssh, chain: input, proto: tcp, src: \"@admins\", dport: 22, action: accept}\n"
	"  - {name: web, chain: input, proto: tcp, dport: [80, 443], action: accept}\n"
	"  - {name: dns, chain: input, proto: udp, dport: 53, action: accept}\n";

static struct delta_plan plan(const char *kernel_yml, const char *yml)
{
	struct policy kp = { 0 }, pp;
	struct ir_table kt = { 0 }, pt;
	struct batch kb = { 0 }, wb = { 0 };
	struct delta_plan p;

	batch_init(&kb, 1);
	batch_init(&wb, 1);
	if (kernel_yml) {
		compile_text(kernel_yml, NULL, &kp, &kt);
		nftc_build_replace(&kt, &kb);
	}
	compile_text(yml, NULL, &pp, &pt);
	nftc_build_replace(&pt, &wb);
	ck_assert_int_eq(delta_plan(kb.buf, kernel_yml ? kb.len : 0, wb.buf, wb.len, &p), 0);
	batch_free(&kb);
	batch_free(&wb);
	if (kernel_yml) {
		ir_table_free(&kt);
		policy_free(&kp);
	}
	ir_table_free(&pt);
	policy_free(&pp);
	return p;
}

START_TEST(plan_unchanged_sends_nothing)
{
	struct delta_plan p = plan(a_yml, a_yml);

	ck_assert_msg(!p.full, "full: %s", p.reason);
	ck_assert_uint_eq(p.messages, 0);
	ck_assert_uint_eq(p.rules_del + p.rules_add + p.elems_del + p.elems_add, 0);
	ck_assert_uint_gt(p.rules_kept, 3);
}
END_TEST

START_TEST(plan_one_rule_changed)
{
	_cleanup_free_ char *b = text_replace(a_yml, "dport: 53", "dport: 5353");
	struct delta_plan p = plan(a_yml, b);

	ck_assert_msg(!p.full, "full: %s", p.reason);
	/* the policy rule is two kernel rules (tracked and untracked) */
	ck_assert_uint_eq(p.rules_del, 2);
	ck_assert_uint_eq(p.rules_add, 2);
	ck_assert_uint_eq(p.elems_del + p.elems_add, 0);
	ck_assert_uint_eq(p.messages, 4);
}
END_TEST

START_TEST(plan_one_element_added)
{
	_cleanup_free_ char *b = text_replace(a_yml, "192.0.2.0/24, ", "192.0.2.0/24, 198.51.100.7, ");
	struct delta_plan p = plan(a_yml, b);

	ck_assert_msg(!p.full, "full: %s", p.reason);
	ck_assert_uint_eq(p.rules_del + p.rules_add, 0);
	ck_assert_uint_eq(p.elems_del, 0);
	ck_assert_uint_gt(p.elems_add, 0);
	ck_assert_uint_eq(p.messages, 1);
}
END_TEST

START_TEST(plan_falls_back)
{
	_cleanup_free_ char *pol = text_replace(a_yml, "input: drop", "input: accept");
	_cleanup_free_ char *typ = text_replace(a_yml, "type: cidr, elements: [192.0.2.0/24, \"2001:db8:ad::/48\"]",
						 "type: address, dynamic: true");
	struct delta_plan p = plan(NULL, a_yml);

	ck_assert(p.full);
	ck_assert_str_eq(p.reason, "no table");
	/* a chain's policy alone: updated in place, not a full replacement */
	p = plan(a_yml, pol);
	ck_assert_msg(!p.full, "%s", p.reason);
	ck_assert_uint_eq(p.chains_policy, 1);
	ck_assert_uint_eq(p.messages, 1);
	p = plan(a_yml, typ);
	ck_assert(p.full);
	ck_assert_msg(strstr(p.reason, "admins") != NULL, "%s", p.reason);
}
END_TEST

/* random policies of every shape (randpol.c): a table against itself plans nothing */
START_TEST(plan_random_policies_against_themselves)
{
	struct randpol_opts ro = { .min_rules = 1, .max_rules = 12 };
	unsigned seed = 1818;

	for (int t = 0; t < 200; t++) {
		_cleanup_free_ char *y = randpol_policy(&seed, &ro);
		struct delta_plan p = plan(y, y);

		expect(!p.full && p.messages == 0 && p.rules_kept > 0,
		       "policy %d: full %d (%s), %zu messages\n%s", t, p.full, p.reason, p.messages, y);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("delta");
	TCase *tc = tcase_create("delta");

	tcase_add_test(tc, rules_unchanged_no_ops);
	tcase_add_test(tc, rules_one_changed_in_middle);
	tcase_add_test(tc, rules_edges);
	tcase_add_test(tc, rules_random_pairs);
	tcase_add_test(tc, rules_too_big_declines);
	tcase_add_test(tc, items_random);
	tcase_add_test(tc, items_one_changed);
	tcase_add_test(tc, plan_unchanged_sends_nothing);
	tcase_add_test(tc, plan_one_rule_changed);
	tcase_add_test(tc, plan_one_element_added);
	tcase_add_test(tc, plan_falls_back);
	tcase_add_test(tc, plan_random_policies_against_themselves);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
