// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * batch_verify(): the commit helper's gate, fed hostile batches. Every test
 * builds a batch as a compromised main process could and checks that only
 * batches confined to vigild's own table, in vigild's own shapes, get
 * through. This file: framing, the table, message types, flags, lengths,
 * the grammar of a batch. test_verify_shapes.c: chains, sets, elements and
 * expressions; test_verify_prop.c: every compiled policy and mutations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "hb.h"
#include "unit.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"
#include "vigil/vocab.h"

static const char base_yaml[] =
	"version: 1\n"
	"sets:\n"
	"  a: {type: cidr, elements: [10.0.0.0/8, \"2001:db8::/32\"]}\n"
	"  p: {type: port, elements: [22, 80-90]}\n"
	"rules:\n"
	"  - {name: r1, chain: input, src: \"@a\", proto: tcp, dport: \"@p\", action: accept}\n"
	"  - {name: r2, chain: output, dst: [192.0.2.1, 192.0.2.9], action: reject, log: true}\n";

/* A table message naming `name`, as nftc writes them (NUL-terminated). */
static void table_msg(struct hb *b, uint16_t m, uint16_t flags, const char *name)
{
	struct nlmsghdr *nlh = hb_msg(b, m, NFPROTO_INET, flags);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	hb_done(b, nlh);
}

/* BEGIN DELTABLE(name) END: what `vigild remove` sends */
static void remove_batch(struct hb *b, const char *name)
{
	hb_empty(b);
	hb_begin(b);
	table_msg(b, NFT_MSG_DELTABLE, 0, name);
	hb_end(b);
}

START_TEST(real_replace_batch_passes)
{
	struct policy pol;
	struct ir_table t;
	struct batch bt;
	struct batch_refusal r;

	compile_text(base_yaml, NULL, &pol, &t);
	batch_init(&bt, 100);
	nftc_build_replace(&t, &bt);
	ck_assert_int_eq(batch_verify(bt.buf, bt.len, "vigil", &r), 0);
	/* the same batch is not good for another table */
	ck_assert_int_eq(batch_verify(bt.buf, bt.len, "other", &r), -EPERM);
	ck_assert_uint_eq(r.index, 1);
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
	struct hb b;

	batch_init(&bt, 1);
	nftc_build_delete("vigil", &bt);
	ck_assert_int_eq(batch_verify(bt.buf, bt.len, "vigil", &r), 0);
	batch_free(&bt);
	remove_batch(&b, "vigil");
	ck_assert_int_eq(hb_verify(&b, &r), 0);
	hb_free(&b);
}
END_TEST

START_TEST(other_table_refused)
{
	struct hb b;

	remove_batch(&b, "docker");
	HB_REFUSED(&b, 1, "DELTABLE table docker", "names table 'docker'");
	hb_free(&b);

	/* an extra delete inside a good replacement */
	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "docker");
	hb_end(&b);
	HB_REFUSED(&b, at, "names table 'docker'");
	hb_free(&b);
}
END_TEST

START_TEST(prefix_and_suffix_names_refused)
{
	static const char *const names[] = { "vigi", "vigil2", "VIGIL", "vigil ", "" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct hb b;
		remove_batch(&b, names[i]);
		HB_REFUSED(&b, 1, names[i][0] ? "names table" : "name has 0 characters");
		hb_free(&b);
	}
}
END_TEST

START_TEST(names_must_be_one_string)
{
	struct hb b;
	struct nlmsghdr *nlh;

	/* "vigil\0evil": the kernel compares up to the first NUL */
	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	mnl_attr_put(nlh, NFTA_TABLE_NAME, 11, "vigil\0evil");
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "name is not one NUL-terminated string");
	hb_free(&b);

	/* no NUL at all: nftc always writes one */
	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	mnl_attr_put(nlh, NFTA_TABLE_NAME, 5, "vigil");
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "name is not one NUL-terminated string");
	hb_free(&b);
}
END_TEST

