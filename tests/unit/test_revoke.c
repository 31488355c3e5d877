// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Revoke (revoke.h): conntrack entries judged against a policy as new
 * connections (which are cut, which kept, which not judged and why), the
 * CT_DELETE messages built for them, and the helper's check of CT_DELETE
 * requests: what vigild builds passes, every near miss (a flush, a filter,
 * another message type, a zone, a wrong length, too many) is refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "unit.h"
#include "vigil/revoke.h"
#include "vigil/util.h"

static const char policy_yaml[] =
	"version: 1\n"
	"revoke: true\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"sets:\n"
	"  admins: {type: cidr, elements: [10.0.0.2, \"fd00::2\"]}\n"
	"rules:\n"
	"  - {name: ssh, chain: input, proto: tcp, src: \"@admins\", dport: 22, action: accept}\n"
	"  - {name: dns, chain: input, proto: udp, dport: 53, iif: eth0, action: accept}\n"
	"  - {name: web, chain: input, proto: tcp, dport: 80, action: reject}\n";

static const struct lockout_local locals[] = {
	{ 4, 0x0a000001, "eth0" },                    /* 10.0.0.1 */
	{ 4, 0x0a090001, "eth1" },                    /* 10.9.0.1 */
	{ 4, 0x7f000001, "lo" },                      /* 127.0.0.1 */
	{ 6, ((u128)0xfd00 << 112) | 1, "eth0" },     /* fd00::1 */
};

/* One dumped entry, as the kernel writes it (IPCTNL_MSG_CT_NEW, multi). */
struct ent {
	int family;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint32_t id;           /* 0: no CTA_ID */
	uint32_t status;
	uint16_t zone;
};

static void put_addrs(struct nlmsghdr *nlh, const struct ent *e, bool reply)
{
	uint8_t s[16], d[16];
	bool v4 = e->family == AF_INET;

	ck_assert_int_eq(inet_pton(e->family, e->src, s), 1);
	ck_assert_int_eq(inet_pton(e->family, e->dst, d), 1);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? 4 : 16, reply ? d : s);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? 4 : 16, reply ? s : d);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct ent *e, bool reply)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	put_addrs(nlh, e, reply);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(reply ? e->dport : e->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(reply ? e->sport : e->dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static void add_entry(struct strbuf *dump, const struct ent *e)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)e->family;
	g->version = NFNETLINK_V0;
	put_tuple(nlh, CTA_TUPLE_ORIG, e, false);
	put_tuple(nlh, CTA_TUPLE_REPLY, e, true);
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(e->status | IPS_CONFIRMED | IPS_ASSURED));
	if (e->id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	sb_putn(dump, buf, NLMSG_ALIGN(nlh->nlmsg_len));
}

static const struct ent entries[] = {
	/* an admin: admitted */
	{ AF_INET, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 40000, 22, 1, 0, 0 },
	/* no longer an admin, v4 and v6: cut, by the input default */
	{ AF_INET, "10.0.0.3", "10.0.0.1", IPPROTO_TCP, 40001, 22, 2, 0, 0 },
	{ AF_INET6, "fd00::3", "fd00::1", IPPROTO_TCP, 40002, 22, 3, 0, 0 },
	/* the admin over IPv6: admitted */
	{ AF_INET6, "fd00::2", "fd00::1", IPPROTO_TCP, 40003, 22, 4, 0, 0 },
	/* outgoing, output accepts by default: admitted */
	{ AF_INET, "10.0.0.1", "192.0.2.9", IPPROTO_TCP, 50000, 443, 5, 0, 0 },
	/* the host to itself: never judged */
	{ AF_INET, "127.0.0.1", "127.0.0.1", IPPROTO_TCP, 50001, 22, 6, 0, 0 },
	/* dns to eth1's address: refused with iif eth1, admitted with eth0: kept */
	{ AF_INET, "10.0.0.7", "10.9.0.1", IPPROTO_UDP, 5353, 53, 7, 0, 0 },
	/* zone 5, rewritten by DNAT, related, without an id: not judged */
	{ AF_INET, "10.0.0.3", "10.0.0.1", IPPROTO_TCP, 40004, 22, 8, 0, 5 },
	{ AF_INET, "10.0.0.3", "10.0.0.1", IPPROTO_TCP, 40005, 22, 9, IPS_DST_NAT, 0 },
	{ AF_INET, "10.0.0.3", "10.0.0.1", IPPROTO_TCP, 40006, 22, 10, IPS_EXPECTED, 0 },
	{ AF_INET, "10.0.0.3", "10.0.0.1", IPPROTO_TCP, 40007, 22, 0, 0, 0 },
	/* routed through: forward drops by default: cut */
	{ AF_INET, "10.5.0.2", "10.6.0.2", IPPROTO_TCP, 40008, 80, 11, 0, 0 },
	/* web is rejected now: cut, by rule web */
	{ AF_INET, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 40009, 80, 12, 0, 0 },
};

