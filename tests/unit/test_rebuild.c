// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply --confirm's rollback batch (rebuild.c) without a kernel. A policy's
 * compiled batch is turned into the dump the kernel gives of the table it
 * makes (as_dump, below: what nf_tables' dump adds and leaves out), that
 * dump is rebuilt, and the rebuilt batch
 *  - passes the helper's verifier (batch_verify), and
 *  - holds the compiled batch's chains, sets, elements (their data: the
 *    address . port of a port-forward map) and rules, each as libnftnl
 *    prints it (set ids aside: the rebuild numbers sets its own way).
 * Policies: examples/gateway.yml (linear dnat with ranges, snat,
 * masquerade, redirect, a per-source limit's dynset, ct count, named
 * sets) with 10 IPv4 and 8 IPv6 port forwards (two port-forward maps and
 * their dnatfwd sets), and without them. A changed byte of an element's
 * data in the dump shows in the comparison (it can fail).
 *
 * What the dump differs in (kernel 6.18; nat as `nft --debug=netlink list
 * table` shows it, the rest from nf_tables_api.c's fill functions):
 * handles and use counts; no set ids (lookups and dynsets name the set);
 * anonymous sets named __setN; set flags 0 left out; an empty set
 * description; a lookup's flags 0; a counter's values; a rule's position;
 * a base chain's flags; a load's 32-bit register on a 16-byte boundary
 * named as the 128-bit one (the port after an IPv6 address: reg 2);
 * nat's highest registers equal to its lowest and its flags with MAP_IPS
 * and PROTO_SPECIFIED ORed in; masq's and redir's highest port register
 * equal to the lowest.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"
#include "vigil/rebuild.h"

#define MSG_ROOM 65536

/* ---- the kernel's dump of a compiled batch ---- */

struct kdump {
	struct batch out;
	struct {
		uint32_t id;
		char name[NFT_SET_MAXNAMELEN];
	} sets[256];
	size_t nsets;
	uint64_t handle;
	char last_chain[NFT_CHAIN_MAXNAMELEN];
	uint64_t last_rule;
};

static uint16_t msg_type(const struct nlmsghdr *m)
{
	return (uint16_t)(m->nlmsg_type & 0xff);
}

static bool is_nft(const struct nlmsghdr *m)
{
	return (m->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES;
}

#define EACH_MSG(m, buf, len)                                                            \
	for (const struct nlmsghdr *m = (const void *)(buf);                             \
	     (const uint8_t *)m < (const uint8_t *)(buf) + (len);                        \
	     m = (const void *)((const uint8_t *)m + NLMSG_ALIGN(m->nlmsg_len)))

#define EACH_ATTR(a, m) mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))

static const struct nlattr *find(const struct nlattr *nest, uint16_t type)
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
	const struct nlattr *a = find(data, min);

	if (a && !find(data, max))
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
		mnl_attr_put_strz(h, NFTA_LOOKUP_SET, kname(k, mnl_attr_get_u32(find(data, NFTA_LOOKUP_SET_ID))));
		mnl_attr_put_u32(h, NFTA_LOOKUP_FLAGS, 0);
	} else if (streq(name, "dynset")) {
		mnl_attr_put_strz(h, NFTA_DYNSET_SET_NAME,
				  kname(k, mnl_attr_get_u32(find(data, NFTA_DYNSET_SET_ID))));
	} else if (streq(name, "counter")) {
		mnl_attr_put_u64(h, NFTA_COUNTER_BYTES, htobe64(4242));
		mnl_attr_put_u64(h, NFTA_COUNTER_PACKETS, htobe64(42));
	} else if (nat) {
		uint32_t f = find(data, NFTA_NAT_FLAGS) ? ntohl(mnl_attr_get_u32(find(data, NFTA_NAT_FLAGS))) : 0;
		put_max(h, data, NFTA_NAT_REG_ADDR_MIN, NFTA_NAT_REG_ADDR_MAX);
		put_max(h, data, NFTA_NAT_REG_PROTO_MIN, NFTA_NAT_REG_PROTO_MAX);
		if (find(data, NFTA_NAT_REG_ADDR_MIN))
			f |= NF_NAT_RANGE_MAP_IPS;
		if (find(data, NFTA_NAT_REG_PROTO_MIN))
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
		const char *name = mnl_attr_get_str(find(item, NFTA_EXPR_NAME));
		struct nlattr *e = mnl_attr_nest_start(h, NFTA_LIST_ELEM), *d;

		mnl_attr_put_strz(h, NFTA_EXPR_NAME, name);
		d = mnl_attr_nest_start(h, NFTA_EXPR_DATA);
		dump_expr_data(k, h, name, find(item, NFTA_EXPR_DATA));
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

	EACH_ATTR(a, m) {
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

	EACH_ATTR(a, m) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == NFTA_SET_ID || (t == NFTA_SET_FLAGS && mnl_attr_get_u32(a) == 0))
			continue;
		if (t == NFTA_SET_NAME)
			continue; /* put below, the kernel's way */
		desc = desc || t == NFTA_SET_DESC;
		mnl_attr_put(h, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	}
	a = NULL;
	EACH_ATTR(a, m)
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

	EACH_ATTR(a, m) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == NFTA_SET_ELEM_LIST_SET || t == NFTA_SET_ELEM_LIST_SET_ID)
			continue;
		mnl_attr_put(h, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	}
	EACH_ATTR(a, m)
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET_ID)
			mnl_attr_put_strz(h, NFTA_SET_ELEM_LIST_SET, kname(k, mnl_attr_get_u32(a)));
	finish(k);
}

