// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's allow-list, shape by shape: the attack from issue 14 (a
 * nat chain redirecting to an unprivileged port, a raw-priority chain with
 * notrack and meta mark set, all inside vigild's own table) and every other
 * shape the compiler never emits is refused, with the message, the object
 * and the attribute or expression named. Each test appends to vigild's own
 * batch for a policy, so the rest of the batch is known good.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "hb.h"
#include "unit.h"
#include "vigil/vocab.h"

static const char base_yaml[] =
	"version: 1\n"
	"sets:\n"
	"  a: {type: cidr, elements: [10.0.0.0/8, \"2001:db8::/32\"]}\n"
	"rules:\n"
	"  - {name: r1, chain: input, src: \"@a\", proto: tcp, dport: 22, action: accept}\n";

/* A merged run: a verdict map and chains rule.m0 .. rule.m9. */
static const char merged_yaml[] =
	"version: 1\n"
	"rules:\n"
	"  - {name: m0, chain: input, src: 10.0.0.1, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m1, chain: input, src: 10.0.0.2, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m2, chain: input, src: 10.0.0.3, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m3, chain: input, src: 10.0.0.4, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m4, chain: input, src: 10.0.0.5, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m5, chain: input, src: 10.0.0.6, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m6, chain: input, src: 10.0.0.7, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m7, chain: input, src: 10.0.0.8, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m8, chain: input, src: 10.0.0.9, proto: tcp, dport: 22, action: accept}\n";

static void u32(struct nftnl_expr *e, uint16_t attr, uint32_t v)
{
	nftnl_expr_set_u32(e, attr, v);
}

/* One rule in `chain` holding a counter and then e: refused at that rule,
 * with every needle in the reason. */
static void rule_refused(const char *chain, struct nftnl_expr *e, const char *const *needles)
{
	struct hb b;
	struct nftnl_rule *r;

	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	r = hb_rule(chain);
	nftnl_rule_add_expr(r, hb_expr("counter"));
	nftnl_rule_add_expr(r, e);
	hb_put_rule(&b, r);
	hb_end(&b);
	hb_refused_at(&b, at, needles);
	hb_free(&b);
}
#define RULE_REFUSED(e, ...) rule_refused("input", (e), (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(control_counter_rule_passes)
{
	struct hb b;
	struct batch_refusal r;
	struct nftnl_rule *rule;

	/* the helpers themselves make a rule vigild would make */
	hb_policy(&b, base_yaml);
	rule = hb_rule("input");
	nftnl_rule_add_expr(rule, hb_expr("counter"));
	hb_put_rule(&b, rule);
	hb_end(&b);
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}
END_TEST

