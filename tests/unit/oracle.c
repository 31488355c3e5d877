// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The property test's oracle (oracle.h): what vigild may send, said a
 * second time, independently of vocab.c, with libnftnl's parsers and a
 * short list of the security-relevant facts: base chains only filter at
 * input/forward/output priority 0; expressions only of the compiler's
 * kinds, none that writes the packet or the mark except vigild's own
 * `ct mark set`; logs with vigild's prefix (to a group: rate-limited); verdicts accept, drop, jump,
 * goto; sets without objects, and timeouts only in named address sets
 * marked as vigild's dynamic sets (comment "vigil:dynamic"), whose
 * elements may carry a timeout and expiration, or in the limits' dynamic
 * sets. NAT: nat base
 * chains only at prerouting -100 and postrouting 100, policy accept; in
 * them, and only there, immediates into reg 1-4 and a dnat/redir
 * (prerouting) or snat/masq (postrouting) expression; port-forward maps:
 * a map from a port (2 bytes) to an address . port (8 or 20 bytes), no
 * flags but map, looked up into a register only in prerouting. Rate limits:
 * connlimit, and dynset only of a limit or connlimit into a dynamic set
 * (flags dynamic, with or without timeout).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "oracle.h"
#include "vigil/util.h"

static const char *const ok_exprs[] = { "meta", "payload", "cmp", "bitwise", "ct", "lookup",
					"counter", "limit", "log", "reject", "immediate",
					"connlimit", "dynset" };

/* a dynset's expression: limit or connlimit, nothing else */
static int oracle_dynset_inner(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	bool *bad = data;

	if (!streq(name, "limit") && !streq(name, "connlimit"))
		*bad = true;
	return 0;
}

struct ostate {
	uint32_t last_ct_mark_load, last_keep; /* expression numbers, 1-based */
	uint32_t last_limit;                   /* `limit counter log group` */
	uint32_t n;
	bool bad;
	uint32_t nat_hook;   /* the rule's chain: NF_INET_PRE/POST_ROUTING nat, else 0 */
};

/* The nat chains of the batch being looked at: by name. */
static char nat_pre[64], nat_post[64];

static bool oracle_nat_expr(struct ostate *o, struct nftnl_expr *e, const char *name)
{
	bool pre = o->nat_hook == NF_INET_PRE_ROUTING, post = o->nat_hook == NF_INET_POST_ROUTING;

	if (streq(name, "immediate") && nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT)
		return (pre || post) && nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) <= NFT_REG_4;
	if (streq(name, "nat"))
		return nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE) == NFT_NAT_DNAT ? pre : post;
	if (streq(name, "masq"))
		return post;
	if (streq(name, "redir"))
		return pre;
	return true;
}

static int oracle_expr(struct nftnl_expr *e, void *data)
{
	struct ostate *o = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	bool known = false;

	o->n++;
	for (size_t i = 0; i < ARRAY_SIZE(ok_exprs); i++)
		known |= streq(name, ok_exprs[i]);
	if (streq(name, "nat") || streq(name, "masq") || streq(name, "redir") ||
	    (streq(name, "immediate") && nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT)) {
		if (!oracle_nat_expr(o, e, name))
			o->bad = true;
		return 0;
	}
	if (!known)
		o->bad = true;
	else if (streq(name, "meta") && nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG))
		o->bad = true;
	else if (streq(name, "payload") && nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_SREG))
		o->bad = true;
	else if (streq(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) &&
		 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) != NFT_REG_VERDICT &&
		 o->nat_hook != NF_INET_PRE_ROUTING)
		o->bad = true; /* a map's data into a register: a dnat's, in prerouting */
	else if (streq(name, "dynset") &&
		 (!nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_EXPR) ||
		  nftnl_expr_expr_foreach(e, oracle_dynset_inner, &o->bad) < 0))
		o->bad = true;
	else if (streq(name, "log") &&
		 (strncmp(nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX), "vigil:", 6) ||
		  /* NFLOG (refused traffic) only after a limit */
		  (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP) && o->last_limit + 2 != o->n)))
		o->bad = true;
	else if (streq(name, "limit"))
		o->last_limit = o->n;
	else if (streq(name, "immediate")) {
		int32_t v = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT ||
		    (v != NF_ACCEPT && v != NF_DROP && v != NFT_JUMP && v != NFT_GOTO))
			o->bad = true;
	} else if (streq(name, "ct")) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
		if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG)) {
			if (key != NFT_CT_MARK || o->last_keep + 1 != o->n ||
			    o->last_ct_mark_load + 2 != o->n)
				o->bad = true;
		} else if (key == NFT_CT_MARK) {
			o->last_ct_mark_load = o->n;
		}
	} else if (streq(name, "bitwise")) {
		uint32_t l, ml, xl, mask = 0, xor = 0;
		const void *m = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &ml);
		const void *x = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xl);
		l = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
		if (l == 4 && ml == 4 && xl == 4) {
			memcpy(&mask, m, 4);
			memcpy(&xor, x, 4);
			if (mask == 0x0000ffffu && !(xor & 0x0000ffffu))
				o->last_keep = o->n;
		}
	}
	return 0;
}

