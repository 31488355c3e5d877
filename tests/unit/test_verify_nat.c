// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's NAT shapes (batch_verify_nat.c): what nftc_nat.c makes
 * passes, each near miss is refused with the expression and the reason:
 * a translation at the wrong hook, registers it did not load or of the
 * wrong length, flags without a port, verdicts, rejects, limits, logs and
 * mark writes in a nat chain, value immediates outside one, a nat rule
 * without its translation or with anything after it. And the rate-limit
 * shapes (batch_verify_limit.c): what limit.c makes passes; a dynset
 * into a set that is not dynamic, of the wrong expression, keyed on
 * something else than the source address, a log-shaped limit that is not
 * a log's, a connlimit that is not inverted are refused.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "hb.h"
#include "unit.h"

static const char gw_yaml[] =
	"version: 1\n"
	"nat:\n"
	"  - {name: masq, oif: wan0, action: masquerade}\n"
	"  - {name: web, iif: wan0, proto: tcp, dport: 8080, action: dnat, to: \"10.1.0.2:80\"}\n";

static void u32(struct nftnl_expr *e, uint16_t attr, uint32_t v)
{
	nftnl_expr_set_u32(e, attr, v);
}

static struct nftnl_expr *imm(uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = hb_expr("immediate");

	u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	return e;
}

static struct nftnl_expr *verdict(uint32_t v)
{
	struct nftnl_expr *e = hb_expr("immediate");

	u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	u32(e, NFTNL_EXPR_IMM_VERDICT, v);
	return e;
}

/* nat TYPE FAMILY addr_min reg 1 [proto_min PREG] [flags FLAGS] */
static struct nftnl_expr *nat(uint32_t type, uint32_t fam, uint32_t preg, uint32_t flags)
{
	struct nftnl_expr *e = hb_expr("nat");

	u32(e, NFTNL_EXPR_NAT_TYPE, type);
	u32(e, NFTNL_EXPR_NAT_FAMILY, fam);
	u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	if (preg)
		u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, preg);
	if (flags)
		u32(e, NFTNL_EXPR_NAT_FLAGS, flags);
	return e;
}

static struct nftnl_expr *portexpr(const char *name, uint32_t preg, uint32_t flags)
{
	struct nftnl_expr *e = hb_expr(name);
	bool masq = strcmp(name, "masq") == 0;

	if (preg)
		u32(e, masq ? NFTNL_EXPR_MASQ_REG_PROTO_MIN : NFTNL_EXPR_REDIR_REG_PROTO_MIN, preg);
	if (flags)
		u32(e, masq ? NFTNL_EXPR_MASQ_FLAGS : NFTNL_EXPR_REDIR_FLAGS, flags);
	return e;
}

#define END NULL
/* A rule in chain holding a counter and the expressions (NULL-ended):
 * passes (why NULL) or is refused with why in the reason. */
static void rule_case(const char *chain, const char *why, ...)
{
	struct hb b;
	struct batch_refusal r;
	struct nftnl_rule *rule = hb_rule(chain);
	struct nftnl_expr *e;
	va_list ap;

	hb_policy(&b, gw_yaml);
	size_t at = hb_nmsgs(&b);
	nftnl_rule_add_expr(rule, hb_expr("counter"));
	va_start(ap, why);
	while ((e = va_arg(ap, struct nftnl_expr *)))
		nftnl_rule_add_expr(rule, e);
	va_end(ap);
	hb_put_rule(&b, rule);
	hb_end(&b);
	if (why)
		HB_REFUSED(&b, at, why);
	else
		ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}

static const uint8_t a4[4] = { 10, 1, 0, 2 }, a6[16] = { 0xfd, [15] = 2 }, p80[2] = { 0, 80 };