START_TEST(issue_attack_chains_refused)
{
	struct hb b;
	size_t at;

	/* nat chains: only prerouting at dstnat and postrouting at srcnat,
	 * policy accept; never a nat chain on output (a redirect there would
	 * take the host's own connections) */
	static const struct {
		const char *name, *type;
		uint32_t hook;
		int32_t prio;
		uint32_t policy;
		const char *why;
	} nat[] = {
		{ "prerouting", "nat", NF_INET_PRE_ROUTING, -300, NF_ACCEPT,
		  "has priority -300; vigild's prerouting chain has priority -100" },
		{ "prerouting", "filter", NF_INET_PRE_ROUTING, -100, NF_ACCEPT,
		  "has type 'filter'; vigild's prerouting chain is of type nat" },
		{ "prerouting", "nat", NF_INET_PRE_ROUTING, -100, NF_DROP, "a nat chain's policy is accept" },
		{ "postrouting", "nat", NF_INET_PRE_ROUTING, 100, NF_ACCEPT,
		  "is on hook 0; vigild's postrouting chain is on hook 4" },
		{ "natout", "nat", NF_INET_LOCAL_OUT, -100, NF_ACCEPT, "a base chain vigild never makes" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(nat); i++) {
		hb_policy(&b, base_yaml);
		at = hb_nmsgs(&b);
		hb_chain(&b, nat[i].name, nat[i].type, nat[i].hook, nat[i].prio, nat[i].policy);
		hb_end(&b);
		HB_REFUSED(&b, at, nat[i].name, nat[i].why);
		hb_free(&b);
	}

	/* in place of vigild's output chain: nat, raw priority, another hook, route */
	static const struct {
		const char *type;
		uint32_t hook;
		int32_t prio;
		const char *why;
	} bad[] = {
		{ "nat", NF_INET_LOCAL_OUT, -100, "has type 'nat'; vigild's output chain is of type filter" },
		{ "filter", NF_INET_LOCAL_OUT, -300, "has priority -300; vigild's output chain has priority 0" },
		{ "filter", NF_INET_PRE_ROUTING, 0, "is on hook 0; vigild's output chain is on hook 3" },
		{ "route", NF_INET_LOCAL_OUT, 0, "has type 'route'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		hb_policy(&b, "version: 1\n");
		hb_truncate(&b, 4); /* BEGIN and the three table messages */
		hb_chain(&b, "input", "filter", NF_INET_LOCAL_IN, 0, NF_DROP);
		hb_chain(&b, "forward", "filter", NF_INET_FORWARD, 0, NF_DROP);
		hb_chain(&b, "output", bad[i].type, bad[i].hook, bad[i].prio, NF_ACCEPT);
		hb_end(&b);
		HB_REFUSED(&b, 6, "NEWCHAIN chain output", bad[i].why);
		hb_free(&b);
	}
	/* the control: the same three chains as vigild makes them */
	hb_policy(&b, "version: 1\n");
	hb_truncate(&b, 4);
	hb_chain(&b, "input", "filter", NF_INET_LOCAL_IN, 0, NF_DROP);
	hb_chain(&b, "forward", "filter", NF_INET_FORWARD, 0, NF_DROP);
	hb_chain(&b, "output", "filter", NF_INET_LOCAL_OUT, 0, NF_ACCEPT);
	hb_end(&b);
	struct batch_refusal r;
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);

	hb_policy(&b, base_yaml);
	at = hb_nmsgs(&b);
	hb_chain(&b, "evil", NULL, 0, 0, 0);
	hb_end(&b);
	HB_REFUSED(&b, at, "chain evil", "a regular chain is called 'rule.'");
	hb_free(&b);
}
END_TEST

START_TEST(issue_attack_expressions_refused)
{
	struct nftnl_expr *e;

	/* redirect tcp/80 to a port an unprivileged user listens on */
	e = hb_expr("redir");
	u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
	RULE_REFUSED(e, "rule 'evil' in chain input", "expression 2 (redir): redirect only in vigild's prerouting chain");
	e = hb_expr("nat");
	u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	RULE_REFUSED(e, "expression 2 (nat): dnat only in vigild's prerouting chain");
	RULE_REFUSED(hb_expr("masq"), "expression 2 (masq): masquerade only in vigild's postrouting chain");
	RULE_REFUSED(hb_expr("notrack"), "expression 2 is 'notrack'");
	/* meta mark set */
	e = hb_expr("meta");
	u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	RULE_REFUSED(e, "expression 2 (meta)", "key 3 is not one vigild uses");
	/* a key vigild reads, written */
	e = hb_expr("meta");
	u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	RULE_REFUSED(e, "expression 2 (meta)", "attribute 3, which vigild never sends");
	/* meta mark as a load: not a key vigild reads */
	e = hb_expr("meta");
	u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	RULE_REFUSED(e, "expression 2 (meta): key 3 is not one vigild uses");
	e = hb_expr("queue");
	u32(e, NFTNL_EXPR_QUEUE_NUM, 1);
	RULE_REFUSED(e, "'queue'");
	RULE_REFUSED(hb_expr("dup"), "'dup'");
	RULE_REFUSED(hb_expr("fwd"), "'fwd'");
	e = hb_expr("dynset");
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, "a_v4");
	RULE_REFUSED(e, "expression 2 (dynset) lacks attribute set id");
	RULE_REFUSED(hb_expr("quota"), "'quota'");
	RULE_REFUSED(hb_expr("objref"), "'objref'");
	RULE_REFUSED(hb_expr("range"), "'range'");
	RULE_REFUSED(hb_expr("connlimit"), "expression 2 (connlimit) lacks attribute count");
	RULE_REFUSED(hb_expr("synproxy"), "'synproxy'");
	RULE_REFUSED(hb_expr("tproxy"), "'tproxy'");
	RULE_REFUSED(hb_expr("exthdr"), "'exthdr'");
}
END_TEST

