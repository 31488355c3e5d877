// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctnetlink event -> struct ct_event. Pure: no allocation, no printing.
 *
 * libmnl's attribute iterators stop silently at the first attribute that does
 * not fit (mnl_attr_ok), so a truncated message would look like a shorter,
 * valid one. Every parse here therefore also checks that the attributes it
 * walked cover the whole payload, and every attribute vigild knows is checked
 * against its exact type and length (mnl_attr_validate) before it is read.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "vigil/ct.h"
#include "vigil/util.h"

/* What an attribute must look like; MNL_TYPE_UNSPEC = not checked, not kept. */
struct ct_policy {
	uint8_t type; /* enum mnl_attr_data_type */
	uint8_t len;  /* exact payload length for MNL_TYPE_BINARY */
};

struct ct_walk {
	const struct nlattr **tb;
	unsigned max;
	const struct ct_policy *pol;
	const char *end; /* where the last attribute seen ends (aligned) */
};

static int ct_attr_cb(const struct nlattr *a, void *data)
{
	struct ct_walk *w = data;
	uint16_t type = mnl_attr_get_type(a);
	const struct ct_policy *p;
	int r;

	w->end = (const char *)a + MNL_ALIGN(a->nla_len);
	if (type > w->max)
		return MNL_CB_OK; /* newer kernel: an attribute we do not know */
	p = &w->pol[type];
	if (p->type == MNL_TYPE_UNSPEC)
		return MNL_CB_OK; /* padding, or known but not used */
	if (p->type == MNL_TYPE_BINARY)
		r = mnl_attr_validate2(a, MNL_TYPE_BINARY, p->len);
	else
		r = mnl_attr_validate(a, p->type);
	if (r < 0)
		return MNL_CB_ERROR;
	/* the kernel never repeats one: a second copy is a forgery or a bug */
	if (w->tb[type])
		return MNL_CB_ERROR;
	w->tb[type] = a;
	return MNL_CB_OK;
}

/*
 * After an attribute walk over [start, tail): every byte must belong to an
 * attribute. The last one may lack its trailing padding (its aligned end may
 * pass tail by up to 3 bytes), nothing more.
 */
static bool ct_walk_complete(const struct ct_walk *w, const char *tail)
{
	return w->end >= tail && w->end < tail + MNL_ALIGNTO;
}

static int ct_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max,
			   const struct ct_policy *pol)
{
	struct ct_walk w = { tb, max, pol, mnl_attr_get_payload(nest) };

	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (mnl_attr_parse_nested(nest, ct_attr_cb, &w) != MNL_CB_OK)
		return -EBADMSG;
	if (!ct_walk_complete(&w, (const char *)mnl_attr_get_payload(nest) +
					  mnl_attr_get_payload_len(nest)))
		return -EBADMSG;
	return 0;
}

static const struct ct_policy ct_pol[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_REPLY] = { MNL_TYPE_NESTED, 0 },
	[CTA_STATUS] = { MNL_TYPE_U32, 0 },
	[CTA_PROTOINFO] = { MNL_TYPE_NESTED, 0 },
	[CTA_HELP] = { MNL_TYPE_NESTED, 0 },
	[CTA_NAT_SRC] = { MNL_TYPE_NESTED, 0 },
	[CTA_TIMEOUT] = { MNL_TYPE_U32, 0 },
	[CTA_MARK] = { MNL_TYPE_U32, 0 },
	[CTA_COUNTERS_ORIG] = { MNL_TYPE_NESTED, 0 },
	[CTA_COUNTERS_REPLY] = { MNL_TYPE_NESTED, 0 },
	[CTA_USE] = { MNL_TYPE_U32, 0 },
	[CTA_ID] = { MNL_TYPE_U32, 0 },
	[CTA_NAT_DST] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_MASTER] = { MNL_TYPE_NESTED, 0 },
	[CTA_SEQ_ADJ_ORIG] = { MNL_TYPE_NESTED, 0 },
	[CTA_SEQ_ADJ_REPLY] = { MNL_TYPE_NESTED, 0 },
	[CTA_SECMARK] = { MNL_TYPE_U32, 0 },
	[CTA_ZONE] = { MNL_TYPE_U16, 0 },
	[CTA_SECCTX] = { MNL_TYPE_NESTED, 0 },
	[CTA_TIMESTAMP] = { MNL_TYPE_NESTED, 0 },
	[CTA_MARK_MASK] = { MNL_TYPE_U32, 0 },
	[CTA_SYNPROXY] = { MNL_TYPE_NESTED, 0 },
};

