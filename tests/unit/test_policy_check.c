// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_check: every semantic error with its place, set files, merging. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vigil/names.h"
#include "vigil/policy.h"
#include "vigil/util.h"

/* Checks text (with set files from fs) and expects exactly `want`. */
static void diags_are_fs(const char *text, struct fake_fs *fs, int want_r, const char *want)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	int r = check_text("p.yml", text, fs, &pol, &out);

	policy_free(&pol);
	ck_assert_msg(streq(out, want), "for:\n%.1500s\ngot:\n%.3000s\nexpected:\n%.3000s", text,
		      out, want);
	ck_assert_msg(r == want_r, "for:\n%.1500s\nreturned %d, expected %d", text, r, want_r);
}

static void diags_are(const char *text, const char *want)
{
	diags_are_fs(text, NULL, -EINVAL, want);
}

#define HEAD "version: 1\n"

START_TEST(top_level)
{
	diags_are("version: 2\ntable: Vigil\ndefaults:\n  input: reject\n  output: maybe\n"
		  "  forward: ACCEPT\n",
		  "p.yml:1:10: error: unsupported policy version '2': this vigild reads version 1\n"
		  "p.yml:2:8: error: invalid table name 'Vigil': use a lower-case letter, then up "
		  "to "
		  "31 letters, digits, '_' or '-'\n"
		  "p.yml:4:10: error: default verdict for input must be accept or drop, not "
		  "'reject'\n"
		  "p.yml:5:11: error: default verdict for output must be accept or drop, not "
		  "'maybe'\n"
		  "p.yml:6:12: error: default verdict for forward must be accept or drop, not "
		  "'ACCEPT'\n");
	diags_are("version: 1.0\ntable: a-very-long-table-name-of-33-chars\n",
		  "p.yml:1:10: error: unsupported policy version '1.0': this vigild reads version "
		  "1\n"
		  "p.yml:2:8: error: invalid table name 'a-very-long-table-name-of-33-chars': use "
		  "a "
		  "lower-case letter, then up to 31 letters, digits, '_' or '-'\n");
	diags_are("version: 1\ntable: 1abc\n",
		  "p.yml:2:8: error: invalid table name '1abc': use a lower-case letter, then up "
		  "to "
		  "31 letters, digits, '_' or '-'\n");
	diags_are("table: t\n", "p.yml:1:1: error: the policy is missing required key 'version'\n");
}
END_TEST

START_TEST(top_level_values)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	/* defaults: drop, drop, accept; table vigil; a policy without rules is fine */
	ck_assert_int_eq(check_text("p.yml", "version: \"1\"\n", NULL, &pol, &out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(pol.table, "vigil");
	ck_assert_str_eq(pol.file, "p.yml");
	ck_assert_int_eq(pol.defaults[CH_INPUT], VERDICT_DROP);
	ck_assert_int_eq(pol.defaults[CH_FORWARD], VERDICT_DROP);
	ck_assert_int_eq(pol.defaults[CH_OUTPUT], VERDICT_ACCEPT);
	ck_assert_uint_eq(pol.nrules, 0);
	ck_assert_uint_eq(pol.nsets, 0);
	policy_free(&pol);
	free(out);

	ck_assert_int_eq(check_text("p.yml", HEAD "table: fw_2-x\ndefaults: {input: accept, "
					     "forward: accept, output: drop}\n",
				    NULL, &pol, &out),
			 0);
	ck_assert_str_eq(pol.table, "fw_2-x");
	ck_assert_int_eq(pol.defaults[CH_INPUT], VERDICT_ACCEPT);
	ck_assert_int_eq(pol.defaults[CH_FORWARD], VERDICT_ACCEPT);
	ck_assert_int_eq(pol.defaults[CH_OUTPUT], VERDICT_DROP);
	policy_free(&pol);
}
END_TEST

START_TEST(invalid_policy_freed)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	/* nothing of an invalid policy is kept (vigild only prints the
	 * diagnostics and exits): everything is freed and zeroed already */
	ck_assert_int_eq(check_text("p.yml", HEAD "table: BAD\nsets:\n  s: {type: port, elements: "
					     "[1]}\nrules:\n  - {name: a, chain: input, proto: "
					     "tcp, "
					     "dport: \"@s\", action: drop}\n",
				    NULL, &pol, &out),
			 -EINVAL);
	ck_assert_ptr_null(pol.file);
	ck_assert_ptr_null(pol.table);
	ck_assert_ptr_null(pol.rules);
	ck_assert_ptr_null(pol.sets);
	ck_assert_uint_eq(pol.nrules, 0);
	policy_free(&pol); /* harmless */
}
END_TEST

/* nft keywords: found by bsearch, so the list must stay sorted */
START_TEST(keywords)
{
	static const char *const kw[] = { "accept", "tcp", "inet", "counter", "xt", "gc-interval" };
	static const char *const not_kw[] = { "web", "admins", "vigil", "a", "zz", "ssh", "dns" };

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		ck_assert_msg(nft_keyword(kw[i]), "%s", kw[i]);
	for (size_t i = 0; i < sizeof(not_kw) / sizeof(not_kw[0]); i++)
		ck_assert_msg(!nft_keyword(not_kw[i]), "%s", not_kw[i]);
	ck_assert_ptr_nonnull(table_name_problem("inet"));
	ck_assert_ptr_nonnull(table_name_problem("Vigil"));
	ck_assert_ptr_null(table_name_problem("edge-fw_2"));
}
END_TEST

