// SPDX-License-Identifier: GPL-2.0-or-later
/* Other tables' base chains at input and forward (foreign.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "vigil/foreign.h"
#include "vigil/policy.h"
#include "vigil/util.h"

void foreign_add_chain(struct foreign_view *f, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *type;
	uint32_t hook, fam;

	if (!c)
		abort();
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		goto out;
	hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	fam = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	if ((hook != NF_INET_LOCAL_IN && hook != NF_INET_FORWARD) || !type || strcmp(type, "filter") ||
	    (fam != NFPROTO_INET && fam != NFPROTO_IPV4 && fam != NFPROTO_IPV6))
		goto out;
	GROW(f->v, f->cap, f->n + 1);
	struct foreign_chain *fc = &f->v[f->n++];
	memset(fc, 0, sizeof(*fc));
	fc->family = (uint8_t)fam;
	fc->hook = hook;
	fc->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
								 : NF_ACCEPT;
	snprintf(fc->table, sizeof(fc->table), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	snprintf(fc->chain, sizeof(fc->chain), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
out:
	nftnl_chain_free(c);
}

/* A rule's walk: its accepts, and the interface names it compares. */
struct rule_walk {
	unsigned accepts;
	/* per 32-bit register: the meta key loaded into it (0: none) */
	uint32_t key[NFT_REG32_COUNT];
	struct foreign_accept a;
};

/* The first 32-bit register a register number names: NFT_REG_1..4 are
 * 16 bytes each, NFT_REG32_00..15 four (nf_tables.h); -1 for others. */
static int reg32(uint32_t reg)
{
	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		return (int)(reg - NFT_REG_1) * 4;
	if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		return (int)(reg - NFT_REG32_00);
	return -1;
}

static bool ifname_key(const struct rule_walk *w, uint32_t reg)
{
	int r = reg32(reg);

	return r >= 0 && (w->key[r] == NFT_META_IIFNAME || w->key[r] == NFT_META_OIFNAME);
}

/* cmp eq of an interface name: the NUL included for an exact name (nft
 * compares 16 bytes), left out for a prefix ("br-*", iptables' "br-+"). */
static void cmp_ifname(struct rule_walk *w, struct nftnl_expr *e)
{
	uint32_t len = 0;
	const char *data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	size_t n;

	if (!data || nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ ||
	    w->a.nifs >= FOREIGN_RULE_IFS || len > 16)
		return;
	n = strnlen(data, len);
	if (n == 0)
		return;
	memcpy(w->a.ifs[w->a.nifs], data, n);
	if (n == len) /* no NUL compared: a prefix */
		w->a.ifs[w->a.nifs][n++] = '*';
	w->a.ifs[w->a.nifs++][n] = '\0';
}

/* Expressions that write no register (statements). */
static bool writes_none(const char *name)
{
	static const char *const v[] = { "counter", "log", "limit", "quota", "reject", "nat",
					 "masq", "redir", "notrack", "dup", "fwd", "queue",
					 "objref", "connlimit", "dynset", "last", "synproxy" };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (!strcmp(name, v[i]))
			return true;
	return false;
}

/* The destination register attribute of the loads nft emits most, or 0. */
static uint16_t dreg_attr(const char *name)
{
	if (!strcmp(name, "payload"))
		return NFTNL_EXPR_PAYLOAD_DREG;
	if (!strcmp(name, "ct"))
		return NFTNL_EXPR_CT_DREG;
	if (!strcmp(name, "bitwise"))
		return NFTNL_EXPR_BITWISE_DREG;
	if (!strcmp(name, "byteorder"))
		return NFTNL_EXPR_BYTEORDER_DREG;
	if (!strcmp(name, "lookup"))
		return NFTNL_EXPR_LOOKUP_DREG;
	if (!strcmp(name, "immediate"))
		return NFTNL_EXPR_IMM_DREG;
	return 0;
}

/* What a load other than meta's writes is no longer an interface name
 * (`oifname "docker0" ip daddr 172.17.0.2`: both in reg 1); an unknown
 * expression may write any register. */
static void forget_loads(struct rule_walk *w, struct nftnl_expr *e, const char *name)
{
	uint16_t a = dreg_attr(name);
	int r;

	if (writes_none(name))
		return;
	if (!a) {
		memset(w->key, 0, sizeof(w->key));
		return;
	}
	if (nftnl_expr_is_set(e, a) && (r = reg32(nftnl_expr_get_u32(e, a))) >= 0)
		w->key[r] = 0;
}

