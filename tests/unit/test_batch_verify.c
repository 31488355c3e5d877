// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * batch_verify(): the commit helper's gate, fed hostile batches. Every test
 * builds a batch as a compromised main process could and checks that only
 * batches confined to vigild's own table get through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"

/* A batch under construction, message by message. */
struct hb {
	uint8_t buf[1 << 16];
	size_t len;
	uint32_t seq;
};

static struct nlmsghdr *msg(struct hb *b, uint16_t type, uint8_t family, uint16_t flags,
			    uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);
	struct nfgenmsg *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++b->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

static void done(struct hb *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void begin(struct hb *b)
{
	done(b, msg(b, NFNL_MSG_BATCH_BEGIN, AF_UNSPEC, 0, NFNL_SUBSYS_NFTABLES));
}

static void end(struct hb *b)
{
	done(b, msg(b, NFNL_MSG_BATCH_END, AF_UNSPEC, 0, NFNL_SUBSYS_NFTABLES));
}

static uint16_t nft(uint16_t m)
{
	return (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | m);
}

/* A table message naming `name`. */
static void table_msg(struct hb *b, uint16_t m, const char *name)
{
	struct nlmsghdr *nlh = msg(b, nft(m), NFPROTO_INET, NLM_F_CREATE, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	done(b, nlh);
}

static int verify(struct hb *b, struct batch_refusal *r)
{
	memset(r, 0, sizeof(*r));
	return batch_verify(b->buf, b->len, "vigil", r);
}

#define REFUSED(b, needle)                                                     \
	do {                                                                   \
		struct batch_refusal r_;                                       \
		ck_assert_int_eq(verify((b), &r_), -EPERM);                    \
		ck_assert_msg(strstr(r_.why, (needle)) != NULL,                \
			      "reason '%s' lacks '%s'", r_.why, (needle));     \
	} while (0)

START_TEST(real_replace_batch_passes)
{
	static const char yaml[] =
		"version: 1\n"
		"sets:\n"
		"  a: {type: cidr, elements: [10.0.0.0/8, \"2001:db8::/32\"]}\n"
		"  p: {type: port, elements: [22, 80-90]}\n"
		"rules:\n"
		"  - {name: r1, chain: input, src: \"@a\", proto: tcp, dport: \"@p\", action: accept}\n"
		"  - {name: r2, chain: output, dst: [192.0.2.1, 192.0.2.9], action: reject}\n";
	struct policy pol;
	struct ir_table t;
	struct batch bt;
	struct batch_refusal r;

	compile_text(yaml, NULL, &pol, &t);
	batch_init(&bt, 100);
	nftc_build_replace(&t, &bt);
	ck_assert_int_eq(batch_verify(bt.buf, bt.len, "vigil", &r), 0);
	/* the same batch is not good for another table */
	ck_assert_int_eq(batch_verify(bt.buf, bt.len, "other", &r), -EPERM);
	ck_assert_ptr_nonnull(strstr(r.why, "names table 'vigil', not vigild's table 'other'"));
	batch_free(&bt);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(delete_batch_passes)
{
	struct batch bt;
	struct batch_refusal r;

	batch_init(&bt, 1);
	nftc_build_delete("vigil", &bt);
	ck_assert_int_eq(batch_verify(bt.buf, bt.len, "vigil", &r), 0);
	batch_free(&bt);
}
END_TEST

START_TEST(other_table_refused)
{
	struct hb b = { .len = 0 };

	begin(&b);
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	table_msg(&b, NFT_MSG_DELTABLE, "docker");
	end(&b);
	REFUSED(&b, "names table 'docker'");
}
END_TEST

START_TEST(prefix_and_suffix_names_refused)
{
	static const char *const names[] = { "vigi", "vigil2", "VIGIL", "vigil ", "" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct hb b = { .len = 0 };
		begin(&b);
		table_msg(&b, NFT_MSG_NEWTABLE, names[i]);
		end(&b);
		REFUSED(&b, "names table");
	}
}
END_TEST

START_TEST(embedded_nul_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;

	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWTABLE), NFPROTO_INET, 0, 0);
	mnl_attr_put(nlh, NFTA_TABLE_NAME, 11, "vigil\0evil");
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "names table");
}
END_TEST

START_TEST(name_without_nul_accepted)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;
	struct batch_refusal r;

	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWTABLE), NFPROTO_INET, 0, 0);
	mnl_attr_put(nlh, NFTA_TABLE_NAME, 5, "vigil");
	done(&b, nlh);
	end(&b);
	ck_assert_int_eq(verify(&b, &r), 0);
}
END_TEST

