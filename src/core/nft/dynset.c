// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dynamic sets in a dump, carried over a reload, and their element
 * messages (see dynset.h).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/dynset.h"
#include "vigil/util.h"

#define MSG_OFF (NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)))

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_get_payload_len(a) != 4)
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

static bool attr_u64(const struct nlattr *a, uint64_t *v)
{
	if (mnl_attr_get_payload_len(a) != 8)
		return false;
	*v = be64toh(mnl_attr_get_u64(a));
	return true;
}

static bool attr_str(const struct nlattr *a, char *out, size_t len)
{
	return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
	       snprintf(out, len, "%s", mnl_attr_get_str(a)) < (int)len;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	bool *marked = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t l = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_COMMENT && l == sizeof(IR_DYNSET_MARK) &&
	    !memcmp(v, IR_DYNSET_MARK, l))
		*marked = true;
	return 0;
}

static void parse_set(const struct nlmsghdr *h, struct dynset_list *out)
{
	struct dynset s = { 0 };
	const struct nlattr *a;
	bool marked = false, named = false;

	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_SET_NAME:
			named = attr_str(a, s.name, sizeof(s.name));
			break;
		case NFTA_SET_FLAGS:
			attr_u32(a, &s.flags);
			break;
		case NFTA_SET_KEY_TYPE:
			attr_u32(a, &s.key_type);
			break;
		case NFTA_SET_KEY_LEN:
			attr_u32(a, &s.key_len);
			break;
		case NFTA_SET_TIMEOUT:
			attr_u64(a, &s.timeout_ms);
			break;
		case NFTA_SET_DESC: {
			const struct nlattr *d;
			mnl_attr_for_each_nested(d, a)
				if (mnl_attr_get_type(d) == NFTA_SET_DESC_SIZE)
					attr_u32(d, &s.size);
			break;
		}
		case NFTA_SET_USERDATA:
			nftnl_udata_parse(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
					  comment_cb, &marked);
			break;
		}
	}
	if (!marked && named && !(s.flags & NFT_SET_ANONYMOUS)) {
		GROW(out->others, out->capothers, out->nothers + 1);
		memcpy(out->others[out->nothers++], s.name, sizeof(s.name));
		return;
	}
	if (!marked || !named || s.key_len == 0 || s.key_len > 16 ||
	    (s.flags & (NFT_SET_MAP | NFT_SET_ANONYMOUS)) || dynset_find(out, s.name))
		return;
	GROW(out->v, out->cap, out->n + 1);
	out->v[out->n++] = s;
}

static bool parse_elem(const struct nlattr *item, const struct dynset *s, struct dynset_elem *e)
{
	const struct nlattr *a, *k;
	uint32_t fl = 0;

	memset(e, 0, sizeof(*e));
	mnl_attr_for_each_nested(a, item) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_SET_ELEM_KEY:
			mnl_attr_for_each_nested(k, a)
				if (mnl_attr_get_type(k) == NFTA_DATA_VALUE &&
				    mnl_attr_get_payload_len(k) == s->key_len) {
					memcpy(e->key, mnl_attr_get_payload(k), s->key_len);
					e->keylen = (uint8_t)s->key_len;
				}
			break;
		case NFTA_SET_ELEM_FLAGS:
			attr_u32(a, &fl);
			break;
		case NFTA_SET_ELEM_TIMEOUT:
			attr_u64(a, &e->timeout_ms);
			break;
		case NFTA_SET_ELEM_EXPIRATION:
			attr_u64(a, &e->expires_ms);
			break;
		}
	}
	e->end = fl & NFT_SET_ELEM_INTERVAL_END;
	/* an element of the set's default timeout may come without its own */
	if (e->expires_ms && !e->timeout_ms)
		e->timeout_ms = s->timeout_ms > e->expires_ms ? s->timeout_ms : e->expires_ms;
	if (e->expires_ms > e->timeout_ms)
		e->expires_ms = e->timeout_ms;
	return e->keylen != 0;
}

static void parse_elems(const struct nlmsghdr *h, struct dynset_list *out)
{
	const struct nlattr *a, *item;
	struct dynset *s = NULL;
	char name[64];

	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET && attr_str(a, name, sizeof(name)))
			s = dynset_find(out, name);
	if (!s)
		return;
	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(item, a) {
			struct dynset_elem e;
			if (!parse_elem(item, s, &e))
				continue;
			GROW(s->v, s->cap, s->n + 1);
			s->v[s->n++] = e;
		}
	}
}

