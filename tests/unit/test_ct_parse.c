// SPDX-License-Identifier: GPL-2.0-or-later
/* ct_parse: ctnetlink events, real ones captured from a kernel and hostile ones. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "unit.h"
#include "vigil/ct.h"
#include "vigil/nlmsg.h"
#include "vigil/util.h"

/*
 * Captured on kernel 6.18 in a throwaway netns (unshare -n) with
 * nf_conntrack_acct=1 and nf_conntrack_timestamp=1, with a rule
 * `tcp dport 4242 ct mark set ct mark and 0x0000ffff or 0x00030000`:
 * a TCP connection 127.0.0.1:40804 -> 127.0.0.1:4242 that wrote 5 bytes,
 * one [::1]:58796 -> [::1]:4243, then `conntrack -F`. The messages end with
 * attribute 27 (CTA_TIMESTAMP_EVENT), newer than Debian 12's headers.
 */
static const char cap_new_v4[] =
	"d800000000010006000000000000000002000000340001801400018008000100"
	"7f000001080002007f0000011c0002800500010006000000060002009f640000"
	"06000300109200003400028014000180080001007f000001080002007f000001"
	"1c00028005000100060000000600020010920000060003009f64000008000c00"
	"ad7f6b8008000300000000080800070000000078300004802c00018005000100"
	"01000000050002000a0000000500030000000000060004000300000006000500"
	"0000000008000800000300000c001b0018eaa818bb6afc53";
static const char cap_new_v6[] =
	"000100000001000600000000000000000a0000004c0001802c00018014000300"
	"0000000000000000000000000000000114000400000000000000000000000000"
	"000000011c000280050001000600000006000200e5ac00000600030010930000"
	"4c0002802c000180140003000000000000000000000000000000000114000400"
	"000000000000000000000000000000011c000280050001000600000006000200"
	"1093000006000300e5ac000008000c00c5359143080003000000000808000700"
	"00000078300004802c0001800500010001000000050002000a00000005000300"
	"00000000060004000300000006000500000000000c001b0018eaa818bb6dab59";
static const char cap_destroy_v4[] =
	"0c01000002010000000000001733000002000000340001801400018008000100"
	"7f000001080002007f0000011c0002800500010006000000060002009f640000"
	"06000300109200003400028014000180080001007f000001080002007f000001"
	"1c00028005000100060000000600020010920000060003009f64000008000c00"
	"ad7f6b80080003000000020e08000700000000771c0009800c00010000000000"
	"000000050c00020000000000000001111c000a800c0001000000000000000003"
	"0c00020000000000000000a41c0014800c00010018eaa818bb6b08890c000200"
	"18eaa818bb9176d1100004800c00018005000100070000000800080000030000"
	"0c001b0018eaa818bb9177d5";
static const char cap_destroy_v6[] =
	"340100000201000000000000173300000a0000004c0001802c00018014000300"
	"0000000000000000000000000000000114000400000000000000000000000000"
	"000000011c000280050001000600000006000200e5ac00000600030010930000"
	"4c0002802c000180140003000000000000000000000000000000000114000400"
	"000000000000000000000000000000011c000280050001000600000006000200"
	"1093000006000300e5ac000008000c00c5359143080003000000020e08000700"
	"000000771c0009800c00010000000000000000050c0002000000000000000175"
	"1c000a800c00010000000000000000030c00020000000000000000e01c001480"
	"0c00010018eaa818bb6db5860c00020018eaa818bb91a4f5100004800c000180"
	"05000100070000000c001b0018eaa818bb91a527";
/* The answer to IPCTNL_MSG_CT_GET_STATS_CPU on the same 2-CPU machine. */
static const char cap_stats[] =
	"640000000401020001000000099d7dad00000000080002000000000008000400"
	"000000000800080000000000080009000000000008000a000000000008000b00"
	"0000000008000c000000000008000d000000000008000e000000000008000f00"
	"00000000640000000401020001000000099d7dad000000010800020000000000"
	"08000400000000000800080000000000080009000000000008000a0000000000"
	"08000b000000000008000c000000000008000d000000000008000e0000000000"
	"08000f0000000000";

/* A message buffer, 8-byte aligned like a receive buffer. */
struct buf {
	union {
		uint8_t b[4096];
		uint64_t align;
	};
	size_t len;
};

static void unhex(const char *hex, struct buf *out)
{
	size_t n = strlen(hex);

	ck_assert(n % 2 == 0 && n / 2 <= sizeof(out->b));
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		ck_assert(sscanf(hex + 2 * i, "%2x", &v) == 1);
		out->b[i] = (uint8_t)v;
	}
	out->len = n / 2;
}

/*
 * Parses len bytes copied into a heap block of exactly that size, so that
 * any read past the end is caught (by ASan, or by the allocator's guard).
 */
static int parse_exact(const void *msg, size_t len, struct ct_event *ev)
{
	void *copy = xmalloc(len);
	int r;

	memcpy(copy, msg, len);
	r = ct_parse(copy, len, ev);
	free(copy);
	return r;
}

