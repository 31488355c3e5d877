// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * batch_verify(): what the privileged commit helper checks before it lets a
 * batch from the unprivileged process reach the kernel. The kernel resolves
 * every object of a message inside the table the message names, so pinning
 * that name (and refusing handles, which could name a table without its
 * name) confines a batch to vigild's table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/batch.h"

/* Debian 12's headers (linux 6.1) lack these: kernel 6.3 and 6.9. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif
#define VERIFY_TABLE_F_PERSIST 0x4u

static int refuse(struct batch_refusal *r, size_t index, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct batch_refusal *r, size_t index, const char *fmt, ...)
{
	va_list ap;

	if (r) {
		r->index = index;
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

/* Per message type: the attribute that names the table, and the attributes
 * that may not appear (they address objects by handle or position). */
struct allowed {
	uint16_t type;
	const char *name;
	uint16_t table_attr;
	uint16_t banned[3];
};

static const struct allowed allowed[] = {
	{ NFT_MSG_NEWTABLE, "NEWTABLE", NFTA_TABLE_NAME, { NFTA_TABLE_HANDLE, NFTA_TABLE_OWNER, 0 } },
	{ NFT_MSG_DELTABLE, "DELTABLE", NFTA_TABLE_NAME, { NFTA_TABLE_HANDLE, 0, 0 } },
	{ NFT_MSG_DESTROYTABLE, "DESTROYTABLE", NFTA_TABLE_NAME, { NFTA_TABLE_HANDLE, 0, 0 } },
	{ NFT_MSG_NEWCHAIN, "NEWCHAIN", NFTA_CHAIN_TABLE, { NFTA_CHAIN_HANDLE, 0, 0 } },
	{ NFT_MSG_DELCHAIN, "DELCHAIN", NFTA_CHAIN_TABLE, { NFTA_CHAIN_HANDLE, 0, 0 } },
	{ NFT_MSG_NEWRULE, "NEWRULE", NFTA_RULE_TABLE,
	  { NFTA_RULE_HANDLE, NFTA_RULE_POSITION, NFTA_RULE_POSITION_ID } },
	{ NFT_MSG_DELRULE, "DELRULE", NFTA_RULE_TABLE, { NFTA_RULE_HANDLE, NFTA_RULE_POSITION, 0 } },
	{ NFT_MSG_NEWSET, "NEWSET", NFTA_SET_TABLE, { NFTA_SET_HANDLE, 0, 0 } },
	{ NFT_MSG_DELSET, "DELSET", NFTA_SET_TABLE, { NFTA_SET_HANDLE, 0, 0 } },
	{ NFT_MSG_NEWSETELEM, "NEWSETELEM", NFTA_SET_ELEM_LIST_TABLE, { 0, 0, 0 } },
	{ NFT_MSG_DELSETELEM, "DELSETELEM", NFTA_SET_ELEM_LIST_TABLE, { 0, 0, 0 } },
};

/* Flags a request in the batch may carry; NLM_F_REPLACE replaces by handle. */
#define ALLOWED_FLAGS (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND)

static const struct nfgenmsg *nfg(const struct nlmsghdr *nlh)
{
	return (const struct nfgenmsg *)((const char *)nlh + NLMSG_HDRLEN);
}

/* Same comparison the kernel makes (nla_strcmp): one trailing NUL allowed. */
static bool name_is(const char *data, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len > 0 && data[len - 1] == '\0')
		len--;
	return len == n && memcmp(data, name, n) == 0;
}

static int verify_msg(const struct nlmsghdr *nlh, size_t index, const char *table,
		      struct batch_refusal *r)
{
	uint16_t subsys = nlh->nlmsg_type >> 8, type = nlh->nlmsg_type & 0xff;
	const struct allowed *a = NULL;
	size_t off, end = nlh->nlmsg_len;
	unsigned names = 0;
	const struct nfgenmsg *g = nfg(nlh);