START_TEST(other_family_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;

	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_IPV4, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "family 2, not inet");
	hb_free(&b);
}
END_TEST

START_TEST(other_subsystem_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;

	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	/* a conntrack flush (ctnetlink IPCTNL_MSG_CT_DELETE) smuggled in */
	nlh = hb_msg(&b, 0, NFPROTO_INET, 0);
	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | 2);
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, at, "subsystem 1, not nf_tables");
	hb_free(&b);
}
END_TEST

START_TEST(batch_for_other_subsystem_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;

	remove_batch(&b, "vigil");
	nlh = (struct nlmsghdr *)b.buf;
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id = htons(NFNL_SUBSYS_CTNETLINK);
	HB_REFUSED(&b, 0, "BEGIN", "not nf_tables");
	hb_free(&b);
}
END_TEST

START_TEST(disallowed_types_refused)
{
	static const uint16_t types[] = { NFT_MSG_GETTABLE, NFT_MSG_NEWOBJ, NFT_MSG_DELOBJ,
					  NFT_MSG_NEWFLOWTABLE, NFT_MSG_DELFLOWTABLE, NFT_MSG_GETGEN,
					  NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_DELSET,
					  NFT_MSG_DELSETELEM, NFT_MSG_NEWGEN,
					  27 /* DESTROYCHAIN */, 28 /* DESTROYRULE */, 200 };

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct hb b;
		hb_policy(&b, base_yaml);
		size_t at = hb_nmsgs(&b);
		table_msg(&b, types[i], 0, "vigil");
		hb_end(&b);
		HB_REFUSED(&b, at, "is not allowed");
		hb_free(&b);
	}
}
END_TEST

START_TEST(handles_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;

	/* delete a table by handle: names no table, yet deletes one */
	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	mnl_attr_put_u64(nlh, NFTA_TABLE_HANDLE, htobe64(7));
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "attribute 4, which vigild never sends");
	hb_free(&b);

	/* and with our name as a decoy */
	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	mnl_attr_put_u64(nlh, NFTA_TABLE_HANDLE, htobe64(7));
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "DELTABLE table vigil", "attribute 4, which vigild never sends");
	hb_free(&b);

	/* a rule placed by handle or position */
	static const uint16_t attrs[] = { NFTA_RULE_HANDLE, NFTA_RULE_POSITION, NFTA_RULE_POSITION_ID };
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		hb_policy(&b, base_yaml);
		size_t at = hb_nmsgs(&b);
		nlh = hb_msg(&b, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "vigil");
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
		mnl_attr_put_u64(nlh, attrs[i], htobe64(3));
		hb_done(&b, nlh);
		hb_end(&b);
		HB_REFUSED(&b, at, "rule in chain input", "which vigild never sends");
		hb_free(&b);
	}
}
END_TEST

START_TEST(repeated_attribute_refused)
{
	/* the kernel keeps the LAST of repeated attributes */
	struct hb b;
	struct nlmsghdr *nlh;

	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "docker");
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "repeats attribute name");
	hb_free(&b);
}
END_TEST

START_TEST(missing_attribute_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;

	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	nlh = hb_msg(&b, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "a_v4");
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, at, "elements of set a_v4", "lacks attribute table");
	hb_free(&b);
}
END_TEST

/* vigild's add, delete, add-with-mark, with flags or userdata of its own */
static void replace_head(struct hb *b, uint32_t flags, const char *comment)
{
	struct nlmsghdr *nlh;
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	hb_empty(b);
	hb_begin(b);
	table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "vigil");
	table_msg(b, NFT_MSG_DELTABLE, 0, "vigil");
	nlh = hb_msg(b, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	if (flags)
		mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(flags));
	nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment);
	mnl_attr_put(nlh, NFTA_TABLE_USERDATA, nftnl_udata_buf_len(ud), nftnl_udata_buf_data(ud));
	nftnl_udata_buf_free(ud);
	hb_done(b, nlh);
	hb_end(b);
}