static const struct ct_policy ct_tuple_pol[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_PROTO] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_ZONE] = { MNL_TYPE_U16, 0 },
};

static const struct ct_policy ct_ip_pol[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = { MNL_TYPE_BINARY, 4 },
	[CTA_IP_V4_DST] = { MNL_TYPE_BINARY, 4 },
	[CTA_IP_V6_SRC] = { MNL_TYPE_BINARY, 16 },
	[CTA_IP_V6_DST] = { MNL_TYPE_BINARY, 16 },
};

static const struct ct_policy ct_proto_pol[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_SRC_PORT] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_DST_PORT] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMP_ID] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMP_TYPE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMP_CODE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMPV6_ID] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMPV6_TYPE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMPV6_CODE] = { MNL_TYPE_U8, 0 },
};

static const struct ct_policy ct_counters_pol[CTA_COUNTERS_MAX + 1] = {
	[CTA_COUNTERS_PACKETS] = { MNL_TYPE_U64, 0 },
	[CTA_COUNTERS_BYTES] = { MNL_TYPE_U64, 0 },
	[CTA_COUNTERS32_PACKETS] = { MNL_TYPE_U32, 0 },
	[CTA_COUNTERS32_BYTES] = { MNL_TYPE_U32, 0 },
	/* CTA_COUNTERS_PAD: nla_put_be64 may add it to align the next one */
};

static const struct ct_policy ct_ts_pol[CTA_TIMESTAMP_MAX + 1] = {
	[CTA_TIMESTAMP_START] = { MNL_TYPE_U64, 0 },
	[CTA_TIMESTAMP_STOP] = { MNL_TYPE_U64, 0 },
};

bool ct_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_DCCP;
}

static int ct_parse_tuple(const struct nlattr *nest, struct ct_event *ev)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	const struct nlattr *pr[CTA_PROTO_MAX + 1];
	int r;

	r = ct_parse_nested(nest, tb, CTA_TUPLE_MAX, ct_tuple_pol);
	if (r < 0)
		return r;
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return -EBADMSG;

	r = ct_parse_nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX, ct_ip_pol);
	if (r < 0)
		return r;
	if (ev->family == AF_INET) {
		if (!ip[CTA_IP_V4_SRC] || !ip[CTA_IP_V4_DST] || ip[CTA_IP_V6_SRC] ||
		    ip[CTA_IP_V6_DST])
			return -EBADMSG;
		memcpy(ev->src, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), 4);
		memcpy(ev->dst, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
	} else {
		if (!ip[CTA_IP_V6_SRC] || !ip[CTA_IP_V6_DST] || ip[CTA_IP_V4_SRC] ||
		    ip[CTA_IP_V4_DST])
			return -EBADMSG;
		memcpy(ev->src, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
		memcpy(ev->dst, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
	}

	r = ct_parse_nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX, ct_proto_pol);
	if (r < 0)
		return r;
	if (!pr[CTA_PROTO_NUM])
		return -EBADMSG;
	ev->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);

	if (ct_proto_has_ports(ev->proto)) {
		if (!pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT])
			return -EBADMSG;
		ev->sport = be16toh(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
		ev->dport = be16toh(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
		ev->have |= CT_HAVE_PORTS;
	} else if (ev->proto == IPPROTO_ICMP && ev->family == AF_INET) {
		if (!pr[CTA_PROTO_ICMP_TYPE] || !pr[CTA_PROTO_ICMP_CODE] || !pr[CTA_PROTO_ICMP_ID])
			return -EBADMSG;
		ev->icmp_type = mnl_attr_get_u8(pr[CTA_PROTO_ICMP_TYPE]);
		ev->icmp_code = mnl_attr_get_u8(pr[CTA_PROTO_ICMP_CODE]);
		ev->icmp_id = be16toh(mnl_attr_get_u16(pr[CTA_PROTO_ICMP_ID]));
		ev->have |= CT_HAVE_ICMP;
	} else if (ev->proto == IPPROTO_ICMPV6 && ev->family == AF_INET6) {
		if (!pr[CTA_PROTO_ICMPV6_TYPE] || !pr[CTA_PROTO_ICMPV6_CODE] ||
		    !pr[CTA_PROTO_ICMPV6_ID])
			return -EBADMSG;
		ev->icmp_type = mnl_attr_get_u8(pr[CTA_PROTO_ICMPV6_TYPE]);
		ev->icmp_code = mnl_attr_get_u8(pr[CTA_PROTO_ICMPV6_CODE]);
		ev->icmp_id = be16toh(mnl_attr_get_u16(pr[CTA_PROTO_ICMPV6_ID]));
		ev->have |= CT_HAVE_ICMP;
	}
	return 0;
}

