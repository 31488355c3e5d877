// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commit helper's check of a CT_DELETE request (revoke.h): only
 * deletes of single conntrack entries by their full original tuple. The
 * kernel's ctnetlink_del_conntrack flushes the whole table when a delete
 * names no tuple, and one filtered by mark, status or zone (CTA_FILTER,
 * CTA_MARK, CTA_STATUS) reaches many entries: all of that is refused here.
 * CTA_ID is required too: the kernel then deletes the entry only if it is
 * still the one vigild judged (a new connection with the same tuple is
 * left alone). Every attribute is walked by hand, lengths exact, nothing
 * unknown.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "vigil/revoke.h"

struct span {
	const uint8_t *p;
	size_t len;
};

static int no(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int no(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EPERM;
}

/*
 * Splits the attributes of s into at[type] (types up to max). Every
 * attribute must be well formed and fill s exactly; a type above max, or
 * one seen twice, is refused. Returns 0 or -EPERM.
 */
static int attrs(struct span s, struct span *at, unsigned max, const char *where, char *why,
		 size_t whylen)
{
	size_t off = 0;

	for (unsigned i = 0; i <= max; i++)
		at[i] = (struct span){ NULL, 0 };
	while (off < s.len) {
		struct nlattr a;

		if (s.len - off < sizeof(a))
			return no(why, whylen, "%s: a truncated attribute", where);
		memcpy(&a, s.p + off, sizeof(a));
		unsigned type = a.nla_type & NLA_TYPE_MASK;
		if (a.nla_len < sizeof(a) || a.nla_len > s.len - off)
			return no(why, whylen, "%s: an attribute of a bad length", where);
		if (type == 0 || type > max)
			return no(why, whylen, "%s: attribute %u is not allowed", where, type);
		if (at[type].p)
			return no(why, whylen, "%s: attribute %u twice", where, type);
		at[type] = (struct span){ s.p + off + sizeof(a), a.nla_len - sizeof(a) };
		off += (size_t)NLA_ALIGN(a.nla_len) < s.len - off ? (size_t)NLA_ALIGN(a.nla_len) : s.len - off;
	}
	return 0;
}

/* at[i] present with exactly len bytes when (want & 1 << i), absent otherwise. */
static int exactly(const struct span *at, unsigned max, uint64_t want, const size_t *lens,
		   const char *where, char *why, size_t whylen)
{
	for (unsigned i = 1; i <= max; i++) {
		bool w = want & (1ull << i);
		if (!w && at[i].p)
			return no(why, whylen, "%s: attribute %u is not allowed here", where, i);
		if (w && !at[i].p)
			return no(why, whylen, "%s: attribute %u is missing", where, i);
		if (w && lens[i] && at[i].len != lens[i])
			return no(why, whylen, "%s: attribute %u has %zu bytes, not %zu", where, i,
				  at[i].len, lens[i]);
	}
	return 0;
}

static int check_proto(struct span s, int family, char *why, size_t whylen)
{
	struct span at[CTA_PROTO_MAX + 1];
	size_t lens[CTA_PROTO_MAX + 1] = { 0 };
	uint64_t want = 1ull << CTA_PROTO_NUM;
	int r = attrs(s, at, CTA_PROTO_MAX, "the tuple's protocol", why, whylen);

	if (r < 0)
		return r;
	if (!at[CTA_PROTO_NUM].p || at[CTA_PROTO_NUM].len != 1)
		return no(why, whylen, "the tuple's protocol: no protocol number");
	uint8_t proto = at[CTA_PROTO_NUM].p[0];
	lens[CTA_PROTO_NUM] = 1;
	switch (proto) {
	case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_SCTP: case IPPROTO_UDPLITE: case IPPROTO_DCCP:
		want |= 1ull << CTA_PROTO_SRC_PORT | 1ull << CTA_PROTO_DST_PORT;
		lens[CTA_PROTO_SRC_PORT] = lens[CTA_PROTO_DST_PORT] = 2;
		break;
	case IPPROTO_ICMP:
		if (family != AF_INET)
			return no(why, whylen, "icmp in an IPv6 tuple");
		want |= 1ull << CTA_PROTO_ICMP_ID | 1ull << CTA_PROTO_ICMP_TYPE | 1ull << CTA_PROTO_ICMP_CODE;
		lens[CTA_PROTO_ICMP_ID] = 2;
		lens[CTA_PROTO_ICMP_TYPE] = lens[CTA_PROTO_ICMP_CODE] = 1;
		break;
	case IPPROTO_ICMPV6:
		if (family != AF_INET6)
			return no(why, whylen, "icmpv6 in an IPv4 tuple");
		want |= 1ull << CTA_PROTO_ICMPV6_ID | 1ull << CTA_PROTO_ICMPV6_TYPE |
			1ull << CTA_PROTO_ICMPV6_CODE;
		lens[CTA_PROTO_ICMPV6_ID] = 2;
		lens[CTA_PROTO_ICMPV6_TYPE] = lens[CTA_PROTO_ICMPV6_CODE] = 1;
		break;
	default:
		return no(why, whylen, "protocol %u: vigild deletes no entries of it", proto);
	}
	return exactly(at, CTA_PROTO_MAX, want, lens, "the tuple's protocol", why, whylen);
}

static int check_tuple(struct span s, int family, char *why, size_t whylen)
{
	struct span at[CTA_TUPLE_MAX + 1], ip[CTA_IP_MAX + 1];
	size_t tl[CTA_TUPLE_MAX + 1] = { 0 }, il[CTA_IP_MAX + 1] = { 0 };
	bool v4 = family == AF_INET;
	int r = attrs(s, at, CTA_TUPLE_MAX, "the original tuple", why, whylen);

	if (r < 0)
		return r;
	/* no CTA_TUPLE_ZONE: the default zone only */
	r = exactly(at, CTA_TUPLE_MAX, 1ull << CTA_TUPLE_IP | 1ull << CTA_TUPLE_PROTO, tl,
		    "the original tuple", why, whylen);
	if (r < 0)
		return r;
	r = attrs(at[CTA_TUPLE_IP], ip, CTA_IP_MAX, "the tuple's addresses", why, whylen);
	if (r < 0)
		return r;
	il[v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC] = il[v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST] = v4 ? 4 : 16;
	r = exactly(ip, CTA_IP_MAX,
		    v4 ? 1ull << CTA_IP_V4_SRC | 1ull << CTA_IP_V4_DST
		       : 1ull << CTA_IP_V6_SRC | 1ull << CTA_IP_V6_DST,
		    il, "the tuple's addresses", why, whylen);
	if (r < 0)
		return r;
	return check_proto(at[CTA_TUPLE_PROTO], family, why, whylen);
}

static int check_one(const struct nlmsghdr *h, size_t mlen, char *why, size_t whylen)
{
	struct nfgenmsg g;
	struct span at[CTA_MAX + 1];
	size_t lens[CTA_MAX + 1] = { 0 };
	int r;

	if (h->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE))
		return no(why, whylen, "message type 0x%x is not a conntrack delete", h->nlmsg_type);
	if (h->nlmsg_flags != (NLM_F_REQUEST | NLM_F_ACK))
		return no(why, whylen, "flags 0x%x: a delete is a plain request with an ack",
			  h->nlmsg_flags);
	if (mlen < NLMSG_HDRLEN + sizeof(g))
		return no(why, whylen, "a message without its nfgenmsg");
	memcpy(&g, (const uint8_t *)h + NLMSG_HDRLEN, sizeof(g));
	if ((g.nfgen_family != AF_INET && g.nfgen_family != AF_INET6) ||
	    g.version != NFNETLINK_V0 || g.res_id)
		return no(why, whylen, "family %u, version %u: only IPv4 or IPv6 entries, version 0",
			  g.nfgen_family, g.version);
	struct span body = { (const uint8_t *)h + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(g)),
			     mlen - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(g)) };
	r = attrs(body, at, CTA_MAX, "the delete", why, whylen);
	if (r < 0)
		return r;
	lens[CTA_ID] = 4;
	r = exactly(at, CTA_MAX, 1ull << CTA_TUPLE_ORIG | 1ull << CTA_ID, lens,
		    "the delete", why, whylen);
	if (r < 0)
		return r;
	return check_tuple(at[CTA_TUPLE_ORIG], g.nfgen_family, why, whylen);
}

int revoke_verify(const void *buf, size_t len, char *why, size_t whylen)
{
	const uint8_t *b = buf;
	size_t off = 0;
	int n = 0;

	while (off < len) {
		struct nlmsghdr h;

		if (len - off < sizeof(h))
			return no(why, whylen, "message %d: truncated", n + 1);
		memcpy(&h, b + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off ||
		    NLMSG_ALIGN(h.nlmsg_len) > len - off)
			return no(why, whylen, "message %d: a bad length", n + 1);
		if (++n > (int)REVOKE_MAX_PER_REQUEST)
			return no(why, whylen, "more than %u deletes in one request",
				  REVOKE_MAX_PER_REQUEST);
		char w[200];
		if (check_one((const struct nlmsghdr *)(b + off), h.nlmsg_len, w, sizeof(w)) < 0)
			return no(why, whylen, "message %d: %s", n, w);
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	if (!n)
		return no(why, whylen, "no delete in the request");
	return n;
}
