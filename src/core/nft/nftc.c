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
 * elements and the rule.
 */
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vigil/dynset.h"
#include "vigil/nftc.h"
#include "vigil/vocab.h"

/* one message: the largest is a set element message, whose element nest is
 * capped at 64 KiB by the 16-bit attribute length */
#define MSG_ROOM (128u << 10)

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
static void nftnl_set_freep(struct nftnl_set **p)
{
	if (*p)
		nftnl_set_free(*p);
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

/* ---- keys as bytes ---- */

static void key_bytes(enum ir_key k, u128 v, uint8_t *out)
{
	const struct ir_keyinfo *ki = ir_keyinfo(k);

	switch (k) {
	case K_IP_SADDR:
	case K_IP_DADDR:
		addr_to_be(AF_V4, v, out);
		break;
	case K_IP6_SADDR:
	case K_IP6_DADDR:
		addr_to_be(AF_V6, v, out);
		break;
	default:
		/* ports, protocol numbers, types, interface names (packed first
		 * byte most significant): big endian, ki->len bytes */
		for (uint32_t i = 0; i < ki->len; i++)
			out[ki->len - 1 - i] = (uint8_t)(v >> (8 * i));
		break;
	}
}

/* ---- expressions ---- */

static struct nftnl_expr *e_new(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);
	if (!e)
		abort(); /* only on allocation failure */
	return e;
}

