// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One side of vigild diff: a stream of nf_tables messages (a dump or a
 * batch) read into chains, sets with their elements, and rules whose
 * expressions are text (tablediff_int.h). The elements as nft prints
 * them: tablediff_items.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <linux/netfilter/nf_nat.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/ival.h"
#include "tablediff_int.h"

static struct td_set *find_set(struct td_model *m, const char *name, uint32_t id, bool by_id)
{
	for (size_t i = 0; i < m->nsets; i++)
		if (by_id ? m->sets[i].id == id && m->sets[i].anon : streq(m->sets[i].name, name))
			return &m->sets[i];
	return NULL;
}

static int on_chain(struct td_model *m, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct strbuf sb = { 0 };
	int r = -EBADMSG;

	if (c && nftnl_chain_nlmsg_parse(nlh, c) >= 0 && nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)) {
		sb_printf(&sb, "%s ", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
			static const char *const hooks[] = { "prerouting", "input", "forward", "output", "postrouting" };
			uint32_t h = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
			uint32_t pol = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
					       nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
			sb_printf(&sb, "{ type %s hook %s priority %d; policy %s; }",
				  nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE) ?: "filter", h < 5 ? hooks[h] : "?",
				  (int)nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), pol == NF_DROP ? "drop" : "accept");
		} else {
			sb_puts(&sb, "{ }");
		}
		m->chains = xreallocarray(m->chains, m->nchains + 1, sizeof(*m->chains));
		m->chain_msg = xreallocarray(m->chain_msg, m->nchains + 1, sizeof(*m->chain_msg));
		m->chain_msg[m->nchains] = nlh;
		m->chains[m->nchains++] = sb_take(&sb);
		r = 0;
	}
	if (c)
		nftnl_chain_free(c);
	return r;
}

static int on_set(struct td_model *m, const struct nlmsghdr *nlh)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int r = -EBADMSG;

	if (s && nftnl_set_nlmsg_parse(nlh, s) >= 0 && nftnl_set_get_str(s, NFTNL_SET_NAME)) {
		GROW(m->sets, m->scap, m->nsets + 1);
		struct td_set *x = &m->sets[m->nsets++];
		memset(x, 0, sizeof(*x));
		x->name = xstrdup(nftnl_set_get_str(s, NFTNL_SET_NAME));
		x->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
		x->anon = x->flags & NFT_SET_ANONYMOUS;
		x->id = nftnl_set_is_set(s, NFTNL_SET_ID) ? nftnl_set_get_u32(s, NFTNL_SET_ID) : 0;
		x->keytype = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
		x->keylen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
		if ((x->flags & NFT_SET_MAP) && nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) != NFT_DATA_VERDICT) {
			x->datatype = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
			x->datalen = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
		}
		x->msg = nlh;
		if (nftnl_set_is_set(s, NFTNL_SET_USERDATA)) {
			uint32_t n = 0;
			const void *ud = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &n);
			x->udlen = n < sizeof(x->udata) ? n : sizeof(x->udata);
			memcpy(x->udata, ud, x->udlen);
		}
		if (nftnl_set_is_set(s, NFTNL_SET_TIMEOUT))
			x->timeout = nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT);
		r = 0;
	}
	if (s)
		nftnl_set_free(s);
	return r;
}

/*
 * Elements are read with libmnl: libnftnl 1.2's nftnl_set_elems_nlmsg_parse
 * refuses the messages nftc builds. Attributes are validated before use.
 */
#define TD_ATTRS 16

static int attrs_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < TD_ATTRS)
		tb[type] = a;
	return MNL_CB_OK;
}

/* the bytes of an NFTA_DATA_VALUE nest; false when absent or too long */
static bool data_value(const struct nlattr *nest, const uint8_t **out, uint32_t *len)
{
	const struct nlattr *tb[TD_ATTRS] = { 0 };

	if (!nest || mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(nest, attrs_cb, tb) != MNL_CB_OK || !tb[NFTA_DATA_VALUE] ||
	    mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]) > 64)
		return false;
	*len = mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]);
	*out = mnl_attr_get_payload(tb[NFTA_DATA_VALUE]);
	return true;
}