START_TEST(table_option)
{
	struct policy_opts po = { .table = "other" };
	struct diags d = { 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	static const char named[] = HEAD "table: mine\n";
	static const char unnamed[] = HEAD;

	/* a policy naming another table than the one vigild runs for */
	ck_assert_int_eq(policy_compile_buffer("p.yml", named, strlen(named), &po, &pol, &d),
			 -EINVAL);
	out = diags_text(&d);
	ck_assert_str_eq(out, "p.yml:2:8: error: the policy is for table 'mine' but vigild works "
			      "on table 'other'; give --table mine\n");
	policy_free(&pol);
	diags_free(&d);
	/* a policy naming none takes vigild's */
	ck_assert_int_eq(policy_compile_buffer("p.yml", unnamed, strlen(unnamed), &po, &pol, &d),
			 0);
	ck_assert_str_eq(pol.table, "other");
	policy_free(&pol);
	diags_free(&d);
}
END_TEST

START_TEST(set_errors)
{
	diags_are(HEAD "sets:\n"
		  "  Bad: {type: cidr, elements: [192.0.2.1]}\n"
		  "  ports: {type: port, elements: [22, 70000, 5-1, abc, \"@x\", 1-2-3]}\n"
		  "  nets: {type: cidr, elements: [10.0.0.1/8, 10.0.0.0/33, banana, "
		  "\"2001:db8::/129\"]}\n"
		  "  kind: {type: mac, elements: [1]}\n"
		  "  nothing: {type: cidr}\n"
		  "  a-very-long-set-name-of-33-chars_: {type: port, elements: []}\n"
		  "  \"9lives\": {type: port, elements: []}\n"
		  "rules:\n"
		  "  - {name: r, chain: input, proto: tcp, dport: [\"@ports\"], src: [\"@nets\", "
		  "\"@nothing\", \"@kind\"], action: drop}\n",
		  "p.yml:3:3: error: invalid set name 'Bad': use a lower-case letter, then up to "
		  "31 "
		  "letters, digits, '_' or '-'\n"
		  "p.yml:3:3: warning: set 'Bad' is not used by any rule\n"
		  "p.yml:4:38: error: bad port '70000' in set 'ports': not a port number from 0 to "
		  "65535\n"
		  "p.yml:4:45: error: bad port '5-1' in set 'ports': the port range is empty (LOW "
		  "is "
		  "above HIGH)\n"
		  "p.yml:4:50: error: bad port 'abc' in set 'ports': not a port number from 0 to "
		  "65535\n"
		  "p.yml:4:55: error: bad port '@x' in set 'ports': not a port number from 0 to "
		  "65535\n"
		  "p.yml:4:61: error: bad port '1-2-3' in set 'ports': not a port range LOW-HIGH "
		  "of "
		  "numbers from 0 to 65535\n"
		  "p.yml:5:33: error: bad address '10.0.0.1/8' in set 'nets': host bits are set "
		  "after the prefix length\n"
		  "p.yml:5:45: error: bad address '10.0.0.0/33' in set 'nets': the prefix length "
		  "must be a number from 0 to 32\n"
		  "p.yml:5:58: error: bad address 'banana' in set 'nets': not an IPv4 or IPv6 "
		  "address\n"
		  "p.yml:5:66: error: bad address '2001:db8::/129' in set 'nets': the prefix "
		  "length "
		  "must be a number from 0 to 128\n"
		  "p.yml:6:16: error: set 'kind': type must be cidr, address or port, not 'mac'\n"
		  "p.yml:7:3: error: set 'nothing' needs 'elements' or 'file'\n"
		  "p.yml:8:3: error: invalid set name 'a-very-long-set-name-of-33-chars_': use a "
		  "lower-case letter, then up to 31 letters, digits, '_' or '-'\n"
		  "p.yml:8:3: warning: set 'a-very-long-set-name-of-33-chars_' is not used by any "
		  "rule\n"
		  "p.yml:9:3: error: invalid set name '9lives': use a lower-case letter, then up "
		  "to "
		  "31 letters, digits, '_' or '-'\n"
		  "p.yml:9:3: warning: set '9lives' is not used by any rule\n");
}
END_TEST

/* dynamic sets: every bad value located, nothing else reported */
START_TEST(dynamic_sets)
{
	diags_are(HEAD
		  "sets:\n"
		  "  a: {type: address, dynamic: true, timeout: 0}\n"
		  "  b: {type: cidr, dynamic: yes, timeout: 4x, size: 0}\n"
		  "  c: {type: port, dynamic: true}\n"
		  "  d: {type: cidr, dynamic: true, elements: [192.0.2.1]}\n"
		  "  e: {type: address, elements: [192.0.2.1]}\n"
		  "  f: {type: cidr, timeout: 1h, elements: [192.0.2.1]}\n"
		  "  g: {type: cidr, dynamic: perhaps}\n"
		  "  h: {type: cidr, dynamic: true, timeout: 366d, size: 4000001}\n"
		  "rules:\n"
		  "  - {name: r, chain: input, src: [\"@a\", \"@b\", \"@c\", \"@d\", \"@e\", \"@f\", \"@g\", \"@h\"], action: drop}\n",
		  "p.yml:3:46: error: set 'a': timeout must be a duration from 1s to 365d (90, 90s, 30m, 4h, 7d), not '0'\n"
		  "p.yml:4:42: error: set 'b': timeout must be a duration from 1s to 365d (90, 90s, 30m, 4h, 7d), not '4x'\n"
		  "p.yml:4:52: error: set 'b': size must be a number of elements from 1 to 4000000, not '0'\n"
		  "p.yml:5:13: error: set 'c': a dynamic set holds addresses: type cidr or address, not port\n"
		  "p.yml:6:44: error: set 'd' is dynamic: its elements come from 'vigild set add', not from the policy ('elements')\n"
		  "p.yml:7:13: error: set 'e': type address is for dynamic sets (dynamic: true); a set of the policy's own addresses is type cidr\n"
		  "p.yml:8:28: error: set 'f': 'timeout' is for dynamic sets (dynamic: true), whose elements vigild set add puts in\n"
		  "p.yml:9:28: error: set 'g': dynamic must be true or false, not 'perhaps'\n"
		  "p.yml:10:43: error: set 'h': timeout must be a duration from 1s to 365d (90, 90s, 30m, 4h, 7d), not '366d'\n"
		  "p.yml:10:55: error: set 'h': size must be a number of elements from 1 to 4000000, not '4000001'\n"
		  "p.yml:12:47: error: set '@c' holds ports; 'src' needs a set of type cidr\n");
	diags_are_fs(HEAD "sets:\n"
		  "  banned: {type: address, dynamic: true, timeout: 4h, size: 65536}\n"
		  "  nets: {type: cidr, dynamic: true}\n"
		  "rules:\n"
		  "  - {name: r, chain: input, src: [\"@banned\", \"@nets\"], action: drop}\n",
		  NULL, 0, "");
}
END_TEST

START_TEST(set_refs)
{
	diags_are(HEAD "sets:\n"
		  "  ports: {type: port, elements: [22]}\n"
		  "  nets: {type: cidr, elements: [192.0.2.0/24]}\n"
		  "  unused: {type: cidr, elements: [192.0.2.0/24]}\n"
		  "rules:\n"
		  "  - name: r1\n"
		  "    chain: input\n"
		  "    proto: tcp\n"
		  "    src: [\"@nets\", \"@ports\", \"@nope\", \"@port\", \"@nest\"]\n"
		  "    dport: [\"@nets\", 99999, 10-5, \"@\", \"@ports\"]\n"
		  "    action: accept\n",
		  "p.yml:5:3: warning: set 'unused' is not used by any rule\n"
		  "p.yml:10:20: error: set '@ports' holds ports; 'src' needs a set of type cidr\n"
		  "p.yml:10:30: error: unknown set '@nope'\n"
		  "p.yml:10:39: error: unknown set '@port'; did you mean '@ports'?\n"
		  "p.yml:10:48: error: unknown set '@nest'; did you mean '@nets'?\n"
		  "p.yml:11:13: error: set '@nets' holds addresses; 'dport' needs a set of type "
		  "port\n"
		  "p.yml:11:22: error: bad port '99999' in 'dport': not a port number from 0 to "
		  "65535\n"
		  "p.yml:11:29: error: bad port '10-5' in 'dport': the port range is empty (LOW is "
		  "above HIGH)\n"
		  "p.yml:11:35: error: unknown set '@'\n");
}
END_TEST

START_TEST(rule_basics)
{
	diags_are(HEAD "rules:\n"
		  "  - name: Bad_Name\n"
		  "    chain: inbound\n"
		  "    action: allow\n"
		  "    log: maybe\n"
		  "  - name: dup\n"
		  "    chain: input\n"
		  "    action: drop\n"
		  "  - {name: dup, chain: output, action: drop}\n"
		  "  - name: \"-dash\"\n"
		  "    chain: forward\n"
		  "    action: drop\n"
		  "  - name: this-name-is-way-too-long-for-a-rule\n"
		  "    chain: forward\n"
		  "    action: drop\n"
		  "  - name: dup\n"
		  "    chain: input\n"
		  "    action: reject\n"
		  "  - name: has:colon\n"
		  "    chain: input\n"
		  "    action: drop\n"
		  "  - chain: input\n",
		  "p.yml:3:11: error: invalid rule name 'Bad_Name': use lower-case letters, "
		  "digits, "
		  "'_' or '-', up to 32, starting with a letter or digit\n"
		  "p.yml:4:12: error: chain must be input, output or forward, not 'inbound'\n"
		  "p.yml:5:13: error: action must be accept, drop or reject, not 'allow'\n"
		  "p.yml:6:10: error: log must be true, false, unlimited, a rate like 10/second (1 to 1000000 per second, minute, hour or day) or a mapping {rate, burst, prefix, kernel}, not 'maybe'\n"
		  "p.yml:10:12: error: duplicate rule name 'dup' (first used at line 7)\n"
		  "p.yml:11:11: error: invalid rule name '-dash': use lower-case letters, digits, "
		  "'_' or '-', up to 32, starting with a letter or digit\n"
		  "p.yml:14:11: error: invalid rule name 'this-name-is-way-too-long-for-a-rule': "
		  "use "
		  "lower-case letters, digits, '_' or '-', up to 32, starting with a letter or "
		  "digit\n"
		  "p.yml:17:11: error: duplicate rule name 'dup' (first used at line 7)\n"
		  "p.yml:20:11: error: invalid rule name 'has:colon': use lower-case letters, "
		  "digits, '_' or '-', up to 32, starting with a letter or digit\n"
		  "p.yml:23:5: error: rule is missing required key 'name'\n"
		  "p.yml:23:5: error: rule is missing required key 'action'\n");
}
END_TEST

START_TEST(rule_values)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	const struct prule *r;

	ck_assert_int_eq(check_text("p.yml",
				    HEAD "rules:\n"
					 "  - {name: 0a, chain: output, action: reject, log: YES}\n"
					 "  - {name: b_-9, chain: forward, action: accept, log: "
					 "no}\n"
					 "  - {name: c, chain: input, action: drop, log: True, "
					 "comment: "
					 "\"d\xc3\xa9j\xc3\xa0 vu: 'q' #\"}\n",
				    NULL, &pol, &out),
			 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(pol.nrules, 3);
	r = &pol.rules[0];
	ck_assert_str_eq(r->name, "0a");
	ck_assert_uint_eq(r->index, 0);
	ck_assert_int_eq(r->chain, CH_OUTPUT);
	ck_assert_int_eq(r->action, VERDICT_REJECT);
	ck_assert(r->log);
	ck_assert_uint_eq(r->loc.line, 3);
	ck_assert_uint_eq(r->loc.col, 5);
	ck_assert_ptr_null(r->comment);
	ck_assert(!r->src.present && !r->dst.present && !r->sport.present && !r->iif.present);
	ck_assert_uint_eq(r->protos, 0);
	r = &pol.rules[1];
	ck_assert_int_eq(r->chain, CH_FORWARD);
	ck_assert_int_eq(r->action, VERDICT_ACCEPT);
	ck_assert(!r->log);
	r = &pol.rules[2];
	ck_assert_uint_eq(r->index, 2);
	ck_assert(r->log);
	ck_assert_str_eq(r->comment, "d\xc3\xa9j\xc3\xa0 vu: 'q' #");
	policy_free(&pol);
}
END_TEST

START_TEST(comments)
{
	struct strbuf sb = { 0 };
	_cleanup_free_ char *text = NULL;

	diags_are(HEAD "rules:\n  - name: c\n    chain: input\n    action: drop\n"
		  "    comment: \"line1\\nline2\"\n",
		  "p.yml:6:14: error: comment must be one line without control characters\n");
	/* 257 characters: too long; 256 two-byte characters: fine */
	for (int i = 0; i < 257; i++)
		sb_putc(&sb, 'x');
	text = xasprintf(HEAD "rules:\n  - {name: c, chain: input, action: drop, comment: %s}\n",
			 sb.s);
	diags_are(text, "p.yml:3:52: error: comment is 257 characters long; the limit is 256\n");
	sb_free(&sb);
	free(text);
	for (int i = 0; i < 256; i++)
		sb_puts(&sb, "\xc3\xa9");
	text = xasprintf(HEAD "rules:\n  - {name: c, chain: input, action: drop, comment: %s}\n",
			 sb.s);
	diags_are_fs(text, NULL, 0, "");
	sb_free(&sb);
}
END_TEST

START_TEST(protocols)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	diags_are(HEAD "rules:\n"
		  "  - {name: a, chain: input, proto: [tcp, tcp, gre, TCP, 6], action: drop}\n"
		  "  - {name: b, chain: input, proto: [], action: drop}\n",
		  "p.yml:3:42: error: proto 'tcp' is listed twice\n"
		  "p.yml:3:47: error: proto must be tcp, udp, sctp, icmp or icmpv6, not 'gre'\n"
		  "p.yml:3:52: error: proto must be tcp, udp, sctp, icmp or icmpv6, not 'TCP'\n"
		  "p.yml:3:57: error: proto must be tcp, udp, sctp, icmp or icmpv6, not '6'\n"
		  "p.yml:4:36: error: 'proto' is an empty list; leave the key out to match "
		  "anything\n");
	ck_assert_int_eq(check_text("p.yml",
				    HEAD "rules:\n  - {name: a, chain: input, proto: [sctp, "
					 "icmpv6, "
					 "udp, icmp, tcp], action: drop}\n",
				    NULL, &pol, &out),
			 0);
	ck_assert_uint_eq(pol.rules[0].protos, P_TCP | P_UDP | P_SCTP | P_ICMP | P_ICMPV6);
	policy_free(&pol);
}
END_TEST