static void add_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = e_new("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void add_meta_reg(struct nftnl_rule *r, uint32_t key, uint32_t reg)
{
	struct nftnl_expr *e = e_new("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
	nftnl_rule_add_expr(r, e);
}

static void add_payload_reg(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			    uint32_t reg)
{
	struct nftnl_expr *e = e_new("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	nftnl_rule_add_expr(r, e);
}

static int cmp_celem(const void *a, const void *b)
{
	const struct ir_celem *x = a, *y = b;
	return x->f[0].lo < y->f[0].lo ? -1 : x->f[0].lo > y->f[0].lo;
}

static void add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = e_new("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void add_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = e_new("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void add_bitwise(struct nftnl_rule *r, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = e_new("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	nftnl_rule_add_expr(r, e);
}

static const char *set_kernel_name(const struct ir_set *s)
{
	return s->anonymous ? "__set%d" : s->name;
}

static void add_lookup(struct nftnl_rule *r, const struct ir_set *s)
{
	struct nftnl_expr *e = e_new("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set_kernel_name(s));
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, s->id);
	nftnl_rule_add_expr(r, e);
}

static void add_ct_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = e_new("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void add_ct_set(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = e_new("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

/* Dependencies already established in the rule being built. */
struct deps {
	bool nfproto;
	bool l4proto; /* an exact meta l4proto compare */
};

static void need_nfproto(struct nftnl_rule *r, struct deps *d, uint8_t fam)
{
	if (d->nfproto)
		return;
	add_meta(r, NFT_META_NFPROTO);
	add_cmp(r, NFT_CMP_EQ, &fam, 1);
	d->nfproto = true;
}

static void need_l4proto(struct nftnl_rule *r, struct deps *d, uint8_t proto)
{
	if (d->l4proto)
		return;
	add_meta(r, NFT_META_L4PROTO);
	add_cmp(r, NFT_CMP_EQ, &proto, 1);
	d->l4proto = true;
}

/* The value part of a match whose key is already in reg 1 (len bytes). */
static void add_value(struct nftnl_rule *r, const struct ir_match *m, uint32_t len)
{
	uint8_t a[16], b[16];

	switch (m->op) {
	case OP_EQ:
		key_bytes(m->key, m->v.lo, a);
		add_cmp(r, NFT_CMP_EQ, a, len);
		break;
	case OP_RANGE:
		key_bytes(m->key, m->v.lo, a);
		key_bytes(m->key, m->v.hi, b);
		add_cmp(r, NFT_CMP_GTE, a, len);
		add_cmp(r, NFT_CMP_LTE, b, len);
		break;
	case OP_SET:
		add_lookup(r, m->set);
		break;
	default:
		break;
	}
}

static void encode_addr(struct nftnl_rule *r, struct deps *d, const struct ir_match *m)
{
	bool v4 = m->key == K_IP_SADDR || m->key == K_IP_DADDR;
	bool src = m->key == K_IP_SADDR || m->key == K_IP6_SADDR;
	uint32_t off = v4 ? (src ? 12 : 16) : (src ? 8 : 24);
	uint32_t len = v4 ? 4 : 16;

	need_nfproto(r, d, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (m->op == OP_PREFIX) {
		enum addr_family f = v4 ? AF_V4 : AF_V6;
		int plen = ival_prefix_len(&m->v, f);
		uint8_t a[16], mask[16] = { 0 }, zero[16] = { 0 };

		addr_to_be(f, m->v.lo, a);
		if (plen % 8 == 0) {
			/* byte aligned: compare only the prefix bytes */
			add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, (uint32_t)plen / 8);
			add_cmp(r, NFT_CMP_EQ, a, (uint32_t)plen / 8);
			return;
		}
		for (int i = 0; i < plen; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len);
		add_bitwise(r, mask, zero, len);
		add_cmp(r, NFT_CMP_EQ, a, len);
		return;
	}
	add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len);
	add_value(r, m, len);
}

static void encode_cset(struct nftnl_rule *r, struct deps *d, const struct ir_set *s);

static void encode_match(struct nftnl_rule *r, struct deps *d, const struct ir_match *m)
{
	uint8_t b[16];

	if (m->op == OP_SET && m->set->nfields > 1) {
		encode_cset(r, d, m->set);
		return;
	}

	switch (m->key) {
	case K_NFPROTO:
		add_meta(r, NFT_META_NFPROTO);
		key_bytes(m->key, m->v.lo, b);
		add_cmp(r, NFT_CMP_EQ, b, 1);
		d->nfproto = true;
		break;
	case K_IIFNAME:
	case K_OIFNAME:
		add_meta(r, m->key == K_IIFNAME ? NFT_META_IIFNAME : NFT_META_OIFNAME);
		if (m->op == OP_SET) {
			add_lookup(r, m->set);
		} else {
			/* exact: all 16 bytes (name and NUL padding); wildcard: the prefix */
			uint8_t name[16] = { 0 };
			memcpy(name, m->ifname, strnlen(m->ifname, 16));
			add_cmp(r, NFT_CMP_EQ, name, m->iflen == strnlen(m->ifname, 16) ? m->iflen : 16);
		}
		break;
	case K_IP_SADDR:
	case K_IP_DADDR:
	case K_IP6_SADDR:
	case K_IP6_DADDR:
		encode_addr(r, d, m);
		break;
	case K_L4PROTO:
		add_meta(r, NFT_META_L4PROTO);
		add_value(r, m, 1);
		d->l4proto = m->op == OP_EQ;
		break;
	case K_SPORT:
	case K_DPORT:
		if (m->l4)
			need_l4proto(r, d, m->l4);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, m->key == K_SPORT ? 0 : 2, 2);
		add_value(r, m, 2);
		break;
	case K_ICMP_TYPE:
	case K_ICMPV6_TYPE: {
		bool v6 = m->key == K_ICMPV6_TYPE;
		need_nfproto(r, d, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		need_l4proto(r, d, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		add_value(r, m, 1);
		break;
	}
	case K_CT_STATE:
	case K_CT_STATUS: {
		uint32_t mask = (uint32_t)m->v.lo, zero = 0;
		add_ct_load(r, m->key == K_CT_STATE ? NFT_CT_STATE : NFT_CT_STATUS);
		add_bitwise(r, &mask, &zero, 4);
		add_cmp(r, NFT_CMP_NEQ, &zero, 4);
		break;
	}
	default:
		break;
	}
}

static void encode_stmts(struct nftnl_rule *r, const struct ir_rule *ir)
{
	struct nftnl_expr *e;

	if (ir->set_mark) {
		add_ct_load(r, NFT_CT_MARK);
		add_bitwise(r, &ir->mark_and, &ir->mark_xor, 4);
		add_ct_set(r, NFT_CT_MARK);
	}
	if (ir->log && ir->log_rate) {
		e = e_new("limit");
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, ir->log_rate);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, ir->log_unit);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, ir->log_burst ? ir->log_burst : VOCAB_LIMIT_BURST);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
		nftnl_rule_add_expr(r, e);
	}
	nftnl_rule_add_expr(r, e_new("counter"));
	if (ir->log) {
		e = e_new("log");
		nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, ir->log_prefix);
		if (ir->log_group)
			nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, ir->log_group);
		nftnl_rule_add_expr(r, e);
	}
	nftc_encode_nat(r, &ir->nat);
	switch (ir->verdict) {
	case IV_NONE:
		break;
	case IV_ACCEPT:
	case IV_DROP:
		e = e_new("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, ir->verdict == IV_ACCEPT ? NF_ACCEPT : NF_DROP);
		nftnl_rule_add_expr(r, e);
		break;
	case IV_REJECT:
		e = e_new("reject");
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, ir->reject_type);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, ir->reject_code);
		nftnl_rule_add_expr(r, e);
		break;
	}
}