/*
 * The reply tuple: parsed like the original one, then compared with it
 * (the reply of an untranslated connection is the original one mirrored).
 */
static int ct_parse_reply(const struct nlattr *nest, struct ct_event *ev)
{
	struct ct_event rev = { .family = ev->family };
	size_t alen = ev->family == AF_INET ? 4 : 16;
	bool ports;
	int r;

	r = ct_parse_tuple(nest, &rev);
	if (r < 0)
		return r;
	if (rev.proto != ev->proto || (rev.have & CT_HAVE_PORTS) != (ev->have & CT_HAVE_PORTS))
		return -EBADMSG;
	ports = ev->have & CT_HAVE_PORTS;
	if (memcmp(rev.src, ev->dst, alen) != 0 || (ports && rev.sport != ev->dport)) {
		ev->nat |= CT_NAT_DST;
		memcpy(ev->nat_dst, rev.src, sizeof(ev->nat_dst));
		ev->nat_dport = ports ? rev.sport : 0;
	}
	if (memcmp(rev.dst, ev->src, alen) != 0 || (ports && rev.dport != ev->sport)) {
		ev->nat |= CT_NAT_SRC;
		memcpy(ev->nat_src, rev.dst, sizeof(ev->nat_src));
		ev->nat_sport = ports ? rev.dport : 0;
	}
	return 0;
}

static int ct_parse_counters(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1];
	int r;

	r = ct_parse_nested(nest, tb, CTA_COUNTERS_MAX, ct_counters_pol);
	if (r < 0)
		return r;
	if (tb[CTA_COUNTERS_PACKETS])
		*packets = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	else if (tb[CTA_COUNTERS32_PACKETS])
		*packets = be32toh(mnl_attr_get_u32(tb[CTA_COUNTERS32_PACKETS]));
	else
		return -EBADMSG;
	if (tb[CTA_COUNTERS_BYTES])
		*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
	else if (tb[CTA_COUNTERS32_BYTES])
		*bytes = be32toh(mnl_attr_get_u32(tb[CTA_COUNTERS32_BYTES]));
	else
		return -EBADMSG;
	return 0;
}

static int ct_parse_timestamp(const struct nlattr *nest, struct ct_event *ev)
{
	const struct nlattr *tb[CTA_TIMESTAMP_MAX + 1];
	int r;

	r = ct_parse_nested(nest, tb, CTA_TIMESTAMP_MAX, ct_ts_pol);
	if (r < 0)
		return r;
	if (tb[CTA_TIMESTAMP_START]) {
		ev->start_ns = be64toh(mnl_attr_get_u64(tb[CTA_TIMESTAMP_START]));
		ev->have |= CT_HAVE_TS_START;
	}
	if (tb[CTA_TIMESTAMP_STOP]) {
		ev->stop_ns = be64toh(mnl_attr_get_u64(tb[CTA_TIMESTAMP_STOP]));
		ev->have |= CT_HAVE_TS_STOP;
	}
	return 0;
}

/*
 * Checks the netlink and nfnetlink headers; returns the nfnetlink message
 * type (NFNL_MSG_TYPE) of a ctnetlink message, -ENOMSG or -EBADMSG.
 */