START_TEST(ports_need_a_port_protocol)
{
	diags_are(HEAD "rules:\n"
		  "  - name: noproto\n"
		  "    chain: input\n"
		  "    sport: 22\n"
		  "    dport: 80\n"
		  "    action: drop\n"
		  "  - name: withicmp\n"
		  "    chain: input\n"
		  "    proto: [tcp, icmp]\n"
		  "    dport: 22\n"
		  "    action: drop\n"
		  "  - name: icmpv6only\n"
		  "    chain: input\n"
		  "    proto: icmpv6\n"
		  "    sport: 1\n"
		  "    action: drop\n"
		  "  - name: badproto\n"
		  "    chain: input\n"
		  "    proto: gre\n"
		  "    dport: 1\n"
		  "    action: drop\n",
		  "p.yml:5:5: error: 'sport' needs 'proto' set to tcp, udp or sctp (ports exist "
		  "only for those)\n"
		  "p.yml:6:5: error: 'dport' needs 'proto' set to tcp, udp or sctp (ports exist "
		  "only for those)\n"
		  "p.yml:11:5: error: 'dport' needs every proto of the rule to be tcp, udp or "
		  "sctp; "
		  "split icmp into its own rule\n"
		  "p.yml:16:5: error: 'sport' needs every proto of the rule to be tcp, udp or "
		  "sctp; "
		  "split icmp into its own rule\n"
		  /* a bad proto is reported once, without consequences piled on */
		  "p.yml:20:12: error: proto must be tcp, udp, sctp, icmp or icmpv6, not 'gre'\n");
}
END_TEST