/* ---- objects and messages ---- */

struct enc {
	struct batch *b;
	const struct ir_table *t;
	const struct nftc_opts *o;
};

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

/*
 * Elements go to the kernel in NEWSETELEM messages of at most ~64 KiB. They
 * are built a chunk at a time, so that user-space memory stays bounded
 * however large the set (libnftnl keeps every element of a set as an
 * object of a few hundred bytes).
 */
#define ELEM_CHUNK 512

struct elem_writer {
	struct enc *E;
	const char *name;
	uint32_t id;
	int origin_rule, origin_set;
	const char *what;
	struct nftnl_set *cur;
	size_t n;
};

static struct nftnl_set *chunk_set(const struct elem_writer *w)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		abort();
	nftnl_set_set_str(set, NFTNL_SET_TABLE, w->E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, w->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_ID, w->id);
	return set;
}

static void ew_flush(struct elem_writer *w)
{
	struct nftnl_set_elems_iter *it;
	struct nlmsghdr *nlh;
	int ret;

	if (!w->n)
		return;
	it = nftnl_set_elems_iter_create(w->cur);
	if (!it)
		abort();
	do {
		nlh = nftnl_nlmsg_build_hdr(batch_reserve(w->E->b, MSG_ROOM), NFT_MSG_NEWSETELEM,
					    NFPROTO_INET, NLM_F_CREATE, batch_seq(w->E->b));
		ret = nftnl_set_elems_nlmsg_build_payload_iter(nlh, it);
		batch_commit_msg(w->E->b, w->origin_rule, w->origin_set,
				 xasprintf("elements of %s", w->what));
	} while (ret > 0);
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(w->cur);
	w->cur = chunk_set(w);
	w->n = 0;
}

static void ew_add(struct elem_writer *w, struct nftnl_set_elem *e)
{
	nftnl_set_elem_add(w->cur, e);
	if (++w->n == ELEM_CHUNK)
		ew_flush(w);
}

static void ew_init(struct elem_writer *w, struct enc *E, const char *name, uint32_t id,
		    int origin_rule, int origin_set, const char *what)
{
	*w = (struct elem_writer){ E, name, id, origin_rule, origin_set, what, NULL, 0 };
	w->cur = chunk_set(w);
}

static void ew_done(struct elem_writer *w)
{
	ew_flush(w);
	nftnl_set_free(w->cur);
	w->cur = NULL;
}

