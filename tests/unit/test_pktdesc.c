// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packet descriptions (pktdesc.h): what each spelling becomes, the chain
 * guessed from the interfaces, the canonical text, and every error at the
 * column of the bad token; then ir_explain on a small policy, and the
 * lockout precheck's reading of SSH_CONNECTION.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "vigil/explain.h"
#include "vigil/lockout.h"
#include "vigil/pktdesc.h"

static struct pktdesc parse_ok(const char *text)
{
	struct pktdesc d;
	struct pktdesc_err e;

	expect(pktdesc_parse(text, &d, &e) == 0, "'%s': %u: %s", text, e.col, e.msg);
	return d;
}

static void canon_is(const char *text, const char *want)
{
	struct pktdesc d = parse_ok(text);
	struct strbuf sb = { 0 };

	pktdesc_format(&sb, &d.p);
	ck_assert_str_eq(sb.s, want);
	sb_free(&sb);
}

/* text fails at col with a message holding `part` */
static void fails_at(const char *text, unsigned col, unsigned len, const char *part)
{
	struct pktdesc d;
	struct pktdesc_err e;

	ck_assert_int_eq(pktdesc_parse(text, &d, &e), -EINVAL);
	expect(e.col == col && e.len == len, "'%s': col %u len %u (%s), want %u len %u", text,
	       e.col, e.len, e.msg, col, len);
	expect(strstr(e.msg, part), "'%s': '%s' lacks '%s'", text, e.msg, part);
}

START_TEST(spellings)
{
	struct pktdesc d = parse_ok("tcp 203.0.113.9:51234 -> 10.0.0.1:22 iif eth0");

	ck_assert_int_eq(d.p.family, 4);
	ck_assert_int_eq(d.p.l4proto, IPPROTO_TCP);
	ck_assert(d.p.saddr == 0xcb007109u && d.p.daddr == 0x0a000001u);
	ck_assert_uint_eq(d.p.sport, 51234);
	ck_assert_uint_eq(d.p.dport, 22);
	ck_assert_str_eq(d.p.iif, "eth0");
	ck_assert_int_eq(d.p.ct, IR_CT_NEW);
	ck_assert_int_eq(pktdesc_chain(&d), CH_INPUT);
	d = parse_ok("udp [2001:db8::9]:5353->[2001:db8::1]:53 oif eth1");
	ck_assert_int_eq(d.p.family, 6);
	ck_assert(d.p.daddr == (((u128)0x20010db8u << 96) | 1));
	ck_assert_int_eq(pktdesc_chain(&d), CH_OUTPUT);
	d = parse_ok("sctp 10.0.0.2 to 10.0.0.1:9 iif a oif b ct established");
	ck_assert(!d.sport_given);
	ck_assert_uint_eq(d.p.sport, PKTDESC_SPORT);
	ck_assert_int_eq(d.p.ct, IR_CT_ESTABLISHED);
	ck_assert_int_eq(pktdesc_chain(&d), CH_FORWARD);
	d = parse_ok("icmp 192.0.2.7 -> 10.0.0.1");
	ck_assert_uint_eq(d.p.icmp_type, 8);
	d = parse_ok("icmp type echo-reply 2001:db8::7 -> 2001:db8::1 code 3");
	ck_assert_int_eq(d.p.l4proto, IPPROTO_ICMPV6);
	ck_assert_uint_eq(d.p.icmp_type, 129);
	ck_assert_uint_eq(d.p.icmp_code, 3);
	canon_is("icmp  [2001:db8::7] -> 2001:DB8::1  type 135",
		 "icmpv6 2001:db8::7 -> 2001:db8::1 type nd-neighbor-solicit");
	/* status dnat: before or after the addresses, with ct */
	d = parse_ok("tcp 192.0.2.2:40000 -> 172.17.0.2:80 iif eth0 oif docker0 status dnat");
	ck_assert(d.p.dnat);
	ck_assert_int_eq(d.p.ct, IR_CT_NEW);
	ck_assert(!parse_ok("tcp 192.0.2.2 -> 172.17.0.2:80").p.dnat);
	canon_is("tcp status dnat 192.0.2.2 -> 172.17.0.2:80 ct established",
		 "tcp 192.0.2.2:40000 -> 172.17.0.2:80 ct established status dnat");
}
END_TEST

