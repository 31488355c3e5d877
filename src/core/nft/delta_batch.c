// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental apply's batch (delta.h): the plan of delta_plan.c as
 * messages. BEGIN carries the generation the kernel's table was dumped at
 * (NFNL_BATCH_GENID), so a change made since fails the whole batch with
 * ERESTART; then the base chains whose policy changes (the compiled
 * NEWCHAIN: an update of the existing chain), the rules deleted (DELRULE by handle), the set elements
 * deleted (DELSETELEM, an interval's start and end together) and added
 * (NEWSETELEM, the compiled batch's own element nests), and the rules
 * inserted (the compiled NEWRULE with NFTA_RULE_POSITION, each after the
 * anonymous sets it looks up), END. Pure.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "delta_int.h"
#include "vigil/batch.h"
#include "vigil/util.h"

/* elements per DELSETELEM / NEWSETELEM message (as nftc's ELEM_CHUNK) */
#define DELTA_ELEM_CHUNK 512

#define HDR_ROOM (NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) + 256)

struct out {
	struct batch *b;
	const char *table;
	size_t n;               /* messages between BEGIN and END */
};

static struct nlmsghdr *msg_start(struct out *o, uint16_t type, uint16_t flags, size_t room)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(batch_reserve(o->b, HDR_ROOM + room), type,
						     NFPROTO_INET, flags, batch_seq(o->b));
	return nlh;
}

static void msg_done(struct out *o, char *what)
{
	batch_commit_msg(o->b, -1, -1, what);
	o->n++;
}

static void put_begin(struct out *o, uint32_t genid)
{
	struct nlmsghdr *nlh = nftnl_batch_begin(batch_reserve(o->b, HDR_ROOM), batch_seq(o->b));

	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	batch_commit_msg(o->b, -1, -1, xstrdup("batch begin"));
}

static void put_end(struct out *o)
{
	nftnl_batch_end(batch_reserve(o->b, HDR_ROOM), batch_seq(o->b));
	batch_commit_msg(o->b, -1, -1, xstrdup("batch end"));
}

/* a copy of a message of the compiled batch, with a sequence number of ours */
static void put_copy(struct out *o, const struct nlmsghdr *src, char *what)
{
	struct nlmsghdr *nlh = batch_reserve(o->b, NLMSG_ALIGN(src->nlmsg_len));

	memcpy(nlh, src, src->nlmsg_len);
	nlh->nlmsg_seq = batch_seq(o->b);
	msg_done(o, what);
}

static void put_delrule(struct out *o, const char *chain, uint64_t handle)
{
	struct nlmsghdr *nlh = msg_start(o, NFT_MSG_DELRULE, 0, strlen(chain) + 64);

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, o->table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(handle));
	msg_done(o, xasprintf("delete of rule %llu in chain %s", (unsigned long long)handle, chain));
}

/* the compiled rule, placed: after or before a kernel rule, or appended */
static void put_rule(struct out *o, const struct td_model *w, const struct td_rule *r,
		     const struct delta_op *op)
{
	const struct nlmsghdr *src = r->msg;
	size_t hl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	uint16_t flags = NLM_F_CREATE | (op->kind == DELTA_INS_BEFORE ? 0 : NLM_F_APPEND);
	struct nlmsghdr *nlh;

	for (size_t i = 0; i < r->nanon; i++) {
		const struct td_set *s = &w->sets[r->anon[i]];

		put_copy(o, s->msg, xstrdup("an anonymous set"));
		for (size_t j = 0; j < s->nemsg; j++)
			put_copy(o, s->emsg[j], xstrdup("elements of an anonymous set"));
	}
	nlh = msg_start(o, NFT_MSG_NEWRULE, flags, src->nlmsg_len);
	memcpy((char *)nlh + hl, (const char *)src + hl, src->nlmsg_len - hl);
	nlh->nlmsg_len = (uint32_t)NLMSG_ALIGN(src->nlmsg_len);
	if (op->kind != DELTA_APPEND)
		mnl_attr_put_u64(nlh, NFTA_RULE_POSITION, htobe64(op->handle));
	msg_done(o, xasprintf("rule in chain %s", r->chain));
}

/* the element a kernel boundary is, as a deletion names it: key, flags, end */
static void put_del_elem(struct nlmsghdr *nlh, uint16_t pos, const struct td_elem *e)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, pos), *k;

	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, e->klen, e->key);
	mnl_attr_nest_end(nlh, k);
	if (e->elen) {
		k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY_END);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, e->elen, e->end);
		mnl_attr_nest_end(nlh, k);
	}
	if (e->flags & NFT_SET_ELEM_INTERVAL_END)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	mnl_attr_nest_end(nlh, n);
}

/* a wanted element: the compiled nest itself, renumbered */
static void put_raw_elem(struct nlmsghdr *nlh, uint16_t pos, const struct td_elem *e)
{
	const struct nlattr *a = e->raw;
	struct nlattr *d = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	memcpy(d, a, a->nla_len);
	d->nla_type = (uint16_t)(NLA_F_NESTED | pos);
	nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
}

