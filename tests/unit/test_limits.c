// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Amplification caps (issue 14, item 10): a policy that becomes more
 * kernel rules or set elements than the limits is refused, located at the
 * rule or set that crossed the limit, before the compiler has built it;
 * and the diagnostics collection keeps at most DIAG_MAX_KEPT messages.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vigil/ir.h"

static const char small[] =
	"version: 1\n"
	"sets:\n"
	"  a: {type: cidr, elements: [10.0.0.0/8, 192.0.2.0/24, 198.51.100.0/24]}\n"
	"rules:\n"
	"  - {name: one, chain: input, proto: tcp, dport: 22, action: drop}\n"
	"  - {name: two, chain: input, src: \"@a\", proto: tcp, dport: [80, 443], action: accept}\n"
	"  - {name: three, chain: input, proto: udp, dport: 53, action: accept}\n";

/* Compiles yaml with the limits; the error text, or NULL when it passed. */
static char *compile_limited(const char *yaml, size_t max_rules, size_t max_elems, size_t *nrules,
			     size_t *nelems)
{
	struct ir_opts o = { .max_rules = max_rules, .max_elems = max_elems };
	struct diags d = { 0 };
	struct policy pol;
	struct ir_table t;
	char *out = NULL;
	int r;

	ck_assert_int_eq(policy_compile_buffer("p.yml", yaml, strlen(yaml), NULL, &pol, &d), 0);
	diags_free(&d);
	r = ir_compile(&pol, &o, &t);
	if (r < 0) {
		ck_assert_int_eq(r, -E2BIG);
		ir_over_diag(&t, &pol, &d);
		out = diags_text(&d);
		diags_free(&d);
	}
	if (nrules)
		*nrules = t.nrules;
	if (nelems)
		*nelems = t.nelems;
	ir_table_free(&t);
	policy_free(&pol);
	return out;
}

START_TEST(exact_limits_pass)
{
	size_t nr, ne;
	char *e = compile_limited(small, 0, 0, &nr, &ne);

	ck_assert_ptr_null(e);
	/* the limits are inclusive: the policy's own figures pass */
	ck_assert_ptr_null(compile_limited(small, nr, ne, NULL, NULL));
	e = compile_limited(small, nr - 1, 0, NULL, NULL);
	ck_assert_ptr_nonnull(e);
	free(e);
	e = compile_limited(small, 0, ne - 1, NULL, NULL);
	ck_assert_ptr_nonnull(e);
	free(e);
}
END_TEST

START_TEST(located_at_the_rule)
{
	char *e = compile_limited(small, 15, 0, NULL, NULL);

	text_is("rules", e,
		"p.yml:6:5: error: with rule 'two' the policy becomes more than 15 kernel rules, the limit (--max-rules N raises it)\n");
	free(e);
	e = compile_limited(small, 0, 22, NULL, NULL);
	text_is("elements", e,
		"p.yml:6:5: error: with rule 'two' the policy becomes more than 22 set elements, the limit (--max-elements N raises it)\n");
	free(e);
	/* the built-in rules alone */
	e = compile_limited(small, 12, 0, NULL, NULL);
	text_is("built-ins", e,
		"p.yml:1:1: error: the policy becomes 13 kernel rules, more than the limit of 12 (--max-rules N raises it)\n");
	free(e);
}
END_TEST

START_TEST(located_at_the_set)
{
	char *e = compile_limited(small, 0, 2, NULL, NULL);

	text_is("set", e,
		"p.yml:3:3: error: with set 'a' the policy becomes more than 2 set elements, the limit (--max-elements N raises it)\n");
	free(e);
}
END_TEST

/* 32 sets in src and dst make each rule 1,024 kernel rules, each with its
 * own copy of a 2,000-port set (and again for its untracked twin): 4M set
 * elements a rule, gigabytes for the policy. Refused at the first rule,
 * before the rest is built. */
/* 32 one-prefix sets, then nrules rules with all of them in src and in
 * dst (32 x 32 = 1,024 kernel rules each) and nports ports. */
