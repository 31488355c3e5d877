// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The evaluators of eval.h on hand-made cases: conntrack states and the
 * built-in rules, the untracked twins, interfaces per hook, logging, the
 * chains' defaults, merged maps, and the refusals (a packet of no family,
 * overlapping map elements, chains nested deeper than the kernel allows).
 * test_merge.c and test_dispatch.c hold the compiler to them on random
 * policies.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "vigil/eval.h"

static const char policy_yaml[] =
	"version: 1\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"sets:\n"
	"  admins: {type: cidr, elements: [192.0.2.0/24, \"2001:db8:ad::/48\"]}\n"
	"rules:\n"
	"  - {name: ssh, chain: input, proto: tcp, src: \"@admins\", dport: 22, action: accept, log: true}\n"
	"  - {name: dns, chain: input, proto: [tcp, udp], dport: 53, iif: \"eth*\", action: accept}\n"
	"  - {name: noping, chain: input, proto: icmp, icmp-type: echo-request, action: reject}\n"
	"  - {name: wg, chain: forward, iif: wg0, oif: eth0, action: accept}\n"
	"  - {name: smtp-out, chain: output, proto: tcp, dport: 25, action: drop}\n";

struct both {
	struct policy pol;
	struct ir_table t;
};

static void setup(struct both *b)
{
	compile_text(policy_yaml, NULL, &b->pol, &b->t);
}

static void release(struct both *b)
{
	ir_table_free(&b->t);
	policy_free(&b->pol);
}

/* Evaluates p in chain c both ways; they must agree; returns ir_eval's. */
static struct ir_outcome decide(const struct both *b, enum chain_id c, const struct ir_pkt *p)
{
	struct ir_outcome o, ref;

	ck_assert_int_eq(ir_eval(&b->t, c, p, &o), 0);
	ck_assert_int_eq(ir_eval_policy(&b->pol, c, p, &ref), 0);
	ck_assert_int_eq(o.verdict, ref.verdict);
	ck_assert_int_eq(o.policy, ref.policy);
	ck_assert_int_eq(o.origin, ref.origin);
	ck_assert_int_eq(o.marked, ref.marked);
	ck_assert_uint_eq(o.mark, ref.mark);
	ck_assert_int_eq(o.logged, ref.logged);
	if (!o.policy)
		ck_assert_str_eq(o.comment, ref.comment);
	ck_assert_int_eq(ref.chain, -1);
	if (o.policy) {
		ck_assert_int_eq(o.chain, -1);
	} else {
		/* the kernel rule named is the one that decided */
		const struct ir_rule *r = &b->t.chains[o.chain].rules[o.rule];
		ck_assert_int_eq(r->origin, o.origin);
		ck_assert_int_eq(r->verdict, o.verdict);
	}
	ck_assert_uint_gt(o.walked, 0);
	return o;
}

static struct ir_pkt ssh4(enum ir_ct_state ct)
{
	struct ir_pkt p = { .family = 4, .saddr = 0xc0000207, .daddr = 0xc0000201,
			    .l4proto = IPPROTO_TCP, .sport = 40000, .dport = 22, .ct = ct };
	memcpy(p.iif, "eth0", 5);
	return p;
}