START_TEST(writes_refused)
{
	struct nftnl_expr *e;
	uint32_t v = 0;

	/* payload set: rewrite the packet */
	e = hb_expr("payload");
	u32(e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	RULE_REFUSED(e, "expression 2 (payload)", "which vigild never sends");
	/* ct helper set, ct state set */
	e = hb_expr("ct");
	u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_HELPER);
	u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	RULE_REFUSED(e, "expression 2 (ct): key 6 is not one vigild uses");
	e = hb_expr("ct");
	u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	RULE_REFUSED(e, "sets a conntrack key other than the mark");
	/* ct mark set from a register vigild's bits do not come from */
	e = hb_expr("ct");
	u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	RULE_REFUSED(e, "sets the conntrack mark beyond vigild's bits");
	/* an immediate value into a data register (then ct mark set from it) */
	e = hb_expr("immediate");
	u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &v, 4);
	RULE_REFUSED(e, "expression 2 (immediate): puts a value into a register outside a nat chain");
}
END_TEST

/* ct mark set ct mark and MASK or XOR, as a rule */
static struct nftnl_rule *mark_rule(uint32_t mask, uint32_t xor)
{
	struct nftnl_rule *r = hb_rule("input");
	struct nftnl_expr *e = hb_expr("ct");

	u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e = hb_expr("bitwise");
	u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, 4);
	nftnl_rule_add_expr(r, e);
	e = hb_expr("ct");
	u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	return r;
}

START_TEST(mark_only_vigild_bits)
{
	static const struct {
		uint32_t mask, xor;
		bool ok;
	} cases[] = {
		{ 0x0000ffff, 7u << 16, true },   /* what compile.c makes */
		{ 0x0000ffff, 0xffff0000, true }, /* any value of vigild's bits */
		{ 0x0000ffff, 0x00000001, false }, /* writes a lower bit */
		{ 0x00000000, 7u << 16, false },  /* clears the lower bits */
		{ 0xffffffff, 0x00000001, false }, /* keeps all, flips a lower bit */
		{ 0x0000fff0, 7u << 16, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hb b;
		struct batch_refusal r;
		hb_policy(&b, base_yaml);
		size_t at = hb_nmsgs(&b);
		hb_put_rule(&b, mark_rule(cases[i].mask, cases[i].xor));
		hb_end(&b);
		if (cases[i].ok)
			ck_assert_msg(hb_verify(&b, &r) == 0, "case %zu: %s", i, r.why);
		else
			HB_REFUSED(&b, at, "expression 3 (ct)", "beyond vigild's bits");
		hb_free(&b);
	}
}
END_TEST

START_TEST(value_shapes_refused)
{
	struct nftnl_expr *e;

	e = hb_expr("payload"); /* ip protocol */
	u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 9);
	u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	RULE_REFUSED(e, "loads 1 bytes at offset 9 of header 1");
	e = hb_expr("payload"); /* more than the field */
	u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
	RULE_REFUSED(e, "loads 4 bytes at offset 2 of header 2");
	e = hb_expr("payload"); /* link layer */
	u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_LL_HEADER);
	u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 0);
	u32(e, NFTNL_EXPR_PAYLOAD_LEN, 6);
	RULE_REFUSED(e, "a field vigild never reads");
	e = hb_expr("log");
	nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, "ssh accepted ");
	RULE_REFUSED(e, "expression 2 (log): prefix is not \"vigil:NAME \"");
	e = hb_expr("log");
	nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, "vigil:ssh ");
	u32(e, NFTNL_EXPR_LOG_GROUP, 3); /* NFLOG: the kernel log's prefix, and no limit */
	RULE_REFUSED(e, "expression 2 (log): prefix is not \"vigil:NAME\"");
	e = hb_expr("limit");
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, 5);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	u32(e, NFTNL_EXPR_LIMIT_BURST, 1000);
	u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
	u32(e, NFTNL_EXPR_LIMIT_BURST, NFLOG_MAX_BURST + 1);
	RULE_REFUSED(e, "a log's limit counts packets, at most 1000000, burst 1 to 100000");
	e = hb_expr("limit");
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, 5);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 7);
	u32(e, NFTNL_EXPR_LIMIT_BURST, 5);
	u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	RULE_REFUSED(e, "unit 7 seconds is not one vigild uses");
	e = hb_expr("limit");
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, 5);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	u32(e, NFTNL_EXPR_LIMIT_BURST, 5);
	u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	u32(e, NFTNL_EXPR_LIMIT_FLAGS, 2);
	RULE_REFUSED(e, "flags 2 is not one vigild uses");
	e = hb_expr("reject");
	u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 13);
	RULE_REFUSED(e, "type 0 with code 13 is not a reject vigild sends");
	e = hb_expr("cmp");
	u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_LT);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, "\0\0", 2);
	RULE_REFUSED(e, "op 2 is not one vigild uses");
	e = hb_expr("counter");
	nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_PACKETS, 1000000);
	RULE_REFUSED(e, "expression 2 (counter) has attribute");
}
END_TEST

