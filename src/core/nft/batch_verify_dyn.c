// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The helper's SETELEM request (vigild set add/del): elements of one of the
 * kernel's dynamic sets of vigild's table, and nothing else. The sets are
 * the kernel's (the helper reads them just before): the batch names them,
 * it cannot make them.
 */
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/dynset.h"
#include "verify.h"

#define REFUSE(...) (verify_fmt(why, len, __VA_ARGS__), why)

static const char *dyn_elem(struct verify_ctx *c, const struct dynset *s, bool add,
			    const struct nlattr *item, size_t i, char *why, size_t len)
{
	vocab_tb e, k;

	if (verify_walk_nest(c, "element", item, &vocab_set_elem, e) < 0 ||
	    verify_walk_nest(c, "key", e[NFTA_SET_ELEM_KEY], &vocab_key_value, k) < 0)
		return verify_refused;
	if (mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]) != s->key_len)
		return REFUSE("element %zu: its key has %u bytes, the set's %u", i,
			      (unsigned)mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]), s->key_len);
	if (e[NFTA_SET_ELEM_FLAGS] && !(s->flags & NFT_SET_INTERVAL))
		return REFUSE("element %zu ends an interval of a set without intervals", i);
	if (e[NFTA_SET_ELEM_KEY_END] || e[NFTA_SET_ELEM_DATA])
		return REFUSE("element %zu has a key end or data, which a dynamic set's elements never have", i);
	if (e[NFTA_SET_ELEM_EXPIRATION])
		return REFUSE("element %zu has an expiration: vigild set gives timeouts only", i);
	if (e[NFTA_SET_ELEM_TIMEOUT] && (!add || !(s->flags & NFT_SET_TIMEOUT)))
		return REFUSE("element %zu has a timeout, %s", i,
			      add ? "but the set has none" : "which a deletion does not take");
	return NULL;
}

const char *verify_dynelems(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_SET_ELEM_LIST_SET]), *bad;
	const struct dynset *s = c->dyn ? dynset_find(c->dyn, name) : NULL;
	bool add = c->msg && streq(c->msg, "NEWSETELEM");
	const struct nlattr *item;
	size_t i = 0;

	if (!s)
		return REFUSE("is for a set that is not one of vigild's dynamic sets");
	mnl_attr_for_each_nested(item, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		if ((bad = dyn_elem(c, s, add, item, ++i, why, len)))
			return bad;
	}
	return NULL;
}