START_TEST(conntrack_states)
{
	struct both b;
	struct ir_pkt p;
	struct ir_outcome o;

	setup(&b);
	p = ssh4(IR_CT_NEW);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_int_eq(o.verdict, IV_ACCEPT);
	ck_assert_int_eq(o.origin, 0);
	ck_assert(o.marked);
	ck_assert_uint_eq(o.mark, ir_mark_of_rule(0));
	ck_assert(o.logged);

	/* no conntrack entry: the rule cannot set the mark; its twin accepts */
	p = ssh4(IR_CT_UNTRACKED);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_int_eq(o.verdict, IV_ACCEPT);
	ck_assert_int_eq(o.origin, 0);
	ck_assert(!o.marked);
	ck_assert(o.logged);
	ck_assert_int_eq(b.t.chains[o.chain].rules[o.rule].m[0].key, K_CT_STATE);

	p = ssh4(IR_CT_ESTABLISHED);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_str_eq(o.comment, "vigil:established");
	ck_assert_int_eq(o.origin, -1);
	p = ssh4(IR_CT_RELATED);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_str_eq(o.comment, "vigil:established");
	p = ssh4(IR_CT_INVALID);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_str_eq(o.comment, "vigil:invalid");
	ck_assert_int_eq(o.verdict, IV_DROP);

	/* not an admin: the default drop */
	p = ssh4(IR_CT_NEW);
	p.saddr = 0xc6336401;
	o = decide(&b, CH_INPUT, &p);
	ck_assert(o.policy);
	ck_assert_int_eq(o.verdict, IV_DROP);
	ck_assert_int_eq(o.origin, -1);
	ck_assert_ptr_null(o.comment);
	release(&b);
}
END_TEST

START_TEST(families_and_builtins)
{
	struct both b;
	struct ir_pkt p = { .family = 6, .l4proto = IPPROTO_TCP, .dport = 22 };
	struct ir_outcome o;

	setup(&b);
	p.saddr = ((u128)0x20010db8u << 96) | ((u128)0xad << 80) | 1;
	o = decide(&b, CH_INPUT, &p);
	ck_assert_int_eq(o.origin, 0);
	/* an IPv4-mapped number in an IPv6 packet is not the IPv4 set's */
	p.saddr = 0xc0000207;
	o = decide(&b, CH_INPUT, &p);
	ck_assert(o.policy);

	/* neighbour discovery, whatever the policy */
	p = (struct ir_pkt){ .family = 6, .l4proto = IPPROTO_ICMPV6, .icmp_type = 135 };
	o = decide(&b, CH_INPUT, &p);
	ck_assert_str_eq(o.comment, "vigil:icmpv6-nd");
	/* not in forward */
	o = decide(&b, CH_FORWARD, &p);
	ck_assert(o.policy);
	/* an ICMP (v4) type number in IPv6 is something else */
	p = (struct ir_pkt){ .family = 4, .l4proto = IPPROTO_ICMP, .icmp_type = 8 };
	o = decide(&b, CH_INPUT, &p);
	ck_assert_int_eq(o.origin, 2);
	ck_assert_int_eq(o.verdict, IV_REJECT);
	p.family = 6;
	p.l4proto = IPPROTO_ICMPV6;
	o = decide(&b, CH_INPUT, &p);
	ck_assert(o.policy);

	/* loopback: iif on input, oif on output */
	p = (struct ir_pkt){ .family = 4, .l4proto = IPPROTO_TCP, .dport = 25 };
	memcpy(p.iif, "lo", 3);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_str_eq(o.comment, "vigil:loopback");
	o = decide(&b, CH_OUTPUT, &p); /* iif means nothing on output */
	ck_assert_int_eq(o.origin, 4);
	memcpy(p.oif, "lo", 3);
	o = decide(&b, CH_OUTPUT, &p);
	ck_assert_str_eq(o.comment, "vigil:loopback");
	release(&b);
}
END_TEST

START_TEST(interfaces_per_hook)
{
	struct both b;
	struct ir_pkt p = { .family = 4, .l4proto = IPPROTO_UDP, .dport = 53 };
	struct ir_outcome o;

	setup(&b);
	memcpy(p.iif, "eth7", 5);
	o = decide(&b, CH_INPUT, &p);
	ck_assert_int_eq(o.origin, 1);
	memcpy(p.iif, "et", 3); /* shorter than the wildcard's prefix */
	o = decide(&b, CH_INPUT, &p);
	ck_assert(o.policy);

	/* forward has both names; output would have no iif at all */
	p = (struct ir_pkt){ .family = 6, .l4proto = IPPROTO_ICMPV6, .icmp_type = 128 };
	memcpy(p.iif, "wg0", 4);
	memcpy(p.oif, "eth0", 5);
	o = decide(&b, CH_FORWARD, &p);
	ck_assert_int_eq(o.origin, 3);
	memcpy(p.iif, "wg00", 5); /* an exact name is not a prefix */
	o = decide(&b, CH_FORWARD, &p);
	ck_assert(o.policy);
	release(&b);
}
END_TEST