static int ct_check_header(const void *msg, size_t len, uint8_t want_subsys)
{
	const struct nlmsghdr *nlh = msg;

	if (!msg || len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return -EBADMSG;
	/*
	 * libmnl walks attributes up to MNL_ALIGN(nlmsg_len) (its payload tail),
	 * so an unaligned length would let it read up to 3 bytes past the message.
	 * The kernel (nla_put pads every attribute) never sends one.
	 */
	if (nlh->nlmsg_len != MNL_ALIGN(nlh->nlmsg_len))
		return -EBADMSG;
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return -ENOMSG; /* NLMSG_NOOP/ERROR/DONE/OVERRUN */
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != want_subsys)
		return -ENOMSG;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return -EBADMSG;
	return NFNL_MSG_TYPE(nlh->nlmsg_type);
}

int ct_parse(const void *msg, size_t len, struct ct_event *ev)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct ct_walk w = { tb, CTA_MAX, ct_pol, NULL };
	const struct nfgenmsg *nfg;
	int type, r;

	type = ct_check_header(msg, len, NFNL_SUBSYS_CTNETLINK);
	if (type < 0)
		return type;
	memset(ev, 0, sizeof(*ev));
	switch (type) {
	case IPCTNL_MSG_CT_NEW:
		ev->type = (nlh->nlmsg_flags & NLM_F_CREATE) ? CT_EVENT_NEW : CT_EVENT_UPDATE;
		break;
	case IPCTNL_MSG_CT_DELETE:
		ev->type = CT_EVENT_DESTROY;
		break;
	default:
		return -ENOMSG; /* GET replies, stats, ... */
	}

	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -EBADMSG;
	ev->family = nfg->nfgen_family;

	w.end = (const char *)mnl_nlmsg_get_payload_offset(nlh, sizeof(*nfg));
	if (mnl_attr_parse(nlh, sizeof(*nfg), ct_attr_cb, &w) != MNL_CB_OK)
		return -EBADMSG;
	if (!ct_walk_complete(&w, mnl_nlmsg_get_payload_tail(nlh)))
		return -EBADMSG;

	if (!tb[CTA_TUPLE_ORIG])
		return -EBADMSG;
	r = ct_parse_tuple(tb[CTA_TUPLE_ORIG], ev);
	if (r < 0)
		return r;
	if (tb[CTA_TUPLE_REPLY]) {
		r = ct_parse_reply(tb[CTA_TUPLE_REPLY], ev);
		if (r < 0)
			return r;
	}
	if (tb[CTA_ID]) {
		ev->id = be32toh(mnl_attr_get_u32(tb[CTA_ID]));
		ev->have |= CT_HAVE_ID;
	}
	if (tb[CTA_MARK]) {
		ev->mark = be32toh(mnl_attr_get_u32(tb[CTA_MARK]));
		ev->have |= CT_HAVE_MARK;
	}
	if (tb[CTA_STATUS]) {
		ev->status = be32toh(mnl_attr_get_u32(tb[CTA_STATUS]));
		ev->have |= CT_HAVE_STATUS;
	}
	if (tb[CTA_ZONE]) {
		ev->zone = be16toh(mnl_attr_get_u16(tb[CTA_ZONE]));
		ev->have |= CT_HAVE_ZONE;
	}
	if (tb[CTA_COUNTERS_ORIG]) {
		r = ct_parse_counters(tb[CTA_COUNTERS_ORIG], &ev->orig_packets, &ev->orig_bytes);
		if (r < 0)
			return r;
		ev->have |= CT_HAVE_COUNTERS_ORIG;
	}
	if (tb[CTA_COUNTERS_REPLY]) {
		r = ct_parse_counters(tb[CTA_COUNTERS_REPLY], &ev->reply_packets,
				      &ev->reply_bytes);
		if (r < 0)
			return r;
		ev->have |= CT_HAVE_COUNTERS_REPLY;
	}
	if (tb[CTA_TIMESTAMP]) {
		r = ct_parse_timestamp(tb[CTA_TIMESTAMP], ev);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct ct_policy ct_stats_pol[CTA_STATS_MAX + 1] = {
	[CTA_STATS_SEARCHED] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_FOUND] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_NEW] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_INVALID] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_IGNORE] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_DELETE] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_DELETE_LIST] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_INSERT] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_INSERT_FAILED] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_DROP] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_EARLY_DROP] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_ERROR] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_SEARCH_RESTART] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_CLASH_RESOLVE] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_CHAIN_TOOLONG] = { MNL_TYPE_U32, 0 },
};

