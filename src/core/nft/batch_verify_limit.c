// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's shapes of rate limits and connection counts (limit.c,
 * nftc_nat.c make them): `ct count over N` (connlimit, inverted), and per
 * source address a dynamic set of vigild's batch, keyed on a whole source
 * address loaded right before, updated with an inverted limit (a set with
 * timeouts) or added to with an inverted connlimit (a set without).
 * Dynamic sets: ipv4_addr or ipv6_addr keys, a size of at most
 * LIMIT_SET_SIZE, LIMIT_SET_TIMEOUT_MS when they time out, no elements
 * from the batch, no data.
 */
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "verify.h"

#define REFUSE(...) (verify_fmt(why, len, __VA_ARGS__), why)

const char *verify_dynamic_set(const vocab_tb tb, uint32_t flags, char *why, size_t len)
{
	uint32_t type = verify_u32(tb[NFTA_SET_KEY_TYPE]);

	if (!(flags & NFT_SET_EVAL))
		return tb[NFTA_SET_TIMEOUT] ? REFUSE("a timeout is for dynamic sets only") : NULL;
	if (type != ir_keyinfo(K_IP_SADDR)->type_id && type != ir_keyinfo(K_IP6_SADDR)->type_id)
		return REFUSE("a dynamic set is keyed on an address (ipv4_addr, ipv6_addr), not type %u",
			      type);
	if (!!(flags & NFT_SET_TIMEOUT) != !!tb[NFTA_SET_TIMEOUT])
		return REFUSE("a dynamic set with timeouts has its timeout, and only one");
	if (tb[NFTA_SET_TIMEOUT] && verify_u64(tb[NFTA_SET_TIMEOUT]) != LIMIT_SET_TIMEOUT_MS)
		return REFUSE("a per-source limit's set forgets a source after %u ms, not %llu",
			      LIMIT_SET_TIMEOUT_MS, (unsigned long long)verify_u64(tb[NFTA_SET_TIMEOUT]));
	return NULL;
}

const char *verify_connlimit(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	(void)tb;
	if (r->c->rule_nat)
		return REFUSE("a connection count in a nat chain");
	return NULL; /* count and the inverted flag: the table says both */
}

static const struct vocab_expr *row_of(const char *name)
{
	for (size_t i = 0; i < vocab_nexprs; i++)
		if (streq(vocab_exprs[i].name, name))
			return &vocab_exprs[i];
	return NULL;
}

const char *verify_dynset(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_DYNSET_SET_NAME]), *inner, *bad;
	struct verify_set *s = verify_set_ref(r->c, name, verify_u32(tb[NFTA_DYNSET_SET_ID]));
	bool update = verify_u32(tb[NFTA_DYNSET_OP]) == NFT_DYNSET_OP_UPDATE;
	const struct vocab_expr *e;
	vocab_tb it, d;

	if (!s || !(s->flags & NFT_SET_EVAL))
		return REFUSE("updates '%.40s', not a dynamic set this batch makes", name);
	if (update != !!(s->flags & NFT_SET_TIMEOUT))
		return REFUSE("a rate limit updates a set with timeouts, a connection count adds to one without");
	if (r->prev[0] != (s->key_type == ir_keyinfo(K_IP_SADDR)->type_id ? VE_SADDR4 : VE_SADDR6))
		return REFUSE("its key is not the source address loaded right before it");
	if (verify_walk_nest(r->c, "dynset expression", tb[NFTA_DYNSET_EXPR], &vocab_expr_item, it) < 0)
		return verify_refused;
	inner = verify_str(it[NFTA_EXPR_NAME]);
	if (!streq(inner, update ? "limit" : "connlimit") || !it[NFTA_EXPR_DATA])
		return REFUSE("holds '%.16s'; a per-source %s holds %s", inner, update ? "limit" : "count",
			      update ? "limit" : "connlimit");
	e = row_of(inner);
	if (verify_walk_nest(r->c, "dynset expression", it[NFTA_EXPR_DATA], e->attrs, d) < 0)
		return verify_refused;
	if (update && verify_u32(d[NFTA_LIMIT_FLAGS]) != NFT_LIMIT_F_INV)
		return REFUSE("a per-source limit takes what is over it (flags over)");
	if ((bad = e->check(r, d, why, len)))
		return bad;
	r->kind = VE_OTHER;
	return NULL;
}
