// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * batch_verify_delta(): the commit helper's gate for an incremental apply.
 * The batch changes vigild's table without replacing it, so the chains and
 * named sets it refers to are the kernel's: the helper reads them itself
 * (a dump of the table's chains and sets, at one generation) and they are
 * loaded here before the walk. The batch:
 *
 *   BEGIN(NFNL_BATCH_GENID)  { NEWCHAIN(a base chain's policy) | DELRULE |
 *                              DELSETELEM | NEWSETELEM | NEWSET(anonymous) |
 *                              NEWRULE }...  END
 *
 * DELRULE names a kernel chain and a handle (the kernel looks the handle
 * up in that chain of that table only); NEWRULE is a rule as a replacement
 * would carry it (every expression checked the same way), optionally with
 * NFTA_RULE_POSITION; elements go to the kernel's named sets that are not
 * filled by the kernel or by `vigild set`, or to an anonymous set of this
 * batch before the rule that looks it up. No table, chain or named set is
 * made or deleted; a base chain is only given its policy again (its
 * type, hook and priority must be vigild's, which the kernel's update
 * requires to be the chain's). The generation check is required, and the caller
 * compares it with its own dump's: the batch then meets exactly the table
 * it was checked against, or fails whole (ERESTART).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/batch.h"
#include "verify.h"

#define REFUSE(...) (verify_fmt(why, len, __VA_ARGS__), why)

const char *verify_delrule(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *chain = verify_str(tb[NFTA_RULE_CHAIN]);

	verify_fmt(c->obj, sizeof(c->obj), "rule %llu in chain %.40s",
		   (unsigned long long)verify_u64(tb[NFTA_RULE_HANDLE]), chain);
	if (!verify_chain_find(c, chain))
		return REFUSE("is for a chain vigild's table does not have");
	return NULL;
}

/* a base chain's policy changed: the chain's own definition again, which
 * the kernel takes as an update (same type, hook and priority, or EEXIST) */
const char *verify_delta_newchain(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_CHAIN_NAME]);
	const struct verify_chain *ch = verify_chain_find(c, name);

	if (!tb[NFTA_CHAIN_HOOK] || !ch || !ch->base)
		return REFUSE("an incremental batch changes only the policy of a base chain the table has");
	return verify_base_chain(c, tb, name, why, len);
}

const char *verify_delta_newset(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	if (!(verify_u32(tb[NFTA_SET_FLAGS]) & NFT_SET_ANONYMOUS))
		return REFUSE("an incremental batch makes anonymous sets only (for the rules it inserts)");
	return verify_newset(c, tb, why, len);
}

static const char *del_elem(struct verify_ctx *c, const struct verify_set *s,
			    const struct nlattr *item, size_t i, char *why, size_t len)
{
	vocab_tb e, k;

	if (verify_walk_nest(c, "element", item, &vocab_set_elem, e) < 0 ||
	    verify_walk_nest(c, "key", e[NFTA_SET_ELEM_KEY], &vocab_key_value, k) < 0)
		return verify_refused;
	if (mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]) != s->key_len)
		return REFUSE("element %zu: its key has %u bytes, the set's %u", i,
			      (unsigned)mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]), s->key_len);
	if (e[NFTA_SET_ELEM_FLAGS] && (!(s->flags & NFT_SET_INTERVAL) || (s->flags & NFT_SET_CONCAT)))
		return REFUSE("element %zu ends an interval of a set without intervals", i);
	if (!!e[NFTA_SET_ELEM_KEY_END] != !!(s->flags & NFT_SET_CONCAT))
		return REFUSE("element %zu: a key end is for concatenated interval maps only", i);
	if (e[NFTA_SET_ELEM_KEY_END]) {
		if (verify_walk_nest(c, "key end", e[NFTA_SET_ELEM_KEY_END], &vocab_key_value, k) < 0)
			return verify_refused;
		if (mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]) != s->key_len)
			return REFUSE("element %zu: its key end is not as long as the key", i);
	}
	if (e[NFTA_SET_ELEM_DATA] || e[NFTA_SET_ELEM_TIMEOUT] || e[NFTA_SET_ELEM_EXPIRATION])
		return REFUSE("element %zu: a deletion names the key only", i);
	return NULL;
}

const char *verify_delsetelem(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_SET_ELEM_LIST_SET]), *bad;
	struct verify_set *s = verify_set_named(c, name);
	const struct nlattr *item;
	size_t i = 0;

	if (tb[NFTA_SET_ELEM_LIST_SET_ID])
		return REFUSE("names its set by name only");
	if (!s || !s->kernel)
		return REFUSE("is for a set vigild's table does not have");
	if ((s->flags & NFT_SET_EVAL) || s->dynamic)
		return REFUSE("is for a dynamic set, which an incremental apply leaves alone");
	mnl_attr_for_each_nested(item, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		if ((bad = del_elem(c, s, item, ++i, why, len)))
			return bad;
	}
	return NULL;
}

/* ---- the kernel's objects ---- */