static size_t set_kernel_elems(const struct ir_set *s)
{
	const struct ir_keyinfo *ki = ir_keyinfo(s->key);
	u128 max = ki->len >= 16 ? ~(u128)0 : (((u128)1 << (8 * ki->len)) - 1);
	size_t n = 0;

	if (!s->interval)
		return s->elems.n;
	if (s->elems.n && s->elems.v[0].lo != 0)
		n++;
	for (size_t i = 0; i < s->elems.n; i++)
		n += s->elems.v[i].hi == max ? 1 : 2;
	return n;
}

static void add_elem(struct elem_writer *set, const struct ir_set *s, u128 key, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t b[16];

	if (!e)
		abort();
	key_bytes(s->key, key, b);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, b, ir_keyinfo(s->key)->len);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	ew_add(set, e);
}

/* the userdata nft writes, so `nft list` prints our sets as its own */
static void put_set_udata(struct nftnl_set *set, uint32_t flags, uint32_t keytype, bool dynamic)
{
	uint8_t ud[NFT_USERDATA_MAXLEN];
	size_t n = vocab_set_udata(flags, keytype, dynamic, ud, sizeof(ud));

	nftnl_set_set_data(set, NFTNL_SET_USERDATA, ud, (uint32_t)n);
}

static void put_set(struct enc *E, const struct ir_set *s, int origin_rule)
{
	const struct ir_keyinfo *ki = ir_keyinfo(s->key);
	_cleanup_(nftnl_set_freep) struct nftnl_set *set = nftnl_set_alloc();
	uint32_t flags = 0;
	struct nlmsghdr *nlh;
	u128 max = ki->len >= 16 ? ~(u128)0 : (((u128)1 << (8 * ki->len)) - 1);
	const char *shown = s->anonymous ? "anonymous set" : s->name;

	if (s->anonymous)
		flags |= NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
	if (s->interval)
		flags |= NFT_SET_INTERVAL;
	if (s->timeout_ms)
		flags |= NFT_SET_TIMEOUT;
	if (s->kfill) /* filled by the rules: bounded, and forgotten when idle */
		flags |= NFT_SET_EVAL;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, set_kernel_name(s));
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, ki->type_id);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, ki->len);
	nftnl_set_set_u32(set, NFTNL_SET_ID, s->id);
	if (s->anonymous)
		nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, (uint32_t)set_kernel_elems(s));
	if (s->size)
		nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, s->size);
	if (s->timeout_ms)
		nftnl_set_set_u64(set, NFTNL_SET_TIMEOUT, s->timeout_ms);
	put_set_udata(set, flags, ki->type_id, s->dynamic);

	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_set_nlmsg_build_payload(nlh, set);
	batch_commit_msg(E->b, origin_rule, s->origin_set, xasprintf("set %s", shown));

	if (!s->elems.n)
		return;
	struct elem_writer w;
	_cleanup_free_ char *what = xasprintf("set %s", shown);
	ew_init(&w, E, set_kernel_name(s), s->id, origin_rule, s->origin_set, what);
	/* interval sets: a start element, and an end element one past the
	 * interval's last key (none when it reaches the top); like nft, an end
	 * element at zero first when the first interval does not start there */
	if (s->interval) {
		if (s->elems.v[0].lo != 0)
			add_elem(&w, s, 0, true);
		for (size_t i = 0; i < s->elems.n; i++) {
			add_elem(&w, s, s->elems.v[i].lo, false);
			if (s->elems.v[i].hi != max)
				add_elem(&w, s, s->elems.v[i].hi + 1, true);
		}
	} else {
		for (size_t i = 0; i < s->elems.n; i++)
			add_elem(&w, s, s->elems.v[i].lo, false);
	}
	ew_done(&w);
}

/* A dynamic set's elements as they were before the reload, with what was
 * left of their lifetimes (the kernel's NFTA_SET_ELEM_EXPIRATION). */