/* The NFLOG rule of refused traffic: `ct state new [matches] limit rate
 * R/U burst B packets counter log prefix P group G`, built by hand, with
 * `how` changing one thing (0: nothing). */
enum { NF_OK, NF_NO_CT, NF_NO_LIMIT, NF_TWO_LOGS, NF_SPACE, NF_KERNEL_BURST, NF_DEFAULT_BAD,
       NF_LABEL, NF_DEFAULT, NF_N };

static void nflog_rule(int how, const char *const *needles)
{
	static const uint32_t new_bit = 1u << 3, zero = 0; /* NF_CT_STATE_BIT(IP_CT_NEW) */
	struct hb b;
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	struct batch_refusal why;
	const char *prefix = how == NF_SPACE	   ? "vigil:ssh " :
			     how == NF_LABEL	   ? "vigil:ssh probe 1" :
			     how == NF_DEFAULT	   ? "vigil:default:input" :
			     how == NF_DEFAULT_BAD ? "vigil:default:inbound" :
						     "vigil:ssh";

	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	r = hb_rule("input");
	if (how != NF_NO_CT) {
		e = hb_expr("ct");
		u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
		nftnl_rule_add_expr(r, e);
		e = hb_expr("bitwise");
		u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &new_bit, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
		nftnl_rule_add_expr(r, e);
		e = hb_expr("cmp");
		u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, 4);
		nftnl_rule_add_expr(r, e);
	}
	if (how != NF_NO_LIMIT) {
		e = hb_expr("limit");
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, NFLOG_DEFAULT_RATE);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		u32(e, NFTNL_EXPR_LIMIT_BURST, NFLOG_DEFAULT_BURST);
		u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
		nftnl_rule_add_expr(r, e);
	}
	nftnl_rule_add_expr(r, hb_expr("counter"));
	for (int k = 0; k < (how == NF_TWO_LOGS ? 2 : 1); k++) {
		e = hb_expr("log");
		nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, how == NF_KERNEL_BURST ? "vigil:ssh " : prefix);
		if (how != NF_KERNEL_BURST)
			nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, IR_NFLOG_GROUP);
		nftnl_rule_add_expr(r, e);
	}
	hb_put_rule(&b, r);
	hb_end(&b);
	if (needles)
		hb_refused_at(&b, at, needles);
	else
		ck_assert_msg(hb_verify(&b, &why) == 0, "shape %d: %s", how, why.why);
	hb_free(&b);
}
#define NFLOG_REFUSED(how, ...) nflog_rule((how), (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(nflog_shapes)
{
	nflog_rule(NF_OK, NULL);
	nflog_rule(NF_LABEL, NULL);
	nflog_rule(NF_DEFAULT, NULL);
	NFLOG_REFUSED(NF_NO_CT, "(log): a log to a group comes right after `ct state new");
	NFLOG_REFUSED(NF_NO_LIMIT, "(log): a log to a group comes right after");
	NFLOG_REFUSED(NF_TWO_LOGS, "expression 7 (log): a log to a group comes right after");
	NFLOG_REFUSED(NF_SPACE, "(log): prefix is not \"vigil:NAME\"");
	NFLOG_REFUSED(NF_DEFAULT_BAD, "(log): prefix is not");
	NFLOG_REFUSED(NF_KERNEL_BURST, "the limit of a kernel log has burst 100, not 5");
}
END_TEST

