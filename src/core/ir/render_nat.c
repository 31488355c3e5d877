// SPDX-License-Identifier: GPL-2.0-or-later
/* NAT statements, ct status and limits in nft syntax (render.c prints the rest). */
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdio.h>

#include "vigil/render.h"

static void put_ports(struct strbuf *sb, const struct ir_nat *n)
{
	if (n->port_lo == n->port_hi)
		sb_printf(sb, "%u", n->port_lo);
	else
		sb_printf(sb, "%u-%u", n->port_lo, n->port_hi);
}

/* "10.1.0.2", "10.1.0.2-10.1.0.9", "[fd00::2]" (brackets when a port follows) */
static void put_addr(struct strbuf *sb, const struct ir_nat *n)
{
	char a[64], b[64];
	bool br = n->fam == AF_V6 && n->port;

	addr_format(n->fam, n->addr_lo, a, sizeof(a));
	if (n->addr_lo != n->addr_hi) {
		addr_format(n->fam, n->addr_hi, b, sizeof(b));
		sb_printf(sb, "%s%s-%s%s", br ? "[" : "", a, b, br ? "]" : "");
	} else {
		sb_printf(sb, "%s%s%s", br ? "[" : "", a, br ? "]" : "");
	}
}

void render_nat(struct strbuf *sb, const struct ir_nat *n)
{
	switch (n->kind) {
	case IR_NAT_NONE:
		return;
	case IR_NAT_MASQ:
	case IR_NAT_REDIR:
		sb_puts(sb, n->kind == IR_NAT_MASQ ? " masquerade" : " redirect");
		if (n->port) {
			sb_puts(sb, " to :");
			put_ports(sb, n);
		}
		return;
	case IR_NAT_SNAT:
	case IR_NAT_DNAT:
		if (n->map) {
			/* a port-forward map (natmap.c) */
			const struct ir_field *f = &n->map->fields[0];
			sb_printf(sb, " dnat %s to %s dport map @%s", n->map->nat_fam == AF_V4 ? "ip" : "ip6",
				  f->l4 == IPPROTO_TCP ? "tcp" : f->l4 == IPPROTO_UDP ? "udp" : "sctp",
				  n->map->name);
			return;
		}
		sb_printf(sb, " %s %s to ", n->kind == IR_NAT_SNAT ? "snat" : "dnat",
			  n->fam == AF_V4 ? "ip" : "ip6");
		put_addr(sb, n);
		if (n->port) {
			sb_puts(sb, ":");
			put_ports(sb, n);
		}
		return;
	}
}

void render_ct_status(struct strbuf *sb, uint32_t bits)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} st[] = {
		{ IPS_SRC_NAT, "snat" },
		{ IPS_DST_NAT, "dnat" },
	};
	bool first = true;

	for (size_t i = 0; i < ARRAY_SIZE(st); i++)
		if (bits & st[i].bit) {
			sb_printf(sb, "%s%s", first ? "" : ",", st[i].name);
			first = false;
		}
}

static const char *unit_word(uint32_t secs)
{
	return secs == 86400 ? "day" : secs == 3600 ? "hour" : secs == 60 ? "minute" : "second";
}

void render_limit(struct strbuf *sb, const struct ir_limit *l)
{
	const char *key = l->set && l->set->key == K_IP6_SADDR ? "ip6 saddr" : "ip saddr";

	switch (l->kind) {
	case IR_LIM_NONE:
		return;
	case IR_LIM_COUNT:
		if (l->set)
			sb_printf(sb, "add @%s { %s ct count over %u } ", l->set->name, key, l->count);
		else
			sb_printf(sb, "ct count over %u ", l->count);
		return;
	case IR_LIM_RATE:
		if (l->set)
			sb_printf(sb, "update @%s { %s ", l->set->name, key);
		if (l->bytes)
			sb_printf(sb, "limit rate over %llu bytes/%s", (unsigned long long)l->rate,
				  unit_word(l->unit));
		else
			sb_printf(sb, "limit rate over %llu/%s", (unsigned long long)l->rate,
				  unit_word(l->unit));
		if (l->bytes && l->burst)
			sb_printf(sb, " burst %u bytes", l->burst);
		else if (!l->bytes)
			sb_printf(sb, " burst %u packets", l->burst);
		sb_puts(sb, l->set ? " } " : " ");
		return;
	}
}