static void put_kept(struct enc *E, const struct ir_set *s)
{
	const struct dynset *o = E->o ? dynset_kept(E->o->keep, s) : NULL;
	_cleanup_free_ char *what = NULL;

	if (!o)
		return;
	what = xasprintf("kept elements of dynamic set %s", s->name);
	dynset_put_elems(E->b, E->t->name, s->name, s->id, NFT_MSG_NEWSETELEM, NLM_F_CREATE, o->v,
			 o->n, s->origin_set, what);
}

/* ---- verdict maps (merged runs) ---- */

static uint32_t field_len(const struct ir_field *f)
{
	return (ir_keyinfo(f->key)->len + 3) & ~3u; /* 32-bit registers */
}

/* A concatenation pads each field to a register; a single field is its own
 * length (2 bytes for a port, 1 for l4proto), as nft makes it: a padded
 * key would work for lookups but `nft list` would misread every element. */
static uint32_t map_key_len(const struct ir_set *s)
{
	uint32_t l = 0;

	if (s->nfields == 1)
		return ir_keyinfo(s->fields[0].key)->len;
	for (int k = 0; k < s->nfields; k++)
		l += field_len(&s->fields[k]);
	return l;
}

/* Concatenated key bytes of lo (or hi) values, each field padded to 4. */
static void concat_bytes(const struct ir_set *s, const struct ir_celem *e, bool hi, uint8_t *out)
{
	uint32_t off = 0;

	memset(out, 0, IR_MAX_KEYLEN);
	for (int k = 0; k < s->nfields; k++) {
		key_bytes(s->fields[k].key, hi ? e->f[k].hi : e->f[k].lo, out + off);
		off += field_len(&s->fields[k]);
	}
}

static void add_verdict_elem(struct elem_writer *set, const struct ir_table *t, bool jump,
			     const struct ir_celem *e, const uint8_t *key, const uint8_t *key_end,
			     uint32_t len, bool end)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();

	if (!el)
		abort();
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, len);
	if (key_end)
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, key_end, len);
	if (end) {
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	} else if (e) { /* a set of concatenations (no verdicts) passes none */
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT,
				       (uint32_t)(jump ? NFT_JUMP : NFT_GOTO));
		nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, t->chains[e->chain].name);
	}
	ew_add(set, el);
}