static uint32_t ct_stat(const struct nlattr *a)
{
	return a ? be32toh(mnl_attr_get_u32(a)) : 0;
}

int ct_parse_cpu_stats(const void *msg, size_t len, struct ct_cpu_stats *out)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[CTA_STATS_MAX + 1] = { 0 };
	struct ct_walk w = { tb, CTA_STATS_MAX, ct_stats_pol, NULL };
	int type;

	type = ct_check_header(msg, len, NFNL_SUBSYS_CTNETLINK);
	if (type < 0)
		return type;
	if (type != IPCTNL_MSG_CT_GET_STATS_CPU)
		return -ENOMSG;
	w.end = (const char *)mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_attr_cb, &w) != MNL_CB_OK)
		return -EBADMSG;
	if (!ct_walk_complete(&w, mnl_nlmsg_get_payload_tail(nlh)))
		return -EBADMSG;
	if (!tb[CTA_STATS_INSERT])
		return -EBADMSG;
	out->insert = ct_stat(tb[CTA_STATS_INSERT]);
	out->insert_failed = ct_stat(tb[CTA_STATS_INSERT_FAILED]);
	out->drop = ct_stat(tb[CTA_STATS_DROP]);
	out->early_drop = ct_stat(tb[CTA_STATS_EARLY_DROP]);
	out->error = ct_stat(tb[CTA_STATS_ERROR]);
	return 0;
}

int ct_parse_stats_cpu(const void *msg, size_t len, uint32_t *insert)
{
	struct ct_cpu_stats st;
	int r = ct_parse_cpu_stats(msg, len, &st);

	if (r == 0)
		*insert = st.insert;
	return r;
}

static const struct ct_policy ct_stats_global_pol[CTA_STATS_GLOBAL_MAX + 1] = {
	[CTA_STATS_GLOBAL_ENTRIES] = { MNL_TYPE_U32, 0 },
	[CTA_STATS_GLOBAL_MAX_ENTRIES] = { MNL_TYPE_U32, 0 },
};

int ct_parse_global_stats(const void *msg, size_t len, uint32_t *entries, uint32_t *max)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[CTA_STATS_GLOBAL_MAX + 1] = { 0 };
	struct ct_walk w = { tb, CTA_STATS_GLOBAL_MAX, ct_stats_global_pol, NULL };
	int type;

	type = ct_check_header(msg, len, NFNL_SUBSYS_CTNETLINK);
	if (type < 0)
		return type;
	if (type != IPCTNL_MSG_CT_GET_STATS)
		return -ENOMSG;
	w.end = (const char *)mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_attr_cb, &w) != MNL_CB_OK)
		return -EBADMSG;
	if (!ct_walk_complete(&w, mnl_nlmsg_get_payload_tail(nlh)))
		return -EBADMSG;
	if (!tb[CTA_STATS_GLOBAL_ENTRIES])
		return -EBADMSG;
	*entries = ct_stat(tb[CTA_STATS_GLOBAL_ENTRIES]);
	*max = ct_stat(tb[CTA_STATS_GLOBAL_MAX_ENTRIES]);
	return 0;
}

int ct_dump_each(const void *dump, size_t len, ct_dump_cb cb, void *ctx)
{
	const uint8_t *b = dump;
	size_t off = 0;

	while (off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *h = (const void *)(b + off);
		struct ct_event ev;
		size_t mlen = h->nlmsg_len;
		int r;

		if (mlen < sizeof(*h) || mlen > len - off)
			return -EBADMSG;
		r = ct_parse(h, mlen, &ev);
		off += NLMSG_ALIGN(mlen) < len - off ? NLMSG_ALIGN(mlen) : len - off;
		if (r == -ENOMSG)
			continue;
		if (r == 0)
			r = cb(h, &ev, ctx);
		if (r != 0)
			return r;
	}
	return off == len ? 0 : -EBADMSG;
}