/* Set elements: a key (and key end, flags), data only a goto or jump
 * verdict (merged maps go, decision trees jump) or an address . port of
 * 8 or 20 bytes (a port-forward map's). */
static bool oracle_elems(const struct nlmsghdr *h, const char *t)
{
	const struct nlattr *a, *item, *x, *d, *v;
	bool named = false, ok = true;

	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg)) {
		uint16_t at = mnl_attr_get_type(a);
		if (at == NFTA_SET_ELEM_LIST_TABLE)
			named = streq(mnl_attr_get_str(a), t);
		if (at != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(item, a) {
			mnl_attr_for_each_nested(x, item) {
				uint16_t xt = mnl_attr_get_type(x);
				if (xt != NFTA_SET_ELEM_KEY && xt != NFTA_SET_ELEM_KEY_END &&
				    xt != NFTA_SET_ELEM_FLAGS && xt != NFTA_SET_ELEM_DATA &&
				    xt != NFTA_SET_ELEM_TIMEOUT && xt != NFTA_SET_ELEM_EXPIRATION)
					ok = false;
				if (xt != NFTA_SET_ELEM_DATA)
					continue;
				mnl_attr_for_each_nested(d, x) {
					if (mnl_attr_get_type(d) == NFTA_DATA_VALUE &&
					    (mnl_attr_get_payload_len(d) == 8 || mnl_attr_get_payload_len(d) == 20))
						continue;
					if (mnl_attr_get_type(d) != NFTA_DATA_VERDICT)
						ok = false;
					else
						mnl_attr_for_each_nested(v, d) {
							if (mnl_attr_get_type(v) == NFTA_VERDICT_CODE &&
							    (int32_t)ntohl(mnl_attr_get_u32(v)) != NFT_GOTO &&
							    (int32_t)ntohl(mnl_attr_get_u32(v)) != NFT_JUMP)
								ok = false;
						}
				}
			}
		}
	}
	return named && ok;
}

/* What the oracle refused last: message number and type. */
char oracle_why[64];

