// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port-forward maps (natmap.c, issue 15): runs of port forwards compile to
 * one map lookup in prerouting and one set lookup in forward, and decide
 * every packet as the linear rules did.
 *
 *  - By hand: the threshold (IR_NATMAP_MIN entries, not one fewer), what
 *    ends a run (a port twice, another shape, an entry that cannot be in
 *    a map), the text show prints.
 *  - The verifier (batch_verify_*.c): the compiler's batch passes; each
 *    attribute of the map, its elements, the lookup and the nat after it
 *    flipped is refused, with the reason.
 * Random dnat lists, grouped against linear: test_natmap_prop.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "hb.h"
#include "unit.h"
#include "vigil/eval.h"
#include "vigil/nftc.h"
#include "vigil/render.h"
#include "vigil/vocab.h"

/* ---- by hand ---- */

/* n udp forwards wan0:1000+i -> 10.9.0.2:2000+i (accept as given) */
static char *forwards(size_t n, const char *accept, const char *extra)
{
	struct strbuf sb = { 0 };

	sb_puts(&sb, "version: 1\ndefaults: {forward: drop}\nnat:\n");
	for (size_t i = 0; i < n; i++)
		sb_printf(&sb,
			  "  - {name: f%zu, iif: wan0, proto: udp, dport: %zu, action: dnat, "
			  "to: \"10.9.0.2:%zu\", accept: %s}\n",
			  i, 1000 + i, 2000 + i, accept);
	if (extra)
		sb_puts(&sb, extra);
	return sb_take(&sb);
}

static size_t count_named(const struct ir_table *t, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nsets; i++)
		if (t->sets[i]->name && !strncmp(t->sets[i]->name, prefix, strlen(prefix)))
			n++;
	return n;
}

static const struct ir_chain *chain_named(const struct ir_table *t, const char *name)
{
	for (size_t c = 0; c < t->nchains; c++)
		if (streq(t->chains[c].name, name))
			return &t->chains[c];
	ck_abort_msg("no chain %s", name);
	return NULL;
}

