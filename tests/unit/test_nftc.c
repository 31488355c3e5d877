// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftc: the batch, walked message by message and parsed back with libnftnl.
 * The bytecode of every set, element list and rule must be exactly what
 * `nft --debug=netlink` printed for `vigild show` of the same policy
 * (nftc-oracle.netlink, made by nftc-oracle-regen.sh): nftnl's *_snprintf
 * print the same text nft's debug output does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"
#include "vigil/util.h"

struct msg {
	const struct nlmsghdr *nlh;
	uint16_t type; /* NFT_MSG_*, or NFNL_MSG_BATCH_* */
};

struct fixture {
	struct policy pol;
	struct ir_table t;
	struct batch b;
	struct msg *m;
	size_t n;
};

static void walk(struct fixture *f)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)f->b.buf;
	int left = (int)f->b.len;

	f->m = NULL;
	f->n = 0;
	while (mnl_nlmsg_ok(nlh, left)) {
		uint16_t t = nlh->nlmsg_type;
		f->m = xreallocarray(f->m, f->n + 1, sizeof(*f->m));
		f->m[f->n].nlh = nlh;
		if (t == NFNL_MSG_BATCH_BEGIN || t == NFNL_MSG_BATCH_END) {
			f->m[f->n].type = t;
		} else {
			expect(NFNL_SUBSYS_ID(t) == NFNL_SUBSYS_NFTABLES, "message %zu: subsystem "
									  "%u",
			       f->n, NFNL_SUBSYS_ID(t));
			f->m[f->n].type = NFNL_MSG_TYPE(t);
		}
		f->n++;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	ck_assert_int_eq(left, 0);
	ck_assert_uint_eq(f->n, f->b.nmsgs);
}

static void setup_text(struct fixture *f, const char *yaml, uint32_t seq0)
{
	compile_text(yaml, NULL, &f->pol, &f->t);
	batch_init(&f->b, seq0);
	nftc_build_replace(&f->t, &f->b);
	walk(f);
}

static void teardown(struct fixture *f)
{
	free(f->m);
	batch_free(&f->b);
	ir_table_free(&f->t);
	policy_free(&f->pol);
}

/*
 * nftnl_set_elems_nlmsg_parse() wants every element nest typed
 * NFTA_LIST_ELEM (as the kernel's dumps are), but nftnl's builder numbers
 * them 1, 2, 3, ... (the kernel does not care). Parse a copy retyped.
 */
static int parse_elems(const struct nlmsghdr *nlh, struct nftnl_set *s)
{
	_cleanup_free_ struct nlmsghdr *copy = xmalloc(nlh->nlmsg_len);
	struct nlattr *a, *e;

	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(a, copy, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a)
			e->nla_type = (uint16_t)((e->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM);
	}
	return nftnl_set_elems_nlmsg_parse(copy, s);
}

/* ---- text as nft --debug=netlink prints it ---- */

static void put_set(struct strbuf *sb, const struct nlmsghdr *nlh, bool elems)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char buf[1 << 16];
	int r = elems ? parse_elems(nlh, s) : nftnl_set_nlmsg_parse(nlh, s);

	ck_assert_int_ge(r, 0);
	nftnl_set_snprintf(buf, sizeof(buf), s, NFTNL_OUTPUT_DEFAULT, 0);
	sb_printf(sb, "%s\n", buf);
	nftnl_set_free(s);
}

static void put_rule(struct strbuf *sb, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char buf[1 << 16];

	ck_assert_int_ge(nftnl_rule_nlmsg_parse(nlh, r), 0);
	nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
	sb_printf(sb, "%s\n", buf);
	nftnl_rule_free(r);
}

/* Sets, elements and rules of the batch, in batch order. */
static char *transcript(const struct fixture *f)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < f->n; i++) {
		switch (f->m[i].type) {
		case NFT_MSG_NEWSET:
			put_set(&sb, f->m[i].nlh, false);
			break;
		case NFT_MSG_NEWSETELEM:
			put_set(&sb, f->m[i].nlh, true);
			break;
		case NFT_MSG_NEWRULE:
			put_rule(&sb, f->m[i].nlh);
			break;
		default:
			break;
		}
	}
	return sb_take(&sb);
}

/* The oracle without its header line and nft's chain lines (which nft
 * prints before it has filled in the chain's names). */
static char *oracle_text(void)
{
	_cleanup_free_ char *raw = read_src_file("tests/unit/nftc-oracle.netlink", NULL);
	struct strbuf sb = { 0 };
	const char *p = raw;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (p[0] != '#' && strncmp(p, "inet (null) (null) ", 19) != 0)
			sb_putn(&sb, p, len);
		p += len;
	}
	return sb_take(&sb);
}

