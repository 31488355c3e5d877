// SPDX-License-Identifier: GPL-2.0-or-later
/* nflog_parse and nflog_prefix_parse: records as the kernel sends them,
 * then forged and truncated ones (refused, never read past the end). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "unit.h"
#include "vigil/nflog.h"
#include "vigil/util.h"

static uint8_t buf[4096];

/* A record of the given family with a payload; prefix NULL: none. */
static struct nlmsghdr *msg(uint8_t family, const void *pkt, size_t plen, const char *prefix,
			    uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = NF_INET_LOCAL_IN };

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->res_id = htons(6613);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(7));
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(seq));
	mnl_attr_put(nlh, NFULA_PAYLOAD, plen, pkt);
	return nlh;
}

static const uint8_t syn4[] = {
	0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, IPPROTO_TCP, 0, 0, 10, 0, 0, 7, 10, 0, 0, 1,
	0x9c, 0x40, 0, 23, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
};

START_TEST(tcp_v4_record)
{
	struct nflog_rec r;
	struct nlmsghdr *nlh = msg(AF_INET, syn4, sizeof(syn4), "vigil:telnet", 41);

	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), 0);
	ck_assert_int_eq(r.family, AF_INET);
	ck_assert_int_eq(r.group, 6613);
	ck_assert_int_eq(r.hook, NF_INET_LOCAL_IN);
	ck_assert(r.has_seq);
	ck_assert_uint_eq(r.seq, 41);
	ck_assert_uint_eq(r.iif, 7);
	ck_assert_int_eq(r.proto, IPPROTO_TCP);
	ck_assert(r.ports);
	ck_assert_int_eq(r.sport, 40000);
	ck_assert_int_eq(r.dport, 23);
	ck_assert_mem_eq(r.src, ((uint8_t[]){ 10, 0, 0, 7 }), 4);
	ck_assert_mem_eq(r.dst, ((uint8_t[]){ 10, 0, 0, 1 }), 4);
	ck_assert_str_eq(r.prefix, "vigil:telnet");
}
END_TEST

START_TEST(v6_icmp_and_fragments)
{
	uint8_t p6[48] = { 0x60, 0, 0, 0, 0, 8, IPPROTO_ICMPV6, 64 };
	uint8_t frag[28];
	struct nflog_rec r;
	struct nlmsghdr *nlh;

	p6[8] = 0xfd, p6[23] = 2, p6[24] = 0xfd, p6[39] = 1;
	p6[40] = 128; /* echo request */
	nlh = msg(AF_INET6, p6, sizeof(p6), "vigil:default:input", 1);
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), 0);
	ck_assert_int_eq(r.proto, IPPROTO_ICMPV6);
	ck_assert_int_eq(r.dport, 128);
	ck_assert_int_eq(r.src[0], 0xfd);
	ck_assert_int_eq(r.dst[15], 1);
	/* an IPv4 fragment after the first: no ports */
	memcpy(frag, syn4, 20);
	frag[6] = 0, frag[7] = 5;
	nlh = msg(AF_INET, frag, sizeof(frag), "vigil:x", 2);
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), 0);
	ck_assert(!r.ports);
	ck_assert_int_eq(r.dport, 0);
}
END_TEST