static void addr4(const uint8_t *a, const char *want)
{
	struct in_addr x;

	ck_assert(inet_pton(AF_INET, want, &x) == 1);
	ck_assert_mem_eq(a, &x, 4);
	for (int i = 4; i < 16; i++)
		ck_assert_uint_eq(a[i], 0);
}

static void addr6(const uint8_t *a, const char *want)
{
	struct in6_addr x;

	ck_assert(inet_pton(AF_INET6, want, &x) == 1);
	ck_assert_mem_eq(a, &x, 16);
}

START_TEST(captured_new_v4)
{
	struct buf m;
	struct ct_event ev;

	unhex(cap_new_v4, &m);
	ck_assert_int_eq(parse_exact(m.b, m.len, &ev), 0);
	ck_assert_uint_eq(ev.type, CT_EVENT_NEW);
	ck_assert_uint_eq(ev.family, AF_INET);
	ck_assert_uint_eq(ev.proto, IPPROTO_TCP);
	addr4(ev.src, "127.0.0.1");
	addr4(ev.dst, "127.0.0.1");
	ck_assert_uint_eq(ev.sport, 40804);
	ck_assert_uint_eq(ev.dport, 4242);
	ck_assert_uint_eq(ev.id, 0xad7f6b80u);
	ck_assert_uint_eq(ev.status, 0x8); /* IPS_CONFIRMED */
	ck_assert_uint_eq(ev.mark, 0x00030000u);
	ck_assert_uint_eq(ev.mark >> 16, 3); /* rule index 2 */
	ck_assert_uint_eq(ev.have, CT_HAVE_PORTS | CT_HAVE_ID | CT_HAVE_MARK | CT_HAVE_STATUS);
}
END_TEST

START_TEST(captured_new_v6_without_mark)
{
	struct buf m;
	struct ct_event ev;

	unhex(cap_new_v6, &m);
	ck_assert_int_eq(parse_exact(m.b, m.len, &ev), 0);
	ck_assert_uint_eq(ev.type, CT_EVENT_NEW);
	ck_assert_uint_eq(ev.family, AF_INET6);
	addr6(ev.src, "::1");
	addr6(ev.dst, "::1");
	ck_assert_uint_eq(ev.sport, 58796);
	ck_assert_uint_eq(ev.dport, 4243);
	ck_assert_uint_eq(ev.mark, 0);
	ck_assert(!(ev.have & CT_HAVE_MARK));
	ck_assert(!(ev.have & (CT_HAVE_COUNTERS_ORIG | CT_HAVE_TS_START)));
}
END_TEST

START_TEST(captured_destroy)
{
	struct buf m;
	struct ct_event ev;

	unhex(cap_destroy_v4, &m);
	ck_assert_int_eq(parse_exact(m.b, m.len, &ev), 0);
	ck_assert_uint_eq(ev.type, CT_EVENT_DESTROY);
	ck_assert_uint_eq(ev.sport, 40804);
	ck_assert_uint_eq(ev.dport, 4242);
	ck_assert_uint_eq(ev.id, 0xad7f6b80u);
	ck_assert_uint_eq(ev.mark, 0x00030000u);
	ck_assert_uint_eq(ev.status, 0x20e);
	ck_assert_uint_eq(ev.orig_packets, 5);
	ck_assert_uint_eq(ev.orig_bytes, 0x111);
	ck_assert_uint_eq(ev.reply_packets, 3);
	ck_assert_uint_eq(ev.reply_bytes, 0xa4);
	ck_assert_uint_eq(ev.start_ns, 0x18eaa818bb6b0889ull);
	ck_assert_uint_eq(ev.stop_ns, 0x18eaa818bb9176d1ull);
	ck_assert(ev.have & CT_HAVE_COUNTERS_ORIG);
	ck_assert(ev.have & CT_HAVE_COUNTERS_REPLY);
	ck_assert(ev.have & CT_HAVE_TS_START);
	ck_assert(ev.have & CT_HAVE_TS_STOP);

	unhex(cap_destroy_v6, &m);
	ck_assert_int_eq(parse_exact(m.b, m.len, &ev), 0);
	ck_assert_uint_eq(ev.type, CT_EVENT_DESTROY);
	ck_assert_uint_eq(ev.family, AF_INET6);
	addr6(ev.src, "::1");
	ck_assert_uint_eq(ev.dport, 4243);
	ck_assert_uint_eq(ev.orig_bytes, 0x175);
	ck_assert_uint_eq(ev.reply_bytes, 0xe0);
	ck_assert(ev.stop_ns > ev.start_ns);
}
END_TEST

START_TEST(captured_stats_cpu)
{
	struct buf m;
	const struct nlmsghdr *nlh;
	int left, n = 0;
	uint32_t ins = 77;

	unhex(cap_stats, &m);
	nlh = (const struct nlmsghdr *)m.b;
	left = (int)m.len;
	while (mnl_nlmsg_ok(nlh, left)) {
		ins = 77;
		ck_assert_int_eq(ct_parse_stats_cpu(nlh, nlh->nlmsg_len, &ins), 0);
		ck_assert_uint_eq(ins, 0);
		n++;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(left, 0);
	/* a stats reply is not an event, an event is not a stats reply */
	ck_assert_int_eq(ct_parse(m.b, m.len, &(struct ct_event){ 0 }), -ENOMSG);
	unhex(cap_new_v4, &m);
	ck_assert_int_eq(ct_parse_stats_cpu(m.b, m.len, &ins), -ENOMSG);
}
END_TEST

/* ---- messages built with libmnl ---- */

static struct nlmsghdr *hdr(struct buf *m, uint8_t subsys, uint8_t type, uint16_t flags,
			    uint8_t family)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	memset(m, 0, sizeof(*m));
	nlh = mnl_nlmsg_put_header(m->b);
	nlh->nlmsg_type = (uint16_t)((subsys << 8) | type);
	nlh->nlmsg_flags = flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	return nlh;
}