START_TEST(verdicts_refused)
{
	struct nftnl_expr *e;

	e = hb_expr("immediate"); /* queue the packet to user space */
	u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	u32(e, NFTNL_EXPR_IMM_VERDICT, NF_QUEUE);
	RULE_REFUSED(e, "verdict 3 is not one vigild uses");
	e = hb_expr("immediate"); /* into a base chain */
	u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, "output");
	RULE_REFUSED(e, "jump to 'output', not a regular chain of this batch");
	e = hb_expr("immediate"); /* into a chain of another table, or none */
	u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_GOTO);
	nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, "rule.nowhere");
	RULE_REFUSED(e, "goto to 'rule.nowhere'");
	e = hb_expr("immediate"); /* accept, then more */
	u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	struct hb b;
	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	struct nftnl_rule *r = hb_rule("input");
	nftnl_rule_add_expr(r, e);
	nftnl_rule_add_expr(r, hb_expr("counter"));
	hb_put_rule(&b, r);
	hb_end(&b);
	HB_REFUSED(&b, at, "expression 2 (counter) comes after the verdict");
	hb_free(&b);
}
END_TEST

START_TEST(lookups_refused)
{
	struct nftnl_expr *e;

	e = hb_expr("lookup"); /* a set of another table: resolved in ours, or nowhere */
	u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "allowed");
	u32(e, NFTNL_EXPR_LOOKUP_SET_ID, 99);
	RULE_REFUSED(e, "looks up 'allowed', not a set this batch makes");
	e = hb_expr("lookup"); /* the right id under another name */
	u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "b_v4");
	u32(e, NFTNL_EXPR_LOOKUP_SET_ID, 1);
	RULE_REFUSED(e, "not a set this batch makes");
	e = hb_expr("lookup"); /* a verdict out of a plain set */
	u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "a_v4");
	u32(e, NFTNL_EXPR_LOOKUP_SET_ID, 1);
	RULE_REFUSED(e, "a verdict comes from a map lookup only");
	e = hb_expr("lookup"); /* inverted */
	u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "a_v4");
	u32(e, NFTNL_EXPR_LOOKUP_SET_ID, 1);
	u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	RULE_REFUSED(e, "expression 2 (lookup) has attribute 5");
}
END_TEST

/* A set made with libnftnl: nftc's shape, changed by `tweak`. */
static void set_refused(void (*tweak)(struct nftnl_set *), const char *needle)
{
	struct hb b;
	struct nftnl_set *s = nftnl_set_alloc();
	uint8_t ud[64];
	size_t n = vocab_set_udata(NFT_SET_INTERVAL, 7, false, ud, sizeof(ud));
	struct nlmsghdr *nlh;

	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "vigil");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "bans");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 7);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
	nftnl_set_set_u32(s, NFTNL_SET_ID, 77);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, ud, (uint32_t)n);
	if (tweak)
		tweak(s);
	nlh = nftnl_nlmsg_build_hdr(hb_room(&b), NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, b.seq++);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	hb_done(&b, nlh);
	hb_end(&b);
	if (!needle) {
		struct batch_refusal r;
		ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	} else {
		HB_REFUSED(&b, at, "set bans", needle);
	}
	hb_free(&b);
}