START_TEST(compiled_nat_passes)
{
	struct hb b;
	struct batch_refusal r;

	/* the compiler's own batch, and the shapes it makes written by hand */
	hb_policy(&b, gw_yaml);
	hb_end(&b);
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
	rule_case("prerouting", NULL, imm(NFT_REG_1, a4, 4), imm(NFT_REG_2, p80, 2),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_2, NF_NAT_RANGE_PROTO_SPECIFIED), END);
	rule_case("prerouting", NULL, imm(NFT_REG_1, a6, 16),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV6, 0, 0), END);
	rule_case("postrouting", NULL, imm(NFT_REG_1, a4, 4), nat(NFT_NAT_SNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("postrouting", NULL, portexpr("masq", 0, 0), END);
	rule_case("postrouting", NULL, imm(NFT_REG_1, p80, 2),
		  portexpr("masq", NFT_REG_1, NF_NAT_RANGE_PROTO_SPECIFIED), END);
	rule_case("prerouting", NULL, imm(NFT_REG_1, p80, 2),
		  portexpr("redir", NFT_REG_1, NF_NAT_RANGE_PROTO_SPECIFIED), END);
}
END_TEST

START_TEST(wrong_hook_refused)
{
	rule_case("postrouting", "expression 3 (nat): dnat only in vigild's prerouting chain",
		  imm(NFT_REG_1, a4, 4), nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("prerouting", "expression 3 (nat): snat only in vigild's postrouting chain",
		  imm(NFT_REG_1, a4, 4), nat(NFT_NAT_SNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("prerouting", "expression 2 (masq): masquerade only in vigild's postrouting chain",
		  portexpr("masq", 0, 0), END);
	rule_case("postrouting", "expression 2 (redir): redirect only in vigild's prerouting chain",
		  portexpr("redir", 0, 0), END);
	/* the filter chains: never, output least of all */
	rule_case("output", "expression 2 (redir): redirect only in vigild's prerouting chain",
		  portexpr("redir", 0, 0), END);
	rule_case("output", "expression 2 (immediate): puts a value into a register outside a nat chain",
		  imm(NFT_REG_1, a4, 4), nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("forward", "expression 2 (masq): masquerade only in vigild's postrouting chain",
		  portexpr("masq", 0, 0), END);
}
END_TEST

START_TEST(registers_refused)
{
	rule_case("prerouting", "expression 2 (nat): addr min reads reg 1, which holds 0 bytes, not 4",
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("prerouting", "addr min reads reg 1, which holds 4 bytes, not 16",
		  imm(NFT_REG_1, a4, 4), nat(NFT_NAT_DNAT, NFPROTO_IPV6, 0, 0), END);
	rule_case("prerouting", "proto min reads reg 2, which holds 0 bytes, not 2", imm(NFT_REG_1, a4, 4),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_2, NF_NAT_RANGE_PROTO_SPECIFIED), END);
	rule_case("prerouting", "flags proto-specified go with a port, and only with one",
		  imm(NFT_REG_1, a4, 4), imm(NFT_REG_2, p80, 2),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_2, 0), END);
	rule_case("postrouting", "flags proto-specified go with a port, and only with one",
		  portexpr("masq", 0, NF_NAT_RANGE_PROTO_SPECIFIED), END);
	rule_case("postrouting", "expression 2 (masq): flags", portexpr("masq", 0, NF_NAT_RANGE_PROTO_RANDOM), END);
	rule_case("prerouting", "puts 3 bytes into reg 1", imm(NFT_REG_1, a4, 3),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("prerouting", "writes reg 1 twice", imm(NFT_REG_1, a4, 4), imm(NFT_REG_1, a4, 4),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, 0), END);
	rule_case("prerouting", "expression 2 (immediate): dreg", imm(NFT_REG_1 + 4, a4, 4),
		  nat(NFT_NAT_DNAT, NFPROTO_IPV4, 0, 0), END);
}
END_TEST

START_TEST(nat_chain_contents_refused)
{
	rule_case("prerouting", "a verdict in a nat chain", verdict(NF_ACCEPT), END);
	rule_case("postrouting", "a rule of a nat chain ends in its translation", END);
	rule_case("postrouting", "expression 3 (counter) comes after the translation", portexpr("masq", 0, 0),
		  hb_expr("counter"), END);
	struct nftnl_expr *rej = hb_expr("reject");
	u32(rej, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(rej, NFTNL_EXPR_REJECT_CODE, 0);
	rule_case("prerouting", "a reject in a nat chain", rej, END);
	struct nftnl_expr *lim = hb_expr("limit");
	nftnl_expr_set_u64(lim, NFTNL_EXPR_LIMIT_RATE, 5);
	nftnl_expr_set_u64(lim, NFTNL_EXPR_LIMIT_UNIT, 1);
	u32(lim, NFTNL_EXPR_LIMIT_BURST, 5);
	u32(lim, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	u32(lim, NFTNL_EXPR_LIMIT_FLAGS, 0);
	rule_case("postrouting", "a limit in a nat chain", lim, portexpr("masq", 0, 0), END);
	struct nftnl_expr *ct = hb_expr("ct");
	u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	u32(ct, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	rule_case("postrouting", "sets a conntrack key in a nat chain", ct, portexpr("masq", 0, 0), END);
}
END_TEST

static const char lim_yaml[] =
	"version: 1\n"
	"sets:\n"
	"  a: {type: cidr, elements: [10.0.0.0/8]}\n"
	"rules:\n"
	"  - {name: r1, chain: input, src: \"@a\", proto: tcp, dport: 22, action: accept}\n"
	"  - {name: web, chain: input, proto: tcp, dport: 80, action: accept, limit: 10/second burst 20, per-source: true}\n"
	"  - {name: ssh, chain: input, proto: tcp, dport: 2222, action: accept, ct-count: 5}\n";

static struct nftnl_expr *limit_expr(uint32_t burst, uint32_t flags)
{
	struct nftnl_expr *e = hb_expr("limit");

	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, 10);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	u32(e, NFTNL_EXPR_LIMIT_FLAGS, flags);
	return e;
}

static struct nftnl_expr *saddr4(uint32_t off)
{
	struct nftnl_expr *e = hb_expr("payload");

	u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
	return e;
}

static struct nftnl_expr *dynset(const struct hb *b, const char *set, uint32_t op, struct nftnl_expr *inner)
{
	struct nftnl_expr *e = hb_expr("dynset");

	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	u32(e, NFTNL_EXPR_DYNSET_SET_ID, hb_set_id(b, set));
	u32(e, NFTNL_EXPR_DYNSET_OP, op);
	u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, inner, 0);
	return e;
}

/* A rule in input: counter-free, the expressions then a drop verdict. */
static void lim_case(const char *why, struct nftnl_expr *e1, struct nftnl_expr *e2, bool need_b)
{
	struct hb b;
	struct batch_refusal r;
	struct nftnl_rule *rule = hb_rule("input");

	(void)need_b;
	hb_policy(&b, lim_yaml);
	size_t at = hb_nmsgs(&b);
	if (e1)
		nftnl_rule_add_expr(rule, e1);
	if (e2)
		nftnl_rule_add_expr(rule, e2);
	nftnl_rule_add_expr(rule, verdict(NF_DROP));
	hb_put_rule(&b, rule);
	hb_end(&b);
	if (why)
		HB_REFUSED(&b, at, why);
	else
		ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}

START_TEST(limit_shapes)
{
	struct hb b;
	struct batch_refusal r;
	struct nftnl_expr *c;

	/* the compiler's batch; the shapes it makes, by hand */
	hb_policy(&b, lim_yaml);
	hb_end(&b);
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	lim_case(NULL, limit_expr(20, NFT_LIMIT_F_INV), NULL, false);
	lim_case(NULL, saddr4(12), dynset(&b, "limit.web_v4", NFT_DYNSET_OP_UPDATE, limit_expr(20, NFT_LIMIT_F_INV)),
		 true);
	c = hb_expr("connlimit");
	u32(c, NFTNL_EXPR_CONNLIMIT_COUNT, 5);
	u32(c, NFTNL_EXPR_CONNLIMIT_FLAGS, NFT_CONNLIMIT_F_INV);
	lim_case(NULL, saddr4(12), dynset(&b, "count.ssh_v4", NFT_DYNSET_OP_ADD, c), true);

	/* near misses */
	lim_case("a limit that is not `over` its rate belongs to a log, and no log follows it", limit_expr(20, 0),
		 NULL, false);
	lim_case("a packet limit is at most 1000000 a unit, burst 1 to", limit_expr(0, NFT_LIMIT_F_INV), NULL,
		 false);
	lim_case("updates 'a_v4', not a dynamic set this batch makes", saddr4(12),
		 dynset(&b, "a_v4", NFT_DYNSET_OP_UPDATE, limit_expr(20, NFT_LIMIT_F_INV)), true);
	lim_case("a rate limit updates a set with timeouts", saddr4(12),
		 dynset(&b, "count.ssh_v4", NFT_DYNSET_OP_UPDATE, limit_expr(20, NFT_LIMIT_F_INV)), true);
	lim_case("its key is not the source address loaded right before it", saddr4(16),
		 dynset(&b, "limit.web_v4", NFT_DYNSET_OP_UPDATE, limit_expr(20, NFT_LIMIT_F_INV)), true);
	lim_case("holds 'counter'; a per-source limit holds limit", saddr4(12),
		 dynset(&b, "limit.web_v4", NFT_DYNSET_OP_UPDATE, hb_expr("counter")), true);
	lim_case("a per-source limit takes what is over it", saddr4(12),
		 dynset(&b, "limit.web_v4", NFT_DYNSET_OP_UPDATE, limit_expr(20, 0)), true);
	c = hb_expr("connlimit");
	u32(c, NFTNL_EXPR_CONNLIMIT_COUNT, 5);
	u32(c, NFTNL_EXPR_CONNLIMIT_FLAGS, 0);
	lim_case("expression 1 (connlimit): flags", c, NULL, false);
	hb_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("verify_nat");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, compiled_nat_passes);
	tcase_add_test(tc, wrong_hook_refused);
	tcase_add_test(tc, registers_refused);
	tcase_add_test(tc, nat_chain_contents_refused);
	tcase_add_test(tc, limit_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