/* Which parts build_event leaves out or breaks. */
enum {
	OMIT_ORIG = 1 << 0,
	OMIT_IP = 1 << 1,
	OMIT_PROTO = 1 << 2,
	OMIT_PROTONUM = 1 << 3,
	OMIT_DPORT = 1 << 4,
	OMIT_DST = 1 << 5,
	WRONG_FAMILY_ADDR = 1 << 6, /* v4 addresses in a v6 message or the reverse */
	OMIT_COUNTER_BYTES = 1 << 7,
	DUP_MARK = 1 << 8,
	UNKNOWN_ATTRS = 1 << 9,
	COUNTER_PADS = 1 << 10,
	OMIT_ICMP_ID = 1 << 11,
	OMIT_REPLY = 1 << 12,
	REPLY_OTHER_PROTO = 1 << 13,
	REPLY_OMIT_DST = 1 << 14,
};

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct ct_event *e,
		      unsigned how)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;
	bool v6 = e->family == AF_INET6;

	if (how & WRONG_FAMILY_ADDR)
		v6 = !v6;
	if (!(how & OMIT_IP)) {
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		if (v6) {
			mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, e->src);
			if (!(how & OMIT_DST))
				mnl_attr_put(nlh, CTA_IP_V6_DST, 16, e->dst);
		} else {
			mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, e->src);
			if (!(how & OMIT_DST))
				mnl_attr_put(nlh, CTA_IP_V4_DST, 4, e->dst);
		}
		mnl_attr_nest_end(nlh, n);
	}
	if (!(how & OMIT_PROTO)) {
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		if (!(how & OMIT_PROTONUM))
			mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->proto);
		if (e->have & CT_HAVE_PORTS) {
			mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htobe16(e->sport));
			if (!(how & OMIT_DPORT))
				mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htobe16(e->dport));
		}
		if ((e->have & CT_HAVE_ICMP) && e->family == AF_INET) {
			if (!(how & OMIT_ICMP_ID))
				mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htobe16(e->icmp_id));
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, e->icmp_type);
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, e->icmp_code);
		}
		if ((e->have & CT_HAVE_ICMP) && e->family == AF_INET6) {
			if (!(how & OMIT_ICMP_ID))
				mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, htobe16(e->icmp_id));
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, e->icmp_type);
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, e->icmp_code);
		}
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_nest_end(nlh, t);
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t p, uint64_t b,
			 unsigned how)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	if (how & COUNTER_PADS)
		mnl_attr_put(nlh, CTA_COUNTERS_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(p));
	if (how & COUNTER_PADS)
		mnl_attr_put(nlh, CTA_COUNTERS_PAD, 0, NULL);
	if (!(how & OMIT_COUNTER_BYTES))
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(b));
	mnl_attr_nest_end(nlh, n);
}

/* Encodes e the way the kernel does (order and all), minus/plus `how`. */
static struct nlmsghdr *build_event(struct buf *m, const struct ct_event *e, unsigned how)
{
	uint8_t type = e->type == CT_EVENT_DESTROY ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW;
	uint16_t flags = e->type == CT_EVENT_NEW ? NLM_F_CREATE | NLM_F_EXCL : 0;
	struct nlmsghdr *nlh = hdr(m, NFNL_SUBSYS_CTNETLINK, type, flags, e->family);
	struct ct_event reply = *e;