START_TEST(forged_and_truncated_refused)
{
	struct nflog_rec r;
	struct nlmsghdr *nlh = msg(AF_INET, syn4, sizeof(syn4), "vigil:telnet", 3);
	uint32_t full = nlh->nlmsg_len;
	uint8_t *copy = malloc(full);

	/* every cut: refused, and no read past the cut (ASan) */
	for (uint32_t n = 0; n < full; n++) {
		memcpy(copy, buf, n);
		if (n >= sizeof(struct nlmsghdr))
			((struct nlmsghdr *)copy)->nlmsg_len = n;
		int e = nflog_parse(copy, n, &r);
		ck_assert_msg(e == -EBADMSG, "cut at %u of %u: %d", n, full, e);
	}
	free(copy);
	/* a header that says more than there is */
	ck_assert_int_eq(nflog_parse(nlh, full - 1, &r), -EBADMSG);
	/* not IPv4 or IPv6 */
	nlh = msg(AF_BRIDGE, syn4, sizeof(syn4), NULL, 1);
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* an IPv6 family with an IPv4 packet */
	nlh = msg(AF_INET6, syn4, sizeof(syn4), NULL, 1);
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* an attribute twice */
	nlh = msg(AF_INET, syn4, sizeof(syn4), "vigil:a", 1);
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(9));
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* a sequence number of the wrong size */
	nlh = msg(AF_INET, syn4, sizeof(syn4), NULL, 1);
	mnl_attr_put_u16(nlh, NFULA_SEQ_GLOBAL, 1); /* unused: fine */
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), 0);
	/* not a packet: a config reply, an error */
	nlh = msg(AF_INET, syn4, sizeof(syn4), NULL, 1);
	nlh->nlmsg_type = NLMSG_ERROR;
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), -ENOMSG);
	/* an IHL beyond the payload */
	uint8_t bad[20];
	memcpy(bad, syn4, 20);
	bad[0] = 0x4f;
	nlh = msg(AF_INET, bad, sizeof(bad), NULL, 1);
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* a prefix without its NUL that fills the record's buffer */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	nlh = msg(AF_INET, syn4, sizeof(syn4), longp, 1);
	ck_assert_int_eq(nflog_parse(nlh, nlh->nlmsg_len, &r), -EBADMSG);
}
END_TEST

START_TEST(prefixes)
{
	struct nflog_who w;

	ck_assert_int_eq(nflog_prefix_parse("vigil:telnet", &w), 0);
	ck_assert_str_eq(w.rule, "telnet");
	ck_assert_int_eq(w.def_chain, -1);
	ck_assert_str_eq(w.label, "");
	ck_assert_int_eq(nflog_prefix_parse("vigil:ssh probe 1", &w), 0);
	ck_assert_str_eq(w.rule, "ssh");
	ck_assert_str_eq(w.label, "probe 1");
	ck_assert_int_eq(nflog_prefix_parse("vigil:default:forward", &w), 0);
	ck_assert_int_eq(w.def_chain, 1);
	ck_assert_str_eq(w.rule, "");
	ck_assert_int_eq(nflog_prefix_parse("vigil:default:inbound", &w), -EINVAL);
	ck_assert_int_eq(nflog_prefix_parse("[UFW BLOCK] ", &w), -EINVAL);
	ck_assert_int_eq(nflog_prefix_parse("vigil:", &w), -EINVAL);
	ck_assert_int_eq(nflog_prefix_parse("vigil: x", &w), -EINVAL);
	ck_assert_int_eq(nflog_prefix_parse("vigil:Bad!", &w), -EINVAL);
	ck_assert_int_eq(nflog_prefix_parse("vigil:abcdefghijabcdefghijabcdefghijabc", &w), -EINVAL);
	ck_assert_int_eq(nflog_prefix_parse("vigil:ssh ", &w), -EINVAL);
}
END_TEST

/* The fuzz seeds are what they say (tests/fuzz/corpus/nflog_parse). */
START_TEST(fuzz_seeds)
{
	static const struct {
		const char *name;
		int want;
		const char *prefix;
	} seeds[] = {
		{ "syn_v4_rule", 0, "vigil:telnet" },
		{ "udp_v6_default", 0, "vigil:default:input" },
		{ "icmp_v4_label", 0, "vigil:ssh probe 1" },
		{ "unknown_prefix", 0, "[UFW BLOCK] " },
		{ "truncated", -EBADMSG, NULL },
		{ "repeated_seq", -EBADMSG, NULL },
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		_cleanup_free_ char *rel = xasprintf("tests/fuzz/corpus/nflog_parse/%s", seeds[i].name);
		size_t len;
		_cleanup_free_ char *b = read_src_file(rel, &len);
		struct nflog_rec r;
		int e = nflog_parse(b, len, &r);
		ck_assert_msg(e == seeds[i].want, "%s: %d", seeds[i].name, e);
		if (seeds[i].prefix)
			ck_assert_str_eq(r.prefix, seeds[i].prefix);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nflog");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tcp_v4_record);
	tcase_add_test(tc, v6_icmp_and_fragments);
	tcase_add_test(tc, forged_and_truncated_refused);
	tcase_add_test(tc, prefixes);
	tcase_add_test(tc, fuzz_seeds);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
