// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's NAT shapes (nftc_nat.c makes them): in a nat chain, and
 * only there, immediates put an address (4 or 16 bytes) or a port (2
 * bytes) into reg 1 to 4, and the rule ends in a nat, masq or redir
 * expression that reads only registers those immediates wrote, with the
 * lengths its family and ports need. snat and masquerade only in
 * postrouting, dnat and redirect only in prerouting (never output: a
 * redirect there would send the host's own traffic elsewhere).
 *
 * A port-forward map (natmap.c) instead: `payload th dport -> reg 1,
 * lookup reg 1 of a port-forward map -> reg 1, nat dnat` reading the
 * address from reg 1 and the port from the register after it, in
 * prerouting only (verify_lookup, natmap_nat).
 */
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "verify.h"

#define REFUSE(...) (verify_fmt(why, len, __VA_ARGS__), why)

const struct vocab_chain *verify_nat_chain_row(const char *name, uint8_t *hook)
{
	*hook = IR_NAT_HOOK_NONE;
	for (int i = 0; i < VOCAB_NAT_CHAINS; i++)
		if (streq(vocab_nat_chains[i].name, name)) {
			*hook = (uint8_t)(i + 1);
			return &vocab_nat_chains[i];
		}
	return NULL;
}

const char *verify_imm_value(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	uint32_t reg = verify_u32(tb[NFTA_IMMEDIATE_DREG]);
	vocab_tb d;
	size_t n;

	if (!r->c->rule_nat)
		return REFUSE("puts a value into a register outside a nat chain");
	if (verify_walk_nest(r->c, "data", tb[NFTA_IMMEDIATE_DATA], &vocab_data_value, d) < 0)
		return verify_refused;
	verify_data(d[NFTA_DATA_VALUE], &n);
	if (n != 2 && n != 4 && n != 16)
		return REFUSE("puts %zu bytes into reg %u; NAT takes a port (2), an IPv4 (4) or an IPv6 address (16)",
			      n, reg);
	if (r->reglen[reg])
		return REFUSE("writes reg %u twice", reg);
	r->reglen[reg] = (uint8_t)n;
	r->kind = VE_NAT_VALUE;
	return NULL;
}

/* Register attribute `a` (if present) was written with `want` bytes. */
static const char *reads(struct verify_rule *r, const struct nlattr *a, const char *what,
			 size_t want, char *why, size_t len)
{
	uint32_t reg;

	if (!a)
		return NULL;
	reg = verify_u32(a);
	if (reg > NFT_REG_4)
		return REFUSE("%s reads reg %u, which no immediate writes", what, reg);
	if (r->reglen[reg] != want)
		return REFUSE("%s reads reg %u, which holds %u bytes, not %zu", what, reg,
			      r->reglen[reg], want);
	return NULL;
}

/* Ports: min (and max) two bytes each; the flags say a port is given
 * exactly when one is; max needs min. */
static const char *ports(struct verify_rule *r, const struct nlattr *min, const struct nlattr *max,
			 const struct nlattr *flags, char *why, size_t len)
{
	const char *bad;

	if (max && !min)
		return REFUSE("has a highest port and no lowest");
	if (!!min != !!flags)
		return REFUSE("flags proto-specified go with a port, and only with one");
	if ((bad = reads(r, min, "proto min", 2, why, len)) || (bad = reads(r, max, "proto max", 2, why, len)))
		return bad;
	return NULL;
}

static const char *hook_only(struct verify_rule *r, uint8_t hook, const char *what, char *why,
			     size_t len)
{
	if (r->c->rule_nat != hook)
		return REFUSE("%s only in vigild's %s chain", what,
			      vocab_nat_chains[hook - 1].name);
	return NULL;
}

/* After a port-forward map's lookup: dnat of the map's family, the
 * address from reg 1, the port from the register after it; nothing else
 * (the kernel sets the flags for a port register itself). */
static const char *natmap_nat(struct verify_rule *r, const vocab_tb tb, size_t alen, char *why,
			      size_t len)
{
	if (verify_u32(tb[NFTA_NAT_TYPE]) != NFT_NAT_DNAT)
		return REFUSE("a port-forward map is for dnat only");
	if (alen != r->natmap_alen)
		return REFUSE("family %s, but the map holds %s addresses", alen == 4 ? "ip" : "ip6",
			      r->natmap_alen == 4 ? "IPv4" : "IPv6");
	if (verify_u32(tb[NFTA_NAT_REG_ADDR_MIN]) != NFT_REG_1 || tb[NFTA_NAT_REG_ADDR_MAX])
		return REFUSE("after a port-forward map, the address is reg 1 (no range)");
	if (!tb[NFTA_NAT_REG_PROTO_MIN] ||
	    verify_u32(tb[NFTA_NAT_REG_PROTO_MIN]) != (uint32_t)VOCAB_NATMAP_PORT_REG(alen == 4) ||
	    tb[NFTA_NAT_REG_PROTO_MAX])
		return REFUSE("after a port-forward map, the port is reg %s (no range)",
			      alen == 4 ? "32 1" : " 2");
	if (tb[NFTA_NAT_FLAGS])
		return REFUSE("after a port-forward map, no flags");
	r->kind = VE_NAT;
	return NULL;
}

const char *verify_nat(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	bool snat = verify_u32(tb[NFTA_NAT_TYPE]) == NFT_NAT_SNAT;
	size_t alen = verify_u32(tb[NFTA_NAT_FAMILY]) == NFPROTO_IPV4 ? 4 : 16;
	const char *bad;

	if ((bad = hook_only(r, snat ? IR_NAT_HOOK_POST : IR_NAT_HOOK_PRE, snat ? "snat" : "dnat",
			     why, len)))
		return bad;
	if (r->prev[0] == VE_NATMAP)
		return natmap_nat(r, tb, alen, why, len);
	if ((bad = reads(r, tb[NFTA_NAT_REG_ADDR_MIN], "addr min", alen, why, len)) ||
	    (bad = reads(r, tb[NFTA_NAT_REG_ADDR_MAX], "addr max", alen, why, len)))
		return bad;
	if ((bad = ports(r, tb[NFTA_NAT_REG_PROTO_MIN], tb[NFTA_NAT_REG_PROTO_MAX],
			 tb[NFTA_NAT_FLAGS], why, len)))
		return bad;
	r->kind = VE_NAT;
	return NULL;
}

const char *verify_masq(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	const char *bad;

	if ((bad = hook_only(r, IR_NAT_HOOK_POST, "masquerade", why, len)) ||
	    (bad = ports(r, tb[NFTA_MASQ_REG_PROTO_MIN], tb[NFTA_MASQ_REG_PROTO_MAX],
			 tb[NFTA_MASQ_FLAGS], why, len)))
		return bad;
	r->kind = VE_NAT;
	return NULL;
}

const char *verify_redir(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	const char *bad;

	if ((bad = hook_only(r, IR_NAT_HOOK_PRE, "redirect", why, len)) ||
	    (bad = ports(r, tb[NFTA_REDIR_REG_PROTO_MIN], tb[NFTA_REDIR_REG_PROTO_MAX],
			 tb[NFTA_REDIR_FLAGS], why, len)))
		return bad;
	r->kind = VE_NAT;
	return NULL;
}