static void verdict_of(const struct nlattr *nest, struct td_elem *e)
{
	const struct nlattr *d[TD_ATTRS] = { 0 }, *v[TD_ATTRS] = { 0 };

	if (!nest || mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(nest, attrs_cb, d) != MNL_CB_OK || !d[NFTA_DATA_VERDICT] ||
	    mnl_attr_validate(d[NFTA_DATA_VERDICT], MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(d[NFTA_DATA_VERDICT], attrs_cb, v) != MNL_CB_OK ||
	    !v[NFTA_VERDICT_CODE] || mnl_attr_validate(v[NFTA_VERDICT_CODE], MNL_TYPE_U32) < 0)
		return;
	e->verdict = true;
	e->code = (int32_t)ntohl(mnl_attr_get_u32(v[NFTA_VERDICT_CODE]));
	e->chain = v[NFTA_VERDICT_CHAIN] && mnl_attr_validate(v[NFTA_VERDICT_CHAIN], MNL_TYPE_NUL_STRING) == 0 ?
			   mnl_attr_get_str(v[NFTA_VERDICT_CHAIN]) : NULL;
}

static int elem_of(const struct nlattr *nest, struct td_elem *e)
{
	const struct nlattr *tb[TD_ATTRS] = { 0 };

	memset(e, 0, sizeof(*e));
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(nest, attrs_cb, tb) != MNL_CB_OK ||
	    !data_value(tb[NFTA_SET_ELEM_KEY], &e->key, &e->klen))
		return -EBADMSG;
	if (tb[NFTA_SET_ELEM_KEY_END] && !data_value(tb[NFTA_SET_ELEM_KEY_END], &e->end, &e->elen))
		return -EBADMSG;
	if (tb[NFTA_SET_ELEM_FLAGS]) {
		if (mnl_attr_validate(tb[NFTA_SET_ELEM_FLAGS], MNL_TYPE_U32) < 0)
			return -EBADMSG;
		e->flags = ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_FLAGS])) & NFT_SET_ELEM_INTERVAL_END;
	}
	verdict_of(tb[NFTA_SET_ELEM_DATA], e);
	/* a port-forward map's data: an address . a port, the stream's bytes */
	if (tb[NFTA_SET_ELEM_DATA] && !e->verdict && !data_value(tb[NFTA_SET_ELEM_DATA], &e->dval, &e->dlen))
		e->dlen = 0;
	return 0;
}

static int on_elems(struct td_model *m, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[TD_ATTRS] = { 0 }, *a;
	struct td_set *x;
	const char *name;
	uint32_t id = 0;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrs_cb, tb) != MNL_CB_OK ||
	    !tb[NFTA_SET_ELEM_LIST_SET] || mnl_attr_validate(tb[NFTA_SET_ELEM_LIST_SET], MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	name = mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_SET]);
	if (tb[NFTA_SET_ELEM_LIST_SET_ID] && mnl_attr_validate(tb[NFTA_SET_ELEM_LIST_SET_ID], MNL_TYPE_U32) == 0)
		id = ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_LIST_SET_ID]));
	/* a batch's "__set%d" is known by its id */
	x = find_set(m, name, id, strchr(name, '%') != NULL);
	if (!x)
		return -EBADMSG;
	x->emsg = xreallocarray(x->emsg, x->nemsg + 1, sizeof(*x->emsg));
	x->emsg[x->nemsg++] = nlh;
	if (!tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	if (mnl_attr_validate(tb[NFTA_SET_ELEM_LIST_ELEMENTS], MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		GROW(x->e, x->cap, x->ne + 1);
		if (elem_of(a, &x->e[x->ne]) < 0)
			return -EBADMSG;
		x->e[x->ne++].raw = a;
	}
	return 0;
}

static int rule_udata_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && nftnl_udata_len(attr) > 0) {
		const char *v = nftnl_udata_get(attr);
		*(char **)data = xstrndup(v, strnlen(v, nftnl_udata_len(attr)));
	}
	return 0;
}

struct expr_ctx {
	struct td_model *m;
	struct strbuf *sb;
	int err;
	size_t *anon, nanon;    /* the anonymous sets looked up */
};