/* Is every message of buf within what vigild may send for table t? */
bool oracle(const uint8_t *buf, size_t len, const char *t)
{
	size_t off = 0, index = 0;

	nat_pre[0] = nat_post[0] = '\0';
	while (off < len) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
		uint16_t type = h->nlmsg_type & 0xff;
		bool ok = true;

		off += NLMSG_ALIGN(h->nlmsg_len);
		snprintf(oracle_why, sizeof(oracle_why), "message %zu, type %u", index++, type);
		if (h->nlmsg_type == NFNL_MSG_BATCH_BEGIN || h->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
		    ((const struct nfgenmsg *)mnl_nlmsg_get_payload(h))->nfgen_family != NFPROTO_INET)
			return false;
		if (type == NFT_MSG_NEWTABLE || type == NFT_MSG_DELTABLE || type == 26 /* DESTROY */) {
			struct nftnl_table *x = nftnl_table_alloc();
			uint32_t fl;
			ok = nftnl_table_nlmsg_parse(h, x) == 0 &&
			     streq(nftnl_table_get_str(x, NFTNL_TABLE_NAME), t);
			/* no flags, or owner and persist together (never dormant,
			 * never owner alone) */
			fl = ok ? nftnl_table_get_u32(x, NFTNL_TABLE_FLAGS) : 0;
			ok = ok && (fl == 0 || fl == (NFT_TABLE_F_OWNER | 0x4u));
			nftnl_table_free(x);
		} else if (type == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *x = nftnl_chain_alloc();
			ok = nftnl_chain_nlmsg_parse(h, x) == 0 &&
			     streq(nftnl_chain_get_str(x, NFTNL_CHAIN_TABLE), t);
			if (ok && nftnl_chain_is_set(x, NFTNL_CHAIN_HOOKNUM)) {
				uint32_t hook = nftnl_chain_get_u32(x, NFTNL_CHAIN_HOOKNUM);
				uint32_t pol = nftnl_chain_get_u32(x, NFTNL_CHAIN_POLICY);
				int32_t prio = nftnl_chain_get_s32(x, NFTNL_CHAIN_PRIO);
				bool nat = streq(nftnl_chain_get_str(x, NFTNL_CHAIN_TYPE), "nat");
				if (nat) {
					bool pre = hook == NF_INET_PRE_ROUTING && prio == -100;
					bool post = hook == NF_INET_POST_ROUTING && prio == 100;
					ok = (pre || post) && pol == NF_ACCEPT;
					snprintf(pre ? nat_pre : nat_post, sizeof(nat_pre), "%s",
						 nftnl_chain_get_str(x, NFTNL_CHAIN_NAME));
					nftnl_chain_free(x);
					if (!ok)
						return false;
					continue;
				}
				ok = streq(nftnl_chain_get_str(x, NFTNL_CHAIN_TYPE), "filter") &&
				     (hook == NF_INET_LOCAL_IN || hook == NF_INET_FORWARD ||
				      hook == NF_INET_LOCAL_OUT) &&
				     nftnl_chain_get_s32(x, NFTNL_CHAIN_PRIO) == 0 &&
				     (pol == NF_ACCEPT || pol == NF_DROP);
			}
			nftnl_chain_free(x);
		} else if (type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *x = nftnl_rule_alloc();
			struct ostate o = { 0 };
			ok = nftnl_rule_nlmsg_parse(h, x) == 0 &&
			     streq(nftnl_rule_get_str(x, NFTNL_RULE_TABLE), t);
			if (ok) {
				const char *ch = nftnl_rule_get_str(x, NFTNL_RULE_CHAIN);
				o.nat_hook = nat_pre[0] && streq(ch, nat_pre)	  ? NF_INET_PRE_ROUTING :
					     nat_post[0] && streq(ch, nat_post) ? NF_INET_POST_ROUTING :
										  0;
			}
			ok = ok && nftnl_expr_foreach(x, oracle_expr, &o) == 0 && !o.bad;
			nftnl_rule_free(x);
		} else if (type == NFT_MSG_NEWSET) {
			struct nftnl_set *x = nftnl_set_alloc();
			uint32_t ul = 0;
			ok = nftnl_set_nlmsg_parse(h, x) == 0 &&
			     streq(nftnl_set_get_str(x, NFTNL_SET_TABLE), t);
			const void *ud = ok ? nftnl_set_get_data(x, NFTNL_SET_USERDATA, &ul) : NULL;
			uint32_t fl = ok ? nftnl_set_get_u32(x, NFTNL_SET_FLAGS) : 0;
			bool dyn = ud && memmem(ud, ul, "vigil:dynamic", 14) &&
				   !(fl & (NFT_SET_ANONYMOUS | NFT_SET_MAP));
			bool eval = fl & NFT_SET_EVAL;
			ok = ok &&
			     !(fl & ~(uint32_t)(NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL |
						NFT_SET_MAP | NFT_SET_CONCAT | NFT_SET_EVAL |
						(dyn || eval ? NFT_SET_TIMEOUT : 0))) &&
			     /* the limits' sets are nothing else, and not vigild set's */
			     (!eval || (!dyn && !(fl & ~(uint32_t)(NFT_SET_EVAL | NFT_SET_TIMEOUT)))) &&
			     (dyn || eval || !nftnl_set_is_set(x, NFTNL_SET_TIMEOUT));
			/* a map to values: a port-forward map, nothing else */
			if (ok && (fl & NFT_SET_MAP) &&
			    nftnl_set_get_u32(x, NFTNL_SET_DATA_TYPE) != NFT_DATA_VERDICT)
				ok = fl == NFT_SET_MAP && nftnl_set_get_u32(x, NFTNL_SET_KEY_LEN) == 2 &&
				     (nftnl_set_get_u32(x, NFTNL_SET_DATA_LEN) == 8 ||
				      nftnl_set_get_u32(x, NFTNL_SET_DATA_LEN) == 20);
			nftnl_set_free(x);
		} else if (type == NFT_MSG_NEWSETELEM) {
			/* libnftnl 1.2.4 cannot parse the elements it writes (it numbers
			 * them, and its parser wants NFTA_LIST_ELEM): look ourselves */
			ok = oracle_elems(h, t);
		} else {
			ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