/* the elements of items idx[0..n) of set s, DELTA_ELEM_CHUNK per message */
static void put_elems(struct out *o, const struct td_set *s, const struct delta_elems *d,
		      const size_t *idx, size_t n, bool add)
{
	size_t i = 0;

	while (i < n) {
		struct nlmsghdr *nlh;
		struct nlattr *list;
		size_t room = 0, cnt = 0, j;

		for (j = i; j < n && cnt < DELTA_ELEM_CHUNK; j++) {
			for (size_t e = 0; e < d->count[idx[j]]; e++) {
				const struct td_elem *x = &s->e[d->first[idx[j]] + e];
				room += add ? MNL_ALIGN(((const struct nlattr *)x->raw)->nla_len) : 192;
			}
			cnt += d->count[idx[j]];
		}
		nlh = msg_start(o, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
				add ? NLM_F_CREATE : 0, room + strlen(s->name) + 64);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, o->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
		list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		cnt = 0;
		for (; i < j; i++)
			for (size_t e = 0; e < d->count[idx[i]]; e++) {
				const struct td_elem *x = &s->e[d->first[idx[i]] + e];
				cnt++;
				if (add)
					put_raw_elem(nlh, (uint16_t)cnt, x);
				else
					put_del_elem(nlh, (uint16_t)cnt, x);
			}
		mnl_attr_nest_end(nlh, list);
		msg_done(o, xasprintf("%s of set %s", add ? "elements added" : "elements deleted",
				      s->name));
	}
}

static void sets_out(const struct td_model *k, const struct td_model *w, struct out *o,
		     struct delta_plan *p, bool add)
{
	for (size_t i = 0; i < w->nsets; i++) {
		const struct td_set *ws = &w->sets[i], *ks;
		struct delta_elems kd, wd;
		size_t *del, *ad, ndel, nadd;

		if (ws->anon || delta_set_filled(ws))
			continue;
		ks = delta_named(k, ws->name);
		delta_elems_of(ks, &kd);
		delta_elems_of(ws, &wd);
		delta_elems_diff(ks, &kd, ws, &wd, &del, &ndel, &ad, &nadd);
		if (add) {
			put_elems(o, ws, &wd, ad, nadd, true);
			p->elems_add += nadd;
		} else {
			put_elems(o, ks, &kd, del, ndel, false);
			p->elems_del += ndel;
		}
		free(del), free(ad);
		delta_elems_free(&kd);
		delta_elems_free(&wd);
	}
}

/* the rule operations of every chain: deletes (ins false) or inserts */
static bool rules_out(const struct td_model *k, const struct td_model *w, struct out *o,
		      struct delta_plan *p, bool ins)
{
	for (size_t c = 0; c < w->nchains; c++) {
		const char *chain = w->chains[c];
		size_t clen = delta_chain_name_len(chain), nk, nw, nops, kept, *wi;
		struct delta_krule *kr;
		struct delta_op *ops = NULL;
		const char **wr;
		char *name = xasprintf("%.*s", (int)clen, chain);
		int r;

		delta_chain_rules(k, w, chain, clen, &kr, &nk, &wr, &wi, &nw);
		r = delta_rules(kr, nk, wr, nw, &ops, &nops, &kept);
		if (r < 0) {
			snprintf(p->reason, sizeof(p->reason), "chain %s: too many rules changed to diff",
				 name);
			p->full = true;
		}
		for (size_t i = 0; !r && i < nops; i++) {
			if (!ins && ops[i].kind == DELTA_DEL)
				put_delrule(o, name, ops[i].handle);
			else if (ins && ops[i].kind != DELTA_DEL)
				put_rule(o, w, &w->rules[wi[ops[i].index]], &ops[i]);
		}
		if (!r && !ins) {
			p->rules_kept += kept;
			p->rules_del += nk - kept;
			p->rules_add += nw - kept;
		}
		free(ops), free(kr), free(wr), free(wi), free(name);
		if (r < 0)
			return false;
	}
	return true;
}

int delta_build(const void *kdump, size_t klen, const void *want, size_t wlen, const char *table,
		uint32_t genid, struct batch *b, struct delta_plan *p)
{
	struct tablediff_side ks = { kdump, klen, NULL, 0, true }, ws = { want, wlen, NULL, 0, true };
	struct out o = { b, table, 0 };
	struct td_model k, w;
	bool *policy = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = td_model_load(&ks, &k)) < 0)
		return r;
	if ((r = td_model_load(&ws, &w)) < 0) {
		td_model_free(&k);
		return r;
	}
	if (!k.table) {
		p->full = true;
		snprintf(p->reason, sizeof(p->reason), "%s", "no table");
	} else if (delta_same_objects(&k, &w, p, (policy = xcalloc(w.nchains + 1, sizeof(*policy))))) {
		uint32_t seq0 = batch_seq(b);

		put_begin(&o, genid);
		for (size_t i = 0; i < w.nchains; i++)
			if (policy[i])
				put_copy(&o, w.chain_msg[i],
					 xasprintf("policy of chain %.*s", (int)delta_chain_name_len(w.chains[i]),
						   w.chains[i]));
		if (rules_out(&k, &w, &o, p, false)) {
			sets_out(&k, &w, &o, p, false);
			sets_out(&k, &w, &o, p, true);
			rules_out(&k, &w, &o, p, true);
		}
		put_end(&o);
		p->messages = o.n;
		if (p->full || !o.n) {
			batch_free(b);
			batch_init(b, seq0);
		}
	}
	free(policy);
	td_model_free(&k);
	td_model_free(&w);
	return 0;
}