/* ---- tests ---- */

START_TEST(bytecode_matches_nft)
{
	_cleanup_free_ char *yaml = read_src_file("tests/unit/nftc-oracle.yml", NULL);
	_cleanup_free_ char *want = oracle_text();
	_cleanup_free_ char *got = NULL;
	struct fixture f;

	setup_text(&f, yaml, 1);
	got = transcript(&f);
	if (getenv("NFTC_DUMP")) {
		/* for a full diff against the oracle when it fails */
		FILE *o = fopen(getenv("NFTC_DUMP"), "we");
		if (o) {
			fputs(got, o);
			fclose(o);
		}
	}
	ck_assert_uint_gt(strlen(want), 1000);
	text_is("nftc-oracle.netlink", got, want);
	teardown(&f);
}
END_TEST

START_TEST(message_order)
{
	_cleanup_free_ char *yaml = read_src_file("tests/unit/nftc-oracle.yml", NULL);
	struct fixture f;
	size_t i = 0, nnamed = 0, nrules = 0;
	uint32_t pending_anon[16];
	size_t npending = 0;

	setup_text(&f, yaml, 77);
	/* BEGIN, add table, delete table, add table */
	ck_assert_uint_eq(f.m[i++].type, NFNL_MSG_BATCH_BEGIN);
	ck_assert_uint_eq(f.m[i++].type, NFT_MSG_NEWTABLE);
	ck_assert_uint_eq(f.m[i++].type, NFT_MSG_DELTABLE);
	ck_assert_uint_eq(f.m[i++].type, NFT_MSG_NEWTABLE);
	for (size_t k = 1; k <= 3; k++) {
		struct nftnl_table *t = nftnl_table_alloc();
		ck_assert_int_ge(nftnl_table_nlmsg_parse(f.m[k].nlh, t), 0);
		ck_assert_str_eq(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "oracle");
		ck_assert_uint_eq(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
		nftnl_table_free(t);
	}
	/* every chain, base chains with their hook, priority and policy */
	for (size_t c = 0; c < f.t.nchains; c++, i++) {
		struct nftnl_chain *ch = nftnl_chain_alloc();
		ck_assert_uint_eq(f.m[i].type, NFT_MSG_NEWCHAIN);
		ck_assert_int_ge(nftnl_chain_nlmsg_parse(f.m[i].nlh, ch), 0);
		ck_assert_str_eq(nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME), f.t.chains[c].name);
		ck_assert_str_eq(nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE), "oracle");
		if (c < CH_MAX) {
			static const uint32_t hook[CH_MAX] = { NF_INET_LOCAL_IN, NF_INET_FORWARD,
							       NF_INET_LOCAL_OUT };
			ck_assert_uint_eq(nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM), hook[c]);
			ck_assert_int_eq(nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO), 0);
			ck_assert_str_eq(nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE), "filter");
			ck_assert_uint_eq(nftnl_chain_get_u32(ch, NFTNL_CHAIN_POLICY),
					  c == CH_OUTPUT ? NF_ACCEPT : NF_DROP);
		} else if (f.t.chains[c].nat) {
			/* the nat chains, last: dstnat at prerouting, srcnat at postrouting */
			bool pre = f.t.chains[c].nat == IR_NAT_HOOK_PRE;
			ck_assert_uint_eq(nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM),
					  pre ? NF_INET_PRE_ROUTING : NF_INET_POST_ROUTING);
			ck_assert_int_eq(nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO), pre ? -100 : 100);
			ck_assert_str_eq(nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE), "nat");
			ck_assert_uint_eq(nftnl_chain_get_u32(ch, NFTNL_CHAIN_POLICY), NF_ACCEPT);
			ck_assert_uint_ge(c, f.t.nchains - 2);
		} else {
			ck_assert(!nftnl_chain_is_set(ch, NFTNL_CHAIN_HOOKNUM));
		}
		nftnl_chain_free(ch);
	}
	/* named sets and maps, each followed by its elements */
	for (; f.m[i].type == NFT_MSG_NEWSET || f.m[i].type == NFT_MSG_NEWSETELEM; i++) {
		struct nftnl_set *s = nftnl_set_alloc();
		if (f.m[i].type == NFT_MSG_NEWSETELEM) {
			ck_assert_int_ge(parse_elems(f.m[i].nlh, s), 0);
			ck_assert_str_eq(nftnl_set_get_str(s, NFTNL_SET_NAME),
					 f.t.sets[nnamed - 1]->name);
		} else {
			ck_assert_int_ge(nftnl_set_nlmsg_parse(f.m[i].nlh, s), 0);
			ck_assert_uint_lt(nnamed, f.t.nsets);
			ck_assert_str_eq(nftnl_set_get_str(s, NFTNL_SET_NAME),
					 f.t.sets[nnamed]->name);
			ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_ID), f.t.sets[nnamed]->id);
			ck_assert(!(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS));
			nnamed++;
		}
		nftnl_set_free(s);
	}
	ck_assert_uint_eq(nnamed, f.t.nsets);
	/* then per rule: its anonymous sets and their elements, the rule */
	for (; i + 1 < f.n; i++) {
		struct nftnl_set *s;
		struct nftnl_rule *r;

		switch (f.m[i].type) {
		case NFT_MSG_NEWSET:
			s = nftnl_set_alloc();
			ck_assert_int_ge(nftnl_set_nlmsg_parse(f.m[i].nlh, s), 0);
			ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) &
						  (NFT_SET_ANONYMOUS | NFT_SET_CONSTANT),
					  NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
			ck_assert_uint_lt(npending, ARRAY_SIZE(pending_anon));
			pending_anon[npending++] = nftnl_set_get_u32(s, NFTNL_SET_ID);
			nftnl_set_free(s);
			break;
		case NFT_MSG_NEWSETELEM:
			ck_assert_uint_gt(npending, 0);
			break;
		case NFT_MSG_NEWRULE: {
			/* every anonymous set sent since the last rule is this rule's */
			char buf[1 << 14];
			r = nftnl_rule_alloc();
			ck_assert_int_ge(nftnl_rule_nlmsg_parse(f.m[i].nlh, r), 0);
			nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
			for (size_t k = 0; k < npending; k++)
				ck_assert_msg(strstr(buf, "set __set%d"),
					      "rule without its set: %s", buf);
			ck_assert(f.m[i].nlh->nlmsg_flags & NLM_F_APPEND);
			npending = 0;
			nrules++;
			nftnl_rule_free(r);
			break;
		}
		default:
			ck_abort_msg("message %zu: unexpected type %u", i, f.m[i].type);
		}
	}
	ck_assert_uint_eq(npending, 0);
	ck_assert_uint_eq(nrules, f.t.nrules);
	ck_assert_uint_eq(f.m[f.n - 1].type, NFNL_MSG_BATCH_END);
	/* and the commit helper's gate lets it through */
	{
		struct batch_refusal why;
		ck_assert_msg(batch_verify(f.b.buf, f.b.len, "oracle", &why) == 0,
			      "refused at %zu: %s", why.index, why.why);
	}
	teardown(&f);
}
END_TEST

