// SPDX-License-Identifier: GPL-2.0-or-later
/* Other tables' base chains at input and forward (foreign.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "vigil/foreign.h"
#include "vigil/util.h"

void foreign_add_chain(struct foreign_view *f, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *type;
	uint32_t hook, fam;

	if (!c)
		abort();
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		goto out;
	hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	fam = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	if ((hook != NF_INET_LOCAL_IN && hook != NF_INET_FORWARD) || !type || strcmp(type, "filter") ||
	    (fam != NFPROTO_INET && fam != NFPROTO_IPV4 && fam != NFPROTO_IPV6))
		goto out;
	GROW(f->v, f->cap, f->n + 1);
	struct foreign_chain *fc = &f->v[f->n++];
	memset(fc, 0, sizeof(*fc));
	fc->family = (uint8_t)fam;
	fc->hook = hook;
	fc->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
								 : NF_ACCEPT;
	snprintf(fc->table, sizeof(fc->table), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	snprintf(fc->chain, sizeof(fc->chain), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
out:
	nftnl_chain_free(c);
}

static int count_accept(struct nftnl_expr *e, void *data)
{
	unsigned *n = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && !strcmp(name, "immediate") &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT &&
	    (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT)
		(*n)++;
	return 0;
}

void foreign_add_rule(struct foreign_view *f, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	unsigned n = 0;
	uint8_t fam;
	const char *table;

	if (!r)
		abort();
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	nftnl_expr_foreach(r, count_accept, &n);
	if (!n)
		goto out;
	fam = (uint8_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	for (size_t i = 0; i < f->nt; i++)
		if (f->t[i].family == fam && !strcmp(f->t[i].name, table)) {
			f->t[i].accepts += n;
			goto out;
		}
	GROW(f->t, f->capt, f->nt + 1);
	f->t[f->nt].family = fam;
	snprintf(f->t[f->nt].name, sizeof(f->t[f->nt].name), "%s", table);
	f->t[f->nt++].accepts = n;
out:
	nftnl_rule_free(r);
}

void foreign_done(struct foreign_view *f)
{
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = 0; j < f->nt; j++)
			if (f->t[j].family == f->v[i].family && !strcmp(f->t[j].name, f->v[i].table))
				f->v[i].accepts = f->t[j].accepts;
}

void foreign_free(struct foreign_view *f)
{
	free(f->v);
	free(f->t);
	memset(f, 0, sizeof(*f));
}
