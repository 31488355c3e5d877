// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IR -> libnftnl objects -> one NETLINK_NETFILTER batch (bytes).
 *
 * The expressions are the ones nft itself generates for the text render.c
 * prints (checked by `nft --debug=netlink`): dependencies (meta nfproto,
 * meta l4proto) right before the first payload that needs them, byte-aligned
 * prefixes as shorter loads, other prefixes as load + bitwise, ranges as a
 * pair of compares. Objects go in nft's order: table, delete, table, chains,
 * named sets and their elements, then per rule its anonymous sets, their
 * elements and the rule. This file puts the table, chains, rules and the
 * batch; a rule's expressions are in nftc_expr.c (NAT and limits in
 * nftc_nat.c), sets, maps and elements in nftc_set.c.
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vigil/vocab.h"
#include "nftc_int.h"

static void nftnl_table_freep(struct nftnl_table **p)
{
	if (*p)
		nftnl_table_free(*p);
}
static void nftnl_chain_freep(struct nftnl_chain **p)
{
	if (*p)
		nftnl_chain_free(*p);
}
static void nftnl_rule_freep(struct nftnl_rule **p)
{
	if (*p)
		nftnl_rule_free(*p);
}
static void udata_freep(struct nftnl_udata_buf **p)
{
	if (*p)
		nftnl_udata_buf_free(*p);
}

/* ---- objects and messages ---- */

/* Debian 12's headers (linux-libc-dev 6.1) lack these (kernel 6.3, 6.9). */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif

static void put_table_msg(struct enc *E, uint16_t type, uint16_t flags, bool mark,
			  uint32_t table_flags)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *tb = nftnl_table_alloc();
	_cleanup_(udata_freep) struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nlmsghdr *nlh;

	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, E->t->name);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (type == NFT_MSG_NEWTABLE && table_flags)
		nftnl_table_set_u32(tb, NFTNL_TABLE_FLAGS, table_flags);
	if (mark) {
		nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, IR_TABLE_MARK);
		nftnl_table_set_data(tb, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
	}
	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), type, NFPROTO_INET, flags,
				    batch_seq(E->b));
	nftnl_table_nlmsg_build_payload(nlh, tb);
	batch_commit_msg(E->b, -1, -1,
			 xasprintf("%s table inet %s",
				   type == NFT_MSG_DELTABLE	? "delete" :
				   type == NFT_MSG_DESTROYTABLE ? "destroy" :
								  "add",
				   E->t->name));
}

static void put_chain(struct enc *E, const struct ir_chain *ch)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, E->t->name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, ch->name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (ch->base) {
		/* the hook, priority and type the commit helper accepts for it */
		const struct vocab_chain *v = ch->nat ? &vocab_nat_chains[ch->nat - 1]
						      : &vocab_base_chains[ch->hook];
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, v->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, v->prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, v->type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY,
				    ch->policy == VERDICT_ACCEPT ? NF_ACCEPT : NF_DROP);
	}
	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWCHAIN, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_commit_msg(E->b, -1, -1, xasprintf("chain %s", ch->name));
}

static void put_rule(struct enc *E, const struct ir_chain *ch, const struct ir_rule *ir)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
	_cleanup_(udata_freep) struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct deps d = { false, false };
	struct nlmsghdr *nlh;

	/* anonymous sets go right before the rule that uses them */
	for (size_t i = 0; i < ir->nm; i++)
		if (ir->m[i].op == OP_SET && ir->m[i].set->anonymous)
			nftc_put_set(E, ir->m[i].set, ir->origin);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, E->t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, ch->name);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (ir->nm == 1 && ir->m[0].op == OP_VMAP) {
		nftc_encode_vmap(r, &ir->m[0]);
	} else {
		for (size_t i = 0; i < ir->nm; i++)
			nftc_encode_match(r, &d, &ir->m[i]);
		nftc_encode_limit(r, &ir->lim);
		nftc_encode_stmts(r, ir);
	}
	if (ir->comment) {
		nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, ir->comment);
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud));
	}
	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWRULE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_APPEND, batch_seq(E->b));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	batch_commit_msg(E->b, ir->origin, -1,
			 xasprintf("rule %s in chain %s", ir->comment ? ir->comment : "?", ch->name));
}

static void put_begin(struct batch *b, const struct nftc_opts *o)
{
	struct nlmsghdr *nlh = nftnl_batch_begin(batch_reserve(b, MSG_ROOM), batch_seq(b));

	/* a commit based on a stale view fails (ERESTART) instead of
	 * overwriting a change made since */
	if (o && o->have_genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(o->genid));
	batch_commit_msg(b, -1, -1, xstrdup("batch begin"));
}

static void put_end(struct batch *b)
{
	nftnl_batch_end(batch_reserve(b, MSG_ROOM), batch_seq(b));
	batch_commit_msg(b, -1, -1, xstrdup("batch end"));
}

/* The table's replacement: gone (whatever it held), then new. */
static void put_table_replace(struct enc *E, const struct nftc_opts *o)
{
	if (o && o->destroy) {
		/* DESTROYTABLE tolerates a missing table */
		put_table_msg(E, NFT_MSG_DESTROYTABLE, 0, false, 0);
	} else {
		/* add (so the delete cannot fail on a missing table), without
		 * NFTA_TABLE_FLAGS: an existing table's flags stay as they are
		 * (flags 0 given to an owned table would be EOPNOTSUPP), delete */
		put_table_msg(E, NFT_MSG_NEWTABLE, NLM_F_CREATE, false, 0);
		put_table_msg(E, NFT_MSG_DELTABLE, 0, false, 0);
	}
	put_table_msg(E, NFT_MSG_NEWTABLE, NLM_F_CREATE, true, o ? o->table_flags : 0);
}

void nftc_build_replace_opts(const struct ir_table *t, const struct nftc_opts *o, struct batch *b)
{
	struct enc E = { .b = b, .t = t, .o = o };

	put_begin(b, o);
	put_table_replace(&E, o);
	for (size_t c = 0; c < t->nchains; c++)
		put_chain(&E, &t->chains[c]);
	for (size_t i = 0; i < t->nsets; i++) {
		if (t->sets[i]->natmap)
			nftc_put_natmap(&E, t->sets[i]);
		else if (t->sets[i]->vmap || t->sets[i]->nfields > 1)
			nftc_put_map(&E, t->sets[i]);
		else
			nftc_put_set(&E, t->sets[i], -1);
		if (t->sets[i]->dynamic)
			nftc_put_kept(&E, t->sets[i]);
	}
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			put_rule(&E, &t->chains[c], &t->chains[c].rules[i]);
	put_end(b);
}

void nftc_build_replace(const struct ir_table *t, struct batch *b)
{
	nftc_build_replace_opts(t, NULL, b);
}

void nftc_build_delete_opts(const char *table, const struct nftc_opts *o, struct batch *b)
{
	struct ir_table t = { .name = (char *)table };
	struct enc E = { .b = b, .t = &t };

	put_begin(b, o);
	put_table_msg(&E, o && o->destroy ? NFT_MSG_DESTROYTABLE : NFT_MSG_DELTABLE, 0, false, 0);
	put_end(b);
}

void nftc_build_delete(const char *table, struct batch *b)
{
	nftc_build_delete_opts(table, NULL, b);
}
