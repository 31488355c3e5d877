// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel's dump of the table a compiled batch makes (kdump.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "kdump.h"
#include "unit.h"

#define MSG_ROOM 65536


uint16_t kd_type(const struct nlmsghdr *m)
{
	return (uint16_t)(m->nlmsg_type & 0xff);
}

bool kd_nft(const struct nlmsghdr *m)
{
	return (m->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES;
}

const struct nlattr *kd_find(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const char *kname(const struct kdump *k, uint32_t id_be)
{
	for (size_t i = 0; i < k->nsets; i++)
		if (k->sets[i].id == ntohl(id_be))
			return k->sets[i].name;
	ck_abort_msg("no set of id %u", ntohl(id_be));
	return NULL;
}

static struct nlmsghdr *start(struct kdump *k, const struct nlmsghdr *from)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(batch_reserve(&k->out, MSG_ROOM));
	struct nfgenmsg *g;

	h->nlmsg_type = from->nlmsg_type;
	h->nlmsg_flags = NLM_F_MULTI;
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	g->version = NFNETLINK_V0;
	return h;
}

static void put_handle(struct kdump *k, struct nlmsghdr *h, uint16_t type)
{
	mnl_attr_put_u64(h, type, htobe64(++k->handle));
}

static void finish(struct kdump *k)
{
	batch_commit_msg(&k->out, -1, -1, xstrdup("dumped"));
}

/* nat/masq/redir: a highest register the kernel fills from the lowest */
static void put_max(struct nlmsghdr *h, const struct nlattr *data, uint16_t min, uint16_t max)
{
	const struct nlattr *a = kd_find(data, min);

	if (a && !kd_find(data, max))
		mnl_attr_put(h, max, 4, mnl_attr_get_payload(a));
}

/* nft_dump_register: a 32-bit register on a 16-byte boundary is dumped
 * as the 128-bit register it starts (NFT_REG32_04 as NFT_REG_2); here
 * for the loads, the only expressions nftc gives such a register */
static bool dump_register(struct nlmsghdr *h, const char *name, const struct nlattr *a)
{
	uint16_t t = mnl_attr_get_type(a);
	uint32_t r = ntohl(mnl_attr_get_u32(a));

	if (!((streq(name, "payload") && t == NFTA_PAYLOAD_DREG) ||
	      (streq(name, "meta") && t == NFTA_META_DREG)) ||
	    r < NFT_REG32_00 || (r - NFT_REG32_00) % 4)
		return false;
	mnl_attr_put_u32(h, t, htonl(NFT_REG_1 + (r - NFT_REG32_00) / 4));
	return true;
}

static void dump_expr_data(struct kdump *k, struct nlmsghdr *h, const char *name,
			   const struct nlattr *data)
{
	const struct nlattr *a;
	bool nat = streq(name, "nat");

	if (data)
		mnl_attr_for_each_nested(a, data) {
			uint16_t t = mnl_attr_get_type(a);
			if ((streq(name, "lookup") && (t == NFTA_LOOKUP_SET || t == NFTA_LOOKUP_SET_ID)) ||
			    (streq(name, "dynset") && (t == NFTA_DYNSET_SET_NAME || t == NFTA_DYNSET_SET_ID)) ||
			    (nat && t == NFTA_NAT_FLAGS) || dump_register(h, name, a))
				continue;
			mnl_attr_put(h, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
		}
	if (streq(name, "lookup")) {
		mnl_attr_put_strz(h, NFTA_LOOKUP_SET, kname(k, mnl_attr_get_u32(kd_find(data, NFTA_LOOKUP_SET_ID))));
		mnl_attr_put_u32(h, NFTA_LOOKUP_FLAGS, 0);
	} else if (streq(name, "dynset")) {
		mnl_attr_put_strz(h, NFTA_DYNSET_SET_NAME,
				  kname(k, mnl_attr_get_u32(kd_find(data, NFTA_DYNSET_SET_ID))));
	} else if (streq(name, "counter")) {
		mnl_attr_put_u64(h, NFTA_COUNTER_BYTES, htobe64(4242));
		mnl_attr_put_u64(h, NFTA_COUNTER_PACKETS, htobe64(42));
	} else if (nat) {
		uint32_t f = kd_find(data, NFTA_NAT_FLAGS) ? ntohl(mnl_attr_get_u32(kd_find(data, NFTA_NAT_FLAGS))) : 0;
		put_max(h, data, NFTA_NAT_REG_ADDR_MIN, NFTA_NAT_REG_ADDR_MAX);
		put_max(h, data, NFTA_NAT_REG_PROTO_MIN, NFTA_NAT_REG_PROTO_MAX);
		if (kd_find(data, NFTA_NAT_REG_ADDR_MIN))
			f |= NF_NAT_RANGE_MAP_IPS;
		if (kd_find(data, NFTA_NAT_REG_PROTO_MIN))
			f |= NF_NAT_RANGE_PROTO_SPECIFIED;
		if (f)
			mnl_attr_put_u32(h, NFTA_NAT_FLAGS, htonl(f));
	} else if (streq(name, "masq") && data) {
		put_max(h, data, NFTA_MASQ_REG_PROTO_MIN, NFTA_MASQ_REG_PROTO_MAX);
	} else if (streq(name, "redir") && data) {
		put_max(h, data, NFTA_REDIR_REG_PROTO_MIN, NFTA_REDIR_REG_PROTO_MAX);
	}
}

static void dump_exprs(struct kdump *k, struct nlmsghdr *h, const struct nlattr *list)
{
	struct nlattr *l = mnl_attr_nest_start(h, NFTA_RULE_EXPRESSIONS);
	const struct nlattr *item;

	mnl_attr_for_each_nested(item, list) {
		const char *name = mnl_attr_get_str(kd_find(item, NFTA_EXPR_NAME));
		struct nlattr *e = mnl_attr_nest_start(h, NFTA_LIST_ELEM), *d;

		mnl_attr_put_strz(h, NFTA_EXPR_NAME, name);
		d = mnl_attr_nest_start(h, NFTA_EXPR_DATA);
		dump_expr_data(k, h, name, kd_find(item, NFTA_EXPR_DATA));
		mnl_attr_nest_end(h, d);
		mnl_attr_nest_end(h, e);
	}
	mnl_attr_nest_end(h, l);
}

static void dump_rule(struct kdump *k, const struct nlmsghdr *m)
{
	struct nlmsghdr *h = start(k, m);
	const struct nlattr *a;
	const char *chain = "";

	KD_EACH_ATTR(a, m) {
		if (mnl_attr_get_type(a) == NFTA_RULE_EXPRESSIONS)
			dump_exprs(k, h, a);
		else
			mnl_attr_put(h, mnl_attr_get_type(a), mnl_attr_get_payload_len(a),
				     mnl_attr_get_payload(a));
		if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN)
			chain = mnl_attr_get_str(a);
	}
	put_handle(k, h, NFTA_RULE_HANDLE);
	if (streq(chain, k->last_chain))
		mnl_attr_put_u64(h, NFTA_RULE_POSITION, htobe64(k->last_rule));
	snprintf(k->last_chain, sizeof(k->last_chain), "%s", chain);
	k->last_rule = k->handle;
	finish(k);
}

static void dump_set(struct kdump *k, const struct nlmsghdr *m)
{
	struct nlmsghdr *h = start(k, m);
	const struct nlattr *a;
	bool desc = false;

	KD_EACH_ATTR(a, m) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == NFTA_SET_ID || (t == NFTA_SET_FLAGS && mnl_attr_get_u32(a) == 0))
			continue;
		if (t == NFTA_SET_NAME)
			continue; /* put below, the kernel's way */
		desc = desc || t == NFTA_SET_DESC;
		mnl_attr_put(h, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	}
	a = NULL;
	KD_EACH_ATTR(a, m)
		if (mnl_attr_get_type(a) == NFTA_SET_ID)
			break;
	mnl_attr_put_strz(h, NFTA_SET_NAME, kname(k, mnl_attr_get_u32(a)));
	put_handle(k, h, NFTA_SET_HANDLE);
	if (!desc)
		mnl_attr_nest_end(h, mnl_attr_nest_start(h, NFTA_SET_DESC));
	finish(k);
}