START_TEST(other_family_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;

	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWTABLE), NFPROTO_IPV4, 0, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "family 2, not inet");
}
END_TEST

START_TEST(other_subsystem_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;

	begin(&b);
	/* a conntrack flush (ctnetlink IPCTNL_MSG_CT_DELETE) smuggled in */
	nlh = msg(&b, (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | 2), NFPROTO_INET, 0, 0);
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "subsystem 1, not nf_tables");
}
END_TEST

START_TEST(batch_for_other_subsystem_refused)
{
	struct hb b = { .len = 0 };

	done(&b, msg(&b, NFNL_MSG_BATCH_BEGIN, AF_UNSPEC, 0, NFNL_SUBSYS_CTNETLINK));
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	end(&b);
	REFUSED(&b, "not nf_tables");
}
END_TEST

START_TEST(disallowed_types_refused)
{
	static const uint16_t types[] = { NFT_MSG_GETTABLE, NFT_MSG_NEWOBJ, NFT_MSG_DELOBJ,
					  NFT_MSG_NEWFLOWTABLE, NFT_MSG_DELFLOWTABLE, NFT_MSG_GETGEN,
					  27 /* DESTROYCHAIN */, 200 };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct hb b = { .len = 0 };
		begin(&b);
		table_msg(&b, types[i], "vigil");
		end(&b);
		REFUSED(&b, "is not allowed");
	}
}
END_TEST

START_TEST(table_by_handle_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;

	/* delete a table by handle: names no table, yet deletes one */
	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_DELTABLE), NFPROTO_INET, 0, 0);
	mnl_attr_put_u64(nlh, NFTA_TABLE_HANDLE, htobe64(7));
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "by handle");

	/* and with our name as a decoy */
	b.len = 0;
	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_DELTABLE), NFPROTO_INET, 0, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	mnl_attr_put_u64(nlh, NFTA_TABLE_HANDLE, htobe64(7));
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "by handle");
}
END_TEST

START_TEST(rule_by_handle_or_position_refused)
{
	static const uint16_t attrs[] = { NFTA_RULE_HANDLE, NFTA_RULE_POSITION };

	for (size_t i = 0; i < 2; i++) {
		struct hb b = { .len = 0 };
		struct nlmsghdr *nlh;
		begin(&b);
		nlh = msg(&b, nft(NFT_MSG_NEWRULE), NFPROTO_INET, NLM_F_CREATE, 0);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
		mnl_attr_put_u64(nlh, attrs[i], htobe64(3));
		done(&b, nlh);
		end(&b);
		REFUSED(&b, "by handle or position");
	}
	/* a chain moved by handle */
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;
	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_DELCHAIN), NFPROTO_INET, 0, 0);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "vigil");
	mnl_attr_put_u64(nlh, NFTA_CHAIN_HANDLE, htobe64(1));
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "by handle");
}
END_TEST

START_TEST(repeated_table_attribute_refused)
{
	/* the kernel keeps the LAST of repeated attributes */
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;

	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWRULE), NFPROTO_INET, NLM_F_CREATE, 0);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "docker");
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "docker");

	b.len = 0;
	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWTABLE), NFPROTO_INET, 0, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "2 times, not once");
}
END_TEST

START_TEST(missing_table_attribute_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;

	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWSETELEM), NFPROTO_INET, 0, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "admins_v4");
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "0 times, not once");
}
END_TEST

START_TEST(table_flags_refused)
{
	static const uint32_t flags[] = { NFT_TABLE_F_DORMANT, NFT_TABLE_F_OWNER, 0x4 };

	for (size_t i = 0; i < 3; i++) {
		struct hb b = { .len = 0 };
		struct nlmsghdr *nlh;
		begin(&b);
		nlh = msg(&b, nft(NFT_MSG_NEWTABLE), NFPROTO_INET, 0, 0);
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
		mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(flags[i]));
		done(&b, nlh);
		end(&b);
		REFUSED(&b, "table flags");
	}
}
END_TEST

START_TEST(bad_flags_refused)
{
	static const uint16_t bad[] = { NLM_F_REPLACE, NLM_F_DUMP, NLM_F_ECHO };

	for (size_t i = 0; i < 3; i++) {
		struct hb b = { .len = 0 };
		struct nlmsghdr *nlh;
		begin(&b);
		nlh = msg(&b, nft(NFT_MSG_NEWRULE), NFPROTO_INET, bad[i], 0);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
		done(&b, nlh);
		end(&b);
		REFUSED(&b, "flags");
	}
}
END_TEST