static void put_map(struct enc *E, const struct ir_set *s)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *set = nftnl_set_alloc();
	bool concat = s->nfields > 1;
	uint32_t flags = s->vmap ? NFT_SET_MAP : 0, keytype = 0, keylen = map_key_len(s);
	struct nlmsghdr *nlh;

	for (int k = 0; k < s->nfields; k++)
		keytype = keytype << 6 | ir_keyinfo(s->fields[k].key)->type_id;
	if (s->interval)
		flags |= NFT_SET_INTERVAL;
	if (s->interval && concat)
		flags |= NFT_SET_CONCAT;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, keytype);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, keylen);
	if (s->vmap) {
		nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, 16 /* struct nft_data verdict */);
	}
	nftnl_set_set_u32(set, NFTNL_SET_ID, s->id);
	if (s->interval && concat) {
		uint8_t fl[IR_MAX_CONCAT];
		for (int k = 0; k < s->nfields; k++)
			fl[k] = (uint8_t)ir_keyinfo(s->fields[k].key)->len;
		nftnl_set_set_data(set, NFTNL_SET_DESC_CONCAT, fl, s->nfields);
	}
	put_set_udata(set, flags, keytype, false);

	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_set_nlmsg_build_payload(nlh, set);
	batch_commit_msg(E->b, -1, -1, xasprintf("%s %s", s->vmap ? "map" : "set", s->name));
	if (!s->ncelems)
		return;
	struct elem_writer w;
	_cleanup_free_ char *what = xasprintf("%s %s", s->vmap ? "map" : "set", s->name);
	ew_init(&w, E, s->name, s->id, -1, -1, what);

	if (concat || !s->interval) {
		/* hash or pipapo: one element per key, an inclusive end for ranges */
		for (size_t i = 0; i < s->ncelems; i++) {
			uint8_t k[IR_MAX_KEYLEN], ke[IR_MAX_KEYLEN];
			concat_bytes(s, &s->celems[i], false, k);
			concat_bytes(s, &s->celems[i], true, ke);
			add_verdict_elem(&w, E->t, s->jump, s->vmap ? &s->celems[i] : NULL, k,
					 s->interval ? ke : NULL, keylen, false);
		}
	} else {
		/* rbtree: start elements carry the verdict; end elements one past
		 * each interval, and an end at zero first, like nft */
		const struct ir_keyinfo *ki = ir_keyinfo(s->fields[0].key);
		u128 max = ki->len >= 16 ? ~(u128)0 : (((u128)1 << (8 * ki->len)) - 1);
		struct ir_celem *sorted = xcalloc(s->ncelems, sizeof(*sorted));
		uint8_t k[IR_MAX_KEYLEN];

		memcpy(sorted, s->celems, s->ncelems * sizeof(*sorted));
		qsort(sorted, s->ncelems, sizeof(*sorted), cmp_celem);
		if (sorted[0].f[0].lo != 0) {
			concat_bytes(s, &(struct ir_celem){ .f = { { 0, 0 } } }, false, k);
			add_verdict_elem(&w, E->t, s->jump, NULL, k, NULL, keylen, true);
		}
		for (size_t i = 0; i < s->ncelems; i++) {
			concat_bytes(s, &sorted[i], false, k);
			add_verdict_elem(&w, E->t, s->jump, &sorted[i], k, NULL, keylen, false);
			if (sorted[i].f[0].hi != max) {
				struct ir_celem end = { .f = { { sorted[i].f[0].hi + 1, 0 } } };
				concat_bytes(s, &end, false, k);
				add_verdict_elem(&w, E->t, s->jump, NULL, k, NULL, keylen, true);
			}
		}
		free(sorted);
	}
	ew_done(&w);
}

/* A port-forward map (natmap.c): key the destination port, data the
 * address and the port, each padded to 32 bits, as nft makes
 * `map m { type inet_service : ipv4_addr . inet_service }`. */
static void put_natmap(struct enc *E, const struct ir_set *s)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *set = nftnl_set_alloc();
	bool v4 = s->nat_fam == AF_V4;
	uint32_t alen = v4 ? 4 : 16;
	uint8_t ud[NFT_USERDATA_MAXLEN];
	struct nlmsghdr *nlh;
	struct elem_writer w;
	_cleanup_free_ char *what = xasprintf("map %s", s->name);

	nftnl_set_set_str(set, NFTNL_SET_TABLE, E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, ir_keyinfo(K_DPORT)->type_id);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, 2);
	nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, vocab_natmap_data_type(v4));
	nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, alen + 4);
	nftnl_set_set_u32(set, NFTNL_SET_ID, s->id);
	nftnl_set_set_data(set, NFTNL_SET_USERDATA, ud, (uint32_t)vocab_natmap_udata(ud, sizeof(ud)));
	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_set_nlmsg_build_payload(nlh, set);
	batch_commit_msg(E->b, -1, -1, xasprintf("map %s", s->name));
	if (!s->nnelems)
		return;
	ew_init(&w, E, s->name, s->id, -1, -1, what);
	for (size_t i = 0; i < s->nnelems; i++) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();
		uint8_t k[2], d[20] = { 0 };

		if (!el)
			abort();
		key_bytes(K_DPORT, s->nelems[i].port, k);
		addr_to_be(s->nat_fam, s->nelems[i].addr, d);
		key_bytes(K_DPORT, s->nelems[i].to_port, d + alen);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, k, 2);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, d, alen + 4);
		ew_add(&w, el);
	}
	ew_done(&w);
}

/* The fields' dependencies, then the fields into consecutive registers
 * from reg 1 on (a verdict map's key, or a set of concatenations'). */
