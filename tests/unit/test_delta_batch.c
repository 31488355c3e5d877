// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental apply's batch (delta_build) and its gate (batch_verify_delta).
 * The kernel's side is a compiled policy's batch turned into a dump (every
 * rule given a handle). On seeded random pairs (a policy and a small change
 * of it) every incremental batch is accepted by the helper's gate, and the
 * near misses a compromised main process could send are each refused.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/delta.h"
#include "vigil/nftc.h"
#include "deltapair.h"
#include "randpol.h"

static const char a_yml[] =
	"version: 1\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"sets:\n"
	"  admins: {type: cidr, elements: [192.0.2.0/24, 198.51.100.0/25, \"2001:db8:ad::/48\"]}\n"
	"  bans: {type: address, dynamic: true}\n"
	"rules:\n"
	"  - {name: ssh, chain: input, proto: tcp, src: \"@admins\", dport: 22, action: accept}\n"
	"  - {name: web, chain: input, proto: tcp, dport: [80, 443], action: accept}\n"
	"  - {name: banned, chain: input, src: \"@bans\", action: drop}\n"
	"  - {name: dns, chain: input, proto: udp, dport: 53, action: accept}\n";

START_TEST(unchanged_sends_nothing)
{
	struct pair x;

	pair_build(&x, a_yml, a_yml);
	ck_assert_msg(!x.p.full, "full: %s", x.p.reason);
	ck_assert_uint_eq(x.p.messages, 0);
	ck_assert_uint_eq(x.delta.len, 0);
	ck_assert_uint_gt(x.p.rules_kept, 4);
	pair_free(&x);
}
END_TEST

START_TEST(one_interval_changed)
{
	_cleanup_free_ char *b = text_replace(a_yml, "198.51.100.0/25", "198.51.100.0/26");
	struct batch_refusal r;
	struct pair x;

	pair_build(&x, a_yml, b);
	ck_assert_msg(!x.p.full, "full: %s", x.p.reason);
	/* the old interval goes whole (start and end), the new one comes whole */
	ck_assert_uint_eq(x.p.elems_del, 1);
	ck_assert_uint_eq(x.p.elems_add, 1);
	ck_assert_uint_eq(x.p.messages, 2);
	ck_assert_uint_eq(count_type(&x.delta, NFT_MSG_DELSETELEM), 1);
	ck_assert_uint_eq(count_type(&x.delta, NFT_MSG_NEWSETELEM), 1);
	ck_assert_uint_eq(x.p.rules_add + x.p.rules_del, 0);
	ck_assert_msg(pair_verify(x.delta.buf, x.delta.len, &x, &r) == 0, "%s", r.why);
	pair_free(&x);
}
END_TEST

START_TEST(chain_policy_changed)
{
	_cleanup_free_ char *b = text_replace(a_yml, "input: drop", "input: accept");
	struct batch_refusal r;
	struct pair x;

	pair_build(&x, a_yml, b);
	ck_assert_msg(!x.p.full, "full: %s", x.p.reason);
	ck_assert_uint_eq(x.p.chains_policy, 1);
	ck_assert_uint_eq(x.p.messages, 1);
	ck_assert_uint_eq(count_type(&x.delta, NFT_MSG_NEWCHAIN), 1);
	ck_assert_msg(pair_verify(x.delta.buf, x.delta.len, &x, &r) == 0, "%s", r.why);
	pair_free(&x);
}
END_TEST

START_TEST(one_rule_changed)
{
	_cleanup_free_ char *b = text_replace(a_yml, "dport: [80, 443]", "dport: [80, 443, 8443]");
	struct batch_refusal r;
	struct pair x;

	pair_build(&x, a_yml, b);
	ck_assert_msg(!x.p.full, "full: %s", x.p.reason);
	ck_assert_uint_eq(count_type(&x.delta, NFT_MSG_DELRULE), x.p.rules_del);
	ck_assert_uint_eq(count_type(&x.delta, NFT_MSG_NEWRULE), x.p.rules_add);
	ck_assert_uint_gt(x.p.rules_add, 0);
	/* the port list is an anonymous set: made again for the new rule */
	ck_assert_uint_gt(count_type(&x.delta, NFT_MSG_NEWSET), 0);
	ck_assert_msg(pair_verify(x.delta.buf, x.delta.len, &x, &r) == 0, "%s", r.why);
	pair_free(&x);
}
END_TEST