START_TEST(threshold)
{
	struct policy pol;
	struct ir_table t;
	_cleanup_free_ char *few = forwards(IR_NATMAP_MIN - 1, "true", NULL);
	_cleanup_free_ char *enough = forwards(IR_NATMAP_MIN, "true", NULL);

	compile_text(few, NULL, &pol, &t);
	ck_assert_uint_eq(count_named(&t, "natmap."), 0);
	ck_assert_uint_eq(chain_named(&t, "prerouting")->n, IR_NATMAP_MIN - 1);
	ir_table_free(&t);
	policy_free(&pol);

	compile_text(enough, NULL, &pol, &t);
	ck_assert_uint_eq(count_named(&t, "natmap."), 1);
	ck_assert_uint_eq(count_named(&t, "dnatfwd."), 1);
	ck_assert_uint_eq(chain_named(&t, "prerouting")->n, 1);
	/* forward: established, invalid, the one accept, the counter */
	ck_assert_uint_eq(chain_named(&t, "forward")->n, 4);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(runs_end)
{
	struct policy pol;
	struct ir_table t;
	/* 8 forwards, then port 1003 again (never matches: ends the run),
	 * then 8 on wan1 (another shape: a run of its own) */
	_cleanup_free_ char *base = forwards(8, "false",
		"  - {name: again, iif: wan0, proto: udp, dport: 1003, action: dnat, to: \"10.9.0.3:1\", accept: false}\n");
	struct strbuf sb = { 0 };

	sb_puts(&sb, base);
	for (int i = 0; i < 8; i++)
		sb_printf(&sb, "  - {name: w%d, iif: wan1, proto: udp, dport: %d, action: dnat, "
			  "to: \"10.9.0.4:%d\", accept: false}\n", i, 1000 + i, 3000 + i);
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_text(yaml, NULL, &pol, &t);
	ck_assert_uint_eq(count_named(&t, "natmap."), 2);
	ck_assert_uint_eq(count_named(&t, "dnatfwd."), 0); /* accept: false */
	const struct ir_chain *pre = chain_named(&t, "prerouting");
	ck_assert_uint_eq(pre->n, 3);
	ck_assert_ptr_nonnull(pre->rules[0].nat.map);
	ck_assert_ptr_null(pre->rules[1].nat.map);
	ck_assert_str_eq(pre->rules[1].comment, "again");
	ck_assert_ptr_nonnull(pre->rules[2].nat.map);
	ck_assert_uint_eq(pre->rules[2].nat.map->nnelems, 8);

	struct strbuf out = { 0 };
	render_table(&out, &t, NULL);
	ck_assert_msg(strstr(out.s, "meta nfproto ipv4 iifname \"wan0\" meta l4proto udp counter "
				      "dnat ip to udp dport map @natmap.1 comment \"vigil:natmap f0 .. f7\""),
		      "%s", out.s);
	ck_assert_msg(strstr(out.s, "type inet_service : ipv4_addr . inet_service"), "%s", out.s);
	ck_assert_msg(strstr(out.s, "1007 : 10.9.0.2 . 2007"), "%s", out.s);
	sb_free(&out);
	ir_table_free(&t);
	policy_free(&pol);

	/* natmap_min SIZE_MAX: never */
	struct ir_opts o = { .natmap_min = SIZE_MAX };
	compile_text(yaml, NULL, &pol, &t);
	ir_table_free(&t);
	ck_assert_int_eq(ir_compile(&pol, &o, &t), 0);
	ck_assert_uint_eq(count_named(&t, "natmap."), 0);
	ck_assert_uint_eq(chain_named(&t, "prerouting")->n, 17);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

/* ---- the verifier ---- */

static char *vyaml(void)
{
	return forwards(8, "true",
		"  - {name: s0, iif: wan0, proto: tcp, dport: 80, action: dnat, to: \"[fd00::2]:8080\"}\n"
		"  - {name: s1, iif: wan0, proto: tcp, dport: 81, action: dnat, to: \"[fd00::2]:8081\"}\n"
		"  - {name: s2, iif: wan0, proto: tcp, dport: 82, action: dnat, to: \"[fd00::2]:8082\"}\n"
		"  - {name: s3, iif: wan0, proto: tcp, dport: 83, action: dnat, to: \"[fd00::2]:8083\"}\n"
		"  - {name: s4, iif: wan0, proto: tcp, dport: 84, action: dnat, to: \"[fd00::2]:8084\"}\n"
		"  - {name: s5, iif: wan0, proto: tcp, dport: 85, action: dnat, to: \"[fd00::2]:8085\"}\n"
		"  - {name: s6, iif: wan0, proto: tcp, dport: 86, action: dnat, to: \"[fd00::2]:8086\"}\n"
		"  - {name: s7, iif: wan0, proto: tcp, dport: 87, action: dnat, to: \"[fd00::2]:8087\"}\n");
}

START_TEST(compiled_passes)
{
	struct hb b;
	struct batch_refusal r;
	_cleanup_free_ char *y = vyaml();

	hb_policy(&b, y);
	ck_assert_uint_ne(hb_set_id(&b, "natmap.1"), 0);
	ck_assert_uint_ne(hb_set_id(&b, "natmap.2"), 0);
	ck_assert_uint_ne(hb_set_id(&b, "dnatfwd.1"), 0);
	hb_end(&b);
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}
END_TEST

enum { UD_NATMAP, UD_SET, UD_NONE };

/* NEWSET natmap.9 with these attributes (dtype 0: no data) */
static void put_set(struct hb *b, uint32_t flags, uint32_t ktype, uint32_t klen, uint32_t dtype,
		    uint32_t dlen, int ud, bool timeout)
{
	struct nftnl_set *s = nftnl_set_alloc();
	uint8_t u[NFT_USERDATA_MAXLEN];
	size_t n = ud == UD_NATMAP ? vocab_natmap_udata(u, sizeof(u))
				   : vocab_set_udata(flags, ktype, false, u, sizeof(u));
	struct nlmsghdr *nlh;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, "vigil");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "natmap.9");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	if (dtype) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, dlen);
	}
	if (timeout)
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, 60000);
	nftnl_set_set_u32(s, NFTNL_SET_ID, 9999);
	if (ud != UD_NONE)
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, u, (uint32_t)n);
	nlh = nftnl_nlmsg_build_hdr(hb_room(b), NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, b->seq++);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	hb_done(b, nlh);
}

static void set_case(const char *why, uint32_t flags, uint32_t ktype, uint32_t klen, uint32_t dtype,
		     uint32_t dlen, int ud, bool timeout)
{
	struct hb b;
	struct batch_refusal r;
	_cleanup_free_ char *y = vyaml();

	hb_policy(&b, y);
	size_t at = hb_nmsgs(&b);
	put_set(&b, flags, ktype, klen, dtype, dlen, ud, timeout);
	hb_end(&b);
	if (why)
		HB_REFUSED(&b, at, why);
	else
		ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}