int dynset_parse(const void *dump, size_t len, bool elements, struct dynset_list *out)
{
	const uint8_t *p = dump;

	memset(out, 0, sizeof(*out));
	for (int pass = 0; pass < (elements ? 2 : 1); pass++) {
		for (size_t off = 0; off < len;) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(p + off);
			if (len - off < sizeof(*h) || h->nlmsg_len < MSG_OFF || h->nlmsg_len > len - off) {
				dynset_list_free(out);
				return -EBADMSG;
			}
			if (pass == 0 && h->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET))
				parse_set(h, out);
			if (pass == 1 && h->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM))
				parse_elems(h, out);
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	return 0;
}

void dynset_list_free(struct dynset_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].v);
	free(l->v);
	free(l->others);
	memset(l, 0, sizeof(*l));
}

struct dynset *dynset_find(const struct dynset_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* ---- reload ---- */

void dynset_age(struct dynset_list *l, uint64_t ms)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < l->v[i].n; k++) {
			struct dynset_elem *e = &l->v[i].v[k];
			if (e->expires_ms)
				e->expires_ms = e->expires_ms > ms + 1 ? e->expires_ms - ms : 1;
		}
}

static bool has_timeouts(const struct dynset *o)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].timeout_ms)
			return true;
	return false;
}

/* Why the old set's elements cannot go into s (NULL: they can). */
static const char *misfit(const struct dynset *o, const struct ir_set *s)
{
	if (!s || s->anonymous || s->vmap)
		return "the policy no longer has it";
	if (!s->dynamic)
		return "it is no longer dynamic";
	if (ir_keyinfo(s->key)->type_id != o->key_type)
		return "its address family changed";
	if (s->interval != !!(o->flags & NFT_SET_INTERVAL))
		return s->interval ? "its type changed from address to cidr"
				   : "its type changed from cidr to address";
	if (!s->timeout_ms && has_timeouts(o))
		return "it no longer has a timeout, but its elements do";
	return NULL;
}

static const struct ir_set *set_named(const struct ir_table *t, const char *name)
{
	for (size_t i = 0; i < t->nsets; i++)
		if (t->sets[i]->name && streq(t->sets[i]->name, name))
			return t->sets[i];
	return NULL;
}

const struct dynset *dynset_kept(const struct dynset_list *old, const struct ir_set *s)
{
	const struct dynset *o;

	if (!old || !s->dynamic || !s->name || !(o = dynset_find(old, s->name)) || !o->n)
		return NULL;
	return misfit(o, s) ? NULL : o;
}

int dynset_check_reload(const struct dynset_list *old, const struct ir_table *t,
			const struct policy *pol, bool full, struct diags *d)
{
	int r = 0;

	for (size_t i = 0; old && i < old->n; i++) {
		const struct dynset *o = &old->v[i];
		const struct ir_set *s = set_named(t, o->name);
		const char *why = o->n ? misfit(o, s) : NULL;
		struct srcloc at = { pol->file, 0, 0 };

		if (!why)
			continue;
		if (s && s->origin_set >= 0 && (size_t)s->origin_set < pol->nsets)
			at = pol->sets[s->origin_set].loc;
		if (full) {
			diag_warn(d, at, "dynamic set %s loses its %zu elements: %s (--full)", o->name,
				  o->n, why);
			continue;
		}
		diag_err(d, at,
			 "dynamic set %s holds %zu elements that this policy would drop: %s; apply with --full to drop them",
			 o->name, o->n, why);
		r = -EINVAL;
	}
	return r;
}

/* ---- element messages ---- */

static void put_elem(struct nlmsghdr *nlh, uint16_t pos, const struct dynset_elem *e)
{
	struct nlattr *item = mnl_attr_nest_start(nlh, pos), *key;

	key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, e->keylen, e->key);
	mnl_attr_nest_end(nlh, key);
	if (e->end)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	if (e->timeout_ms)
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(e->timeout_ms));
	if (e->expires_ms)
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(e->expires_ms));
	mnl_attr_nest_end(nlh, item);
}

void dynset_put_elems(struct batch *b, const char *table, const char *set, uint32_t set_id,
		      uint16_t type, uint16_t flags, const struct dynset_elem *v, size_t n,
		      int origin_set, const char *what)
{
	for (size_t i = 0; i < n; i += DYNSET_MSG_ELEMS) {
		size_t k = n - i < DYNSET_MSG_ELEMS ? n - i : DYNSET_MSG_ELEMS;
		struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(batch_reserve(b, 1u << 16), type,
							     NFPROTO_INET, flags, batch_seq(b));
		struct nlattr *list;

		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
		if (set_id)
			mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(set_id));
		list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (size_t j = 0; j < k; j++)
			put_elem(nlh, (uint16_t)(j + 1), &v[i + j]);
		mnl_attr_nest_end(nlh, list);
		batch_commit_msg(b, -1, origin_set,
				 xasprintf("%s (elements %zu to %zu)", what, i + 1, i + k));
	}
}