static void judge(struct revoke_plan *pl, struct policy *pol, struct ir_table *t)
{
	struct strbuf dump = { 0 };

	compile_text(policy_yaml, NULL, pol, t);
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++)
		add_entry(&dump, &entries[i]);
	ck_assert_int_eq(revoke_judge(dump.s, dump.len, pol, t, locals, ARRAY_SIZE(locals), pl), 0);
	sb_free(&dump);
}

START_TEST(policy_key)
{
	struct policy pol;
	struct ir_table t;
	char *out = NULL;

	compile_text(policy_yaml, NULL, &pol, &t);
	ck_assert(pol.revoke);
	ir_table_free(&t);
	policy_free(&pol);
	ck_assert_int_lt(check_text("p.yml", "version: 1\nrevoke: maybe\n", NULL, &pol, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "p.yml:2:9: error: revoke must be true or false, not 'maybe'"));
	free(out);
	policy_free(&pol);
	ck_assert_int_eq(check_text("p.yml", "version: 1\n", NULL, &pol, &out), 0);
	ck_assert(!pol.revoke); /* never by default */
	free(out);
	policy_free(&pol);
}
END_TEST

START_TEST(which_are_cut)
{
	struct revoke_plan pl;
	struct policy pol;
	struct ir_table t;

	judge(&pl, &pol, &t);
	ck_assert_uint_eq(pl.seen, ARRAY_SIZE(entries));
	ck_assert_uint_eq(pl.admitted, 3);
	ck_assert_uint_eq(pl.local, 1);
	ck_assert_uint_eq(pl.skipped, 4);
	ck_assert_uint_eq(pl.unsure, 1);
	ck_assert_uint_eq(pl.n, 4);
	/* in dump order, each with the tuple it had and what refuses it now */
	ck_assert_uint_eq(pl.v[0].id, 2);
	ck_assert_int_eq(pl.v[0].hook, CH_INPUT);
	ck_assert_str_eq(pl.v[0].p.iif, "eth0");
	ck_assert_uint_eq(pl.v[0].p.sport, 40001);
	ck_assert_int_eq(pl.v[0].verdict, IV_DROP);
	ck_assert_str_eq(pl.v[0].decided, "the default of chain input");
	ck_assert_uint_eq(pl.v[1].id, 3);
	ck_assert_int_eq(pl.v[1].p.family, 6);
	ck_assert_str_eq(pl.v[1].decided, "the default of chain input");
	ck_assert_uint_eq(pl.v[2].id, 11);
	ck_assert_int_eq(pl.v[2].hook, CH_FORWARD);
	ck_assert_str_eq(pl.v[2].decided, "the default of chain forward");
	ck_assert_uint_eq(pl.v[3].id, 12);
	ck_assert_int_eq(pl.v[3].verdict, IV_REJECT);
	ck_assert_str_eq(pl.v[3].decided, "rule web");
	ir_table_free(&t);
	policy_free(&pol);
	revoke_plan_free(&pl);
}
END_TEST

/* The same policy without revoking anything: an old policy admitting
 * everything in input admits every entry, nothing is cut. */