/* seeded random pairs: each incremental batch passes the helper's gate */
START_TEST(random_pairs_pass_the_gate)
{
	struct randpol_opts ro = { .min_rules = 2, .max_rules = 14 };
	unsigned seed = 1818, inc = 0;

	for (int t = 0; t < 300; t++) {
		_cleanup_free_ char *a = randpol_policy(&seed, &ro);
		_cleanup_free_ char *b = randpol_mutate(&seed, a, &ro);
		struct batch_refusal r;
		struct pair x;

		pair_build(&x, a, b);
		if (!x.p.full && x.p.messages) {
			inc++;
			expect(pair_verify(x.delta.buf, x.delta.len, &x, &r) == 0, "pair %d: %s\n%s\n--\n%s", t,
			       r.why, a, b);
			expect(count_type(&x.delta, NFT_MSG_DELRULE) == x.p.rules_del &&
				       count_type(&x.delta, NFT_MSG_NEWRULE) == x.p.rules_add,
			       "pair %d: rule messages", t);
		}
		pair_free(&x);
	}
	/* most changes are incremental (a decision tree reshaped is a full one) */
	ck_assert_uint_gt(inc, 150);
}
END_TEST

/* ---- near misses: a valid incremental batch, changed, is refused ---- */

static void elem_key(struct nlmsghdr *nlh, const void *key, size_t klen, bool data)
{
	struct nlattr *l = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	struct nlattr *e = mnl_attr_nest_start(nlh, 1), *k;

	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, key);
	mnl_attr_nest_end(nlh, k);
	if (data) {
		struct nlattr *d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
		struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(NF_ACCEPT));
		mnl_attr_nest_end(nlh, v);
		mnl_attr_nest_end(nlh, d);
	}
	mnl_attr_nest_end(nlh, e);
	mnl_attr_nest_end(nlh, l);
}

static uint32_t set_flags(const struct nlmsghdr *m)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_FLAGS)
			return ntohl(mnl_attr_get_u32(a));
	return 0;
}