static void dump_plain(struct kdump *k, const struct nlmsghdr *m, uint16_t handle, uint16_t use)
{
	struct nlmsghdr *h = start(k, m);
	const struct nlattr *a;

	EACH_ATTR(a, m)
		mnl_attr_put(h, mnl_attr_get_type(a), mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	put_handle(k, h, handle);
	mnl_attr_put_u32(h, use, htonl(3));
	EACH_ATTR(a, m)
		if (msg_type(m) == NFT_MSG_NEWCHAIN && mnl_attr_get_type(a) == NFTA_CHAIN_HOOK)
			mnl_attr_put_u32(h, NFTA_CHAIN_FLAGS, htonl(NFT_CHAIN_BASE));
	finish(k);
}

/* The set ids of the batch and the kernel's names (__setN in order). */
static void name_sets(struct kdump *k, const struct batch *b)
{
	unsigned anon = 0;

	EACH_MSG(m, b->buf, b->len) {
		const struct nlattr *a;
		uint32_t flags = 0, id = 0;
		const char *name = NULL;

		if (!is_nft(m) || msg_type(m) != NFT_MSG_NEWSET)
			continue;
		EACH_ATTR(a, m) {
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

static void as_dump(const struct batch *b, struct kdump *k)
{
	bool table = false;

	memset(k, 0, sizeof(*k));
	batch_init(&k->out, 1);
	name_sets(k, b);
	EACH_MSG(m, b->buf, b->len) {
		if (!is_nft(m))
			continue;
		switch (msg_type(m)) {
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

/* ---- what a batch holds, printed by libnftnl ---- */

struct held {
	struct strbuf chains, sets, elems, rules;
	size_t natmap_elems; /* elements with 8 or 20 bytes of data */
};

static void held_set(struct held *o, const struct nlmsghdr *m)
{
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t n;
	const uint8_t *ud;

	ck_assert_int_ge(nftnl_set_nlmsg_parse(m, s), 0);
	sb_printf(&o->sets, "%s flags %x key %u/%u data %u/%u timeout %llu ud",
		  nftnl_set_get_str(s, NFTNL_SET_NAME), nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
		  nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN),
		  nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE), nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN),
		  (unsigned long long)nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT));
	ud = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &n);
	for (uint32_t i = 0; ud && i < n; i++)
		sb_printf(&o->sets, " %02x", ud[i]);
	sb_printf(&o->sets, " size %u\n", nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE));
	nftnl_set_free(s);
}

static void hex(struct strbuf *sb, const char *what, const struct nlattr *a)
{
	const uint8_t *p = mnl_attr_get_payload(a);

	sb_printf(sb, " %s", what);
	for (uint16_t i = 0; i < mnl_attr_get_payload_len(a); i++)
		sb_printf(sb, "%s%02x", i ? "" : " ", p[i]);
}

/* A data nest (key, key end, data): a value, or a verdict and its chain. */
static void data_of(struct strbuf *sb, const char *what, const struct nlattr *d)
{
	const struct nlattr *v = find(d, NFTA_DATA_VALUE), *vd = find(d, NFTA_DATA_VERDICT), *c;

	if (v)
		hex(sb, what, v);
	if (vd) {
		sb_printf(sb, " %s verdict %d", what, (int)ntohl(mnl_attr_get_u32(find(vd, NFTA_VERDICT_CODE))));
		if ((c = find(vd, NFTA_VERDICT_CHAIN)))
			sb_printf(sb, " %s", mnl_attr_get_str(c));
	}
}

/* libnftnl reads element lists of NFTA_LIST_ELEM items only; nftc
 * numbers them (the kernel takes either): printed here */
static void held_elems(struct held *o, const struct nlmsghdr *m)
{
	const struct nlattr *a, *el, *x;

	EACH_ATTR(a, m)
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			sb_printf(&o->elems, "%s:\n", mnl_attr_get_str(a));
	EACH_ATTR(a, m) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			sb_puts(&o->elems, " ");
			if ((x = find(el, NFTA_SET_ELEM_KEY)))
				data_of(&o->elems, "key", x);
			if ((x = find(el, NFTA_SET_ELEM_KEY_END)))
				data_of(&o->elems, "end", x);
			if ((x = find(el, NFTA_SET_ELEM_FLAGS)))
				sb_printf(&o->elems, " flags %x", ntohl(mnl_attr_get_u32(x)));
			if ((x = find(el, NFTA_SET_ELEM_DATA))) {
				data_of(&o->elems, "data", x);
				if ((x = find(x, NFTA_DATA_VALUE)) &&
				    (mnl_attr_get_payload_len(x) == 8 || mnl_attr_get_payload_len(x) == 20))
					o->natmap_elems++;
			}
			sb_puts(&o->elems, "\n");
		}
	}
}