START_TEST(open_policy_cuts_nothing)
{
	struct strbuf dump = { 0 };
	struct revoke_plan pl;
	struct policy pol;
	struct ir_table t;

	compile_text("version: 1\ndefaults: {input: accept, forward: accept, output: accept}\n", NULL,
		     &pol, &t);
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++)
		add_entry(&dump, &entries[i]);
	ck_assert_int_eq(revoke_judge(dump.s, dump.len, &pol, &t, locals, ARRAY_SIZE(locals), &pl), 0);
	ck_assert_uint_eq(pl.n, 0);
	ck_assert_uint_eq(pl.admitted, 8);
	/* a truncated dump is malformed, not a shorter list */
	revoke_plan_free(&pl);
	ck_assert_int_eq(revoke_judge(dump.s, dump.len - 3, &pol, &t, locals, ARRAY_SIZE(locals), &pl),
			 -EBADMSG);
	revoke_plan_free(&pl);
	sb_free(&dump);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

/* Forward: the interfaces are unknown; a rule naming them is never
 * guessed into a cut (kept while any pair of the host's names admits it),
 * and a policy without that rule cuts. */
START_TEST(forward_interfaces)
{
	static const struct lockout_local fl[] = {
		{ 4, 0x0a000001, "eth0" }, { 4, 0x0a070001, "wg0" }, { 4, 0x7f000001, "lo" },
	};
	static const struct ent fe = { AF_INET, "10.7.0.2", "198.51.100.9", IPPROTO_TCP, 1, 443, 5, 0, 0 };
	const char *with = "version: 1\nrules:\n"
			   "  - {name: wg, chain: forward, iif: wg0, oif: eth0, action: accept}\n";
	const char *without = "version: 1\n";
	struct strbuf dump = { 0 };
	struct revoke_plan pl;
	struct policy pol;
	struct ir_table t;

	add_entry(&dump, &fe);
	compile_text(with, NULL, &pol, &t);
	ck_assert_int_eq(revoke_judge(dump.s, dump.len, &pol, &t, fl, ARRAY_SIZE(fl), &pl), 0);
	ck_assert_uint_eq(pl.n, 0);
	ck_assert_uint_eq(pl.unsure, 1);
	revoke_plan_free(&pl);
	ir_table_free(&t);
	policy_free(&pol);
	compile_text(without, NULL, &pol, &t);
	ck_assert_int_eq(revoke_judge(dump.s, dump.len, &pol, &t, fl, ARRAY_SIZE(fl), &pl), 0);
	ck_assert_uint_eq(pl.n, 1);
	ck_assert_int_eq(pl.v[0].hook, CH_FORWARD);
	ck_assert_str_eq(pl.v[0].decided, "the default of chain forward");
	struct strbuf sb = { 0 };
	revoke_summary(&pl, NULL, false, &sb);
	ck_assert_str_eq(sb.s, "revoked 1 connection: the default of chain forward: 1 (0 of 1 conntrack entries still admitted)");
	sb.len = 0;
	revoke_format_tuple(&pl.v[0], &sb);
	ck_assert_str_eq(sb.s, "tcp 10.7.0.2:1 -> 198.51.100.9:443");
	sb_free(&sb);
	revoke_plan_free(&pl);
	ir_table_free(&t);
	policy_free(&pol);
	sb_free(&dump);
}
END_TEST

/* What vigild builds for the entries it cuts: one delete each, by tuple
 * and id, which the helper's check passes. */
static void built(struct strbuf *sb, size_t *n)
{
	struct revoke_plan pl;
	struct policy pol;
	struct ir_table t;

	judge(&pl, &pol, &t);
	for (size_t i = 0; i < pl.n; i++)
		ck_assert_int_eq(revoke_build_delete(&pl.v[i], (uint32_t)i + 1, sb), 0);
	*n = pl.n;
	ir_table_free(&t);
	policy_free(&pol);
	revoke_plan_free(&pl);
}