static int load_chain(struct verify_ctx *c, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	const char *name;
	int r = -EBADMSG;

	if (ch && nftnl_chain_nlmsg_parse(nlh, ch) >= 0 &&
	    (name = nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME))) {
		bool base = nftnl_chain_is_set(ch, NFTNL_CHAIN_HOOKNUM);

		r = verify_chain_add(c, name, base);
		if (r == 0 && base)
			verify_nat_chain_row(name, &c->chains[c->nchains - 1].nat);
	}
	if (ch)
		nftnl_chain_free(ch);
	return r;
}

/* A kernel map to values is vigild's only if it is a port-forward map as
 * natmap_set (batch_verify_msg.c) takes it: flags map only, key a port,
 * data an address . a port, nft's userdata for it. Its elements and its
 * lookup are then checked as a replacement's are; any other map to values
 * is loaded as neither kind, so nothing of the batch may name it. */
static void load_natmap(struct verify_set *s, const struct nftnl_set *st, const void *ud, uint32_t n)
{
	uint32_t dtype = nftnl_set_get_u32(st, NFTNL_SET_DATA_TYPE);
	uint32_t dlen = nftnl_set_get_u32(st, NFTNL_SET_DATA_LEN);
	uint8_t want[NFT_USERDATA_MAXLEN];
	size_t wn = vocab_natmap_udata(want, sizeof(want));

	s->map = false;
	if (s->flags != NFT_SET_MAP || s->key_type != ir_keyinfo(K_DPORT)->type_id || s->key_len != 2 ||
	    !((dtype == vocab_natmap_data_type(true) && dlen == 8) ||
	      (dtype == vocab_natmap_data_type(false) && dlen == 20)) ||
	    !ud || n != wn || memcmp(ud, want, n) != 0)
		return;
	s->natmap = true;
	s->nat_alen = (uint8_t)(dlen - 4);
}

static int load_set(struct verify_ctx *c, const struct nlmsghdr *nlh)
{
	struct nftnl_set *st = nftnl_set_alloc();
	struct verify_set s = { .kernel = true };
	int r = -EBADMSG;

	if (st && nftnl_set_nlmsg_parse(nlh, st) >= 0 && nftnl_set_get_str(st, NFTNL_SET_NAME)) {
		uint8_t want[NFT_USERDATA_MAXLEN];
		uint32_t n = 0;
		const void *ud = nftnl_set_is_set(st, NFTNL_SET_USERDATA) ?
					 nftnl_set_get_data(st, NFTNL_SET_USERDATA, &n) : NULL;
		size_t wn;

		s.name = (char *)nftnl_set_get_str(st, NFTNL_SET_NAME);
		s.flags = nftnl_set_get_u32(st, NFTNL_SET_FLAGS);
		s.key_type = nftnl_set_get_u32(st, NFTNL_SET_KEY_TYPE);
		s.key_len = nftnl_set_get_u32(st, NFTNL_SET_KEY_LEN);
		s.map = s.flags & NFT_SET_MAP;
		wn = vocab_set_udata(s.flags, s.key_type, true, want, sizeof(want));
		s.dynamic = !(s.flags & (NFT_SET_ANONYMOUS | NFT_SET_MAP)) && ud && n == wn &&
			    !memcmp(ud, want, n);
		if (s.map && nftnl_set_is_set(st, NFTNL_SET_DATA_TYPE) &&
		    nftnl_set_get_u32(st, NFTNL_SET_DATA_TYPE) != NFT_DATA_VERDICT)
			load_natmap(&s, st, ud, n);
		/* anonymous sets belong to their rules: not for the batch to name */
		r = (s.flags & NFT_SET_ANONYMOUS) ? 0 : verify_set_add(c, &s);
	}
	if (st)
		nftnl_set_free(st);
	return r;
}

static int load_kernel(struct verify_ctx *c, const void *dump, size_t len)
{
	const uint8_t *b = dump;
	size_t off = 0;
	bool table = false;

	while (off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *nlh = (const void *)(b + off);
		int r = 0;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off)
			return -EBADMSG;
		if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
			switch (nlh->nlmsg_type & 0xff) {
			case NFT_MSG_NEWTABLE:
				table = true;
				break;
			case NFT_MSG_NEWCHAIN:
				r = load_chain(c, nlh);
				break;
			case NFT_MSG_NEWSET:
				r = load_set(c, nlh);
				break;
			}
		}
		if (r < 0)
			return r;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return table ? 0 : -ENOENT;
}

int batch_verify_delta(const void *buf, size_t len, const char *table, const void *kdump,
		       size_t klen, uint32_t *genid, struct batch_refusal *r)
{
	struct verify_ctx c = { .table = table, .r = r, .state = VS_BODY, .msgs = vocab_delta_msgs,
				.nmsgs = vocab_ndelta_msgs, .delta = true };
	int e;

	if (load_kernel(&c, kdump, klen) < 0) {
		verify_ctx_free(&c);
		return verify_refuse(&c, "the kernel's table inet %s cannot be read for an incremental batch",
				     table);
	}
	e = verify_run_delta(&c, buf, len);
	*genid = c.genid;
	return e;
}