static void held_of(const void *buf, size_t len, struct held *o)
{
	char line[8192];

	memset(o, 0, sizeof(*o));
	EACH_MSG(m, buf, len) {
		if (!is_nft(m))
			continue;
		if (msg_type(m) == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();
			ck_assert_int_ge(nftnl_chain_nlmsg_parse(m, c), 0);
			nftnl_chain_snprintf(line, sizeof(line), c, NFTNL_OUTPUT_DEFAULT, 0);
			sb_printf(&o->chains, "%s\n", line);
			nftnl_chain_free(c);
		} else if (msg_type(m) == NFT_MSG_NEWSET) {
			held_set(o, m);
		} else if (msg_type(m) == NFT_MSG_NEWSETELEM) {
			held_elems(o, m);
		} else if (msg_type(m) == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			ck_assert_int_ge(nftnl_rule_nlmsg_parse(m, r), 0);
			nftnl_rule_snprintf(line, sizeof(line), r, NFTNL_OUTPUT_DEFAULT, 0);
			sb_printf(&o->rules, "%s\n", line);
			nftnl_rule_free(r);
		}
	}
}

static void held_free(struct held *o)
{
	sb_free(&o->chains);
	sb_free(&o->sets);
	sb_free(&o->elems);
	sb_free(&o->rules);
}

static const char *str(const struct strbuf *sb)
{
	return sb->s ? sb->s : "";
}

/* ---- the round trip ---- */

static char *gateway_with(size_t n4, size_t n6)
{
	_cleanup_free_ char *gw = read_src_file("examples/gateway.yml", NULL);
	struct strbuf sb = { 0 };

	sb_puts(&sb, gw);
	for (size_t i = 0; i < n4; i++)
		sb_printf(&sb, "  - {name: f%zu, iif: wan0, proto: udp, dport: %zu, action: dnat, "
			  "to: \"10.1.0.3:%zu\", accept: true}\n", i, 7000 + i, 2000 + i);
	for (size_t i = 0; i < n6; i++)
		sb_printf(&sb, "  - {name: g%zu, iif: wan0, proto: tcp, dport: %zu, action: dnat, "
			  "to: \"[fd00:1::3]:%zu\", accept: true}\n", i, 9000 + i, 3000 + i);
	return sb_take(&sb);
}

/* The compiled batch of yaml, its rebuild from the emulated dump (with
 * `tweak` applied to the dump first, if given). */
static void round_trip(const char *yaml, void (*tweak)(struct batch *dump), struct held *want,
		       struct held *got)
{
	struct policy pol;
	struct ir_table t;
	struct batch b, rb;
	struct kdump k;
	struct nftc_opts o = { 0 };
	struct batch_refusal why;

	compile_text(yaml, NULL, &pol, &t);
	batch_init(&b, 1);
	nftc_build_replace(&t, &b);
	ck_assert_msg(batch_verify(b.buf, b.len, pol.table, &why) == 0, "compiled: %s", why.why);
	as_dump(&b, &k);
	if (tweak)
		tweak(&k.out);
	batch_init(&rb, 1000);
	ck_assert_int_eq(rebuild_replace(k.out.buf, k.out.len, pol.table, &o, &rb), 0);
	ck_assert_msg(batch_verify(rb.buf, rb.len, pol.table, &why) == 0,
		      "the rebuilt batch is refused: message %zu: %s", why.index, why.why);
	held_of(b.buf, b.len, want);
	held_of(rb.buf, rb.len, got);
	batch_free(&rb);
	batch_free(&k.out);
	batch_free(&b);
	ir_table_free(&t);
	policy_free(&pol);
}