START_TEST(errors)
{
	fails_at("", 1, 1, "empty");
	fails_at("tpc 1.2.3.4 -> 1.2.3.5:22", 1, 3, "not a protocol");
	fails_at("tcp 1.2.3.4:x -> 1.2.3.5:22", 13, 1, "not a port");
	fails_at("tcp 1.2.3.4: -> 1.2.3.5:22", 13, 1, "missing");
	fails_at("tcp 1.2.3.4 -> 1.2.3.5:65536", 24, 5, "not a port");
	fails_at("tcp 1.2.3.4 -> 1.2.3.5", 16, 7, "destination port");
	fails_at("tcp 1.2.3.4 -> 1.2.3.500:1", 16, 9, "not an address");
	fails_at("tcp 1.2.3.0/24 -> 1.2.3.5:1", 5, 10, "one address");
	fails_at("tcp 1.2.3.4 1.2.3.5:1", 13, 9, "'->'");
	fails_at("tcp 1.2.3.4 ->", 15, 1, "destination address is missing");
	fails_at("tcp 1.2.3.4 -> [2001:db8::1]:1", 16, 15, "IPv4 address, the destination an IPv6");
	fails_at("tcp [2001:db8::1:1 -> 1.2.3.5:1", 5, 14, "']'");
	fails_at("tcp [2001:db8::1]x -> 1.2.3.5:1", 18, 1, "':'");
	fails_at("icmp 1.2.3.4:7 -> 1.2.3.5", 6, 9, "no ports");
	fails_at("icmpv6 1.2.3.4 -> 1.2.3.5", 1, 6, "write icmp");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 type 3", 31, 1, "for icmp");
	fails_at("icmp 1.2.3.4 -> 1.2.3.5 type echo-rekwest", 30, 12, "did you mean 'echo-request'");
	fails_at("icmp 1.2.3.4 -> 1.2.3.5 code 256", 30, 3, "ICMP code");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 oof eth0", 26, 3, "unexpected 'oof'");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 iif", 29, 1, "wants a value");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 iif a iif b", 32, 3, "twice");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 iif eth*", 30, 4, "interface name");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 iif abcdefghijklmnop", 30, 16, "15 characters");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 ct bogus", 29, 5, "conntrack state");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 status snat", 33, 4, "status dnat");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 status dnat status dnat", 38, 6, "twice");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 status dnat ct untracked", 26, 6, "needs a conntrack entry");
	fails_at("udp 1.2.3.4 -> 1.2.3.5:1 status", 32, 1, "wants a value");
}
END_TEST

static const char policy_yaml[] =
	"version: 1\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"rules:\n"
	"  - {name: ssh, chain: input, proto: tcp, src: 192.0.2.0/24, dport: 22, action: accept}\n"
	"  - {name: noping, chain: input, proto: icmp, icmp-type: echo-request, action: reject}\n";

static void outcome_is(const struct policy *pol, const struct ir_table *t, const char *pkt,
		       enum ir_verdict v, const char *want)
{
	struct pktdesc d = parse_ok(pkt);
	struct ir_outcome o;
	struct strbuf sb = { 0 };
	enum chain_id hook = pktdesc_chain(&d);

	ck_assert_int_eq(ir_explain(pol, t, hook, &d.p, &o), 0);
	ck_assert_str_eq(ir_verdict_word(o.verdict), ir_verdict_word(v));
	ir_outcome_format(&sb, pol, hook, &o);
	ck_assert_str_eq(sb.s, want);
	sb_free(&sb);
}