static void dump_elems(struct kdump *k, const struct nlmsghdr *m)
{
	struct nlmsghdr *h = start(k, m);
	const struct nlattr *a;

	KD_EACH_ATTR(a, m) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == NFTA_SET_ELEM_LIST_SET || t == NFTA_SET_ELEM_LIST_SET_ID)
			continue;
		mnl_attr_put(h, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	}
	KD_EACH_ATTR(a, m)
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET_ID)
			mnl_attr_put_strz(h, NFTA_SET_ELEM_LIST_SET, kname(k, mnl_attr_get_u32(a)));
	finish(k);
}

static void dump_plain(struct kdump *k, const struct nlmsghdr *m, uint16_t handle, uint16_t use)
{
	struct nlmsghdr *h = start(k, m);
	const struct nlattr *a;

	KD_EACH_ATTR(a, m)
		mnl_attr_put(h, mnl_attr_get_type(a), mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	put_handle(k, h, handle);
	mnl_attr_put_u32(h, use, htonl(3));
	KD_EACH_ATTR(a, m)
		if (kd_type(m) == NFT_MSG_NEWCHAIN && mnl_attr_get_type(a) == NFTA_CHAIN_HOOK)
			mnl_attr_put_u32(h, NFTA_CHAIN_FLAGS, htonl(NFT_CHAIN_BASE));
	finish(k);
}

/* The set ids of the batch and the kernel's names (__setN in order). */
static void name_sets(struct kdump *k, const struct batch *b)
{
	unsigned anon = 0;

	KD_EACH_MSG(m, b->buf, b->len) {
		const struct nlattr *a;
		uint32_t flags = 0, id = 0;
		const char *name = NULL;

		if (!kd_nft(m) || kd_type(m) != NFT_MSG_NEWSET)
			continue;
		KD_EACH_ATTR(a, m) {
			if (mnl_attr_get_type(a) == NFTA_SET_FLAGS)
				flags = ntohl(mnl_attr_get_u32(a));
			else if (mnl_attr_get_type(a) == NFTA_SET_ID)
				id = ntohl(mnl_attr_get_u32(a));
			else if (mnl_attr_get_type(a) == NFTA_SET_NAME)
				name = mnl_attr_get_str(a);
		}
		ck_assert_uint_lt(k->nsets, ARRAY_SIZE(k->sets));
		k->sets[k->nsets].id = id;
		if (flags & NFT_SET_ANONYMOUS)
			snprintf(k->sets[k->nsets].name, NFT_SET_MAXNAMELEN, "__set%u", anon++);
		else
			snprintf(k->sets[k->nsets].name, NFT_SET_MAXNAMELEN, "%s", name);
		k->nsets++;
	}
}

void kdump_of(const struct batch *b, struct kdump *k)
{
	bool table = false;

	memset(k, 0, sizeof(*k));
	batch_init(&k->out, 1);
	name_sets(k, b);
	KD_EACH_MSG(m, b->buf, b->len) {
		if (!kd_nft(m))
			continue;
		switch (kd_type(m)) {
		case NFT_MSG_NEWTABLE:
			if (!table)
				dump_plain(k, m, NFTA_TABLE_HANDLE, NFTA_TABLE_USE);
			table = true;
			break;
		case NFT_MSG_NEWCHAIN:
			dump_plain(k, m, NFTA_CHAIN_HANDLE, NFTA_CHAIN_USE);
			break;
		case NFT_MSG_NEWSET:
			dump_set(k, m);
			break;
		case NFT_MSG_NEWSETELEM:
			dump_elems(k, m);
			break;
		case NFT_MSG_NEWRULE:
			dump_rule(k, m);
			break;
		default:
			break; /* the table's deletion, BEGIN, END */
		}
	}
}


void kdump_free(struct kdump *k)
{
	batch_free(&k->out);
}