START_TEST(set_near_misses)
{
	uint32_t v4 = vocab_natmap_data_type(true), v6 = vocab_natmap_data_type(false);
	uint32_t port = ir_keyinfo(K_DPORT)->type_id, a4 = ir_keyinfo(K_IP_DADDR)->type_id;

	set_case(NULL, NFT_SET_MAP, port, 2, v4, 8, UD_NATMAP, false); /* the control */
	set_case(NULL, NFT_SET_MAP, port, 2, v6, 20, UD_NATMAP, false);
	set_case("key a port, no flags but map", NFT_SET_MAP | NFT_SET_INTERVAL, port, 2, v4, 8,
		 UD_NATMAP, false);
	set_case("key a port", NFT_SET_MAP, a4, 4, v4, 8, UD_NATMAP, false);
	set_case("a port-forward map's is an address . a port", NFT_SET_MAP, port, 2, v4, 20, UD_NATMAP,
		 false);
	set_case("a port-forward map's is an address . a port", NFT_SET_MAP, port, 2, v6, 8, UD_NATMAP,
		 false);
	set_case("a port-forward map's is an address . a port", NFT_SET_MAP, port, 2, a4, 4, UD_NATMAP,
		 false);
	set_case("userdata is not what vigild writes for a port-forward map", NFT_SET_MAP, port, 2, v4, 8,
		 UD_SET, false);
	set_case("has timeouts", NFT_SET_MAP, port, 2, v4, 8, UD_NATMAP, true);
	set_case("has data where it is not a map", 0, port, 2, v4, 8, UD_NATMAP, false);
	/* a set of concatenations: an address . a port, plain */
	set_case(NULL, 0, v4, 8, 0, 0, UD_SET, false);
	set_case("flags 132 is not one vigild uses", NFT_SET_INTERVAL | NFT_SET_CONCAT, v4, 8, 0, 0,
		 UD_SET, false);
	set_case("a set of concatenations is an address . a port", NFT_SET_INTERVAL, v4,
		 8, 0, 0, UD_SET, false);
	set_case("a set of concatenations is an address . a port", 0, a4 << 6 | a4, 8, 0, 0, UD_SET,
		 false);
	set_case("a set of concatenations is an address . a port", 0, port << 6 | a4, 8, 0, 0, UD_SET,
		 false);
}
END_TEST

/* NEWSETELEM of natmap.1 (IPv4): one element, key 2 bytes, data as given */
static void elem_case(const char *why, const void *data, uint32_t dlen, bool verdict, bool end)
{
	struct hb b;
	struct batch_refusal r;
	_cleanup_free_ char *y = vyaml();
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t key[2] = { 0x27, 0x10 };
	struct nlmsghdr *nlh;

	hb_policy(&b, y);
	size_t at = hb_nmsgs(&b);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "vigil");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "natmap.1");
	nftnl_set_set_u32(s, NFTNL_SET_ID, hb_set_id(&b, "natmap.1"));
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, 2);
	if (data)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, dlen);
	if (verdict)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NF_ACCEPT);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(hb_room(&b), NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, b.seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	hb_done(&b, nlh);
	hb_end(&b);
	if (why)
		HB_REFUSED(&b, at, why);
	else
		ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}

START_TEST(elem_near_misses)
{
	static const uint8_t good[8] = { 10, 9, 0, 7, 0x1f, 0x90, 0, 0 };
	static const uint8_t pad[8] = { 10, 9, 0, 7, 0x1f, 0x90, 0, 1 };
	static const uint8_t six[20] = { 0xfd, [15] = 2, [16] = 0x1f, [17] = 0x90 };

	elem_case(NULL, good, 8, false, false); /* the control */
	elem_case("the port's padding is not zero", pad, 8, false, false);
	elem_case("an address and a port (8 bytes)", six, 20, false, false);
	elem_case("a port-forward map's elements have data", NULL, 0, false, false);
	elem_case("an address and a port (8 bytes)", NULL, 0, true, false);
	elem_case("ends an interval of a set without intervals", good, 8, false, true);
}
END_TEST

static void u32(struct nftnl_expr *e, uint16_t attr, uint32_t v)
{
	nftnl_expr_set_u32(e, attr, v);
}

static struct nftnl_expr *payload(uint32_t off, uint32_t reg)
{
	struct nftnl_expr *e = hb_expr("payload");

	u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	return e;
}

static struct nftnl_expr *lookup(const struct hb *b, const char *set, bool dreg)
{
	struct nftnl_expr *e = hb_expr("lookup");

	u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (dreg)
		u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	u32(e, NFTNL_EXPR_LOOKUP_SET_ID, hb_set_id(b, set));
	return e;
}

/* nat TYPE FAMILY addr_min reg 1 [addr_max AMAX] proto_min PREG [flags] */
static struct nftnl_expr *nat(uint32_t type, uint32_t fam, uint32_t amax, uint32_t preg, uint32_t flags)
{
	struct nftnl_expr *e = hb_expr("nat");

	u32(e, NFTNL_EXPR_NAT_TYPE, type);
	u32(e, NFTNL_EXPR_NAT_FAMILY, fam);
	u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	if (amax)
		u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, amax);
	if (preg)
		u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, preg);
	if (flags)
		u32(e, NFTNL_EXPR_NAT_FLAGS, flags);
	return e;
}