START_TEST(interfaces)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	diags_are(HEAD "rules:\n"
		  "  - name: iifout\n"
		  "    chain: output\n"
		  "    iif: eth0\n"
		  "    action: drop\n"
		  "  - name: oifin\n"
		  "    chain: input\n"
		  "    oif: [\"eth 0\", \"e*th\", \"*\", \"0123456789abcdef\", \"ok*\", a/b, "
		  "\"a:b\", \"q\\\"\", \"\\\\x\", \"\\t\", \"\\xe9\"]\n"
		  "    action: drop\n",
		  "p.yml:5:5: error: 'iif' cannot be used in chain output: locally sent packets "
		  "have "
		  "no input interface\n"
		  "p.yml:9:5: error: 'oif' cannot be used in chain input: packets for this host "
		  "have "
		  "no output interface\n"
		  "p.yml:9:11: error: bad interface name 'eth 0' in 'oif': interface names cannot "
		  "hold spaces, '/', ':', quotes or backslashes\n"
		  "p.yml:9:20: error: bad interface name 'e*th' in 'oif': '*' may only end an "
		  "interface name (eth* matches eth0, eth1, ...)\n"
		  "p.yml:9:28: error: bad interface name '*' in 'oif': '*' alone matches every "
		  "interface; leave the key out instead\n"
		  "p.yml:9:33: error: bad interface name '0123456789abcdef' in 'oif': interface "
		  "names are 1 to 15 characters long\n"
		  "p.yml:9:60: error: bad interface name 'a/b' in 'oif': interface names cannot "
		  "hold spaces, '/', ':', quotes or backslashes\n"
		  "p.yml:9:65: error: bad interface name 'a:b' in 'oif': interface names cannot "
		  "hold spaces, '/', ':', quotes or backslashes\n"
		  "p.yml:9:72: error: bad interface name 'q\"' in 'oif': interface names cannot "
		  "hold spaces, '/', ':', quotes or backslashes\n"
		  "p.yml:9:79: error: bad interface name '\\x' in 'oif': interface names cannot "
		  "hold spaces, '/', ':', quotes or backslashes\n"
		  "p.yml:9:86: error: bad interface name '\t' in 'oif': interface names cannot "
		  "hold spaces, '/', ':', quotes or backslashes\n"
		  "p.yml:9:92: error: bad interface name '\xc3\xa9' in 'oif': interface names "
		  "are ASCII (letters, digits, '-', '_', '.' and the like)\n");
	/* duplicates go, order stays */
	ck_assert_int_eq(check_text("p.yml",
				    HEAD "rules:\n  - {name: a, chain: forward, action: drop, "
					 "iif: [eth1, \"wg*\", eth0, eth1, \"wg*\", "
					 "\"0123456789abcde\"], "
					 "oif: lo}\n",
				    NULL, &pol, &out),
			 0);
	ck_assert_uint_eq(pol.rules[0].iif.n, 4);
	ck_assert_str_eq(pol.rules[0].iif.names[0], "eth1");
	ck_assert_str_eq(pol.rules[0].iif.names[1], "wg*");
	ck_assert_str_eq(pol.rules[0].iif.names[2], "eth0");
	ck_assert_str_eq(pol.rules[0].iif.names[3], "0123456789abcde");
	ck_assert(pol.rules[0].oif.present);
	ck_assert_uint_eq(pol.rules[0].oif.n, 1);
	ck_assert_str_eq(pol.rules[0].oif.names[0], "lo");
	policy_free(&pol);
}
END_TEST