/* A load into a 32-bit register on a 16-byte boundary (the port after an
 * IPv6 address in a concatenation: NFT_REG32_04) is dumped by the kernel
 * as the 128-bit register it starts (NFT_REG_2), as nft sends it. */
static void canon_reg(struct nftnl_expr *e, uint16_t attr)
{
	uint32_t r;

	if (!nftnl_expr_is_set(e, attr))
		return;
	r = nftnl_expr_get_u32(e, attr);
	if (r >= NFT_REG32_00 && r <= NFT_REG32_15 && (r - NFT_REG32_00) % 4 == 0)
		nftnl_expr_set_u32(e, attr, NFT_REG_1 + (r - NFT_REG32_00) / 4);
}

/* What the kernel reports of a translation or a set update that the batch
 * left implicit: the upper register of a range is the lower one, the
 * range flags follow from the registers given, a dynset without a timeout
 * has timeout 0; registers as the kernel names them (canon_reg). Both
 * sides are brought to that form before they are compared. */
static void normalize(struct nftnl_expr *e, const char *name)
{
	uint32_t fl;

	if (streq(name, "payload"))
		canon_reg(e, NFTNL_EXPR_PAYLOAD_DREG);
	else if (streq(name, "meta"))
		canon_reg(e, NFTNL_EXPR_META_DREG);
	else if (streq(name, "ct"))
		canon_reg(e, NFTNL_EXPR_CT_DREG);
	else if (streq(name, "nat")) {
		fl = nftnl_expr_is_set(e, NFTNL_EXPR_NAT_FLAGS) ? nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FLAGS) : 0;
		if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MIN)) {
			fl |= NF_NAT_RANGE_MAP_IPS;
			if (!nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MAX))
				nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX,
						   nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN));
		}
		if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MIN)) {
			fl |= NF_NAT_RANGE_PROTO_SPECIFIED;
			if (!nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MAX))
				nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX,
						   nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN));
		}
		if (fl)
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, fl);
	} else if (streq(name, "redir") || streq(name, "masq")) {
		bool redir = name[0] == 'r';
		uint16_t fa = redir ? NFTNL_EXPR_REDIR_FLAGS : NFTNL_EXPR_MASQ_FLAGS;
		uint16_t mn = redir ? NFTNL_EXPR_REDIR_REG_PROTO_MIN : NFTNL_EXPR_MASQ_REG_PROTO_MIN;
		uint16_t mx = redir ? NFTNL_EXPR_REDIR_REG_PROTO_MAX : NFTNL_EXPR_MASQ_REG_PROTO_MAX;

		fl = nftnl_expr_is_set(e, fa) ? nftnl_expr_get_u32(e, fa) : 0;
		if (nftnl_expr_is_set(e, mn)) {
			fl |= NF_NAT_RANGE_PROTO_SPECIFIED;
			if (!nftnl_expr_is_set(e, mx))
				nftnl_expr_set_u32(e, mx, nftnl_expr_get_u32(e, mn));
		}
		if (fl)
			nftnl_expr_set_u32(e, fa, fl);
	} else if (streq(name, "dynset") && !nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_TIMEOUT)) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, 0);
	}
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct expr_ctx *x = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	char buf[512];

	if (streq(name, "counter")) {
		sb_puts(x->sb, "[ counter ] ");
		return 0;
	}
	if (streq(name, "lookup")) {
		const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
		uint32_t id = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET_ID) ?
				      nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SET_ID) : 0;
		struct td_set *s = set ? find_set(x->m, set, id, strchr(set, '%') != NULL) : NULL;
		if (!s) {
			x->err = -EBADMSG;
			return -1;
		}
		if (s->anon) {
			td_set_items(s);
			x->anon = xreallocarray(x->anon, x->nanon + 1, sizeof(*x->anon));
			x->anon[x->nanon++] = (size_t)(s - x->m->sets);
		}
		sb_printf(x->sb, "[ lookup reg %u%s ", nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG),
			  nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) ? " => verdict" : "");
		if (s->anon)
			sb_printf(x->sb, "{ %s } ] ", s->items);
		else
			sb_printf(x->sb, "@%s ] ", s->name);
		return 0;
	}
	if (streq(name, "log")) {
		/* the kernel reports the level it uses (4, warning) when none was given */
		const char *pfx = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
		uint32_t level = nftnl_expr_is_set(e, NFTNL_EXPR_LOG_LEVEL) ?
					 nftnl_expr_get_u32(e, NFTNL_EXPR_LOG_LEVEL) : 4;
		sb_printf(x->sb, "[ log prefix \"%s\" level %u", pfx ? pfx : "", level);
		if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP))
			sb_printf(x->sb, " group %u", nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP));
		sb_puts(x->sb, " ] ");
		return 0;
	}
	if (name)
		normalize(e, name);
	nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0);
	sb_printf(x->sb, "[ %s %s ] ", name ? name : "?", buf);
	return 0;
}