static int walk_expr(struct nftnl_expr *e, void *data)
{
	struct rule_walk *w = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name)
		return 0;
	if (!strcmp(name, "immediate") &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT &&
	    (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT) {
		w->accepts++;
	} else if (!strcmp(name, "meta")) {
		int r = nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG)
				? reg32(nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG)) : -1;
		if (r >= 0)
			w->key[r] = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	} else if (!strcmp(name, "cmp") && ifname_key(w, nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG))) {
		cmp_ifname(w, e);
	} else if (!strcmp(name, "lookup") &&
		   ifname_key(w, nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG))) {
		w->a.ifs_unknown = true;
		forget_loads(w, e, name); /* a map's result */
	} else if (strcmp(name, "cmp")) {
		forget_loads(w, e, name);
	}
	return 0;
}

/* Whose chain or table this is, by the names the managers give them. */
static int owner_of(const char *table, const char *chain)
{
	if (!strncmp(chain, "DOCKER", 6))
		return DEFER_DOCKER;
	if (!strcmp(table, "netavark") || !strncmp(chain, "NETAVARK", 8) || !strncmp(chain, "CNI-", 4))
		return DEFER_PODMAN;
	if (!strcmp(table, "libvirt_network") || !strncmp(chain, "LIBVIRT_", 8))
		return DEFER_LIBVIRT;
	return -1;
}

void foreign_add_rule(struct foreign_view *f, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct rule_walk w;
	struct foreign_table *t = NULL;
	uint8_t fam;
	const char *table, *chain;

	if (!r)
		abort();
	memset(&w, 0, sizeof(w));
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	nftnl_expr_foreach(r, walk_expr, &w);
	if (!w.accepts)
		goto out;
	fam = (uint8_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	if (!table || !chain)
		goto out;
	for (size_t i = 0; i < f->nt && !t; i++)
		if (f->t[i].family == fam && !strcmp(f->t[i].name, table))
			t = &f->t[i];
	if (!t) {
		GROW(f->t, f->capt, f->nt + 1);
		t = &f->t[f->nt++];
		memset(t, 0, sizeof(*t));
		t->family = fam;
		snprintf(t->name, sizeof(t->name), "%s", table);
	}
	t->accepts += w.accepts;
	w.a.owner = (int8_t)owner_of(table, chain);
	GROW(t->acc, t->capacc, t->nacc + 1);
	t->acc[t->nacc++] = w.a;
out:
	nftnl_rule_free(r);
}

void foreign_done(struct foreign_view *f)
{
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = 0; j < f->nt; j++)
			if (f->t[j].family == f->v[i].family && !strcmp(f->t[j].name, f->v[i].table)) {
				f->v[i].accepts = f->t[j].accepts;
				f->v[i].tab = j;
			}
}

void foreign_free(struct foreign_view *f)
{
	free(f->v);
	for (size_t i = 0; i < f->nt; i++)
		free(f->t[i].acc);
	free(f->t);
	memset(f, 0, sizeof(*f));
}

static bool accept_covered(const struct foreign_accept *a, unsigned defer)
{
	if (!a->nifs && !a->ifs_unknown)
		return a->owner >= 0 && (defer & (1u << a->owner));
	for (size_t i = 0; i < a->nifs; i++)
		for (int d = 0; d < DEFER_MAX; d++)
			for (const char *const *p = defer_info((enum defer_id)d)->ifaces;
			     (defer & (1u << d)) && *p; p++)
				if (defer_pattern_covers(*p, a->ifs[i]))
					return true;
	return false;
}

bool foreign_covered(const struct foreign_table *t, unsigned defer, char *why, size_t len,
		     int *owner)
{
	for (size_t i = 0; i < t->nacc; i++) {
		const struct foreign_accept *a = &t->acc[i];
		size_t at = 0;

		if (accept_covered(a, defer))
			continue;
		*owner = a->owner;
		if (len)
			why[0] = '\0';
		for (size_t k = 0; k < a->nifs && at < len; k++) {
			int o = defer_owner(a->ifs[k]);
			if (*owner < 0)
				*owner = o;
			at += (size_t)snprintf(why + at, len - at, "%s%s", k ? ", " : "", a->ifs[k]);
		}
		return false;
	}
	return t->nacc > 0;
}