START_TEST(icmp_types)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	diags_are(HEAD "rules:\n"
		  "  - {name: a, chain: input, proto: tcp, icmp-type: echo-request, action: drop}\n"
		  "  - {name: b, chain: input, icmp-type: echo-request, action: drop}\n"
		  "  - name: c\n"
		  "    chain: input\n"
		  "    proto: icmp\n"
		  "    icmp-type: [nd-neighbor-solicit, 300, bogus, echo-request, 08, -1]\n"
		  "    action: drop\n"
		  "  - name: d\n"
		  "    chain: input\n"
		  "    proto: icmpv6\n"
		  "    icmp-type: [echo-request, source-quench, 255]\n"
		  "    action: drop\n"
		  "  - name: e\n"
		  "    chain: input\n"
		  "    proto: [icmp, icmpv6]\n"
		  "    icmp-type: [echo-request, packet-too-big, redirect, nd-redirect]\n"
		  "    action: drop\n"
		  "  - {name: f, chain: input, proto: [icmp, udp], icmp-type: 0, action: drop}\n",
		  "p.yml:3:41: error: 'icmp-type' needs 'proto' set to icmp or icmpv6 only\n"
		  "p.yml:4:29: error: 'icmp-type' needs 'proto' set to icmp or icmpv6 only\n"
		  "p.yml:8:17: error: 'nd-neighbor-solicit' is not an ICMP (IPv4) type name or "
		  "number 0-255; for IPv6 use proto icmpv6\n"
		  "p.yml:8:38: error: '300' is not an ICMP (IPv4) type name or number 0-255\n"
		  "p.yml:8:43: error: 'bogus' is not an ICMP (IPv4) type name or number 0-255\n"
		  "p.yml:8:64: error: '08' is not an ICMP (IPv4) type name or number 0-255\n"
		  "p.yml:8:68: error: '-1' is not an ICMP (IPv4) type name or number 0-255\n"
		  "p.yml:13:31: error: 'source-quench' is not an ICMPv6 type name or number 0-255; "
		  "for IPv4 use proto icmp\n"
		  "p.yml:18:31: error: 'packet-too-big' is not an ICMP (IPv4) type name or number "
		  "0-255; for IPv6 use proto icmpv6\n"
		  "p.yml:18:47: error: 'redirect' is not an ICMPv6 type name or number 0-255; for "
		  "IPv4 use proto icmp\n"
		  "p.yml:18:57: error: 'nd-redirect' is not an ICMP (IPv4) type name or number "
		  "0-255; for IPv6 use proto icmpv6\n"
		  "p.yml:20:49: error: 'icmp-type' needs 'proto' set to icmp or icmpv6 only\n");
	/* names and numbers per family; duplicates go */
	ck_assert_int_eq(check_text("p.yml",
				    HEAD "rules:\n  - {name: a, chain: input, proto: [icmp, "
					 "icmpv6], "
					 "icmp-type: [echo-request, 3, echo-request, 8, "
					 "destination-unreachable], action: accept}\n",
				    NULL, &pol, &out),
			 0);
	{
		const struct prule *r = &pol.rules[0];
		ck_assert(r->has_icmp_type);
		/* v4: echo-request 8, 3 = destination-unreachable: {3, 8} */
		ck_assert_uint_eq(r->icmp4.n, 2);
		ck_assert(r->icmp4.v[0].lo == 3 && r->icmp4.v[1].lo == 8);
		/* v6: echo-request 128, 3 (time-exceeded), 8, dest-unreach 1 */
		ck_assert_uint_eq(r->icmp6.n, 4);
		ck_assert(r->icmp6.v[0].lo == 1 && r->icmp6.v[1].lo == 3 && r->icmp6.v[2].lo == 8 &&
			  r->icmp6.v[3].lo == 128);
	}
	policy_free(&pol);
}
END_TEST

START_TEST(never_matches)
{
	diags_are(HEAD "sets:\n"
		  "  v6: {type: cidr, elements: [\"2001:db8::/32\"]}\n"
		  "  empty: {type: cidr, elements: []}\n"
		  "rules:\n"
		  "  - name: a\n"
		  "    chain: input\n"
		  "    src: 192.0.2.1\n"
		  "    dst: \"2001:db8::1\"\n"
		  "    action: drop\n"
		  "  - name: b\n"
		  "    chain: input\n"
		  "    proto: icmpv6\n"
		  "    src: 192.0.2.0/24\n"
		  "    action: drop\n"
		  "  - name: c\n"
		  "    chain: input\n"
		  "    proto: icmp\n"
		  "    icmp-type: echo-request\n"
		  "    dst: \"@v6\"\n"
		  "    action: drop\n"
		  "  - {name: d, chain: input, src: 0.0.0.0/0, dst: \"::/0\", action: drop}\n"
		  /* these can match: */
		  "  - {name: e, chain: input, src: \"@empty\", dst: \"::1\", action: drop}\n"
		  "  - {name: f, chain: input, src: [192.0.2.1, \"::1\"], dst: \"::2\", action: "
		  "drop}\n"
		  "  - {name: g, chain: input, proto: [icmp, icmpv6], src: \"::1\", action: drop}\n"
		  "  - {name: h, chain: input, proto: [tcp, icmp], src: \"::1\", action: drop}\n",
		  "p.yml:6:5: error: rule 'a' can never match: src is IPv4 only but dst is IPv6 "
		  "only\n"
		  "p.yml:11:5: error: rule 'b' can never match: its addresses are IPv4 only but "
		  "proto icmpv6 is IPv6 only\n"
		  "p.yml:16:5: error: rule 'c' can never match: its addresses are IPv6 only but "
		  "proto icmp is IPv4 only\n"
		  "p.yml:22:5: error: rule 'd' can never match: src is IPv4 only but dst is IPv6 "
		  "only\n"
		  /* the rules that can match, in part: what the compiler drops, said */
		  "p.yml:23:5: warning: rule 'e' can never match: set '@empty' (src) is empty\n"
		  "p.yml:24:35: warning: rule 'f': the IPv4 entries of 'src' can never match: dst "
		  "is IPv6 only\n"
		  "p.yml:25:37: warning: rule 'g': proto icmp can never match: src is IPv6 only\n"
		  "p.yml:26:42: warning: rule 'h': proto icmp can never match: src is IPv6 only\n");
}
END_TEST