static void same(const struct held *want, const struct held *got)
{
	text_is("chains", str(&got->chains), str(&want->chains));
	text_is("sets", str(&got->sets), str(&want->sets));
	text_is("elements", str(&got->elems), str(&want->elems));
	text_is("rules", str(&got->rules), str(&want->rules));
}

START_TEST(natmaps_round_trip)
{
	_cleanup_free_ char *y = gateway_with(10, 8);
	struct held want, got;

	round_trip(y, NULL, &want, &got);
	ck_assert_ptr_nonnull(strstr(str(&want.sets), "natmap.1 flags 8"));
	ck_assert_ptr_nonnull(strstr(str(&want.sets), "natmap.2 flags 8"));
	ck_assert_ptr_nonnull(strstr(str(&want.sets), "dnatfwd.1 flags 0"));
	ck_assert_uint_eq(want.natmap_elems, 18);
	ck_assert_uint_eq(got.natmap_elems, 18);
	same(&want, &got);
	held_free(&want);
	held_free(&got);
}
END_TEST

START_TEST(linear_round_trip)
{
	_cleanup_free_ char *y = gateway_with(3, 0);
	struct held want, got;

	round_trip(y, NULL, &want, &got);
	ck_assert_ptr_null(strstr(str(&want.sets), "natmap."));
	ck_assert_ptr_nonnull(strstr(str(&want.rules), "nat dnat ip addr_min reg 1 proto_min reg 2"));
	same(&want, &got);
	held_free(&want);
	held_free(&got);
}
END_TEST

START_TEST(verdict_maps_round_trip)
{
	/* 40 rules of one shape: merged into a verdict map (goto rule.NAME),
	 * src/dst pairs for a decision tree's jumps; the element data are
	 * verdicts with chains */
	struct strbuf sb = { 0 };
	struct held want, got;

	sb_puts(&sb, "version: 1\ndefaults: {input: drop, forward: drop}\nrules:\n");
	for (int i = 0; i < 40; i++)
		sb_printf(&sb, "  - {name: r%d, chain: input, proto: tcp, src: 10.%d.0.0/16, dport: %d, action: %s}\n",
			  i, i, 100 + i, i % 3 ? "accept" : "drop");
	for (int i = 0; i < 30; i++)
		sb_printf(&sb, "  - {name: f%d, chain: forward, proto: udp, dst: 192.0.2.%d, dport: [%d, %d], action: accept}\n",
			  i, i, 1000 + i, 2000 + i);
	_cleanup_free_ char *y = sb_take(&sb);
	round_trip(y, NULL, &want, &got);
	ck_assert_ptr_nonnull(strstr(str(&want.elems), "data verdict -4 rule."));
	same(&want, &got);
	held_free(&want);
	held_free(&got);
}
END_TEST

/* the last byte of the first element data of 8 bytes (IPv4 natmap): the
 * port's register padding is refused, so the address's last byte */
static void flip_natmap_data(struct batch *dump)
{
	EACH_MSG(m, dump->buf, dump->len) {
		const struct nlattr *a, *list = NULL, *el, *d, *v;

		if (!is_nft(m) || msg_type(m) != NFT_MSG_NEWSETELEM)
			continue;
		EACH_ATTR(a, m)
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		mnl_attr_for_each_nested(el, list) {
			if (!(d = find(el, NFTA_SET_ELEM_DATA)) || !(v = find(d, NFTA_DATA_VALUE)) ||
			    mnl_attr_get_payload_len(v) != 8)
				continue;
			((uint8_t *)mnl_attr_get_payload(v))[3] ^= 1;
			return;
		}
	}
	ck_abort_msg("no port-forward map element in the dump");
}

START_TEST(element_data_compared)
{
	_cleanup_free_ char *y = gateway_with(10, 0);
	struct held want, got;

	round_trip(y, flip_natmap_data, &want, &got);
	text_is("rules", str(&got.rules), str(&want.rules));
	ck_assert_str_ne(str(&got.elems), str(&want.elems));
	held_free(&want);
	held_free(&got);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rebuild");
	TCase *tc = tcase_create("rebuild");

	tcase_add_test(tc, natmaps_round_trip);
	tcase_add_test(tc, linear_round_trip);
	tcase_add_test(tc, verdict_maps_round_trip);
	tcase_add_test(tc, element_data_compared);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
