// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A rule's NAT statement as nft 1.0.6 encodes it (netlink_gen_nat_stmt):
 * each value into its own register with an immediate, then the nat, masq
 * or redir expression naming the registers. Addresses in registers 1 (and
 * 2, the end of a range), ports in the next ones, 2 bytes big endian;
 * flags NF_NAT_RANGE_PROTO_SPECIFIED when a port is given (the kernel ORs
 * in MAP_IPS itself). vocab.c's nat rows accept exactly this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "vigil/nftc.h"
#include "vigil/vocab.h"

static void add_imm(struct nftnl_rule *r, uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (!e)
		abort();
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void add_port(struct nftnl_rule *r, uint32_t reg, uint16_t port)
{
	uint8_t b[2] = { (uint8_t)(port >> 8), (uint8_t)port };

	add_imm(r, reg, b, 2);
}

/* The ports' registers from `reg` on: the expression's attribute numbers. */
static void put_ports(struct nftnl_rule *r, struct nftnl_expr *e, const struct ir_nat *n,
		      uint32_t reg, uint16_t amin, uint16_t amax, uint16_t aflags)
{
	if (!n->port)
		return;
	add_port(r, reg, n->port_lo);
	nftnl_expr_set_u32(e, amin, reg);
	if (n->port_hi != n->port_lo) {
		add_port(r, reg + 1, n->port_hi);
		nftnl_expr_set_u32(e, amax, reg + 1);
	}
	nftnl_expr_set_u32(e, aflags, NF_NAT_RANGE_PROTO_SPECIFIED);
}

/*
 * A port-forward map (natmap.c), as nft 1.0.6 makes `dnat ip to udp dport
 * map @natmap.1` (nft --debug=netlink): the port into reg 1, the lookup's
 * data (address . port, each padded to 32 bits) back into reg 1 on, the
 * address read from reg 1 and the port from the 32-bit register after
 * the address (reg32 1 after 4 bytes; reg 2 after 16). No flags: the
 * kernel sets PROTO_SPECIFIED itself for a port register.
 */
static void encode_natmap(struct nftnl_rule *r, const struct ir_nat *n)
{
	bool v4 = n->map->nat_fam == AF_V4;
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (!e)
		abort();
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	nftnl_rule_add_expr(r, e);
	if (!(e = nftnl_expr_alloc("lookup")))
		abort();
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, n->map->name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, n->map->id);
	nftnl_rule_add_expr(r, e);
	if (!(e = nftnl_expr_alloc("nat")))
		abort();
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, VOCAB_NATMAP_PORT_REG(v4));
	nftnl_rule_add_expr(r, e);
}

void nftc_encode_nat(struct nftnl_rule *r, const struct ir_nat *n)
{
	if (n->kind == IR_NAT_DNAT && n->map) {
		encode_natmap(r, n);
		return;
	}

	struct nftnl_expr *e;
	uint8_t a[16];
	uint32_t alen = n->fam == AF_V4 ? 4 : 16, reg = NFT_REG_1;

	switch (n->kind) {
	case IR_NAT_MASQ:
	case IR_NAT_REDIR: {
		bool masq = n->kind == IR_NAT_MASQ;
		e = nftnl_expr_alloc(masq ? "masq" : "redir");
		if (!e)
			abort();
		put_ports(r, e, n, NFT_REG_1,
			  masq ? NFTNL_EXPR_MASQ_REG_PROTO_MIN : NFTNL_EXPR_REDIR_REG_PROTO_MIN,
			  masq ? NFTNL_EXPR_MASQ_REG_PROTO_MAX : NFTNL_EXPR_REDIR_REG_PROTO_MAX,
			  masq ? NFTNL_EXPR_MASQ_FLAGS : NFTNL_EXPR_REDIR_FLAGS);
		nftnl_rule_add_expr(r, e);
		return;
	}
	case IR_NAT_SNAT:
	case IR_NAT_DNAT:
		e = nftnl_expr_alloc("nat");
		if (!e)
			abort();
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE,
				   n->kind == IR_NAT_SNAT ? NFT_NAT_SNAT : NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
				   n->fam == AF_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		addr_to_be(n->fam, n->addr_lo, a);
		add_imm(r, reg, a, alen);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg++);
		if (n->addr_hi != n->addr_lo) {
			addr_to_be(n->fam, n->addr_hi, a);
			add_imm(r, reg, a, alen);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, reg++);
		}
		put_ports(r, e, n, reg, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFTNL_EXPR_NAT_REG_PROTO_MAX,
			  NFTNL_EXPR_NAT_FLAGS);
		nftnl_rule_add_expr(r, e);
		return;
	default:
		return;
	}
}

/* ---- limits (a separate concern, the same kind of code: statements
 * that are not matches nor verdicts) ---- */

static struct nftnl_expr *lim_expr(const struct ir_limit *l)
{
	struct nftnl_expr *e = nftnl_expr_alloc(l->kind == IR_LIM_RATE ? "limit" : "connlimit");

	if (!e)
		abort();
	if (l->kind == IR_LIM_COUNT) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CONNLIMIT_COUNT, l->count);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CONNLIMIT_FLAGS, NFT_CONNLIMIT_F_INV);
		return e;
	}
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, l->rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, l->unit);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, l->burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, l->bytes ? NFT_LIMIT_PKT_BYTES : NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	return e;
}

void nftc_encode_limit(struct nftnl_rule *r, const struct ir_limit *l)
{
	struct nftnl_expr *e;
	bool v6;

	if (l->kind == IR_LIM_NONE)
		return;
	if (!l->set) {
		nftnl_rule_add_expr(r, lim_expr(l));
		return;
	}
	/* the source address (the rule already has its family's match) */
	v6 = l->set->key == K_IP6_SADDR;
	e = nftnl_expr_alloc("payload");
	if (!e)
		abort();
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, v6 ? 8 : 12);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, v6 ? 16 : 4);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("dynset");
	if (!e)
		abort();
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP,
			   l->kind == IR_LIM_RATE ? NFT_DYNSET_OP_UPDATE : NFT_DYNSET_OP_ADD);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, l->set->name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, l->set->id);
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, lim_expr(l), 0);
	nftnl_rule_add_expr(r, e);
}