	if (!(how & OMIT_ORIG))
		put_tuple(nlh, CTA_TUPLE_ORIG, e, how);
	/* the reply tuple: the original mirrored, translated as e->nat says */
	memcpy(reply.src, e->nat & CT_NAT_DST ? e->nat_dst : e->dst, 16);
	memcpy(reply.dst, e->nat & CT_NAT_SRC ? e->nat_src : e->src, 16);
	reply.sport = e->nat & CT_NAT_DST ? e->nat_dport : e->dport;
	reply.dport = e->nat & CT_NAT_SRC ? e->nat_sport : e->sport;
	if (how & REPLY_OTHER_PROTO)
		reply.proto = e->proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
	if (!(how & OMIT_REPLY))
		put_tuple(nlh, CTA_TUPLE_REPLY, &reply, how & REPLY_OMIT_DST ? OMIT_DST : 0);
	if (e->have & CT_HAVE_ZONE)
		mnl_attr_put_u16(nlh, CTA_ZONE, htobe16(e->zone));
	if (e->have & CT_HAVE_ID)
		mnl_attr_put_u32(nlh, CTA_ID, htobe32(e->id));
	if (e->have & CT_HAVE_STATUS)
		mnl_attr_put_u32(nlh, CTA_STATUS, htobe32(e->status));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htobe32(120));
	if (e->have & CT_HAVE_COUNTERS_ORIG)
		put_counters(nlh, CTA_COUNTERS_ORIG, e->orig_packets, e->orig_bytes, how);
	if (e->have & CT_HAVE_COUNTERS_REPLY)
		put_counters(nlh, CTA_COUNTERS_REPLY, e->reply_packets, e->reply_bytes, how);
	if (e->have & (CT_HAVE_TS_START | CT_HAVE_TS_STOP)) {
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
		if (e->have & CT_HAVE_TS_START)
			mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(e->start_ns));
		if (e->have & CT_HAVE_TS_STOP)
			mnl_attr_put_u64(nlh, CTA_TIMESTAMP_STOP, htobe64(e->stop_ns));
		mnl_attr_nest_end(nlh, n);
	}
	if (e->have & CT_HAVE_MARK) {
		mnl_attr_put_u32(nlh, CTA_MARK, htobe32(e->mark));
		if (how & DUP_MARK)
			mnl_attr_put_u32(nlh, CTA_MARK, htobe32(e->mark));
	}
	if (how & UNKNOWN_ATTRS) {
		mnl_attr_put_u64(nlh, 27, htobe64(1)); /* CTA_TIMESTAMP_EVENT (6.x) */
		mnl_attr_put_strz(nlh, 200, "from the future");
	}
	m->len = nlh->nlmsg_len;
	return nlh;
}

static struct ct_event ev_tcp4(void)
{
	struct ct_event e = {
		.type = CT_EVENT_NEW,
		.family = AF_INET,
		.proto = IPPROTO_TCP,
		.sport = 51234,
		.dport = 443,
		.id = 0x12345678,
		.mark = 0x0005beef,
		.status = 0x8,
		.have = CT_HAVE_PORTS | CT_HAVE_ID | CT_HAVE_MARK | CT_HAVE_STATUS,
	};
	inet_pton(AF_INET, "192.0.2.10", e.src);
	inet_pton(AF_INET, "198.51.100.7", e.dst);
	return e;
}

static struct ct_event ev_udp6_destroy(void)
{
	struct ct_event e = {
		.type = CT_EVENT_DESTROY,
		.family = AF_INET6,
		.proto = IPPROTO_UDP,
		.sport = 5353,
		.dport = 53,
		.zone = 7,
		.id = 99,
		.status = 0x20e,
		.orig_packets = 1ull << 33,
		.orig_bytes = (1ull << 40) + 5,
		.reply_packets = 2,
		.reply_bytes = 300,
		.start_ns = 1700000000000000000ull,
		.stop_ns = 1700000002500000000ull,
		.mark = 0x00020000,
		.have = CT_HAVE_PORTS | CT_HAVE_ID | CT_HAVE_MARK | CT_HAVE_STATUS | CT_HAVE_ZONE |
			CT_HAVE_COUNTERS_ORIG | CT_HAVE_COUNTERS_REPLY | CT_HAVE_TS_START |
			CT_HAVE_TS_STOP,
	};
	inet_pton(AF_INET6, "2001:db8::1", e.src);
	inet_pton(AF_INET6, "2001:db8:ffff::53", e.dst);
	return e;
}

static void same_event(const struct ct_event *got, const struct ct_event *want)
{
	ck_assert_uint_eq(got->type, want->type);
	ck_assert_uint_eq(got->family, want->family);
	ck_assert_uint_eq(got->proto, want->proto);
	ck_assert_uint_eq(got->have, want->have);
	ck_assert_mem_eq(got->src, want->src, 16);
	ck_assert_mem_eq(got->dst, want->dst, 16);
	ck_assert_uint_eq(got->sport, want->sport);
	ck_assert_uint_eq(got->dport, want->dport);
	ck_assert_uint_eq(got->icmp_type, want->icmp_type);
	ck_assert_uint_eq(got->icmp_code, want->icmp_code);
	ck_assert_uint_eq(got->icmp_id, want->icmp_id);
	ck_assert_uint_eq(got->zone, want->zone);
	ck_assert_uint_eq(got->id, want->id);
	ck_assert_uint_eq(got->mark, want->mark);
	ck_assert_uint_eq(got->status, want->status);
	ck_assert_uint_eq(got->orig_packets, want->orig_packets);
	ck_assert_uint_eq(got->orig_bytes, want->orig_bytes);
	ck_assert_uint_eq(got->reply_packets, want->reply_packets);
	ck_assert_uint_eq(got->reply_bytes, want->reply_bytes);
	ck_assert_uint_eq(got->start_ns, want->start_ns);
	ck_assert_uint_eq(got->stop_ns, want->stop_ns);
	ck_assert_uint_eq(got->nat, want->nat);
	ck_assert_mem_eq(got->nat_dst, want->nat_dst, 16);
	ck_assert_mem_eq(got->nat_src, want->nat_src, 16);
	ck_assert_uint_eq(got->nat_dport, want->nat_dport);
	ck_assert_uint_eq(got->nat_sport, want->nat_sport);
}

