// SPDX-License-Identifier: GPL-2.0-or-later
/* Hostile batches for the verifier tests (hb.h). */
#include <arpa/inet.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "hb.h"
#include "unit.h"
#include "vigil/nftc.h"

#define ROOM (128u << 10)

void hb_empty(struct hb *b)
{
	memset(b, 0, sizeof(*b));
	b->seq = 1000;
}

void hb_free(struct hb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void *hb_room(struct hb *b)
{
	if (b->cap - b->len < ROOM) {
		b->cap = b->cap * 2 + ROOM;
		b->buf = xrealloc(b->buf, b->cap);
	}
	memset(b->buf + b->len, 0, ROOM);
	return b->buf + b->len;
}

void hb_done(struct hb *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void hb_begin(struct hb *b)
{
	hb_done(b, nftnl_batch_begin(hb_room(b), b->seq++));
}

void hb_end(struct hb *b)
{
	hb_done(b, nftnl_batch_end(hb_room(b), b->seq++));
}

void hb_policy(struct hb *b, const char *yaml)
{
	struct policy pol;
	struct ir_table t;
	struct batch bt;
	const struct nlmsghdr *last = NULL;
	size_t off = 0;

	hb_empty(b);
	compile_text(yaml, NULL, &pol, &t);
	batch_init(&bt, 1);
	nftc_build_replace(&t, &bt);
	while (off < bt.len) {
		last = (const struct nlmsghdr *)(bt.buf + off);
		off += NLMSG_ALIGN(last->nlmsg_len);
	}
	ck_assert(last && last->nlmsg_type == NFNL_MSG_BATCH_END);
	b->len = bt.len - NLMSG_ALIGN(last->nlmsg_len);
	b->cap = b->len + ROOM;
	b->buf = xmalloc(b->cap);
	memcpy(b->buf, bt.buf, b->len);
	batch_free(&bt);
	ir_table_free(&t);
	policy_free(&pol);
}

struct nlmsghdr *hb_msg(struct hb *b, uint16_t nft_type, uint8_t family, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(hb_room(b));
	struct nfgenmsg *g;

	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | nft_type);
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = b->seq++;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

void hb_chain(struct hb *b, const char *name, const char *type, uint32_t hook, int32_t prio,
	      uint32_t policy)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "vigil");
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (type) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
	}
	nlh = nftnl_nlmsg_build_hdr(hb_room(b), NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, b->seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	hb_done(b, nlh);
}

struct nftnl_rule *hb_rule(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "vigil");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, "evil");
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return r;
}

void hb_put_rule(struct hb *b, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(hb_room(b), NFT_MSG_NEWRULE, NFPROTO_INET,
						     NLM_F_CREATE | NLM_F_APPEND, b->seq++);

	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	hb_done(b, nlh);
}

struct nftnl_expr *hb_expr(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	ck_assert_msg(e, "libnftnl has no expression '%s'", name);
	return e;
}

size_t hb_nmsgs(const struct hb *b)
{
	size_t off = 0, n = 0;

	while (off < b->len) {
		off += NLMSG_ALIGN(((const struct nlmsghdr *)(b->buf + off))->nlmsg_len);
		n++;
	}
	return n;
}

void hb_truncate(struct hb *b, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n && off < b->len; i++)
		off += NLMSG_ALIGN(((const struct nlmsghdr *)(b->buf + off))->nlmsg_len);
	b->len = off;
}

uint32_t hb_set_id(const struct hb *b, const char *name)
{
	size_t off = 0;
	uint32_t id = 0;

	while (off < b->len && !id) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b->buf + off);
		if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET)) {
			struct nftnl_set *s = nftnl_set_alloc();
			if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
			    streq(nftnl_set_get_str(s, NFTNL_SET_NAME), name))
				id = nftnl_set_get_u32(s, NFTNL_SET_ID);
			nftnl_set_free(s);
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return id;
}

int hb_verify(const struct hb *b, struct batch_refusal *why)
{
	memset(why, 0, sizeof(*why));
	return batch_verify(b->buf, b->len, "vigil", why);
}

void hb_refused_at(const struct hb *b, size_t index, const char *const *needles)
{
	struct batch_refusal r;
	int e = hb_verify(b, &r);

	ck_assert_msg(e == -EPERM, "batch accepted, expected a refusal at message %zu", index);
	ck_assert_msg(r.index == index, "refused at message %zu, not %zu: %s", r.index, index, r.why);
	for (const char *const *n = needles; *n; n++)
		ck_assert_msg(strstr(r.why, *n), "reason '%s' lacks '%s'", r.why, *n);
}