START_TEST(addresses_merged)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	const struct prule *r;

	ck_assert_int_eq(check_text("p.yml",
				    HEAD "sets:\n  s: {type: cidr, elements: [10.0.1.0/24, "
					 "10.0.0.0/24, "
					 "10.0.0.7, \"2001:db8::/33\", \"2001:db8:8000::/33\", "
					 "\"::1\"]}\n"
					 "rules:\n  - {name: a, chain: input, src: [\"@s\", "
					 "192.0.2.0/25, "
					 "192.0.2.128/25, 192.0.2.9, \"@s\", \"fe80::/10\"], "
					 "action: drop}\n",
				    NULL, &pol, &out),
			 0);
	ck_assert_str_eq(out, "");
	/* set: adjacent and overlapping CIDRs merged, per family */
	ck_assert_uint_eq(pol.sets[0].v4.n, 1);
	ck_assert(pol.sets[0].v4.v[0].lo == 0x0a000000 && pol.sets[0].v4.v[0].hi == 0x0a0001ff);
	ck_assert_uint_eq(pol.sets[0].v6.n, 2);
	ck_assert(pol.sets[0].v6.v[0].lo == 1 && pol.sets[0].v6.v[0].hi == 1);
	ck_assert(pol.sets[0].v6.v[1].lo == (u128)0x20010db8 << 96);
	ck_assert(pol.sets[0].v6.v[1].hi == (((u128)0x20010db8 << 96) | (((u128)1 << 96) - 1)));
	ck_assert_uint_eq(pol.sets[0].entries, 6);
	ck_assert_uint_eq(pol.sets[0].uses, 2);
	/* literals merged per family; references kept (twice, as written) */
	r = &pol.rules[0];
	ck_assert(r->src.present);
	ck_assert_uint_eq(r->src.v4.n, 1);
	ck_assert(r->src.v4.v[0].lo == 0xc0000200 && r->src.v4.v[0].hi == 0xc00002ff);
	ck_assert_uint_eq(r->src.v6.n, 1);
	ck_assert_uint_eq(r->src.nrefs, 1); /* "@s" twice is one reference */
	ck_assert_ptr_eq(r->src.refs[0], &pol.sets[0]);
	policy_free(&pol);
}
END_TEST

START_TEST(ports_normalized)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	const struct prule *r;

	ck_assert_int_eq(check_text("p.yml",
				    HEAD "sets:\n  p: {type: port, elements: [443, 80, 80, "
					 "8000-8099, "
					 "8050-8200, 8201]}\n  q: {type: port, elements: [23, "
					 "22]}\n"
					 "rules:\n  - {name: a, chain: input, proto: tcp, dport: "
					 "[23, "
					 "22, 22], sport: [1-10, 5, 11, \"@p\", \"@q\"], action: "
					 "drop}\n",
				    NULL, &pol, &out),
			 0);
	/* a set with a range is merged: 80, 443, 8000-8201 */
	ck_assert_uint_eq(pol.sets[0].ports.n, 3);
	ck_assert(pol.sets[0].ports.v[2].lo == 8000 && pol.sets[0].ports.v[2].hi == 8201);
	/* single values stay single values: {22, 23} */
	ck_assert_uint_eq(pol.sets[1].ports.n, 2);
	r = &pol.rules[0];
	ck_assert_uint_eq(r->dport.lit.n, 2);
	ck_assert(r->dport.lit.v[0].lo == 22 && r->dport.lit.v[1].lo == 23);
	ck_assert_uint_eq(r->sport.lit.n, 1);
	ck_assert(r->sport.lit.v[0].lo == 1 && r->sport.lit.v[0].hi == 11);
	ck_assert_uint_eq(r->sport.nrefs, 2);
	policy_free(&pol);
}
END_TEST

/* ---- set files ---- */

static const char file_policy[] =
	HEAD "sets:\n"
	"  block: {type: cidr, file: lists/block.txt, elements: [192.0.2.1]}\n"
	"  web: {type: port, file: /etc/vigil/web.txt}\n"
	"rules:\n"
	"  - {name: a, chain: input, src: \"@block\", action: drop}\n"
	"  - {name: b, chain: input, proto: tcp, dport: \"@web\", action: accept}\n";