/* The reply tuple says where a translated connection went. */
START_TEST(reply_tuple_translations)
{
	struct ct_event dnat = ev_tcp4(), snat = ev_tcp4(), both = ev_udp6_destroy(), got;
	struct ct_event port = ev_tcp4(), icmp = { .type = CT_EVENT_NEW, .family = AF_INET,
						  .proto = IPPROTO_ICMP, .icmp_type = 8,
						  .icmp_id = 3, .have = CT_HAVE_ICMP };
	struct buf m;

	/* WAN client -> gateway:8080, dnat to 10.1.0.2:80 */
	dnat.nat = CT_NAT_DST;
	inet_pton(AF_INET, "10.1.0.2", dnat.nat_dst);
	dnat.nat_dport = 80;
	/* LAN client masqueraded to 203.0.113.1:40000 */
	snat.nat = CT_NAT_SRC;
	inet_pton(AF_INET, "203.0.113.1", snat.nat_src);
	snat.nat_sport = 40000;
	/* both at once, IPv6 */
	both.nat = CT_NAT_DST | CT_NAT_SRC;
	inet_pton(AF_INET6, "fd00:1::2", both.nat_dst);
	both.nat_dport = 5353;
	inet_pton(AF_INET6, "2001:db8:1::1", both.nat_src);
	both.nat_sport = both.sport;
	/* only the port: a redirect to another port of the same address */
	port.nat = CT_NAT_DST;
	memcpy(port.nat_dst, port.dst, 16);
	port.nat_dport = 3128;
	/* ICMP: addresses only */
	inet_pton(AF_INET, "192.0.2.1", icmp.src);
	inet_pton(AF_INET, "198.51.100.1", icmp.dst);
	icmp.nat = CT_NAT_DST;
	inet_pton(AF_INET, "10.1.0.9", icmp.nat_dst);

	const struct ct_event *cases[] = { &dnat, &snat, &both, &port, &icmp };
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		build_event(&m, cases[i], 0);
		memset(&got, 0xa5, sizeof(got));
		ck_assert_msg(parse_exact(m.b, m.len, &got) == 0, "case %zu", i);
		same_event(&got, cases[i]);
	}
	/* an untranslated one has nat 0, and so has one without a reply tuple */
	build_event(&m, &dnat, OMIT_REPLY);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), 0);
	ck_assert_uint_eq(got.nat, 0);
	ck_assert_uint_eq(got.nat_dport, 0);
	struct ct_event plain = ev_tcp4();
	build_event(&m, &plain, 0);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), 0);
	ck_assert_uint_eq(got.nat, 0);
	/* a reply tuple of another protocol, or without its destination: malformed */
	build_event(&m, &dnat, REPLY_OTHER_PROTO);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);
	build_event(&m, &snat, REPLY_OMIT_DST);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);
}
END_TEST

START_TEST(round_trip)
{
	struct ct_event want[5], got;
	struct buf m;

	want[0] = ev_tcp4();
	want[1] = ev_udp6_destroy();
	want[2] = (struct ct_event){
		.type = CT_EVENT_NEW, .family = AF_INET, .proto = IPPROTO_ICMP,
		.icmp_type = 8, .icmp_code = 0, .icmp_id = 0x4242,
		.have = CT_HAVE_ICMP,
	};
	inet_pton(AF_INET, "10.0.0.1", want[2].src);
	inet_pton(AF_INET, "10.0.0.2", want[2].dst);
	want[3] = (struct ct_event){
		.type = CT_EVENT_NEW, .family = AF_INET6, .proto = IPPROTO_ICMPV6,
		.icmp_type = 128, .icmp_code = 0, .icmp_id = 7,
		.have = CT_HAVE_ICMP,
	};
	inet_pton(AF_INET6, "fe80::1", want[3].src);
	inet_pton(AF_INET6, "fe80::2", want[3].dst);
	/* a protocol without ports: GRE-less "generic" conntrack */
	want[4] = (struct ct_event){
		.type = CT_EVENT_UPDATE, .family = AF_INET, .proto = 132 + 1, /* no ports */
		.have = 0,
	};
	inet_pton(AF_INET, "10.9.9.9", want[4].src);
	inet_pton(AF_INET, "10.8.8.8", want[4].dst);

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		build_event(&m, &want[i], 0);
		memset(&got, 0xa5, sizeof(got));
		ck_assert_msg(parse_exact(m.b, m.len, &got) == 0, "event %zu", i);
		same_event(&got, &want[i]);
	}
}
END_TEST

START_TEST(pads_and_unknown_attributes_are_fine)
{
	struct ct_event want = ev_udp6_destroy(), got;
	struct buf m;

	build_event(&m, &want, COUNTER_PADS | UNKNOWN_ATTRS);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), 0);
	same_event(&got, &want);
}
END_TEST

START_TEST(len_beyond_message_is_ignored)
{
	struct ct_event want = ev_tcp4(), got;
	struct buf m;

	/* a receive buffer holding more after this message: only nlmsg_len counts */
	build_event(&m, &want, 0);
	ck_assert_int_eq(ct_parse(m.b, sizeof(m.b), &got), 0);
	same_event(&got, &want);
}
END_TEST