START_TEST(explain)
{
	struct policy pol;
	struct ir_table t;

	compile_text(policy_yaml, NULL, &pol, &t);
	outcome_is(&pol, &t, "tcp 192.0.2.9:4000 -> 10.0.0.1:22", IV_ACCEPT, "rule ssh (p.yml:4:5)");
	outcome_is(&pol, &t, "tcp 198.51.100.9:4000 -> 10.0.0.1:22", IV_DROP,
		   "the default of chain input");
	outcome_is(&pol, &t, "icmp 198.51.100.9 -> 10.0.0.1", IV_REJECT, "rule noping (p.yml:5:5)");
	outcome_is(&pol, &t, "tcp 198.51.100.9:4000 -> 10.0.0.1:22 ct established", IV_ACCEPT,
		   "built-in rule vigil:established");
	outcome_is(&pol, &t, "tcp 10.0.0.1 -> 198.51.100.9:22 oif eth0", IV_ACCEPT,
		   "the default of chain output");
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(ssh_connection)
{
	const struct lockout_local locals[] = {
		{ .family = 4, .addr = 0x0a000001u, .ifname = "eth0" },
		{ .family = 6, .addr = ((u128)0x20010db8u << 96) | 1, .ifname = "eth1" },
	};
	struct lockout_session s;

	ck_assert_int_eq(lockout_ssh_parse("203.0.113.9 51234 10.0.0.1 22", locals, 2, &s), 0);
	ck_assert(s.ssh && s.count == 1);
	ck_assert_int_eq(s.p.family, 4);
	ck_assert(s.p.saddr == 0xcb007109u && s.p.daddr == 0x0a000001u);
	ck_assert_uint_eq(s.p.sport, 51234);
	ck_assert_uint_eq(s.p.dport, 22);
	ck_assert_int_eq(s.p.l4proto, IPPROTO_TCP);
	ck_assert_int_eq(s.p.ct, IR_CT_NEW);
	ck_assert_str_eq(s.p.iif, "eth0");
	ck_assert_int_eq(lockout_ssh_parse("2001:db8::9 40000 2001:db8::1 2222\n", locals, 2, &s), 0);
	ck_assert_int_eq(s.p.family, 6);
	ck_assert_str_eq(s.p.iif, "eth1");
	/* a dual-stack sshd's IPv4 client; a server address not ours: no iif */
	ck_assert_int_eq(lockout_ssh_parse("::ffff:192.0.2.7 1 ::ffff:192.0.2.1 22", locals, 2, &s), 0);
	ck_assert_int_eq(s.p.family, 4);
	ck_assert(s.p.saddr == 0xc0000207u);
	ck_assert_str_eq(s.p.iif, "");
	ck_assert_int_eq(lockout_ssh_parse("", locals, 2, &s), -EINVAL);
	ck_assert_int_eq(lockout_ssh_parse("1.2.3.4 5 6.7.8.9", locals, 2, &s), -EINVAL);
	ck_assert_int_eq(lockout_ssh_parse("1.2.3.4 5 6.7.8.9 22 x", locals, 2, &s), -EINVAL);
	ck_assert_int_eq(lockout_ssh_parse("1.2.3.4 5 2001:db8::1 22", locals, 2, &s), -EINVAL);
	ck_assert_int_eq(lockout_ssh_parse("1.2.3.0/24 5 6.7.8.9 22", locals, 2, &s), -EINVAL);
	ck_assert_int_eq(lockout_ssh_parse("1.2.3.4 65536 6.7.8.9 22", locals, 2, &s), -EINVAL);
}
END_TEST

/* Mutations of valid descriptions: every answer is a packet or an error
 * whose column lies within the text (or just past its end). */
START_TEST(mutations)
{
	static const char *const seeds[] = {
		"tcp 203.0.113.9:51234 -> 10.0.0.1:22 iif eth0",
		"udp [2001:db8::9]:5353 -> [2001:db8::1]:53 oif eth1 ct established",
		"icmp type echo-request 192.0.2.7 -> 10.0.0.1 code 0",
	};
	static const char alphabet[] = " ->:[].0123456789abcdefiotx*/%";
	unsigned seed = 12345, bad = 0, good = 0;

	for (int n = 0; n < 20000; n++) {
		char buf[128];
		const char *src = seeds[n % 3];
		size_t len = strlen(src);
		struct pktdesc d;
		struct pktdesc_err e;

		memcpy(buf, src, len + 1);
		for (int k = 0; k < 1 + n % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 5 == 0 && len > 1) {
				memmove(buf + at, buf + at + 1, len - at); /* delete */
				len--;
			} else {
				buf[at] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
			}
		}
		if (pktdesc_parse(buf, &d, &e) == 0) {
			good++;
			expect(d.p.family == 4 || d.p.family == 6, "'%s': family %d", buf, d.p.family);
		} else {
			bad++;
			expect(e.col >= 1 && e.col <= len + 1 && e.len >= 1 && e.msg[0], "'%s': col %u len %u '%s'",
			       buf, e.col, e.len, e.msg);
		}
	}
	ck_assert_uint_gt(good, 100);
	ck_assert_uint_gt(bad, 1000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pktdesc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, spellings);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, explain);
	tcase_add_test(tc, ssh_connection);
	tcase_add_test(tc, mutations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