START_TEST(set_files_good)
{
	static const struct fake_file files[] = {
		{ "lists/block.txt", "# blocklist\r\n203.0.113.0/25\r\n\r\n  203.0.113.128/25  # "
				     "second half\n\t2001:db8::/32\n#end", 0, 0 },
		{ "/etc/vigil/web.txt", "80\n443\n8000-8099", 0, 0 },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(check_text("dir/p.yml", file_policy, &fs, &pol, &out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(fs.calls, 2);
	ck_assert_uint_eq(fs.last_max, SETFILE_MAX);
	/* file entries and elements together, merged */
	ck_assert_uint_eq(pol.sets[0].v4.n, 2);
	ck_assert(pol.sets[0].v4.v[0].lo == 0xc0000201);
	ck_assert(pol.sets[0].v4.v[1].lo == 0xcb007100 && pol.sets[0].v4.v[1].hi == 0xcb0071ff);
	ck_assert_uint_eq(pol.sets[0].v6.n, 1);
	ck_assert_uint_eq(pol.sets[0].entries, 4);
	ck_assert_uint_eq(pol.sets[1].ports.n, 3);
	policy_free(&pol);
}
END_TEST

START_TEST(set_files_bad)
{
	static const char bin[] = "1.2.3.4\n5.6.7.8 \x01\x02\n\xff\xfe\n";
	static const struct fake_file files[] = {
		{ "lists/block.txt", "# blocklist\n203.0.113.1/24\n  banana  \n192.0.2.1 "
				     "192.0.2.2\n"
				     "10.0.0.0/33\n::/0\n"
				     "0123456789012345678901234567890123456789012345678901234567890"
				     "1234567890123456789012345678901234567890\n\t\t1.2.3.4/\n",
		  0, 0 },
		{ "/etc/vigil/web.txt", bin, sizeof(bin) - 1, 0 },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };

	struct policy pol;
	_cleanup_free_ char *out = NULL;

	/* set file errors name the file as a path from the working directory
	 * (relative ones are relative to the policy), and LINE:COL in it */
	ck_assert_int_eq(check_text("dir/p.yml", file_policy, &fs, &pol, &out), -EINVAL);
	policy_free(&pol);
	ck_assert_str_eq(out,
		     "/etc/vigil/web.txt:1:1: error: set 'web' is of type port, but its file holds "
		     "addresses: '1.2.3.4' here\n"
		     "/etc/vigil/web.txt:2:9: error: not a text file: byte 0x01; a set file holds "
		     "one port or range a line\n"
		     "dir/lists/block.txt:2:1: error: bad address '203.0.113.1/24' in set 'block': "
		     "host bits are set after the prefix length\n"
		     /* a set file's text is shown only when address-shaped */
		     "dir/lists/block.txt:3:3: error: bad address (an entry of 6 characters, not "
		     "shown: it is not address-shaped) in set 'block': not an IPv4 or IPv6 address\n"
		     "dir/lists/block.txt:4:1: error: one entry a line: '192.0.2.1 192.0.2.2' "
		     "holds "
		     "more than one\n"
		     "dir/lists/block.txt:5:1: error: bad address '10.0.0.0/33' in set 'block': "
		     "the "
		     "prefix length must be a number from 0 to 32\n"
		     "dir/lists/block.txt:7:1: error: entry too long to be an address or prefix\n"
		     "dir/lists/block.txt:8:3: error: bad address '1.2.3.4/' in set 'block': the "
		     "prefix length must be a number from 0 to 32\n");
}
END_TEST

START_TEST(set_files_unreadable)
{
	static const struct fake_file files[] = {
		{ "lists/block.txt", "", 0, -EACCES },
		{ "/etc/vigil/web.txt", "", 0, -EISDIR },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	struct fake_fs none = { NULL, 0, 0, "", 0 };

	diags_are_fs(file_policy, &fs, -EINVAL,
		     "p.yml:3:29: error: cannot read set file 'lists/block.txt': Permission "
		     "denied\n"
		     "p.yml:4:27: error: cannot read set file '/etc/vigil/web.txt': Is a "
		     "directory\n");
	diags_are_fs(file_policy, &none, -EINVAL,
		     "p.yml:3:29: error: cannot read set file 'lists/block.txt': No such file or "
		     "directory\n"
		     "p.yml:4:27: error: cannot read set file '/etc/vigil/web.txt': No such file "
		     "or "
		     "directory\n");
	diags_are_fs(HEAD "sets:\n  e: {type: cidr, file: \"\"}\nrules:\n  - {name: a, chain: "
		     "input, src: \"@e\", action: drop}\n",
		     NULL, -EINVAL, "p.yml:3:25: error: set 'e': 'file' is empty\n");
}
END_TEST

START_TEST(set_files_options)
{
	static const struct fake_file files[] = {
		{ "lists/block.txt", "192.0.2.0/24\n192.0.2.1\n", 0, 0 },
		{ "/etc/vigil/web.txt", "22\n", 0, -EACCES },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	struct policy_opts po = { .read_file = fake_read, .read_ctx = &fs, .max_set_file = 20,
				  .as_user = "vigil" };
	struct policy_opts noread = { 0 };
	struct diags d = { 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	/* the size limit is passed to the reader, and its refusal reported */
	ck_assert_int_eq(policy_compile_buffer("p.yml", file_policy, strlen(file_policy), &po, &pol,
					       &d),
			 -EINVAL);
	ck_assert_uint_eq(fs.last_max, 20);
	out = diags_text(&d);
	ck_assert_str_eq(out, "p.yml:3:29: error: set file 'lists/block.txt' is larger than the "
			      "limit of 0 MiB\n"
			      "p.yml:4:27: error: cannot read set file '/etc/vigil/web.txt': "
			      "Permission denied (vigild reads set files as user 'vigil' after "
			      "dropping privileges: make the file and its directory readable by "
			      "that user)\n");
	policy_free(&pol);
	diags_free(&d);
	free(out);

	/* no reader at all */
	ck_assert_int_eq(policy_compile_buffer("p.yml", file_policy, strlen(file_policy), &noread,
					       &pol, &d),
			 -EINVAL);
	out = diags_text(&d);
	ck_assert_str_eq(out, "p.yml:3:29: error: set 'block': set files cannot be read here\n"
			      "p.yml:4:27: error: set 'web': set files cannot be read here\n");
	policy_free(&pol);
	diags_free(&d);
}
END_TEST

START_TEST(setfile_parse_direct)
{
	struct pset s = { .name = (char *)"p", .type = PSET_PORT };
	struct diags d = { 0 };
	_cleanup_free_ char *out = NULL;
	static const char text[] = "22\n\n  # c\n23-25 # r\n\r\n\t26\t\n99999\n27";

	setfile_parse("f.txt", text, sizeof(text) - 1, &s, &d);
	out = diags_text(&d);
	ck_assert_str_eq(out, "f.txt:7:1: error: bad port '99999' in set 'p': not a port number "
			      "from 0 to 65535\n");
	ck_assert_uint_eq(s.entries, 4);
	ck_assert_uint_eq(s.ports.n, 4); /* appended, not merged */
	ck_assert(s.ports.v[1].lo == 23 && s.ports.v[1].hi == 25);
	ck_assert(s.ports.v[3].lo == 27);
	ivlist_free(&s.ports);
	diags_free(&d);
	free(out);

	/* an empty file, and one of NUL bytes */
	setfile_parse("f.txt", "", 0, &s, &d);
	ck_assert_uint_eq(d.n, 0);
	setfile_parse("f.txt", "\0\0\0\n\0", 5, &s, &d);
	out = diags_text(&d);
	ck_assert_str_eq(out, "f.txt:1:1: error: not a text file: byte 0x00; a set file holds "
			      "one port or range a line\n");
	ck_assert_uint_eq(s.entries, 4);
	diags_free(&d);
}
END_TEST

START_TEST(setfile_entry_limit)
{
	struct pset s = { .name = (char *)"p", .type = PSET_PORT };
	struct diags d = { 0 };
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *want = NULL;
	size_t n = (size_t)SET_MAX_ENTRIES + 2;
	char *buf = xmalloc(2 * n);

	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = '7';
		buf[2 * i + 1] = '\n';
	}
	setfile_parse("f.txt", buf, 2 * n, &s, &d);
	out = diags_text(&d);
	want = xasprintf("f.txt:%u:1: error: set 'p' has more than %u entries\n",
			 SET_MAX_ENTRIES + 1, SET_MAX_ENTRIES);
	ck_assert_str_eq(out, want);
	ivlist_free(&s.ports);
	diags_free(&d);
	free(buf);
}
END_TEST

START_TEST(one_line_messages)
{
	/* escapes cannot smuggle a newline or a terminal control into output */
	diags_are(HEAD "rules:\n  - name: a\n    chain: \"input\\nfake.yml:1:1: error: x\"\n"
		  "    action: \"\\e[31mred\\x7f\"\n",
		  "p.yml:4:12: error: chain must be input, output or forward, not "
		  "'input?fake.yml:1:1: error: x'\n"
		  "p.yml:5:13: error: action must be accept, drop or reject, not '?[31mred?'\n");
}
END_TEST

/* A policy of n rules (and m sets, each used by a rule). */
static char *big_policy(unsigned n, unsigned m, bool dup_last)
{
	struct strbuf sb = { 0 };

	sb_puts(&sb, HEAD "sets:\n");
	for (unsigned i = 0; i < m; i++)
		sb_printf(&sb, "  s%u: {type: port, elements: [%u]}\n", i, i);
	sb_puts(&sb, "rules:\n");
	for (unsigned i = 0; i < n; i++) {
		sb_printf(&sb, "  - {name: r%u, chain: input, action: drop",
			  dup_last && i == n - 1 ? 0 : i);
		if (i < m)
			sb_printf(&sb, ", proto: udp, dport: \"@s%u\"", i);
		sb_puts(&sb, "}\n");
	}
	return sb_take(&sb);
}

START_TEST(rule_limit)
{
	_cleanup_free_ char *ok = big_policy(POLICY_MAX_RULES, 20000, false);
	_cleanup_free_ char *dup = big_policy(POLICY_MAX_RULES, 0, true);
	_cleanup_free_ char *over = big_policy(POLICY_MAX_RULES + 1, 0, false);
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *want = NULL;

	/* the limit itself is fine, and checked in well under the timeout
	 * (names and set references are not compared pairwise) */
	ck_assert_int_eq(check_text("p.yml", ok, NULL, &pol, &out), 0);
	ck_assert_uint_eq(pol.nrules, POLICY_MAX_RULES);
	ck_assert_uint_eq(pol.sets[19999].uses, 1);
	policy_free(&pol);
	want = xasprintf("p.yml:%u:12: error: duplicate rule name 'r0' (first used at line 4)\n",
			 3 + POLICY_MAX_RULES);
	diags_are(dup, want);
	free(want);
	want = xasprintf("p.yml:4:3: error: the policy has %u rules; the limit is %u\n",
			 POLICY_MAX_RULES + 1, POLICY_MAX_RULES);
	diags_are(over, want);
}
END_TEST

START_TEST(many_names)
{
	struct strbuf sb = { 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	unsigned n = 200000;

	/* long interface lists and many sets: no pairwise comparisons */
	sb_puts(&sb, HEAD "sets:\n");
	for (unsigned i = 0; i < n / 2; i++)
		sb_printf(&sb, "  s%u: {type: port, elements: []}\n", i);
	sb_puts(&sb, "rules:\n  - name: a\n    chain: forward\n    action: drop\n    iif: [");
	for (unsigned i = 0; i < n; i++)
		sb_printf(&sb, "%se%u", i ? ", " : "", i % (n / 2));
	sb_puts(&sb, "]\n    proto: tcp\n    dport: [");
	for (unsigned i = 0; i < n; i++)
		sb_printf(&sb, "%s\"@s%u\"", i ? ", " : "", i % (n / 2));
	sb_puts(&sb, "]\n");
	/* every value checked, each set referred to once, and the rule is
	 * refused with its place: 100,000 set references are 100,000 rules */
	ck_assert_int_eq(check_text("p.yml", sb.s, NULL, &pol, &out), -EINVAL);
	ck_assert_str_eq(out, "p.yml:100004:5: error: rule 'a' would become more than 1024 kernel "
			      "rules (one per combination of its set references, interface names "
			      "and address families); put the values into fewer sets\n");
	sb_free(&sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_check");
	TCase *tc = tcase_create("policy_check");

	/* generous for sanitizer builds; the big cases take about a second */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, top_level);
	tcase_add_test(tc, dynamic_sets);
	tcase_add_test(tc, top_level_values);
	tcase_add_test(tc, invalid_policy_freed);
	tcase_add_test(tc, keywords);
	tcase_add_test(tc, table_option);
	tcase_add_test(tc, set_errors);
	tcase_add_test(tc, set_refs);
	tcase_add_test(tc, rule_basics);
	tcase_add_test(tc, rule_values);
	tcase_add_test(tc, comments);
	tcase_add_test(tc, protocols);
	tcase_add_test(tc, ports_need_a_port_protocol);
	tcase_add_test(tc, interfaces);
	tcase_add_test(tc, icmp_types);
	tcase_add_test(tc, never_matches);
	tcase_add_test(tc, addresses_merged);
	tcase_add_test(tc, ports_normalized);
	tcase_add_test(tc, set_files_good);
	tcase_add_test(tc, set_files_bad);
	tcase_add_test(tc, set_files_unreadable);
	tcase_add_test(tc, set_files_options);
	tcase_add_test(tc, setfile_parse_direct);
	tcase_add_test(tc, setfile_entry_limit);
	tcase_add_test(tc, one_line_messages);
	tcase_add_test(tc, rule_limit);
	tcase_add_test(tc, many_names);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