START_TEST(missing_attributes)
{
	static const unsigned cases[] = {
		OMIT_ORIG, OMIT_IP, OMIT_PROTO, OMIT_PROTONUM, OMIT_DPORT, OMIT_DST,
		WRONG_FAMILY_ADDR, OMIT_COUNTER_BYTES, DUP_MARK,
	};
	struct ct_event tcp = ev_tcp4(), udp = ev_udp6_destroy(), got;
	struct buf m;

	tcp.have |= CT_HAVE_COUNTERS_ORIG;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		build_event(&m, &tcp, cases[i]);
		ck_assert_msg(parse_exact(m.b, m.len, &got) == -EBADMSG, "v4 case %#x", cases[i]);
		build_event(&m, &udp, cases[i]);
		ck_assert_msg(parse_exact(m.b, m.len, &got) == -EBADMSG, "v6 case %#x", cases[i]);
	}
	/* ICMP without its id */
	struct ct_event icmp = { .type = CT_EVENT_NEW, .family = AF_INET, .proto = IPPROTO_ICMP,
				 .icmp_type = 8, .have = CT_HAVE_ICMP };
	build_event(&m, &icmp, OMIT_ICMP_ID);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);
	icmp.family = AF_INET6;
	icmp.proto = IPPROTO_ICMPV6;
	build_event(&m, &icmp, OMIT_ICMP_ID);
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);
}
END_TEST

START_TEST(not_events)
{
	struct ct_event want = ev_tcp4(), got;
	struct nlmsghdr *nlh;
	struct buf m;

	/* other subsystems, expectations, requests, control messages */
	hdr(&m, NFNL_SUBSYS_NFTABLES, 0, 0, AF_INET);
	ck_assert_int_eq(ct_parse(m.b, sizeof(m.b), &got), -ENOMSG);
	hdr(&m, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_NEW, NLM_F_CREATE, AF_INET);
	ck_assert_int_eq(ct_parse(m.b, sizeof(m.b), &got), -ENOMSG);
	hdr(&m, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, 0, AF_INET);
	ck_assert_int_eq(ct_parse(m.b, sizeof(m.b), &got), -ENOMSG);
	nlh = build_event(&m, &want, 0);
	nlh->nlmsg_type = NLMSG_DONE;
	ck_assert_int_eq(ct_parse(m.b, m.len, &got), -ENOMSG);
	nlh->nlmsg_type = NLMSG_ERROR;
	ck_assert_int_eq(ct_parse(m.b, m.len, &got), -ENOMSG);

	/* a family conntrack does not have */
	nlh = build_event(&m, &want, 0);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family = AF_UNIX;
	ck_assert_int_eq(ct_parse(m.b, m.len, &got), -EBADMSG);

	/* NEW without NLM_F_CREATE is an update (group UPDATE) */
	nlh = build_event(&m, &want, 0);
	nlh->nlmsg_flags = 0;
	ck_assert_int_eq(ct_parse(m.b, m.len, &got), 0);
	ck_assert_uint_eq(got.type, CT_EVENT_UPDATE);
}
END_TEST

/* The first attribute along path (attribute types, outermost first). */
static struct nlattr *find_attr(struct nlmsghdr *nlh, const uint16_t *path, size_t depth)
{
	struct nlattr *a, *found = NULL;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == path[0]) {
			found = a;
			break;
		}
	}
	for (size_t d = 1; found && d < depth; d++) {
		struct nlattr *nest = found;
		found = NULL;
		mnl_attr_for_each_nested(a, nest) {
			if (mnl_attr_get_type(a) == path[d]) {
				found = a;
				break;
			}
		}
	}
	ck_assert(found);
	return found;
}

/* nlmsg_len with the top bit set, or past the buffer: refused, never read */
START_TEST(top_bit_lengths)
{
	static const uint32_t bad[] = { 0x80000000u, 0x80000040u, 0xffffffffu, 0x7fffffffu };
	struct ct_event want = ev_tcp4(), got;
	struct nlmsghdr *nlh;
	struct buf m;
	uint32_t ins;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		nlh = build_event(&m, &want, 0);
		nlh->nlmsg_len = bad[i];
		ck_assert_int_eq(ct_parse(m.b, m.len, &got), -EBADMSG);
		ck_assert_int_eq(ct_parse_stats_cpu(m.b, m.len, &ins), -EBADMSG);
		/* what the datagram walk hands on: nothing */
		ck_assert_uint_eq(nlmsg_good_len(m.b, m.len), 0);
	}
}
END_TEST

