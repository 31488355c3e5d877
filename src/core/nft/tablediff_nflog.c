// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which NFLOG group the kernel's copy of vigild's table logs refused
 * traffic to (tablediff.h): a table that `vigild watch` made has NFLOG
 * rules, one `vigild apply` made has none, so `vigild diff` compiles the
 * policy the way the table in the kernel was compiled.
 */
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/tablediff.h"

struct group_ctx {
	uint16_t group;
};

static int log_cb(struct nftnl_expr *e, void *data)
{
	struct group_ctx *g = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const char *pfx;

	if (!name || strcmp(name, "log") || !nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP))
		return 0;
	pfx = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
	if (pfx && !strncmp(pfx, "vigil:", 6)) {
		g->group = nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP);
		return -1; /* found: stop */
	}
	return 0;
}

uint16_t tablediff_nflog_group(const void *dump, size_t len)
{
	const unsigned char *p = dump;
	struct group_ctx g = { 0 };

	while (len >= sizeof(struct nlmsghdr) && !g.group) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		size_t step;

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len)
			break;
		if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWRULE &&
		    (h->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
			struct nftnl_rule *r = nftnl_rule_alloc();

			if (r && nftnl_rule_nlmsg_parse(h, r) >= 0)
				nftnl_expr_foreach(r, log_cb, &g);
			nftnl_rule_free(r);
		}
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return g.group;
}