START_TEST(deletes_pass)
{
	struct strbuf sb = { 0 };
	char why[256] = "";
	size_t n;

	built(&sb, &n);
	ck_assert_int_eq(revoke_verify(sb.s, sb.len, why, sizeof(why)), (int)n);
	/* the first names entry 2 by its tuple and id */
	const struct nlmsghdr *h = (const void *)sb.s;
	ck_assert_uint_eq(h->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
	ck_assert_uint_eq(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_le(h->nlmsg_len, REVOKE_MSG_MAX);
	const struct nlattr *a, *id = NULL;
	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == CTA_ID)
			id = a;
	ck_assert_ptr_nonnull(id);
	ck_assert_uint_eq(ntohl(mnl_attr_get_u32(id)), 2);
	sb_free(&sb);
}
END_TEST

/* ---- near misses: one message, built by hand, with one thing wrong ---- */

enum {
	M_TYPE_NEW = 1 << 0, M_TYPE_GET = 1 << 1, M_NFTABLES = 1 << 2, M_DUMP = 1 << 3,
	M_UNSPEC = 1 << 4, M_VERSION = 1 << 5, M_NO_TUPLE = 1 << 6, M_REPLY = 1 << 7,
	M_MARK = 1 << 8, M_TUPLE_ZONE = 1 << 9, M_NO_DPORT = 1 << 10, M_V6_ADDR = 1 << 11,
	M_SHORT_ADDR = 1 << 12, M_GRE = 1 << 13, M_ID_TWICE = 1 << 14, M_ID_LONG = 1 << 15,
	M_ZONE = 1 << 16, M_FILTER = 1 << 17, M_CREATE = 1 << 18, M_ICMP6_IN_V4 = 1 << 19,
	M_NO_ACK = 1 << 20, M_EXTRA_PORT = 1 << 21,
};

static void near(struct strbuf *sb, unsigned how)
{
	char buf[256];
	uint8_t s[4] = { 10, 0, 0, 3 }, d[4] = { 10, 0, 0, 1 }, s6[16] = { 0xfd };
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	struct nlattr *tu, *n;
	uint8_t type = how & M_TYPE_NEW ? IPCTNL_MSG_CT_NEW :
		       how & M_TYPE_GET ? IPCTNL_MSG_CT_GET : IPCTNL_MSG_CT_DELETE;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = how & M_NFTABLES ? (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE
					   : (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (how & M_NO_ACK ? 0 : NLM_F_ACK) |
			   (how & M_DUMP ? NLM_F_DUMP : 0) | (how & M_CREATE ? NLM_F_CREATE : 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = how & M_UNSPEC ? AF_UNSPEC : AF_INET;
	g->version = how & M_VERSION ? 1 : NFNETLINK_V0;
	if (!(how & M_NO_TUPLE)) {
		tu = mnl_attr_nest_start(nlh, how & M_REPLY ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG);
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		if (how & M_V6_ADDR)
			mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, s6);
		else
			mnl_attr_put(nlh, CTA_IP_V4_SRC, how & M_SHORT_ADDR ? 3 : 4, s);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, d);
		mnl_attr_nest_end(nlh, n);
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		if (how & M_ICMP6_IN_V4) {
			mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_ICMPV6);
			mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, htons(7));
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, 128);
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, 0);
		} else {
			mnl_attr_put_u8(nlh, CTA_PROTO_NUM, how & M_GRE ? 47 : IPPROTO_TCP);
			mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(40001));
			if (!(how & M_NO_DPORT))
				mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(22));
			if (how & M_EXTRA_PORT)
				mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(22));
		}
		mnl_attr_nest_end(nlh, n);
		if (how & M_TUPLE_ZONE)
			mnl_attr_put_u16(nlh, CTA_TUPLE_ZONE, htons(0));
		mnl_attr_nest_end(nlh, tu);
	}
	if (how & M_MARK)
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x10000));
	if (how & M_ZONE)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(0));
	if (how & M_FILTER) {
		n = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, 0);
		mnl_attr_nest_end(nlh, n);
	}
	if (how & M_ID_LONG)
		mnl_attr_put_u64(nlh, CTA_ID, 2);
	else
		mnl_attr_put_u32(nlh, CTA_ID, htonl(2));
	if (how & M_ID_TWICE)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(2));
	sb_putn(sb, buf, NLMSG_ALIGN(nlh->nlmsg_len));
}