START_TEST(wrong_lengths)
{
	static const uint16_t mark[] = { CTA_MARK };
	static const uint16_t src4[] = { CTA_TUPLE_ORIG, CTA_TUPLE_IP, CTA_IP_V4_SRC };
	static const uint16_t num[] = { CTA_TUPLE_ORIG, CTA_TUPLE_PROTO, CTA_PROTO_NUM };
	static const uint16_t port[] = { CTA_TUPLE_ORIG, CTA_TUPLE_PROTO, CTA_PROTO_DST_PORT };
	struct ct_event want = ev_tcp4(), got;
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct buf m;

	/* Shrinking an attribute's length by one makes it the wrong size for its type. */
	const uint16_t *paths[] = { mark, src4, num, port };
	const size_t depths[] = { 1, 3, 3, 3 };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		nlh = build_event(&m, &want, 0);
		a = find_attr(nlh, paths[i], depths[i]);
		a->nla_len -= 1;
		ck_assert_msg(parse_exact(m.b, m.len, &got) == -EBADMSG, "shrunk %zu", i);
	}

	/* IPv6 addresses of 4 bytes, IPv4 of 16 */
	struct ct_event v6 = ev_udp6_destroy();
	nlh = hdr(&m, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_CREATE, AF_INET6);
	{
		struct nlattr *t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 4, v6.src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, v6.dst);
		mnl_attr_nest_end(nlh, ip);
		struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, 1);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, 2);
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, t);
	}
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);

	nlh = hdr(&m, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_CREATE, AF_INET);
	{
		struct nlattr *t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 16, v6.src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, v6.dst);
		mnl_attr_nest_end(nlh, ip);
		mnl_attr_nest_end(nlh, t);
	}
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);

	/* 8-byte mark, 2-byte status, 4-byte counter */
	nlh = build_event(&m, &want, 0);
	mnl_attr_put_u64(nlh, CTA_SECMARK, 1);
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
	nlh = build_event(&m, &want, 0);
	mnl_attr_put_u16(nlh, CTA_USE, 1);
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
	nlh = build_event(&m, &want, 0);
	{
		struct nlattr *c = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
		mnl_attr_put_u32(nlh, CTA_COUNTERS_PACKETS, 1);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, 1);
		mnl_attr_nest_end(nlh, c);
	}
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
	/* a "nest" that is a 2-byte blob */
	nlh = build_event(&m, &want, 0);
	mnl_attr_put_u16(nlh, CTA_TIMESTAMP, 1);
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
}
END_TEST

START_TEST(truncated_nests)
{
	static const uint16_t ip[] = { CTA_TUPLE_ORIG, CTA_TUPLE_IP };
	static const uint16_t orig[] = { CTA_TUPLE_ORIG };
	struct ct_event want = ev_tcp4(), got;
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct buf m;

	/* a nest claiming more than its parent holds */
	nlh = build_event(&m, &want, 0);
	a = find_attr(nlh, ip, 2);
	a->nla_len += 8;
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);

	/* a top-level attribute claiming more than the message holds */
	nlh = build_event(&m, &want, 0);
	a = find_attr(nlh, orig, 1);
	a->nla_len = 0xfff0;
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);

	/* a nest shortened so that its last attribute does not fit */
	nlh = build_event(&m, &want, 0);
	a = find_attr(nlh, ip, 2);
	a->nla_len -= 4;
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);

	/* an attribute header with a length below its own size */
	nlh = build_event(&m, &want, 0);
	a = find_attr(nlh, orig, 1);
	((struct nlattr *)mnl_attr_get_payload(a))->nla_len = 2;
	ck_assert_int_eq(parse_exact(m.b, m.len, &got), -EBADMSG);

	/* an unaligned message length (the kernel pads every attribute) */
	for (uint32_t extra = 1; extra < 4; extra++) {
		nlh = build_event(&m, &want, 0);
		nlh->nlmsg_len += extra;
		ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
	}
	/* 4 bytes that are no attribute (nla_len 0) after the last one */
	nlh = build_event(&m, &want, 0);
	nlh->nlmsg_len += 4;
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
	/* 1..3 stray bytes at the end of a nest */
	for (uint16_t extra = 1; extra < 4; extra++) {
		struct nlattr *ts;

		nlh = build_event(&m, &want, 0);
		ts = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
		mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(5));
		mnl_attr_nest_end(nlh, ts);
		ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), 0);
		ck_assert_uint_eq(got.start_ns, 5);
		ts->nla_len += extra;
		nlh->nlmsg_len += 4;
		ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), -EBADMSG);
	}
	/* ... while 4 zero bytes are an empty attribute (type 0): skipped */
	nlh = build_event(&m, &want, 0);
	nlh->nlmsg_len += 4;
	((uint8_t *)m.b)[nlh->nlmsg_len - 4] = 4;
	ck_assert_int_eq(parse_exact(m.b, nlh->nlmsg_len, &got), 0);
}
END_TEST

/* Where each top-level attribute after the original tuple ends: the valid cuts. */
static size_t attr_ends(const struct buf *m, size_t *ends, size_t max)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)m->b;
	const struct nlattr *a;
	size_t n = 0;
	bool after_orig = false;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
			after_orig = true;
		if (after_orig) {
			ck_assert_uint_lt(n, max);
			ends[n++] = (size_t)((const uint8_t *)a - m->b) + MNL_ALIGN(a->nla_len);
		}
	}
	return n;
}

