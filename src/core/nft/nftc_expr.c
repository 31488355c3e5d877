// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A rule's expressions, as nft generates them for the text render.c prints
 * (checked by `nft --debug=netlink`): dependencies (meta nfproto, meta
 * l4proto) right before the first payload that needs them, byte-aligned
 * prefixes as shorter loads, other prefixes as load + bitwise, ranges as a
 * pair of compares; a verdict map's or a concatenation's fields loaded
 * into consecutive registers.
 */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "vigil/vocab.h"
#include "nftc_int.h"

/* ---- keys as bytes ---- */

void nftc_key_bytes(enum ir_key k, u128 v, uint8_t *out)
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

const char *nftc_set_name(const struct ir_set *s)
{
	return s->anonymous ? "__set%d" : s->name;
}

static void add_lookup(struct nftnl_rule *r, const struct ir_set *s)
{
	struct nftnl_expr *e = e_new("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, nftc_set_name(s));
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
		nftc_key_bytes(m->key, m->v.lo, a);
		add_cmp(r, NFT_CMP_EQ, a, len);
		break;
	case OP_RANGE:
		nftc_key_bytes(m->key, m->v.lo, a);
		nftc_key_bytes(m->key, m->v.hi, b);
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

void nftc_encode_match(struct nftnl_rule *r, struct deps *d, const struct ir_match *m)
{
	uint8_t b[16];

	if (m->op == OP_SET && m->set->nfields > 1) {
		encode_cset(r, d, m->set);
		return;
	}

	switch (m->key) {
	case K_NFPROTO:
		add_meta(r, NFT_META_NFPROTO);
		nftc_key_bytes(m->key, m->v.lo, b);
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

void nftc_encode_stmts(struct nftnl_rule *r, const struct ir_rule *ir)
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
		words += nftc_field_len(f) / 4;
	}
}

/* counter, the key, and the lookup whose result is the verdict */
void nftc_encode_vmap(struct nftnl_rule *r, const struct ir_match *m)
{
	const struct ir_set *s = m->set;
	struct deps d = { false, false };
	struct nftnl_expr *e;
	struct ir_match g;

	nftnl_rule_add_expr(r, e_new("counter"));
	/* the prefix all elements share, compared before the lookup (as nft
	 * compiles `iifname "veth*" iifname vmap @m`: two loads) */
	if (ir_vmap_guard(m, &g))
		nftc_encode_match(r, &d, &g);
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