static void t_timeout(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_TIMEOUT);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, 60000);
}
static void t_dynamic(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_EVAL);
}
static void t_objmap(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP | NFT_SET_OBJECT);
	nftnl_set_set_u32(s, NFTNL_SET_OBJ_TYPE, NFT_OBJECT_QUOTA);
}
static void t_keytype(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 9); /* ether_addr */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 6);
}
static void t_keylen(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 16);
}
static void t_anon_named(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
}
static void t_udata(struct nftnl_set *s)
{
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, "\x07\x02hi", 4);
}
static void t_datamap(struct nftnl_set *s)
{
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, 7);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 4);
}

START_TEST(sets_refused)
{
	set_refused(NULL, NULL); /* the control: nftc's own shape */
	set_refused(t_timeout, "has timeouts, which only vigild's dynamic sets have");
	set_refused(t_dynamic, "flags 36 is not one vigild uses");
	set_refused(t_objmap, "flags 72 is not one vigild uses");
	set_refused(t_keytype, "key type 9, which vigild never uses");
	set_refused(t_keylen, "key length 16; key type 7 is 4 bytes");
	set_refused(t_anon_named, "is not called as vigild calls its anonymous sets");
	set_refused(t_udata, "userdata is not what vigild writes");
	set_refused(t_datamap, "a map of vigild's maps to verdicts");
}
END_TEST

/* One element for `set` (with the id of merged.input.1) appended to the merged batch. */
static void elem_refused(const char *set, struct nftnl_set_elem *e, const char *needle)
{
	struct hb b;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	uint32_t id;

	hb_policy(&b, merged_yaml);
	id = hb_set_id(&b, "merged.input.1");
	ck_assert_uint_ne(id, 0);
	size_t at = hb_nmsgs(&b);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "vigil");
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(hb_room(&b), NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE,
				    b.seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, at, needle);
	hb_free(&b);
}

/* An element with a key of keylen bytes (10.0.0.99 . 22), a verdict (0:
 * none) to chain, and a timeout (0: none). */
static struct nftnl_set_elem *elem(uint32_t keylen, uint32_t verdict, const char *chain,
				   uint64_t timeout)
{
	static const uint8_t key[8] = { 10, 0, 0, 99, 0, 22, 0, 0 };
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, keylen);
	if (verdict || chain)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, verdict);
	if (chain)
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
	if (timeout)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout);
	return e;
}

START_TEST(elements_refused)
{
	/* the merged map: key ip saddr . tcp dport, goto rule.NAME */
	elem_refused("merged.input.1", elem(8, NF_ACCEPT, NULL, 0), "verdict 1 is not one vigild uses here");
	elem_refused("merged.input.1", elem(8, (uint32_t)NFT_GOTO, "input", 0),
		     "goto to 'input', not a regular chain");
	elem_refused("merged.input.1", elem(8, (uint32_t)NFT_GOTO, "rule.m0", 1000),
		     "element 1 has a timeout, but the set has none");
	elem_refused("merged.input.1", elem(4, (uint32_t)NFT_GOTO, "rule.m0", 0),
		     "element 1: its key has 4 bytes, the set's 8");
	elem_refused("merged.input.1", elem(8, 0, NULL, 0), "a verdict is for a map's elements");
	elem_refused("merged.input.2", elem(8, 0, NULL, 0), "is for a set this batch does not make");
}
END_TEST

START_TEST(merged_control_passes)
{
	struct hb b;
	struct batch_refusal r;

	hb_policy(&b, merged_yaml);
	hb_end(&b);
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("verify_shapes");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, control_counter_rule_passes);
	tcase_add_test(tc, merged_control_passes);
	tcase_add_test(tc, issue_attack_chains_refused);
	tcase_add_test(tc, issue_attack_expressions_refused);
	tcase_add_test(tc, writes_refused);
	tcase_add_test(tc, mark_only_vigild_bits);
	tcase_add_test(tc, value_shapes_refused);
	tcase_add_test(tc, verdicts_refused);
	tcase_add_test(tc, nflog_shapes);
	tcase_add_test(tc, lookups_refused);
	tcase_add_test(tc, sets_refused);
	tcase_add_test(tc, elements_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