START_TEST(every_truncation)
{
	struct ct_event e[2] = { ev_tcp4(), ev_udp6_destroy() }, got;
	struct buf m, cut;

	for (size_t k = 0; k < 2; k++) {
		size_t ends[32], nends, ok_count = 0;

		build_event(&m, &e[k], COUNTER_PADS | UNKNOWN_ATTRS);
		nends = attr_ends(&m, ends, ARRAY_SIZE(ends));
		ck_assert_uint_ge(nends, 8);
		ck_assert_uint_eq(ends[nends - 1], m.len);
		for (size_t len = 0; len < m.len; len++) {
			bool valid = false;
			int r;

			/* the buffer is short but nlmsg_len still claims the whole message */
			r = parse_exact(m.b, len, &got);
			ck_assert_msg(r == -EBADMSG, "len %zu: %d", len, r);
			if (len < sizeof(struct nlmsghdr))
				continue;
			/* a message that claims to be shorter: valid exactly at attribute ends */
			cut = m;
			((struct nlmsghdr *)cut.b)->nlmsg_len = (uint32_t)len;
			for (size_t i = 0; i < nends; i++)
				valid |= ends[i] == len;
			r = parse_exact(cut.b, len, &got);
			ck_assert_msg(r == (valid ? 0 : -EBADMSG), "event %zu cut %zu/%zu: %d", k,
				      len, m.len, r);
			ok_count += r == 0;
		}
		ck_assert_uint_eq(ok_count, nends - 1);
	}
}
END_TEST

START_TEST(random_corruption)
{
	struct ct_event e[2] = { ev_tcp4(), ev_udp6_destroy() }, got;
	struct buf m, bad;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned results[3] = { 0 };
	struct buf v4;

	unhex(cap_destroy_v4, &v4);
	for (unsigned it = 0; it < 60000; it++) {
		int r;
		size_t k = it % 3;

		if (k == 2)
			m = v4;
		else
			build_event(&m, &e[k], COUNTER_PADS);
		bad = m;
		/* flip 1-4 random bytes, never in the netlink header's length */
		for (unsigned f = 0, nf = 1 + (unsigned)(s % 4); f < nf; f++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			size_t at = 4 + s % (m.len - 4);
			bad.b[at] ^= (uint8_t)(1u + (s >> 24) % 255);
		}
		r = parse_exact(bad.b, bad.len, &got);
		ck_assert_msg(r == 0 || r == -EBADMSG || r == -ENOMSG, "iteration %u: %d", it, r);
		results[r == 0 ? 0 : r == -EBADMSG ? 1 : 2]++;
	}
	/* the corruption must exercise both outcomes */
	ck_assert_uint_gt(results[0], 1000);
	ck_assert_uint_gt(results[1], 1000);
}
END_TEST

START_TEST(short_headers)
{
	struct ct_event got;
	struct buf m;
	struct nlmsghdr *nlh;

	ck_assert_int_eq(ct_parse(NULL, 0, &got), -EBADMSG);
	ck_assert_int_eq(ct_parse(m.b, 3, &got), -EBADMSG);
	/* header says 16 bytes: no room for the nfgenmsg */
	nlh = hdr(&m, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_CREATE, AF_INET);
	nlh->nlmsg_len = 16;
	ck_assert_int_eq(parse_exact(m.b, 16, &got), -EBADMSG);
	nlh->nlmsg_len = 19;
	ck_assert_int_eq(parse_exact(m.b, 19, &got), -EBADMSG);
	/* header says less than a header */
	nlh->nlmsg_len = 8;
	ck_assert_int_eq(parse_exact(m.b, 20, &got), -EBADMSG);
	/* nfgenmsg only: no original tuple */
	nlh->nlmsg_len = 20;
	ck_assert_int_eq(parse_exact(m.b, 20, &got), -EBADMSG);

	/* stats: insert missing, wrong length */
	nlh = hdr(&m, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, 0, AF_UNSPEC);
	mnl_attr_put_u32(nlh, CTA_STATS_FOUND, 0);
	uint32_t ins;
	ck_assert_int_eq(ct_parse_stats_cpu(m.b, nlh->nlmsg_len, &ins), -EBADMSG);
	mnl_attr_put_u16(nlh, CTA_STATS_INSERT, 1);
	ck_assert_int_eq(ct_parse_stats_cpu(m.b, nlh->nlmsg_len, &ins), -EBADMSG);
	nlh = hdr(&m, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, 0, AF_UNSPEC);
	mnl_attr_put_u32(nlh, CTA_STATS_INSERT, htobe32(123456));
	ck_assert_int_eq(ct_parse_stats_cpu(m.b, nlh->nlmsg_len, &ins), 0);
	ck_assert_uint_eq(ins, 123456);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ct_parse");
	TCase *tc = tcase_create("ct_parse");

	tcase_add_test(tc, captured_new_v4);
	tcase_add_test(tc, captured_new_v6_without_mark);
	tcase_add_test(tc, captured_destroy);
	tcase_add_test(tc, captured_stats_cpu);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, reply_tuple_translations);
	tcase_add_test(tc, pads_and_unknown_attributes_are_fine);
	tcase_add_test(tc, len_beyond_message_is_ignored);
	tcase_add_test(tc, missing_attributes);
	tcase_add_test(tc, not_events);
	tcase_add_test(tc, top_bit_lengths);
	tcase_add_test(tc, wrong_lengths);
	tcase_add_test(tc, truncated_nests);
	tcase_add_test(tc, every_truncation);
	tcase_add_test(tc, random_corruption);
	tcase_add_test(tc, short_headers);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