static void load_fields(struct nftnl_rule *r, struct deps *d, const struct ir_set *s)
{
	uint32_t words = 0;

	for (int k = 0; k < s->nfields; k++) {
		const struct ir_field *f = &s->fields[k];
		switch (f->key) {
		case K_IP_SADDR:
		case K_IP_DADDR:
			need_nfproto(r, d, NFPROTO_IPV4);
			break;
		case K_IP6_SADDR:
		case K_IP6_DADDR:
			need_nfproto(r, d, NFPROTO_IPV6);
			break;
		case K_SPORT:
		case K_DPORT:
			if (f->l4)
				need_l4proto(r, d, f->l4);
			break;
		default:
			break;
		}
	}
	for (int k = 0; k < s->nfields; k++) {
		const struct ir_field *f = &s->fields[k];
		uint32_t reg = k == 0 ? NFT_REG_1 : NFT_REG32_00 + words;
		bool v4 = f->key == K_IP_SADDR || f->key == K_IP_DADDR;
		bool src = f->key == K_IP_SADDR || f->key == K_IP6_SADDR;

		switch (f->key) {
		case K_IP_SADDR:
		case K_IP_DADDR:
		case K_IP6_SADDR:
		case K_IP6_DADDR:
			add_payload_reg(r, NFT_PAYLOAD_NETWORK_HEADER,
					v4 ? (src ? 12 : 16) : (src ? 8 : 24), v4 ? 4 : 16, reg);
			break;
		case K_SPORT:
		case K_DPORT:
			add_payload_reg(r, NFT_PAYLOAD_TRANSPORT_HEADER, f->key == K_SPORT ? 0 : 2, 2,
					reg);
			break;
		case K_L4PROTO:
			add_meta_reg(r, NFT_META_L4PROTO, reg);
			break;
		case K_IIFNAME:
		case K_OIFNAME:
			add_meta_reg(r, f->key == K_IIFNAME ? NFT_META_IIFNAME : NFT_META_OIFNAME, reg);
			break;
		case K_NFPROTO:
			add_meta_reg(r, NFT_META_NFPROTO, reg);
			break;
		default:
			break;
		}
		words += field_len(f) / 4;
	}
}

/* counter, the key, and the lookup whose result is the verdict */
static void encode_vmap(struct nftnl_rule *r, const struct ir_match *m)
{
	const struct ir_set *s = m->set;
	struct deps d = { false, false };
	struct nftnl_expr *e;
	struct ir_match g;

	nftnl_rule_add_expr(r, e_new("counter"));
	/* the prefix all elements share, compared before the lookup (as nft
	 * compiles `iifname "veth*" iifname vmap @m`: two loads) */
	if (ir_vmap_guard(m, &g))
		encode_match(r, &d, &g);
	load_fields(r, &d, s);
	e = e_new("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, s->name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, s->id);
	nftnl_rule_add_expr(r, e);
}

/* A set of concatenations (natmap.c's dnatfwd): the key, a lookup. */
static void encode_cset(struct nftnl_rule *r, struct deps *d, const struct ir_set *s)
{
	load_fields(r, d, s);
	add_lookup(r, s);
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
			put_set(E, ir->m[i].set, ir->origin);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, E->t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, ch->name);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (ir->nm == 1 && ir->m[0].op == OP_VMAP) {
		encode_vmap(r, &ir->m[0]);
	} else {
		for (size_t i = 0; i < ir->nm; i++)
			encode_match(r, &d, &ir->m[i]);
		nftc_encode_limit(r, &ir->lim);
		encode_stmts(r, ir);
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
			put_natmap(&E, t->sets[i]);
		else if (t->sets[i]->vmap || t->sets[i]->nfields > 1)
			put_map(&E, t->sets[i]);
		else
			put_set(&E, t->sets[i], -1);
		if (t->sets[i]->dynamic)
			put_kept(&E, t->sets[i]);
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