START_TEST(near_misses_refused)
{
	_cleanup_free_ char *b = text_replace(a_yml, "dport: [80, 443]", "dport: [80, 443, 8443]");
	static const uint8_t v4[4] = { 203, 0, 113, 9 };
	uint8_t buf[1024] __attribute__((aligned(4)));
	struct batch d;
	struct nlmsghdr *nlh;
	struct pair x;

	pair_build(&x, a_yml, b);
	ck_assert(!x.p.full && x.p.messages > 0);
	/* as built: accepted */
	reframe(&x.delta, &d, true, NULL, 0);
	ck_assert_int_eq(pair_verify(d.buf, d.len, &x, &(struct batch_refusal){ 0 }), 0);
	batch_free(&d);
	/* without the generation check */
	reframe(&x.delta, &d, false, NULL, 0);
	refused(&x, &d, "NFNL_BATCH_GENID");
	batch_free(&d);
	/* a rule deleted in a chain vigild's table does not have */
	nlh = msg(buf, NFT_MSG_DELRULE, 0);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "evil");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(10));
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "chain vigild's table does not have");
	batch_free(&d);
	/* ... in another table */
	nlh = msg(buf, NFT_MSG_DELRULE, 0);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "filter");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(10));
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "not vigild's table");
	batch_free(&d);
	/* ... without a handle */
	nlh = msg(buf, NFT_MSG_DELRULE, 0);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "lacks attribute handle");
	batch_free(&d);
	/* elements given to, or taken from, the dynamic set (vigild set's) */
	nlh = msg(buf, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "bans_v4");
	elem_key(nlh, v4, 4, false);
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "dynamic set");
	batch_free(&d);
	nlh = msg(buf, NFT_MSG_DELSETELEM, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "bans_v4");
	elem_key(nlh, v4, 4, false);
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "dynamic set");
	batch_free(&d);
	/* a deletion carrying data; a set the table does not have */
	nlh = msg(buf, NFT_MSG_DELSETELEM, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "admins_v4");
	elem_key(nlh, v4, 4, true);
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "names the key only");
	batch_free(&d);
	nlh = msg(buf, NFT_MSG_DELSETELEM, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "nosuch");
	elem_key(nlh, v4, 4, false);
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "set vigild's table does not have");
	batch_free(&d);
	/* a chain or a named set made, a table deleted: not in an incremental batch */
	for (size_t off = 0; off < x.kb.len;) {
		const struct nlmsghdr *m = (const void *)(x.kb.buf + off);
		uint16_t t = m->nlmsg_type & 0xff;

		off += NLMSG_ALIGN(m->nlmsg_len);
		if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (t == NFT_MSG_NEWTABLE) {
			reframe(&x.delta, &d, true, m, m->nlmsg_len);
			refused(&x, &d, "not allowed");
			batch_free(&d);
		}
		/* a base chain given its own definition again: a policy update */
		if (t == NFT_MSG_NEWCHAIN) {
			reframe(&x.delta, &d, true, m, m->nlmsg_len);
			ck_assert_int_eq(pair_verify(d.buf, d.len, &x, &(struct batch_refusal){ 0 }), 0);
			batch_free(&d);
		}
		if (t == NFT_MSG_NEWSET && !(set_flags(m) & NFT_SET_ANONYMOUS)) {
			reframe(&x.delta, &d, true, m, m->nlmsg_len);
			refused(&x, &d, "anonymous sets only");
			batch_free(&d);
		}
	}
	/* a chain the table does not have, or a regular one */
	nlh = msg(buf, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "rule.evil");
	reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
	refused(&x, &d, "changes only the policy of a base chain the table has");
	batch_free(&d);
	/* a rule neither appended nor placed before a rule */
	for (size_t off = 0; off < x.delta.len;) {
		struct nlmsghdr *m = (void *)(x.delta.buf + off);

		off += NLMSG_ALIGN(m->nlmsg_len);
		if (m->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE)) {
			struct nlmsghdr *c = (void *)buf;
			ck_assert_uint_le(m->nlmsg_len, sizeof(buf));
			memcpy(c, m, m->nlmsg_len);
			c->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE;
			/* strip its position, if any: the last attribute */
			if (mnl_attr_get_type((const struct nlattr *)((char *)c + c->nlmsg_len - 12)) ==
			    NFTA_RULE_POSITION)
				c->nlmsg_len -= 12;
			reframe(&(struct batch){ 0 }, &d, true, c, c->nlmsg_len);
			refused(&x, &d, "inserted before a rule it names, or appended");
			batch_free(&d);
			break;
		}
	}
	pair_free(&x);
}
END_TEST

/* a replacement's rules never carry a position; its batch never a DELRULE */
START_TEST(replacement_refuses_delta_messages)
{
	struct batch_refusal r;
	struct pair x;
	struct batch d;
	uint8_t buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = msg(buf, NFT_MSG_DELRULE, 0);

	pair_build(&x, a_yml, a_yml);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(10));
	reframe(&x.want, &d, false, nlh, nlh->nlmsg_len);
	ck_assert_int_eq(batch_verify(d.buf, d.len, "vigil", &r), -EPERM);
	ck_assert_msg(strstr(r.why, "not allowed") != NULL, "%s", r.why);
	batch_free(&d);
	pair_free(&x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("delta_batch");
	TCase *tc = tcase_create("delta_batch");

	tcase_add_test(tc, unchanged_sends_nothing);
	tcase_add_test(tc, one_interval_changed);
	tcase_add_test(tc, one_rule_changed);
	tcase_add_test(tc, chain_policy_changed);
	tcase_add_test(tc, random_pairs_pass_the_gate);
	tcase_add_test(tc, near_misses_refused);
	tcase_add_test(tc, replacement_refuses_delta_messages);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