START_TEST(seq_map)
{
	_cleanup_free_ char *yaml = read_src_file("tests/unit/nftc-oracle.yml", NULL);
	struct fixture f;
	size_t chain = 0, rule = 0;

	setup_text(&f, yaml, 0xfffffff0u); /* crosses the wrap */
	for (size_t i = 0; i < f.n; i++) {
		const struct batch_msg *bm = batch_find_seq(&f.b, f.m[i].nlh->nlmsg_seq);
		expect(bm == &f.b.msgs[i], "message %zu: seq %u maps to the wrong message", i,
		       f.m[i].nlh->nlmsg_seq);
		expect(f.m[i].nlh->nlmsg_seq != 0, "message %zu has seq 0", i);
		expect((bm->type & 0xff) == (f.m[i].type & 0xff), "message %zu: type", i);
	}
	ck_assert_str_eq(f.b.msgs[0].what, "batch begin");
	ck_assert_str_eq(f.b.msgs[1].what, "add table inet oracle");
	ck_assert_str_eq(f.b.msgs[2].what, "delete table inet oracle");
	ck_assert_str_eq(f.b.msgs[f.n - 1].what, "batch end");
	/* rules map to their policy rule; named sets to their policy set */
	for (size_t i = 0; i < f.n; i++) {
		const struct batch_msg *bm = &f.b.msgs[i];
		if (f.m[i].type == NFT_MSG_NEWCHAIN) {
			ck_assert_int_eq(bm->origin_rule, -1);
			chain++;
		} else if (f.m[i].type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			const char *ch;
			const struct ir_rule *ir = NULL;

			ck_assert_int_ge(nftnl_rule_nlmsg_parse(f.m[i].nlh, r), 0);
			ch = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
			/* find the rule-th IR rule in batch order */
			for (size_t c = 0, k = 0; c < f.t.nchains && !ir; c++)
				for (size_t j = 0; j < f.t.chains[c].n && !ir; j++, k++)
					if (k == rule) {
						ir = &f.t.chains[c].rules[j];
						ck_assert_str_eq(ch, f.t.chains[c].name);
					}
			ck_assert_ptr_nonnull(ir);
			ck_assert_int_eq(bm->origin_rule, ir->origin);
			ck_assert_int_eq(bm->origin_set, -1);
			if (ir->origin >= 0)
				ck_assert_ptr_nonnull(
					strstr(bm->what, f.pol.rules[ir->origin].name));
			nftnl_rule_free(r);
			rule++;
		} else if (f.m[i].type == NFT_MSG_NEWSET && bm->origin_set >= 0) {
			struct nftnl_set *s = nftnl_set_alloc();
			ck_assert_int_ge(nftnl_set_nlmsg_parse(f.m[i].nlh, s), 0);
			ck_assert_ptr_nonnull(strstr(nftnl_set_get_str(s, NFTNL_SET_NAME),
						     f.pol.sets[bm->origin_set].name));
			nftnl_set_free(s);
		}
	}
	ck_assert_uint_eq(chain, f.t.nchains);
	ck_assert_uint_eq(rule, f.t.nrules);
	teardown(&f);
}
END_TEST

