// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild diff's comparison (tablediff.h) without a kernel: the batch one
 * policy compiles to stands for the kernel's table, another policy is
 * compared with it. The same policy: no line. A changed port, set element
 * and default: exactly those lines, in nft syntax; rule order counts; no
 * table: everything added.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"
#include "vigil/tablediff.h"

static const char a_yml[] =
	"version: 1\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"sets:\n"
	"  admins: {type: cidr, elements: [192.0.2.0/24, \"2001:db8:ad::/48\"]}\n"
	"rules:\n"
	"  - {name: ssh, chain: input, proto: tcp, src: \"@admins\", dport: 22, action: accept}\n"
	"  - {name: web, chain: input, proto: tcp, dport: [80, 443], action: accept}\n"
	"  - {name: dns, chain: input, proto: udp, dport: 53, action: accept}\n";

/* diff of policy `kernel_yml` (as if applied) against `yml`; *out: lines */
static struct tablediff_counts run(const char *kernel_yml, const char *yml, char **out)
{
	struct policy kp = { 0 }, pp;
	struct ir_table kt = { 0 }, pt;
	struct batch b = { 0 };
	struct strbuf sb = { 0 };
	struct tablediff_counts c;

	if (kernel_yml) {
		compile_text(kernel_yml, NULL, &kp, &kt);
		batch_init(&b, 1);
		nftc_build_replace(&kt, &b);
	}
	compile_text(yml, NULL, &pp, &pt);
	ck_assert_int_eq(tablediff_tables(b.buf, b.len, &pt, kernel_yml ? &kt : NULL, &sb, &c), 0);
	*out = sb.s ? sb_take(&sb) : xstrdup("");
	if (kernel_yml) {
		batch_free(&b);
		ir_table_free(&kt);
		policy_free(&kp);
	}
	ir_table_free(&pt);
	policy_free(&pp);
	return c;
}

START_TEST(same_policy)
{
	_cleanup_free_ char *out = NULL;
	struct tablediff_counts c = run(a_yml, a_yml, &out);

	ck_assert_str_eq(out, "");
	ck_assert(c.kernel_table);
	ck_assert_uint_eq(c.added + c.removed, 0);
	ck_assert_uint_gt(c.same_rules, 10);
}
END_TEST

START_TEST(changes)
{
	_cleanup_free_ char *b1 = text_replace(a_yml, "dport: [80, 443]", "dport: 8080");
	_cleanup_free_ char *b2 = text_replace(b1, "192.0.2.0/24", "192.0.2.0/24, 198.51.100.7");
	_cleanup_free_ char *b = text_replace(b2, "output: accept", "output: drop");
	_cleanup_free_ char *out = NULL;
	struct tablediff_counts c = run(a_yml, b, &out);

	text_is("diff", out,
		"-chain output { type filter hook output priority 0; policy accept; }\n"
		"+chain output { type filter hook output priority 0; policy drop; }\n"
		"+element admins_v4 { 198.51.100.7 }\n"
		" chain input:\n"
		"-\ttcp dport { 80, 443 } ct mark set ct mark and 0x0000ffff or 0x00020000 counter accept comment \"web\"\n"
		"-\tct state untracked tcp dport { 80, 443 } counter accept comment \"web\"\n"
		"+\ttcp dport 8080 ct mark set ct mark and 0x0000ffff or 0x00020000 counter accept comment \"web\"\n"
		"+\tct state untracked tcp dport 8080 counter accept comment \"web\"\n");
	ck_assert_uint_eq(c.added, 4);
	ck_assert_uint_eq(c.removed, 3);
}
END_TEST

START_TEST(order_counts)
{
	/* the same rules, web before ssh: first match makes it another policy */
	static const char swapped[] =
		"version: 1\n"
		"defaults: {input: drop, forward: drop, output: accept}\n"
		"sets:\n"
		"  admins: {type: cidr, elements: [192.0.2.0/24, \"2001:db8:ad::/48\"]}\n"
		"rules:\n"
		"  - {name: dns, chain: input, proto: udp, dport: 53, action: accept}\n"
		"  - {name: ssh, chain: input, proto: tcp, src: \"@admins\", dport: 22, action: accept}\n"
		"  - {name: web, chain: input, proto: tcp, dport: [80, 443], action: accept}\n";
	_cleanup_free_ char *out = NULL;
	struct tablediff_counts c = run(a_yml, swapped, &out);

	/* the marks follow the rules' positions too: every accept rule moves */
	ck_assert_uint_gt(c.added, 0);
	ck_assert_uint_eq(c.added, c.removed);
	ck_assert_ptr_nonnull(strstr(out, "comment \"dns\""));
}
END_TEST

START_TEST(no_table)
{
	_cleanup_free_ char *out = NULL;
	struct tablediff_counts c = run(NULL, a_yml, &out);

	ck_assert(!c.kernel_table);
	ck_assert_uint_eq(c.removed, 0);
	ck_assert_uint_eq(c.same_rules, 0);
	ck_assert_ptr_nonnull(strstr(out, "+chain input { type filter hook input priority 0; policy drop; }\n"));
	ck_assert_ptr_nonnull(strstr(out, "+set admins_v6 { type ipv6_addr; flags interval; }\n"));
	ck_assert_ptr_nonnull(strstr(out, "+element admins_v6 { 2001:db8:ad::/48 }\n"));
}
END_TEST

/* 8 port forwards (one port-forward map), the 4th to `target` */
static char *forwards(const char *target)
{
	struct strbuf sb = { 0 };

	sb_puts(&sb, "version: 1\ndefaults: {forward: drop}\nnat:\n");
	for (int i = 0; i < 8; i++)
		sb_printf(&sb, "  - {name: f%d, iif: wan0, proto: tcp, dport: %d, action: dnat, to: \"%s:%d\"}\n",
			  i, 1000 + i, i == 3 ? target : "10.9.0.2", 2000 + i);
	return sb_take(&sb);
}

START_TEST(port_forward_maps)
{
	/* the map's data (address . port) and the concatenated set's keys
	 * are told apart and printed as nft does */
	_cleanup_free_ char *a = forwards("10.9.0.2"), *b = forwards("10.9.0.7"), *out = NULL;
	struct tablediff_counts c = run(a, b, &out);

	text_is("diff", out,
		"-element dnatfwd.1 { 10.9.0.2 . 2003 }\n"
		"+element dnatfwd.1 { 10.9.0.7 . 2003 }\n"
		"-element natmap.1 { 1003 : 10.9.0.2 . 2003 }\n"
		"+element natmap.1 { 1003 : 10.9.0.7 . 2003 }\n");
	ck_assert_uint_eq(c.added, 2);
	ck_assert_uint_eq(c.removed, 2);
	free(out);
	out = NULL;
	run(NULL, a, &out);
	ck_assert_ptr_nonnull(strstr(out, "+set natmap.1 { type inet_service : ipv4_addr . inet_service; map; }\n"));
	ck_assert_ptr_nonnull(strstr(out, "+set dnatfwd.1 { type ipv4_addr . inet_service; }\n"));
	ck_assert_ptr_nonnull(strstr(out, "+element natmap.1 { 1000 : 10.9.0.2 . 2000 }\n"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tablediff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_policy);
	tcase_add_test(tc, changes);
	tcase_add_test(tc, order_counts);
	tcase_add_test(tc, no_table);
	tcase_add_test(tc, port_forward_maps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
