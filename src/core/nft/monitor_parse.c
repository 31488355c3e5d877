// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "vigil/nftmon.h"

#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#define NFT_MSG_DESTROYCHAIN 27
#define NFT_MSG_DESTROYRULE 28
#define NFT_MSG_DESTROYSET 29
#define NFT_MSG_DESTROYSETELEM 30
#define NFT_MSG_DESTROYOBJ 31
#define NFT_MSG_DESTROYFLOWTABLE 32
#endif

static const struct {
	uint16_t type;
	enum nftmon_kind kind;
	bool del;
	uint16_t a_table, a_name;
} types[] = {
	{ NFT_MSG_NEWTABLE, NFTMON_TABLE, false, NFTA_TABLE_NAME, 0 },
	{ NFT_MSG_DELTABLE, NFTMON_TABLE, true, NFTA_TABLE_NAME, 0 },
	{ NFT_MSG_DESTROYTABLE, NFTMON_TABLE, true, NFTA_TABLE_NAME, 0 },
	{ NFT_MSG_NEWCHAIN, NFTMON_CHAIN, false, NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME },
	{ NFT_MSG_DELCHAIN, NFTMON_CHAIN, true, NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME },
	{ NFT_MSG_DESTROYCHAIN, NFTMON_CHAIN, true, NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME },
	{ NFT_MSG_NEWRULE, NFTMON_RULE, false, NFTA_RULE_TABLE, 0 },
	{ NFT_MSG_DELRULE, NFTMON_RULE, true, NFTA_RULE_TABLE, 0 },
	{ NFT_MSG_DESTROYRULE, NFTMON_RULE, true, NFTA_RULE_TABLE, 0 },
	{ NFT_MSG_NEWSET, NFTMON_SET, false, NFTA_SET_TABLE, NFTA_SET_NAME },
	{ NFT_MSG_DELSET, NFTMON_SET, true, NFTA_SET_TABLE, NFTA_SET_NAME },
	{ NFT_MSG_DESTROYSET, NFTMON_SET, true, NFTA_SET_TABLE, NFTA_SET_NAME },
	{ NFT_MSG_NEWSETELEM, NFTMON_SETELEM, false, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET },
	{ NFT_MSG_DELSETELEM, NFTMON_SETELEM, true, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET },
	{ NFT_MSG_DESTROYSETELEM, NFTMON_SETELEM, true, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET },
	{ NFT_MSG_NEWOBJ, NFTMON_OBJ, false, NFTA_OBJ_TABLE, NFTA_OBJ_NAME },
	{ NFT_MSG_DELOBJ, NFTMON_OBJ, true, NFTA_OBJ_TABLE, NFTA_OBJ_NAME },
	{ NFT_MSG_DESTROYOBJ, NFTMON_OBJ, true, NFTA_OBJ_TABLE, NFTA_OBJ_NAME },
	{ NFT_MSG_NEWFLOWTABLE, NFTMON_FLOWTABLE, false, NFTA_FLOWTABLE_TABLE, NFTA_FLOWTABLE_NAME },
	{ NFT_MSG_DELFLOWTABLE, NFTMON_FLOWTABLE, true, NFTA_FLOWTABLE_TABLE, NFTA_FLOWTABLE_NAME },
	{ NFT_MSG_DESTROYFLOWTABLE, NFTMON_FLOWTABLE, true, NFTA_FLOWTABLE_TABLE, NFTA_FLOWTABLE_NAME },
	{ NFT_MSG_NEWGEN, NFTMON_GEN, false, 0, 0 },
};

/* A string attribute into a fixed buffer: printable ASCII only (names come
 * from whoever committed), NUL-terminated, truncated. */
static void copy_str(const struct nlattr *a, char *out, size_t n)
{
	const char *s = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a), k = 0;

	for (size_t i = 0; i < len && s[i] && k + 1 < n; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[k] = '\0';
}

int nftmon_parse(const void *msg, size_t len, struct nftmon_event *ev)
{
	const struct nlmsghdr *nlh = msg;
	const struct nfgenmsg *g;
	const struct nlattr *a;
	uint16_t type;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	if (len < sizeof(*nlh) || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*g) ||
	    nlh->nlmsg_len > len || nlh->nlmsg_len > INT32_MAX)
		return -EBADMSG;
	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
		return -ENOMSG;
	type = nlh->nlmsg_type & 0xff;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			break;
	if (i == sizeof(types) / sizeof(types[0]))
		return -ENOMSG;
	g = mnl_nlmsg_get_payload(nlh);
	ev->kind = types[i].kind;
	ev->del = types[i].del;
	ev->family = g->nfgen_family;
	ev->portid = nlh->nlmsg_pid;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		uint16_t at = mnl_attr_get_type(a);
		size_t plen = mnl_attr_get_payload_len(a);

		if (ev->kind == NFTMON_GEN) {
			if (at == NFTA_GEN_ID && plen == 4)
				ev->genid = ntohl(mnl_attr_get_u32(a));
			else if (at == NFTA_GEN_PROC_PID && plen == 4)
				ev->pid = ntohl(mnl_attr_get_u32(a));
			else if (at == NFTA_GEN_PROC_NAME)
				copy_str(a, ev->comm, sizeof(ev->comm));
			continue;
		}
		if (at == types[i].a_table)
			copy_str(a, ev->table, sizeof(ev->table));
		else if (types[i].a_name && at == types[i].a_name)
			copy_str(a, ev->name, sizeof(ev->name));
		else if (ev->kind == NFTMON_RULE && at == NFTA_RULE_CHAIN)
			copy_str(a, ev->chain, sizeof(ev->chain));
		else if (ev->kind == NFTMON_RULE && at == NFTA_RULE_HANDLE && plen == 8)
			ev->handle = be64toh(mnl_attr_get_u64(a));
		else if (ev->kind == NFTMON_CHAIN && at == NFTA_CHAIN_POLICY && plen == 4) {
			ev->has_policy = true;
			ev->policy = ntohl(mnl_attr_get_u32(a));
		}
	}
	return 0;
}

void nftmon_describe(const struct nftmon_event *ev, char *buf, size_t len)
{
	const char *what = ev->del ? "deleted" : "added";

	switch (ev->kind) {
	case NFTMON_TABLE:
		snprintf(buf, len, "table %s", ev->del ? "deleted" : "added or its flags changed");
		break;
	case NFTMON_CHAIN:
		if (!ev->del && ev->has_policy)
			snprintf(buf, len, "chain %s added or changed (policy %s)", ev->name,
				 ev->policy == NF_ACCEPT ? "accept" : ev->policy == NF_DROP ? "drop" : "?");
		else
			snprintf(buf, len, "chain %s %s", ev->name, ev->del ? "deleted" : "added or changed");
		break;
	case NFTMON_RULE:
		snprintf(buf, len, "rule %s %s chain %s", what, ev->del ? "from" : "to", ev->chain);
		break;
	case NFTMON_SET:
		snprintf(buf, len, "set %s %s", ev->name, what);
		break;
	case NFTMON_SETELEM:
		snprintf(buf, len, "elements %s %s set %s", what, ev->del ? "from" : "to", ev->name);
		break;
	case NFTMON_OBJ:
		snprintf(buf, len, "object %s %s", ev->name, what);
		break;
	case NFTMON_FLOWTABLE:
		snprintf(buf, len, "flowtable %s %s", ev->name, what);
		break;
	case NFTMON_GEN:
		snprintf(buf, len, "generation %u", ev->genid);
		break;
	}
}