START_TEST(table_flags_and_mark)
{
	/* owner alone: the table would vanish with the helper; dormant: a
	 * table that filters nothing */
	static const uint32_t flags[] = { NFT_TABLE_F_DORMANT, NFT_TABLE_F_OWNER, 0x4 /* persist */,
					  NFT_TABLE_F_OWNER | 0x4 | NFT_TABLE_F_DORMANT };
	struct batch_refusal r;
	struct hb b;
	struct nlmsghdr *nlh;

	replace_head(&b, 0, IR_TABLE_MARK);
	ck_assert_int_eq(hb_verify(&b, &r), 0);
	hb_free(&b);
	/* owner|persist, where the kernel has them */
	replace_head(&b, NFT_TABLE_F_OWNER | 0x4, IR_TABLE_MARK);
	ck_assert_msg(hb_verify(&b, &r) == 0, "%s", r.why);
	hb_free(&b);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		replace_head(&b, flags[i], IR_TABLE_MARK);
		HB_REFUSED(&b, 3, "flags", "is not one vigild uses");
		hb_free(&b);
	}
	/* flags on the first add, or on a delete */
	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vigil");
	mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(NFT_TABLE_F_OWNER | 0x4));
	hb_done(&b, nlh);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 1, "the first add of a replacement carries no flags");
	hb_free(&b);
	replace_head(&b, 0, "managed by vigild, honest");
	HB_REFUSED(&b, 3, "userdata is not vigild's mark");
	hb_free(&b);
}
END_TEST

START_TEST(destroy_shapes)
{
	struct batch_refusal r;
	struct nftc_opts o = { .destroy = true, .table_flags = NFT_TABLE_F_OWNER | 0x4,
			       .have_genid = true, .genid = 42 };
	struct policy pol;
	struct ir_table t;
	struct batch bt;
	struct hb b;

	/* what nftc makes on kernels with DESTROYTABLE and owner|persist */
	compile_text(base_yaml, NULL, &pol, &t);
	batch_init(&bt, 1);
	nftc_build_replace_opts(&t, &o, &bt);
	ck_assert_msg(batch_verify(bt.buf, bt.len, "vigil", &r) == 0, "%s", r.why);
	batch_free(&bt);
	batch_init(&bt, 1);
	nftc_build_delete_opts("vigil", &o, &bt);
	ck_assert_msg(batch_verify(bt.buf, bt.len, "vigil", &r) == 0, "%s", r.why);
	batch_free(&bt);
	ir_table_free(&t);
	policy_free(&pol);

	/* destroy, then a body without the marked table */
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_DESTROYTABLE, 0, "vigil");
	hb_chain(&b, "input", "filter", NF_INET_LOCAL_IN, 0, NF_ACCEPT);
	hb_end(&b);
	HB_REFUSED(&b, 2, "before the table was replaced");
	hb_free(&b);
	/* add, destroy (nftc never mixes them), destroy twice */
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "vigil");
	table_msg(&b, NFT_MSG_DESTROYTABLE, 0, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 2, "DESTROYTABLE", "deleted only at the start");
	hb_free(&b);
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_DESTROYTABLE, 0, "vigil");
	table_msg(&b, NFT_MSG_DESTROYTABLE, 0, "docker");
	hb_end(&b);
	HB_REFUSED(&b, 2, "names table 'docker'");
	hb_free(&b);
}
END_TEST

START_TEST(grammar_refused)
{
	struct hb b;

	/* a body without the replacement: rules into the live table */
	hb_empty(&b);
	hb_begin(&b);
	hb_chain(&b, "input", "filter", NF_INET_LOCAL_IN, 0, NF_ACCEPT);
	hb_end(&b);
	HB_REFUSED(&b, 1, "before the table was replaced");
	hb_free(&b);

	/* add, add */
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "vigil");
	table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 2, "a table is added only at the start");
	hb_free(&b);

	/* add alone: "make sure it exists" and nothing else is not a batch nftc makes */
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 2, "neither replaces nor deletes");
	hb_free(&b);

	/* delete twice */
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 2, "deleted only at the start");
	hb_free(&b);

	/* a second replacement inside the body */
	hb_policy(&b, base_yaml);
	size_t at = hb_nmsgs(&b);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, at, "deleted only at the start");
	hb_free(&b);
}
END_TEST

