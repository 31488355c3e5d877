// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nfnetlink_log packet message -> struct nflog_rec. Pure: no allocation,
 * no printing. As in ct_parse.c, the attributes walked must cover the whole
 * payload (libmnl's iterator stops silently at one that does not fit), and
 * each attribute used is checked for its exact size before it is read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "vigil/ir.h"
#include "vigil/nflog.h"
#include "vigil/policy.h"
#include "vigil/util.h"

struct walk {
	const struct nlattr *tb[NFULA_MAX + 1];
	const char *end;
	bool bad;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	uint16_t type = mnl_attr_get_type(a);

	w->end = (const char *)a + MNL_ALIGN(a->nla_len);
	if (type > NFULA_MAX)
		return MNL_CB_OK; /* a newer kernel's */
	if (w->tb[type]) {
		w->bad = true; /* the kernel never repeats one */
		return MNL_CB_ERROR;
	}
	w->tb[type] = a;
	return MNL_CB_OK;
}

static bool len_is(const struct nlattr *a, size_t n)
{
	return !a || mnl_attr_get_payload_len(a) == n;
}

/* The transport header at p (n bytes left). */
static void parse_l4(struct nflog_rec *r, const uint8_t *p, size_t n)
{
	switch (r->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (n < 4)
			return;
		r->sport = (uint16_t)(p[0] << 8 | p[1]);
		r->dport = (uint16_t)(p[2] << 8 | p[3]);
		r->ports = true;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (n < 2)
			return;
		r->dport = p[0];
		r->sport = p[1];
		r->ports = true;
		break;
	default:
		break;
	}
}

static int parse_payload(struct nflog_rec *r, const uint8_t *p, size_t n)
{
	if (r->family == AF_INET) {
		size_t ihl;
		if (n < 20 || (p[0] >> 4) != 4 || (ihl = (size_t)(p[0] & 0xf) * 4) < 20 || ihl > n)
			return -EBADMSG;
		r->proto = p[9];
		memcpy(r->src, p + 12, 4);
		memcpy(r->dst, p + 16, 4);
		/* a later fragment has no transport header */
		if (((p[6] << 8 | p[7]) & 0x1fff) == 0)
			parse_l4(r, p + ihl, n - ihl);
		return 0;
	}
	if (n < 40 || (p[0] >> 4) != 6)
		return -EBADMSG;
	r->proto = p[6];
	memcpy(r->src, p + 8, 16);
	memcpy(r->dst, p + 24, 16);
	/* the first header only: extension headers leave proto as they are */
	parse_l4(r, p + 40, n - 40);
	return 0;
}

int nflog_parse(const void *buf, size_t len, struct nflog_rec *r)
{
	const struct nlmsghdr *nlh = buf;
	const struct nfgenmsg *g;
	struct walk w = { 0 };
	size_t hl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));

	memset(r, 0, sizeof(*r));
	/* the kernel pads every attribute: a length that is not aligned is
	 * cut (libmnl would read up to the aligned end) */
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
	    NLMSG_ALIGN(nlh->nlmsg_len) != nlh->nlmsg_len)
		return -EBADMSG;
	if (nlh->nlmsg_type != (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
		return -ENOMSG;
	if (nlh->nlmsg_len < hl)
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family != AF_INET && g->nfgen_family != AF_INET6)
		return -EBADMSG;
	r->family = g->nfgen_family;
	r->group = ntohs(g->res_id);
	w.end = (const char *)nlh + hl;
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, &w) < 0 || w.bad ||
	    w.end != (const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len))
		return -EBADMSG;
	if (!len_is(w.tb[NFULA_PACKET_HDR], sizeof(struct nfulnl_msg_packet_hdr)) ||
	    !len_is(w.tb[NFULA_SEQ], 4) || !len_is(w.tb[NFULA_IFINDEX_INDEV], 4) ||
	    !w.tb[NFULA_PAYLOAD])
		return -EBADMSG;
	if (w.tb[NFULA_PACKET_HDR]) {
		const struct nfulnl_msg_packet_hdr *ph = mnl_attr_get_payload(w.tb[NFULA_PACKET_HDR]);
		r->hook = ph->hook;
	}
	if (w.tb[NFULA_SEQ]) {
		r->has_seq = true;
		r->seq = ntohl(mnl_attr_get_u32(w.tb[NFULA_SEQ]));
	}
	if (w.tb[NFULA_IFINDEX_INDEV])
		r->iif = ntohl(mnl_attr_get_u32(w.tb[NFULA_IFINDEX_INDEV]));
	if (w.tb[NFULA_PREFIX]) {
		const char *s = mnl_attr_get_payload(w.tb[NFULA_PREFIX]);
		size_t n = strnlen(s, mnl_attr_get_payload_len(w.tb[NFULA_PREFIX]));
		if (n >= sizeof(r->prefix))
			return -EBADMSG;
		memcpy(r->prefix, s, n);
		r->prefix[n] = '\0';
	}
	return parse_payload(r, mnl_attr_get_payload(w.tb[NFULA_PAYLOAD]),
			     mnl_attr_get_payload_len(w.tb[NFULA_PAYLOAD]));
}

int nflog_prefix_parse(const char *prefix, struct nflog_who *w)
{
	size_t p = strlen(IR_BUILTIN_PREFIX), d = strlen(IR_NFLOG_DEFAULT);
	const char *name, *sp;
	size_t nl;

	memset(w, 0, sizeof(*w));
	w->def_chain = -1;
	if (strncmp(prefix, IR_BUILTIN_PREFIX, p))
		return -EINVAL;
	if (!strncmp(prefix, IR_NFLOG_DEFAULT, d)) {
		for (int c = 0; c < CH_MAX; c++)
			if (streq(prefix + d, chain_name(c))) {
				w->def_chain = c;
				return 0;
			}
		return -EINVAL;
	}
	name = prefix + p;
	sp = strchr(name, ' ');
	nl = sp ? (size_t)(sp - name) : strlen(name);
	if (nl == 0 || nl > NAME_MAX_LEN)
		return -EINVAL;
	memcpy(w->rule, name, nl);
	if (!valid_name(w->rule, true))
		return -EINVAL;
	if (sp) {
		if (strlen(sp + 1) < 1 || strlen(sp + 1) >= sizeof(w->label))
			return -EINVAL;
		strcpy(w->label, sp + 1);
	}
	return 0;
}
