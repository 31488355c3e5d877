// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/dump.h"
#include "vigil/util.h"

/* Calls fn on every message; -EBADMSG when a length does not add up. */
static int walk(const void *buf, size_t len, int (*fn)(void *ctx, const struct nlmsghdr *nlh),
		void *ctx)
{
	const uint8_t *p = buf;
	size_t off = 0;
	int r;

	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);

		if (len - off < sizeof(*nlh) || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
		    nlh->nlmsg_len > len - off)
			return -EBADMSG;
		r = fn(ctx, nlh);
		if (r < 0)
			return r;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return 0;
}

static int rule_udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct dump_rule *r = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t l = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && l > 0) {
		size_t n = strnlen(v, l);
		if (n >= sizeof(r->comment))
			n = sizeof(r->comment) - 1;
		memcpy(r->comment, v, n);
		r->comment[n] = '\0';
	}
	return 0;
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct dump_rule *r = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && streq(name, "counter") && !r->has_counter) {
		r->has_counter = true;
		r->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		r->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	} else if (name && streq(name, "log") && nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP)) {
		r->nflog = true;
	} else if (name && streq(name, "reject")) {
		r->verdict = DUMP_V_REJECT;
	} else if (name && streq(name, "immediate") &&
		   nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
		int32_t v = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		r->verdict = v == NF_DROP ? DUMP_V_DROP : v == NF_ACCEPT ? DUMP_V_ACCEPT : DUMP_V_OTHER;
	} else if (name && streq(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG)) {
		r->verdict = DUMP_V_OTHER; /* a verdict map */
	}
	return 0;
}

struct rules_ctx {
	int (*cb)(void *ctx, const struct dump_rule *r);
	void *ctx;
	int n;
};

static int on_rule(void *ctx, const struct nlmsghdr *nlh)
{
	struct rules_ctx *rc = ctx;
	struct dump_rule dr;
	struct nftnl_rule *r;
	const void *ud;
	uint32_t ulen = 0;
	const char *chain;
	int e;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE))
		return 0;
	memset(&dr, 0, sizeof(dr));
	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return -EBADMSG;
	}
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	snprintf(dr.chain, sizeof(dr.chain), "%s", chain ? chain : "");
	dr.handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen);
	if (ud && ulen)
		nftnl_udata_parse(ud, ulen, rule_udata_cb, &dr);
	nftnl_expr_foreach(r, expr_cb, &dr);
	nftnl_rule_free(r);
	rc->n++;
	e = rc->cb ? rc->cb(rc->ctx, &dr) : 0;
	return e < 0 ? e : 0;
}

int dump_rules(const void *buf, size_t len, int (*cb)(void *ctx, const struct dump_rule *r),
	       void *ctx)
{
	struct rules_ctx rc = { cb, ctx, 0 };
	int r = walk(buf, len, on_rule, &rc);

	return r < 0 ? r : rc.n;
}

static int on_count(void *ctx, const struct nlmsghdr *nlh)
{
	struct dump_counts *c = ctx;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
		return 0;
	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_NEWTABLE:
		c->table = true;
		break;
	case NFT_MSG_NEWCHAIN:
		c->chains++;
		break;
	case NFT_MSG_NEWSET:
		c->sets++;
		break;
	case NFT_MSG_NEWRULE:
		c->rules++;
		break;
	case NFT_MSG_NEWSETELEM:
		c->elem_msgs++;
		break;
	}
	return 0;
}

int dump_count(const void *buf, size_t len, struct dump_counts *c)
{
	memset(c, 0, sizeof(*c));
	return walk(buf, len, on_count, c);
}