START_TEST(bad_flags_refused)
{
	static const uint16_t bad[] = { NLM_F_REPLACE, NLM_F_DUMP, NLM_F_ECHO, NLM_F_EXCL, NLM_F_APPEND };
	struct batch_refusal r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct hb b;
		remove_batch(&b, "vigil");
		((struct nlmsghdr *)(b.buf + NLMSG_ALIGN(((struct nlmsghdr *)b.buf)->nlmsg_len)))
			->nlmsg_flags |= bad[i];
		HB_REFUSED(&b, 1, "flags");
		hb_free(&b);
	}
	/* an ack may be asked for */
	struct hb b;
	remove_batch(&b, "vigil");
	((struct nlmsghdr *)(b.buf + NLMSG_ALIGN(((struct nlmsghdr *)b.buf)->nlmsg_len)))->nlmsg_flags |=
		NLM_F_ACK;
	ck_assert_int_eq(hb_verify(&b, &r), 0);
	hb_free(&b);
}
END_TEST

START_TEST(framing_refused)
{
	struct hb b;
	struct batch_refusal r;

	/* no begin */
	hb_empty(&b);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 0, "does not start with a batch begin");
	hb_free(&b);

	/* no end */
	hb_empty(&b);
	hb_begin(&b);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	HB_REFUSED(&b, 2, "no end message");
	hb_free(&b);

	/* a second batch inside */
	hb_empty(&b);
	hb_begin(&b);
	hb_begin(&b);
	hb_end(&b);
	HB_REFUSED(&b, 1, "begins a second batch");
	hb_free(&b);

	/* something after the end */
	remove_batch(&b, "vigil");
	table_msg(&b, NFT_MSG_DELTABLE, 0, "docker");
	HB_REFUSED(&b, 3, "after the batch end");
	hb_free(&b);

	/* BEGIN may carry a generation id, nothing else; END nothing */
	hb_empty(&b);
	struct nlmsghdr *nlh = nftnl_batch_begin(hb_room(&b), 1);
	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(7));
	hb_done(&b, nlh);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	hb_end(&b);
	ck_assert_int_eq(hb_verify(&b, &r), 0);
	hb_free(&b);
	hb_empty(&b);
	nlh = nftnl_batch_begin(hb_room(&b), 1);
	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(7));
	mnl_attr_put_u32(nlh, 2, htonl(7));
	hb_done(&b, nlh);
	table_msg(&b, NFT_MSG_DELTABLE, 0, "vigil");
	hb_end(&b);
	HB_REFUSED(&b, 0, "BEGIN", "attribute 2, which vigild never sends");
	hb_free(&b);
	remove_batch(&b, "vigil");
	hb_truncate(&b, 2);
	nlh = nftnl_batch_end(hb_room(&b), 9);
	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(7));
	hb_done(&b, nlh);
	HB_REFUSED(&b, 2, "END", "bytes of attributes");
	hb_free(&b);

	/* empty */
	ck_assert_int_eq(batch_verify("", 0, "vigil", &r), -EPERM);
	ck_assert_int_eq(batch_verify(NULL, 0, "vigil", &r), -EPERM);
}
END_TEST