START_TEST(near_misses_refused)
{
	static const struct {
		unsigned how;
		const char *why;
	} cases[] = {
		{ M_TYPE_NEW, "not a conntrack delete" },
		{ M_TYPE_GET, "not a conntrack delete" },
		{ M_NFTABLES, "not a conntrack delete" },
		{ M_DUMP, "a plain request" },
		{ M_CREATE, "a plain request" },
		{ M_NO_ACK, "a plain request" },
		{ M_UNSPEC, "only IPv4 or IPv6" },
		{ M_VERSION, "only IPv4 or IPv6" },
		{ M_NO_TUPLE, "attribute 1 is missing" },       /* a flush */
		{ M_REPLY, "attribute 1 is missing" },
		{ M_MARK, "is not allowed here" },
		{ M_ZONE, "is not allowed here" },
		{ M_FILTER, "is not allowed here" },
		{ M_TUPLE_ZONE, "is not allowed here" },
		{ M_NO_DPORT, "is missing" },
		{ M_EXTRA_PORT, "is not allowed here" },
		{ M_V6_ADDR, "the tuple's addresses: attribute 1 is missing" },
		{ M_SHORT_ADDR, "has 3 bytes, not 4" },
		{ M_GRE, "protocol 47" },
		{ M_ICMP6_IN_V4, "icmpv6 in an IPv4 tuple" },
		{ M_ID_TWICE, "twice" },
		{ M_ID_LONG, "has 8 bytes, not 4" },
	};
	char why[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = { 0 };

		near(&sb, 0);
		why[0] = '\0';
		expect(revoke_verify(sb.s, sb.len, why, sizeof(why)) == 1, "the good one: %s", why);
		near(&sb, cases[i].how); /* a good message, then the bad one */
		why[0] = '\0';
		expect(revoke_verify(sb.s, sb.len, why, sizeof(why)) == -EPERM,
		       "case %zu (0x%x) passed", i, cases[i].how);
		expect(strstr(why, "message 2: ") && strstr(why, cases[i].why),
		       "case %zu: '%s' does not say '%s'", i, why, cases[i].why);
		sb_free(&sb);
	}
}
END_TEST

START_TEST(framing_and_bounds)
{
	struct strbuf sb = { 0 };
	char why[256] = "";

	ck_assert_int_eq(revoke_verify("", 0, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "no delete"));
	for (unsigned i = 0; i < REVOKE_MAX_PER_REQUEST; i++)
		near(&sb, 0);
	ck_assert_int_eq(revoke_verify(sb.s, sb.len, why, sizeof(why)), (int)REVOKE_MAX_PER_REQUEST);
	near(&sb, 0);
	ck_assert_int_eq(revoke_verify(sb.s, sb.len, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "more than 1024"));
	sb_free(&sb);
	/* trailing bytes, a length past the end, a header alone */
	near(&sb, 0);
	sb_putn(&sb, "\0\0\0\0", 4);
	ck_assert_int_eq(revoke_verify(sb.s, sb.len, why, sizeof(why)), -EPERM);
	sb.len -= 4;
	((struct nlmsghdr *)sb.s)->nlmsg_len += 8;
	ck_assert_int_eq(revoke_verify(sb.s, sb.len, why, sizeof(why)), -EPERM);
	((struct nlmsghdr *)sb.s)->nlmsg_len = NLMSG_HDRLEN;
	ck_assert_int_eq(revoke_verify(sb.s, sb.len, why, sizeof(why)), -EPERM);
	sb_free(&sb);
	/* every truncation of a good message is refused */
	near(&sb, 0);
	for (size_t cut = 1; cut < sb.len; cut++) {
		struct strbuf t = { 0 };
		sb_putn(&t, sb.s, sb.len);
		((struct nlmsghdr *)t.s)->nlmsg_len = (uint32_t)(sb.len - cut);
		t.len = NLMSG_ALIGN(sb.len - cut);
		expect(revoke_verify(t.s, t.len, why, sizeof(why)) == -EPERM, "cut %zu passed", cut);
		sb_free(&t);
	}
	sb_free(&sb);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc = tcase_create("revoke");

	tcase_add_test(tc, policy_key);
	tcase_add_test(tc, which_are_cut);
	tcase_add_test(tc, open_policy_cuts_nothing);
	tcase_add_test(tc, forward_interfaces);
	tcase_add_test(tc, deletes_pass);
	tcase_add_test(tc, near_misses_refused);
	tcase_add_test(tc, framing_and_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