	if (subsys != NFNL_SUBSYS_NFTABLES)
		return refuse(r, index, "message %zu belongs to netfilter subsystem %u, not nf_tables",
			      index, subsys);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].type == type)
			a = &allowed[i];
	if (!a)
		return refuse(r, index, "message %zu has type %u, which is not allowed", index, type);
	if (g->nfgen_family != NFPROTO_INET)
		return refuse(r, index, "message %zu (%s) is for family %u, not inet", index, a->name,
			      g->nfgen_family);
	if (g->version != NFNETLINK_V0)
		return refuse(r, index, "message %zu (%s) has netlink version %u", index, a->name,
			      g->version);
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST) || (nlh->nlmsg_flags & ~ALLOWED_FLAGS))
		return refuse(r, index, "message %zu (%s) has flags 0x%x, which are not allowed", index,
			      a->name, nlh->nlmsg_flags);

	off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	while (off < end) {
		const struct nlattr *at;
		uint16_t alen, atype;

		if (end - off < sizeof(*at))
			return refuse(r, index, "message %zu (%s) ends in a truncated attribute", index,
				      a->name);
		at = (const struct nlattr *)((const char *)nlh + off);
		alen = at->nla_len;
		atype = at->nla_type & NLA_TYPE_MASK;
		if (alen < sizeof(*at) || alen > end - off)
			return refuse(r, index, "message %zu (%s) has an attribute of bad length %u", index,
				      a->name, alen);
		for (int k = 0; k < 3; k++)
			if (a->banned[k] && atype == a->banned[k])
				return refuse(r, index,
					      "message %zu (%s) refers to an object by handle or position (attribute %u)",
					      index, a->name, atype);
		if (atype == a->table_attr) {
			const char *data = (const char *)at + NLA_HDRLEN;
			size_t dlen = alen - NLA_HDRLEN;
			if (at->nla_type & NLA_F_NESTED)
				return refuse(r, index, "message %zu (%s) has a nested table name", index,
					      a->name);
			if (!name_is(data, dlen, table))
				return refuse(r, index,
					      "message %zu (%s) names table '%.*s', not vigild's table '%s'",
					      index, a->name, (int)strnlen(data, dlen < 64 ? dlen : 64), data,
					      table);
			names++;
		}
		if (type == NFT_MSG_NEWTABLE && atype == NFTA_TABLE_FLAGS) {
			uint32_t flags = 0;
			if (alen != NLA_HDRLEN + 4)
				return refuse(r, index, "message %zu (NEWTABLE) has bad table flags", index);
			memcpy(&flags, (const char *)at + NLA_HDRLEN, 4);
			/* none, or owner with persist (never owner alone: the
			 * table would vanish with the helper; never dormant) */
			if (flags && ntohl(flags) != (NFT_TABLE_F_OWNER | VERIFY_TABLE_F_PERSIST))
				return refuse(r, index,
					      "message %zu (NEWTABLE) sets table flags 0x%x; vigild sets none or owner|persist",
					      index, ntohl(flags));
		}
		off += NLA_ALIGN(alen);
	}
	/* the kernel takes the last of repeated attributes: there must be one */
	if (names != 1)
		return refuse(r, index, "message %zu (%s) names its table %u times, not once", index,
			      a->name, names);
	return 0;
}

int batch_verify(const void *buf, size_t len, const char *table, struct batch_refusal *r)
{
	const char *p = buf;
	size_t off = 0, index = 0;
	bool ended = false;

	if (!buf || len > BATCH_MAX_BYTES)
		return refuse(r, 0, "the batch is %zu bytes; the limit is %u", len, BATCH_MAX_BYTES);
	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);
		size_t left = len - off;

		if (ended)
			return refuse(r, index, "message %zu comes after the batch end", index);
		if (left < NLMSG_HDRLEN)
			return refuse(r, index, "message %zu is truncated", index);
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || nlh->nlmsg_len > left)
			return refuse(r, index, "message %zu has a bad length (%u of %zu bytes left)", index,
				      nlh->nlmsg_len, left);
		if (NLMSG_ALIGN(nlh->nlmsg_len) > left && nlh->nlmsg_len != left)
			return refuse(r, index, "message %zu is not padded", index);
		if (index >= BATCH_MAX_MSGS)
			return refuse(r, index, "the batch has more than %u messages", BATCH_MAX_MSGS);

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
			if (index != 0)
				return refuse(r, index, "message %zu begins a second batch", index);
			if (nfg(nlh)->res_id != htons(NFNL_SUBSYS_NFTABLES))
				return refuse(r, index, "the batch is for subsystem %u, not nf_tables",
					      ntohs(nfg(nlh)->res_id));
		} else if (index == 0) {
			return refuse(r, 0, "the batch does not start with a batch begin message");
		} else if (nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
			ended = true;
		} else {
			int e = verify_msg(nlh, index, table, r);
			if (e < 0)
				return e;
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len) <= left ? NLMSG_ALIGN(nlh->nlmsg_len) : left;
		index++;
	}
	if (!ended)
		return refuse(r, index, "the batch has no end message");
	return 0;
}