static int on_rule(struct td_model *m, const struct nlmsghdr *nlh, const struct tablediff_side *side)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct strbuf sb = { 0 };
	struct expr_ctx x = { m, &sb, 0, NULL, 0 };
	char *comment = NULL;
	const void *ud;
	uint32_t ulen = 0;
	int ret = -EBADMSG;

	if (r && nftnl_rule_nlmsg_parse(nlh, r) >= 0 && nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) {
		ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen);
		if (ud && ulen)
			nftnl_udata_parse(ud, ulen, rule_udata_cb, &comment);
		nftnl_expr_foreach(r, expr_cb, &x);
		if (!x.err) {
			sb_printf(&sb, "comment \"%s\"", comment ? comment : "");
			GROW(m->rules, m->rcap, m->nrules + 1);
			struct td_rule *t = &m->rules[m->nrules];
			t->chain = xstrdup(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
			t->key = sb_take(&sb);
			t->text = m->nrules < side->ntext ? side->rule_text[m->nrules] : NULL;
			t->handle = nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) ?
					    nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) : 0;
			t->msg = nlh;
			t->anon = x.anon;
			t->nanon = x.nanon;
			x.anon = NULL;
			m->nrules++;
			ret = 0;
		}
	}
	free(comment);
	free(x.anon);
	sb_free(&sb);
	if (r)
		nftnl_rule_free(r);
	return ret;
}

int td_model_load(const struct tablediff_side *s, struct td_model *m)
{
	const uint8_t *b = s->buf;
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	while (off + sizeof(struct nlmsghdr) <= s->len) {
		const struct nlmsghdr *nlh = (const void *)(b + off);
		int r = 0;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > s->len - off)
			return -EBADMSG;
		if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
			switch (nlh->nlmsg_type & 0xff) {
			case NFT_MSG_NEWTABLE:
				m->table = true;
				break;
			case NFT_MSG_NEWCHAIN:
				r = on_chain(m, nlh);
				break;
			case NFT_MSG_NEWSET:
				r = on_set(m, nlh);
				break;
			case NFT_MSG_NEWSETELEM:
				r = on_elems(m, nlh);
				break;
			case NFT_MSG_NEWRULE:
				r = on_rule(m, nlh, s);
				break;
			}
		}
		if (r < 0)
			return r;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	for (size_t i = 0; i < m->nsets; i++)
		if (s->elems_only && !m->sets[i].anon)
			td_set_sort(&m->sets[i]);
		else
			td_set_items(&m->sets[i]);
	return 0;
}

void td_model_free(struct td_model *m)
{
	for (size_t i = 0; i < m->nchains; i++)
		free(m->chains[i]);
	free(m->chains);
	free(m->chain_msg);
	for (size_t i = 0; i < m->nsets; i++) {
		struct td_set *s = &m->sets[i];
		for (size_t k = 0; k < s->nitem; k++)
			free(s->item[k]);
		free(s->item);
		free(s->items);
		free(s->e);
		free(s->emsg);
		free(s->name);
	}
	free(m->sets);
	for (size_t i = 0; i < m->nrules; i++) {
		free(m->rules[i].chain);
		free(m->rules[i].key);
		free(m->rules[i].anon);
	}
	free(m->rules);
	memset(m, 0, sizeof(*m));
}