START_TEST(lengths_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	/* message longer than the buffer */
	remove_batch(&b, "vigil");
	nlh = (struct nlmsghdr *)(b.buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	nlh->nlmsg_len += 4096;
	HB_REFUSED(&b, 1, "bad length");
	/* with the top bit set */
	nlh->nlmsg_len = 0x80000020u;
	HB_REFUSED(&b, 1, "bad length");
	/* shorter than a header */
	nlh->nlmsg_len = 8;
	HB_REFUSED(&b, 1, "bad length");
	/* not a multiple of 4 */
	nlh->nlmsg_len = 30;
	HB_REFUSED(&b, 1, "not padded");
	hb_free(&b);

	/* truncated buffer: cut inside the last header */
	remove_batch(&b, "vigil");
	b.len -= 10;
	HB_REFUSED(&b, 2, "truncated");
	hb_free(&b);

	/* attribute longer than its message, or shorter than a header */
	remove_batch(&b, "vigil");
	a = (struct nlattr *)(b.buf + 20 + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	a->nla_len = 200;
	HB_REFUSED(&b, 1, "truncated attribute");
	a->nla_len = 2;
	HB_REFUSED(&b, 1, "truncated attribute");
	/* a shorter name with garbage behind it */
	a->nla_len = 8;
	HB_REFUSED(&b, 1, "");
	hb_free(&b);
}
END_TEST

START_TEST(nesting_and_padding_refused)
{
	struct hb b;
	struct nlmsghdr *nlh;
	struct nlattr *n;

	/* the name inside a nest */
	hb_empty(&b);
	hb_begin(&b);
	nlh = hb_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	n = mnl_attr_nest_start(nlh, NFTA_TABLE_NAME);
	mnl_attr_put_strz(nlh, 1, "vigil");
	mnl_attr_nest_end(nlh, n);
	hb_done(&b, nlh);
	hb_end(&b);
	HB_REFUSED(&b, 1, "attribute name is nested");
	hb_free(&b);

	/* padding that hides bytes */
	remove_batch(&b, "vigil");
	/* "vigil\0" is 6 bytes: two bytes of padding follow it */
	b.buf[20 + 20 + 4 + 6] = 'x';
	HB_REFUSED(&b, 1, "padding that is not zero");
	hb_free(&b);

	/* the byte-order flag */
	remove_batch(&b, "vigil");
	((struct nlattr *)(b.buf + 20 + 20))->nla_type |= NLA_F_NET_BYTEORDER;
	HB_REFUSED(&b, 1, "has flags 0x4000");
	hb_free(&b);
}
END_TEST

START_TEST(random_bytes_refused)
{
	/* random garbage, and random corruption of a real batch: never
	 * out of bounds (ASan), and garbage is never a batch */
	struct hb b;
	struct batch_refusal r;
	unsigned seed = 12345;

	hb_policy(&b, base_yaml);
	hb_end(&b);
	for (int round = 0; round < 20000; round++) {
		uint8_t buf[256];
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		ck_assert_int_eq(batch_verify(buf, len, "vigil", &r), -EPERM);
	}
	for (int round = 0; round < 20000; round++) {
		_cleanup_free_ uint8_t *copy = malloc(b.len);
		size_t at = (size_t)rand_r(&seed) % b.len;
		memcpy(copy, b.buf, b.len);
		copy[at] = (uint8_t)rand_r(&seed);
		/* test_verify_prop.c says which outcomes are right */
		int rv = batch_verify(copy, b.len, "vigil", &r);
		ck_assert(rv == 0 || rv == -EPERM);
	}
	hb_free(&b);
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
	tcase_add_test(tc, names_must_be_one_string);
	tcase_add_test(tc, other_family_refused);
	tcase_add_test(tc, other_subsystem_refused);
	tcase_add_test(tc, batch_for_other_subsystem_refused);
	tcase_add_test(tc, disallowed_types_refused);
	tcase_add_test(tc, handles_refused);
	tcase_add_test(tc, repeated_attribute_refused);
	tcase_add_test(tc, missing_attribute_refused);
	tcase_add_test(tc, table_flags_and_mark);
	tcase_add_test(tc, destroy_shapes);
	tcase_add_test(tc, grammar_refused);
	tcase_add_test(tc, bad_flags_refused);
	tcase_add_test(tc, framing_refused);
	tcase_add_test(tc, lengths_refused);
	tcase_add_test(tc, nesting_and_padding_refused);
	tcase_add_test(tc, random_bytes_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