static int count_elem(struct nftnl_set_elem *e, void *data)
{
	(void)e;
	(*(size_t *)data)++;
	return 0;
}

START_TEST(large_set_chunks)
{
	struct strbuf sb = { 0 };
	struct fixture f;
	size_t nelem = 0, nmsgs = 0;
	const size_t n = 30000;

	/* 30000 separate /32s: 60001 interval elements, far more than one
	 * message's 16-bit attribute length holds */
	sb_puts(&sb, "version: 1\nsets:\n  big: {type: cidr, elements: [");
	for (size_t i = 0; i < n; i++)
		sb_printf(&sb, "%s10.%zu.%zu.1", i ? ", " : "", i / 256, i % 256);
	sb_puts(&sb, "]}\nrules:\n  - {name: a, chain: input, src: \"@big\", action: drop}\n");
	setup_text(&f, sb.s, 1);
	for (size_t i = 0; i < f.n; i++) {
		struct nftnl_set *s;
		if (f.m[i].type != NFT_MSG_NEWSETELEM)
			continue;
		s = nftnl_set_alloc();
		ck_assert_int_ge(parse_elems(f.m[i].nlh, s), 0);
		if (streq(nftnl_set_get_str(s, NFTNL_SET_NAME), "big_v4")) {
			nftnl_set_elem_foreach(s, count_elem, &nelem);
			nmsgs++;
		}
		ck_assert_uint_le(f.m[i].nlh->nlmsg_len, 128u << 10);
		nftnl_set_free(s);
	}
	/* an end element at 0, then a start and an end per address */
	ck_assert_uint_eq(nelem, 1 + 2 * n);
	ck_assert_uint_gt(nmsgs, 1);
	teardown(&f);
	sb_free(&sb);
}
END_TEST

START_TEST(delete_batch)
{
	struct batch b;
	const struct nlmsghdr *nlh;
	struct nftnl_table *t = nftnl_table_alloc();
	int left;

	batch_init(&b, 5);
	nftc_build_delete("vigil", &b);
	ck_assert_uint_eq(b.nmsgs, 3);
	nlh = (const struct nlmsghdr *)b.buf;
	left = (int)b.len;
	ck_assert_uint_eq(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	nlh = mnl_nlmsg_next(nlh, &left);
	ck_assert_uint_eq(nlh->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE);
	ck_assert_int_ge(nftnl_table_nlmsg_parse(nlh, t), 0);
	ck_assert_str_eq(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "vigil");
	nlh = mnl_nlmsg_next(nlh, &left);
	ck_assert_uint_eq(nlh->nlmsg_type, NFNL_MSG_BATCH_END);
	nlh = mnl_nlmsg_next(nlh, &left);
	ck_assert_int_eq(left, 0);
	ck_assert_uint_eq(b.msgs[1].seq, 6);
	ck_assert_str_eq(b.msgs[1].what, "delete table inet vigil");
	nftnl_table_free(t);
	batch_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nftc");
	TCase *tc = tcase_create("nftc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bytecode_matches_nft);
	tcase_add_test(tc, message_order);
	tcase_add_test(tc, seq_map);
	tcase_add_test(tc, large_set_chunks);
	tcase_add_test(tc, delete_batch);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