START_TEST(framing_refused)
{
	struct hb b = { .len = 0 };

	/* no begin */
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	end(&b);
	REFUSED(&b, "does not start with a batch begin");

	/* no end */
	b.len = 0;
	begin(&b);
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	REFUSED(&b, "no end message");

	/* a second batch inside */
	b.len = 0;
	begin(&b);
	begin(&b);
	end(&b);
	REFUSED(&b, "begins a second batch");

	/* something after the end */
	b.len = 0;
	begin(&b);
	end(&b);
	table_msg(&b, NFT_MSG_DELTABLE, "docker");
	REFUSED(&b, "after the batch end");

	/* empty */
	struct batch_refusal r;
	ck_assert_int_eq(batch_verify(b.buf, 0, "vigil", &r), -EPERM);
}
END_TEST

START_TEST(lengths_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;
	size_t at;

	/* message longer than the buffer */
	begin(&b);
	at = b.len;
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	end(&b);
	nlh = (struct nlmsghdr *)(b.buf + at);
	nlh->nlmsg_len += 4096;
	REFUSED(&b, "bad length");

	/* shorter than a header */
	nlh->nlmsg_len = 8;
	REFUSED(&b, "bad length");

	/* truncated buffer: cut inside the last header */
	b.len = 0;
	begin(&b);
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	end(&b);
	b.len -= 10;
	REFUSED(&b, "");

	/* attribute longer than its message */
	b.len = 0;
	begin(&b);
	at = b.len;
	table_msg(&b, NFT_MSG_NEWTABLE, "vigil");
	end(&b);
	struct nlattr *a = (struct nlattr *)(b.buf + at + NLMSG_HDRLEN +
					     NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	a->nla_len = 200;
	REFUSED(&b, "attribute of bad length");
	a->nla_len = 2;
	REFUSED(&b, "attribute of bad length");
}
END_TEST

START_TEST(nested_name_refused)
{
	struct hb b = { .len = 0 };
	struct nlmsghdr *nlh;
	struct nlattr *n;

	begin(&b);
	nlh = msg(&b, nft(NFT_MSG_NEWTABLE), NFPROTO_INET, 0, 0);
	n = mnl_attr_nest_start(nlh, NFTA_TABLE_NAME);
	mnl_attr_put_strz(nlh, 1, "vigil");
	mnl_attr_nest_end(nlh, n);
	done(&b, nlh);
	end(&b);
	REFUSED(&b, "nested table name");
}
END_TEST

START_TEST(random_bytes_refused)
{
	/* random garbage, and random corruption of a real batch: never
	 * accepted as is unless it is still confined, never out of bounds */
	struct batch bt;
	struct batch_refusal r;
	unsigned seed = 12345;

	batch_init(&bt, 1);
	nftc_build_delete("vigil", &bt);
	for (int round = 0; round < 20000; round++) {
		uint8_t buf[256];
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		ck_assert_int_eq(batch_verify(buf, len, "vigil", &r), -EPERM);
	}
	for (int round = 0; round < 20000; round++) {
		_cleanup_free_ uint8_t *copy = malloc(bt.len);
		size_t at = (size_t)rand_r(&seed) % bt.len;
		memcpy(copy, bt.buf, bt.len);
		copy[at] = (uint8_t)rand_r(&seed);
		/* outcome depends on the byte; what matters is no crash */
		int rv = batch_verify(copy, bt.len, "vigil", &r);
		ck_assert(rv == 0 || rv == -EPERM);
	}
	batch_free(&bt);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("batch_verify");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, real_replace_batch_passes);
	tcase_add_test(tc, delete_batch_passes);
	tcase_add_test(tc, other_table_refused);
	tcase_add_test(tc, prefix_and_suffix_names_refused);
	tcase_add_test(tc, embedded_nul_refused);
	tcase_add_test(tc, name_without_nul_accepted);
	tcase_add_test(tc, other_family_refused);
	tcase_add_test(tc, other_subsystem_refused);
	tcase_add_test(tc, batch_for_other_subsystem_refused);
	tcase_add_test(tc, disallowed_types_refused);
	tcase_add_test(tc, table_by_handle_refused);
	tcase_add_test(tc, rule_by_handle_or_position_refused);
	tcase_add_test(tc, repeated_table_attribute_refused);
	tcase_add_test(tc, missing_table_attribute_refused);
	tcase_add_test(tc, table_flags_refused);
	tcase_add_test(tc, bad_flags_refused);
	tcase_add_test(tc, framing_refused);
	tcase_add_test(tc, lengths_refused);
	tcase_add_test(tc, nested_name_refused);
	tcase_add_test(tc, random_bytes_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