enum shape_flip {
	F_NONE,
	F_CHAIN,      /* in forward */
	F_NO_PAYLOAD,
	F_SPORT,      /* th sport instead of dport */
	F_REG9,       /* the port loaded into reg32 1 */
	F_SET,        /* lookup of dnatfwd.1 */
	F_NO_DREG,
	F_BETWEEN,    /* a counter between lookup and nat */
	F_PREG,       /* proto_min reg 2 */
	F_FAMILY,     /* ip6 with an IPv4 map */
	F_AMAX,
	F_FLAGS,
	F_SNAT,
	F_NO_PORT,
	F_V6,         /* natmap.2 (IPv6): its own register */
	F_V6_REG9,    /* ... read from reg32 1 */
};

static void shape_case(enum shape_flip f, const char *why)
{
	struct hb b;
	struct batch_refusal r;
	_cleanup_free_ char *y = vyaml();

	hb_policy(&b, y);
	size_t at = hb_nmsgs(&b);
	struct nftnl_rule *rule = hb_rule(f == F_CHAIN ? "forward" : "prerouting");
	bool v6 = f == F_V6 || f == F_V6_REG9;
	nftnl_rule_add_expr(rule, hb_expr("counter"));
	if (f != F_NO_PAYLOAD)
		nftnl_rule_add_expr(rule, payload(f == F_SPORT ? 0 : 2, f == F_REG9 ? NFT_REG32_01 : NFT_REG_1));
	nftnl_rule_add_expr(rule, lookup(&b, f == F_SET ? "dnatfwd.1" : v6 ? "natmap.2" : "natmap.1",
					 f != F_NO_DREG));
	if (f == F_BETWEEN)
		nftnl_rule_add_expr(rule, hb_expr("counter"));
	nftnl_rule_add_expr(rule, nat(f == F_SNAT ? NFT_NAT_SNAT : NFT_NAT_DNAT,
				      f == F_FAMILY || v6 ? NFPROTO_IPV6 : NFPROTO_IPV4,
				      f == F_AMAX ? NFT_REG_1 : 0,
				      f == F_NO_PORT ? 0 : f == F_PREG || f == F_V6 ? NFT_REG_2 : NFT_REG32_01,
				      f == F_FLAGS ? NF_NAT_RANGE_PROTO_SPECIFIED : 0));
	hb_put_rule(&b, rule);
	hb_end(&b);
	if (why)
		HB_REFUSED(&b, at, why);
	else
		ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}

START_TEST(rule_near_misses)
{
	shape_case(F_NONE, NULL); /* the control: what nftc_nat.c makes */
	shape_case(F_V6, NULL);
	shape_case(F_CHAIN, "a port-forward map is looked up in vigild's prerouting chain only");
	shape_case(F_NO_PAYLOAD, "right after loading th dport into reg 1");
	shape_case(F_SPORT, "right after loading th dport into reg 1");
	shape_case(F_REG9, "right after loading th dport into reg 1");
	shape_case(F_SET, "a lookup writes registers from a port-forward map only");
	shape_case(F_NO_DREG, "a port-forward map's lookup writes reg 1");
	shape_case(F_BETWEEN, "a port-forward map's lookup is followed by its nat");
	shape_case(F_PREG, "the port is reg");
	shape_case(F_FAMILY, "but the map holds IPv4 addresses");
	shape_case(F_AMAX, "the address is reg 1 (no range)");
	shape_case(F_FLAGS, "no flags");
	shape_case(F_SNAT, "snat only in vigild's postrouting chain");
	shape_case(F_NO_PORT, "the port is reg");
	shape_case(F_V6_REG9, "the port is reg");
}
END_TEST

START_TEST(immediate_nat_high_reg)
{
	/* the old path: a nat whose port register no immediate wrote */
	struct hb b;
	static const uint8_t a4[4] = { 10, 1, 0, 2 };
	_cleanup_free_ char *y = vyaml();

	hb_policy(&b, y);
	size_t at = hb_nmsgs(&b);
	struct nftnl_rule *rule = hb_rule("prerouting");
	struct nftnl_expr *imm = hb_expr("immediate");
	u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, a4, 4);
	nftnl_rule_add_expr(rule, imm);
	nftnl_rule_add_expr(rule, nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, NFT_REG32_01,
				      NF_NAT_RANGE_PROTO_SPECIFIED));
	hb_put_rule(&b, rule);
	hb_end(&b);
	HB_REFUSED(&b, at, "proto min reads reg 9, which no immediate writes");
	hb_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("natmap");
	TCase *tc = tcase_create("natmap");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, threshold);
	tcase_add_test(tc, runs_end);
	tcase_add_test(tc, compiled_passes);
	tcase_add_test(tc, set_near_misses);
	tcase_add_test(tc, elem_near_misses);
	tcase_add_test(tc, rule_near_misses);
	tcase_add_test(tc, immediate_nat_high_reg);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