static char *amplifier(int nrules, const char *action, int nports)
{
	struct strbuf sb = { 0 };

	sb_puts(&sb, "version: 1\nsets:\n");
	for (int i = 0; i < 32; i++)
		sb_printf(&sb, "  s%d: {type: cidr, elements: [10.%d.0.0/16]}\n", i, i);
	sb_puts(&sb, "rules:\n");
	for (int r = 0; r < nrules; r++) {
		sb_printf(&sb, "  - {name: r%d, chain: input, action: %s", r, action);
		for (int f = 0; f < 2; f++) {
			sb_puts(&sb, f ? "], dst: [" : ", src: [");
			for (int i = 0; i < 32; i++)
				sb_printf(&sb, "%s\"@s%d\"", i ? ", " : "", i);
		}
		sb_puts(&sb, "]");
		if (nports) {
			sb_puts(&sb, ", proto: tcp, dport: [");
			for (int p = 0; p < nports; p++)
				sb_printf(&sb, "%s%d", p ? ", " : "", 1000 + 2 * p);
			sb_puts(&sb, "]");
		}
		sb_puts(&sb, "}\n");
	}
	return sb_take(&sb);
}

/* Each rule becomes 1,024 kernel rules, each with its own copy of a
 * 2,000-port set (and again for its untracked twin): 4M set elements a
 * rule, gigabytes for the policy. Refused at the first rule, before the
 * rest is built. */
START_TEST(amplification_refused_early)
{
	char *yaml = amplifier(50, "accept", 2000);
	char *e = compile_limited(yaml, 0, 0, NULL, NULL);

	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e, "p.yml:36:5: error: with rule 'r0' the policy becomes more than 1000000 set elements"),
		      "%s", e);
	free(e);
	free(yaml);
	/* and with no ports, the 1,024 kernel rules a rule add up past 100,000:
	 * 13 built-in and default rules + 98 * 1,024 */
	yaml = amplifier(120, "drop", 0);
	e = compile_limited(yaml, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e, "error: with rule 'r97' the policy becomes more than 100000 kernel rules"),
		      "%s", e);
	free(e);
	free(yaml);
}
END_TEST

START_TEST(diagnostics_capped)
{
	struct diags d = { 0 };
	struct srcloc at = { "p.yml", 1, 1 };

	for (int i = 0; i < DIAG_MAX_KEPT + 5000; i++)
		diag_err(&d, at, "error %d", i);
	diag_warn(&d, at, "one more");
	ck_assert_uint_eq(d.n, DIAG_MAX_KEPT);
	ck_assert_uint_eq(d.dropped, 5001);
	ck_assert_uint_eq(d.nerr, DIAG_MAX_KEPT + 5000);
	ck_assert_uint_eq(d.nwarn, 1);
	ck_assert_str_eq(d.v[DIAG_MAX_KEPT - 1].msg, "error 9999");
	diags_free(&d);
	ck_assert_uint_eq(d.dropped, 0);
}
END_TEST

START_TEST(policy_errors_capped)
{
	/* a policy with 30,000 bad values: 10,000 kept, the rest counted */
	struct strbuf sb = { 0 };
	struct diags d = { 0 };
	struct policy pol;

	sb_puts(&sb, "version: 1\nsets:\n  s: {type: port, elements: [");
	for (int i = 0; i < 30000; i++)
		sb_printf(&sb, "%sx%d", i ? ", " : "", i);
	sb_puts(&sb, "]}\n");
	ck_assert_int_lt(policy_compile_buffer("p.yml", sb.s, sb.len, NULL, &pol, &d), 0);
	ck_assert_uint_eq(d.n, DIAG_MAX_KEPT);
	ck_assert_uint_ge(d.nerr, 30000);
	ck_assert_uint_eq(d.dropped, d.nerr + d.nwarn - DIAG_MAX_KEPT);
	diags_free(&d);
	policy_free(&pol);
	sb_free(&sb);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, exact_limits_pass);
	tcase_add_test(tc, located_at_the_rule);
	tcase_add_test(tc, located_at_the_set);
	tcase_add_test(tc, amplification_refused_early);
	tcase_add_test(tc, diagnostics_capped);
	tcase_add_test(tc, policy_errors_capped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