START_TEST(merged_maps)
{
	struct strbuf sb = { 0 };
	struct both b;
	struct ir_outcome o;
	unsigned maps = 0;

	sb_puts(&sb, "version: 1\nrules:\n");
	for (int i = 0; i < 20; i++)
		sb_printf(&sb, "  - {name: r%d, chain: input, src: 10.0.0.%d, proto: udp, dport: %d, action: %s}\n",
			  i, i, 1000 + i, i % 2 ? "accept" : "drop");
	_cleanup_free_ char *yaml = sb_take(&sb);
	compile_text(yaml, NULL, &b.pol, &b.t);
	for (size_t i = 0; i < b.t.nsets; i++)
		maps += b.t.sets[i]->vmap;
	ck_assert_uint_eq(maps, 1);
	for (int i = 0; i < 20; i++) {
		struct ir_pkt p = { .family = 4, .saddr = 0x0a000000u + (unsigned)i,
				    .l4proto = IPPROTO_UDP, .dport = (uint16_t)(1000 + i) };
		o = decide(&b, CH_INPUT, &p);
		ck_assert_int_eq(o.origin, i);
		/* the per-rule chain decided, after one lookup */
		ck_assert_int_ge(o.chain, CH_MAX);
		ck_assert_uint_le(o.walked, 4 + 1 + 1);
		p.dport++;
		o = decide(&b, CH_INPUT, &p);
		ck_assert(o.policy);
	}
	release(&b);
}
END_TEST

START_TEST(refusals)
{
	struct both b;
	struct ir_pkt p = ssh4(IR_CT_NEW);
	struct ir_outcome o;

	setup(&b);
	p.family = 5;
	ck_assert_int_eq(ir_eval(&b.t, CH_INPUT, &p, &o), -EINVAL);
	ck_assert_int_eq(ir_eval_policy(&b.pol, CH_INPUT, &p, &o), -EINVAL);
	p.family = 4;
	ck_assert_int_eq(ir_eval(&b.t, CH_MAX, &p, &o), -EINVAL);
	ck_assert_int_eq(ir_eval_policy(&b.pol, CH_MAX, &p, &o), -EINVAL);

	/* a map whose elements overlap: the kernel would refuse it */
	struct ir_set s = { .name = (char *)"m", .vmap = true, .nfields = 1,
			    .fields = { { K_DPORT, IPPROTO_TCP } } };
	struct ir_celem el[2] = { { .f = { { 20, 30 } }, .chain = CH_INPUT },
				  { .f = { { 22, 22 } }, .chain = CH_INPUT } };
	struct ir_match m = { .key = K_DPORT, .op = OP_VMAP, .set = &s };
	struct ir_rule r = { .m = &m, .nm = 1, .origin = -1 };
	struct ir_chain ch[CH_MAX + 1] = { 0 };
	struct ir_table t = { .chains = ch, .nchains = CH_MAX + 1 };

	s.celems = el;
	s.ncelems = 2;
	ch[CH_INPUT].base = true;
	ch[CH_INPUT].rules = &r;
	ch[CH_INPUT].n = 1;
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), -EEXIST);
	/* one element: it leads back to input itself, a loop the kernel refuses */
	s.ncelems = 1;
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), -ELOOP);
	/* to an empty regular chain: its end is input's policy (a goto) */
	el[0].chain = CH_MAX;
	ch[CH_INPUT].policy = VERDICT_ACCEPT;
	ck_assert_int_eq(ir_eval(&t, CH_INPUT, &p, &o), 0);
	ck_assert(o.policy);
	ck_assert_int_eq(o.verdict, IV_ACCEPT);
	ck_assert_uint_eq(o.walked, 1);
	release(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("eval");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, conntrack_states);
	tcase_add_test(tc, families_and_builtins);
	tcase_add_test(tc, interfaces_per_hook);
	tcase_add_test(tc, merged_maps);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
