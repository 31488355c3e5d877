// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a new user trips over (issue 19): other tools' spellings refused with
 * a hint, did-you-mean only when close, no follow-on errors, empty sets and
 * the blocklist formats people already have.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vigil/ival.h"
#include "vigil/policy.h"
#include "vigil/util.h"

#define HEAD "version: 1\n"

static void want_fs(const char *text, struct fake_fs *fs, int want_r, const char *want)
{
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	int r = check_text("p.yml", text, fs, &pol, &out);

	policy_free(&pol);
	ck_assert_msg(streq(out, want), "for:\n%.1500s\ngot:\n%.3000s\nexpected:\n%.3000s", text,
		      out, want);
	ck_assert_msg(r == want_r, "for:\n%.1500s\nreturned %d, expected %d", text, r, want_r);
}

static void want(const char *text, int want_r, const char *text_want)
{
	want_fs(text, NULL, want_r, text_want);
}

/* iptables' and nft's negation, in every field that takes values */
START_TEST(negation_everywhere)
{
	static const struct {
		const char *rule, *want;
	} cases[] = {
		{ "src: \"!10.0.0.0/8\"", "p.yml:3:48: error: bad address '!10.0.0.0/8' in 'src': " },
		{ "dst: \"!= 192.0.2.1\"", "p.yml:3:48: error: bad address '!= 192.0.2.1' in 'dst': " },
		{ "proto: tcp, sport: \"!1024\"", "p.yml:3:62: error: bad port '!1024' in 'sport': " },
		{ "proto: tcp, dport: \"!22\"", "p.yml:3:62: error: bad port '!22' in 'dport': " },
		{ "iif: \"!wan0\"", "p.yml:3:48: error: bad interface name '!wan0' in 'iif': " },
		{ "proto: \"!tcp\"",
		  "p.yml:3:50: error: proto must be tcp, udp, sctp, icmp or icmpv6, not '!tcp': " },
		{ "proto: icmp, icmp-type: \"!echo-request\"",
		  "p.yml:3:67: error: bad ICMP type '!echo-request': " },
		{ "src: \"!@admins\"", "p.yml:3:48: error: bad address '!@admins' in 'src': " },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = xasprintf(
			HEAD "rules:\n  - {name: a, chain: input, action: drop, %s}\n", cases[i].rule);
		_cleanup_free_ char *w = xasprintf("%s" NEGATION_WHY "\n", cases[i].want);
		want(text, -EINVAL, w);
	}
	want(HEAD "rules:\n  - {name: f, chain: forward, oif: \"!eth0\", action: drop}\n", -EINVAL,
	     "p.yml:3:36: error: bad interface name '!eth0' in 'oif': " NEGATION_WHY "\n");
	/* in sets and set files too */
	static const struct fake_file files[] = { { "neg.txt", "192.0.2.1\n!10.0.0.0/8\n", 0, 0 } };
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	want_fs(HEAD "sets:\n"
		     "  a: {type: cidr, elements: [\"!192.0.2.0/24\"], file: neg.txt}\n"
		     "  p: {type: port, elements: [\"!22\"]}\n"
		     "rules:\n"
		     "  - {name: i, chain: input, src: \"@a\", proto: tcp, dport: \"@p\", action: drop}\n",
		&fs, -EINVAL,
		"neg.txt:2:1: error: bad address '!10.0.0.0/8' in set 'a': " NEGATION_WHY "\n"
		"p.yml:3:30: error: bad address '!192.0.2.0/24' in set 'a': " NEGATION_WHY "\n"
		"p.yml:4:30: error: bad port '!22' in set 'p': " NEGATION_WHY "\n");
	/* '!' inside a name is a character like another (Linux allows it) */
	want(HEAD "rules:\n  - {name: a, chain: input, iif: \"wan!\", action: drop}\n", 0, "");
}
END_TEST

/* iptables' interface wildcards */
START_TEST(plus_wildcards)
{
	want(HEAD "rules:\n"
		    "  - {name: a, chain: input, iif: wan+, action: drop}\n"
		    "  - {name: b, chain: forward, iif: eth0, oif: [\"ppp+\", \"+\"], action: drop}\n",
	       -EINVAL,
	       "p.yml:3:34: error: bad interface name 'wan+' in 'iif': '+' is iptables' "
	       "wildcard; vigild's is a trailing '*' (eth* matches eth0, eth1, ...)\n"
	       "p.yml:4:48: error: bad interface name 'ppp+' in 'oif': '+' is iptables' "
	       "wildcard; vigild's is a trailing '*' (eth* matches eth0, eth1, ...)\n"
	       "p.yml:4:56: error: bad interface name '+' in 'oif': '+' alone is iptables' "
	       "'every interface'; leave the key out instead\n");
}
END_TEST

/* ports and prefixes as other tools write them */
START_TEST(port_prefix_spellings)
{
	want(HEAD "sets:\n  p: {type: port, elements: [\"6000:6010\", \"08\"]}\n"
		    "rules:\n"
		    "  - {name: a, chain: input, proto: tcp, dport: \"6000:6010\", action: drop}\n"
		    "  - {name: b, chain: input, proto: tcp, dport: \"80,443\", action: drop}\n"
		    "  - {name: c, chain: input, proto: tcp, dport: \"022\", action: drop}\n"
		    "  - {name: d, chain: input, src: 10.0.0.0/08, action: drop}\n"
		    "  - {name: e, chain: input, proto: udp, dport: 53/udp, action: drop}\n"
		    "  - {name: f, chain: input, src: 010.0.0.1, action: drop}\n"
		    "  - {name: g, chain: input, proto: tcp, dport: \"@p\", action: drop}\n",
	       -EINVAL,
	       "p.yml:3:30: error: bad port '6000:6010' in set 'p': write a port range as "
	       "6000-6010\n"
	       "p.yml:3:43: error: bad port '08' in set 'p': leading zeros are not accepted: "
	       "write 8\n"
	       "p.yml:5:48: error: bad port '6000:6010' in 'dport': write a port range as "
	       "6000-6010\n"
	       "p.yml:6:48: error: bad port '80,443' in 'dport': several values are written as a "
	       "list: [80, 443]\n"
	       "p.yml:7:48: error: bad port '022' in 'dport': leading zeros are not accepted: "
	       "write 22\n"
	       "p.yml:8:34: error: bad address '10.0.0.0/08' in 'src': leading zeros are not "
	       "accepted in a prefix length\n"
	       "p.yml:9:48: error: bad port '53/udp' in 'dport': a port does not name its "
	       "protocol here: write proto: udp and the port 53\n"
	       "p.yml:10:34: error: bad address '010.0.0.1' in 'src': leading zeros are not "
	       "accepted in an IPv4 address (some tools read them as octal, others as "
	       "decimal)\n");
}
END_TEST

/* address ranges, in rules, sets and set files: what show prints */
START_TEST(address_ranges)
{
	static const struct fake_file files[] = {
		{ "r.txt", "198.51.100.10-198.51.100.19\n2001:db8:1::1-2001:db8:1::ff\n", 0, 0 },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(check_text("p.yml",
				    HEAD "sets:\n"
					 "  r: {type: cidr, elements: [192.0.2.10-192.0.2.20], file: r.txt}\n"
					 "rules:\n"
					 "  - {name: a, chain: input, src: \"@r\", action: drop}\n"
					 "  - {name: b, chain: input, src: [\"2001:db8::5-2001:db8::9\", "
					 "192.0.2.1-192.0.2.3], action: drop}\n",
				    &fs, &pol, &out),
			 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(pol.sets[0].v4.n, 2);
	ck_assert(pol.sets[0].v4.v[0].lo == 0xc000020a && pol.sets[0].v4.v[0].hi == 0xc0000214);
	ck_assert(pol.sets[0].v4.v[1].lo == 0xc633640a && pol.sets[0].v4.v[1].hi == 0xc6336413);
	ck_assert_uint_eq(pol.sets[0].v6.n, 1);
	ck_assert(pol.rules[1].src.v4.n == 1 && pol.rules[1].src.v4.v[0].lo == 0xc0000201 &&
		  pol.rules[1].src.v4.v[0].hi == 0xc0000203);
	ck_assert(pol.rules[1].src.v6.n == 1);
	policy_free(&pol);

	want(HEAD "rules:\n"
		    "  - {name: a, chain: input, src: 192.0.2.20-192.0.2.10, action: drop}\n"
		    "  - {name: b, chain: input, src: \"192.0.2.1-2001:db8::1\", action: drop}\n",
	       -EINVAL,
	       "p.yml:3:34: error: bad address '192.0.2.20-192.0.2.10' in 'src': the address "
	       "range is empty (FIRST is above LAST)\n"
	       "p.yml:4:34: error: bad address '192.0.2.1-2001:db8::1' in 'src': both ends of an "
	       "address range must be IPv4, or both IPv6\n");
}
END_TEST

/* an unknown chain: one error, a did-you-mean only when close, nothing that
 * takes the rule for one of chain input */
START_TEST(unknown_chain)
{
	want(HEAD "rules:\n"
		    "  - {name: a, chain: ouptut, oif: eth0, action: drop}\n"
		    "  - {name: b, chain: postrouting, oif: eth0, action: drop}\n"
		    "  - {name: c, chain: INPUT, iif: eth0, action: drop}\n"
		    "  - {name: d, chain: in, oif: eth0, action: drop}\n",
	       -EINVAL,
	       "p.yml:3:22: error: chain must be input, output or forward, not 'ouptut'; did you "
	       "mean 'output'?\n"
	       "p.yml:4:22: error: chain must be input, output or forward, not 'postrouting'\n"
	       "p.yml:5:22: error: chain must be input, output or forward, not 'INPUT'; did you "
	       "mean 'input'?\n"
	       "p.yml:6:22: error: chain must be input, output or forward, not 'in'\n");
	/* rules without a chain draw no warnings about their order */
	want(HEAD "rules:\n"
		    "  - {name: a, oif: eth0, action: drop}\n"
		    "  - {name: b, oif: eth0, action: drop}\n",
	       -EINVAL,
	       "p.yml:3:5: error: rule is missing required key 'chain'\n"
	       "p.yml:4:5: error: rule is missing required key 'chain'\n");
	/* nor do rules of a policy with an error anywhere else */
	want(HEAD "rules:\n"
		    "  - {name: a, chain: input, action: drop}\n"
		    "  - {name: b, chain: input, proto: tcp, action: drop, to: x}\n",
	       -EINVAL,
	       "p.yml:4:55: error: unknown key 'to' in rule; expected one of: name, chain, proto, "
	       "src, dst, sport, dport, iif, oif, icmp-type, action, log, comment, limit, per-source, ct-count, over\n");
}
END_TEST

/* did-you-mean only for a likely typo */
START_TEST(close_suggestions)
{
	want(HEAD "sets:\n"
		    "  admins: {type: cidr, elements: [192.0.2.1]}\n"
		    "  web: {type: port, elements: [80]}\n"
		    "rules:\n"
		    "  - {name: a, chain: input, src: [\"@admin\", \"@dev\", \"@Admins\"], action: drop}\n"
		    "  - {name: b, chain: input, proto: tcp, dport: [\"@wbe\", \"@we\"], action: drop}\n",
	       -EINVAL,
	       "p.yml:3:3: warning: set 'admins' is not used by any rule\n"
	       "p.yml:4:3: warning: set 'web' is not used by any rule\n"
	       "p.yml:6:35: error: unknown set '@admin'; did you mean '@admins'?\n"
	       "p.yml:6:45: error: unknown set '@dev'\n"
	       "p.yml:6:53: error: unknown set '@Admins'; did you mean '@admins'?\n"
	       "p.yml:7:49: error: unknown set '@wbe'; did you mean '@web'?\n"
	       "p.yml:7:57: error: unknown set '@we'; did you mean '@web'?\n");
}
END_TEST

START_TEST(suggest_limits)
{
	static const char *const keys[] = { "name", "chain", "proto", "src", "dst", "sport",
					    "dport", "iif", "oif", "action", "log", "comment" };
	static const struct {
		const char *typed, *want;
	} cases[] = {
		{ "to", "" },
		{ "rate", "" },
		{ "limit", "" },
		{ "protocol", "" },
		{ "source", "" },
		{ "dprot", "; did you mean 'dport'?" },
		{ "port", "; did you mean 'sport' or 'dport'?" },
		{ "actoin", "; did you mean 'action'?" },
		{ "Chain", "; did you mean 'chain'?" },
		{ "coment", "; did you mean 'comment'?" },
		{ "iff", "; did you mean 'iif'?" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct suggest sg;
		struct strbuf sb = { 0 };

		suggest_init(&sg, cases[i].typed);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			suggest_try(&sg, keys[k]);
		suggest_format(&sg, "", &sb);
		ck_assert_msg(streq(sb.s ? sb.s : "", cases[i].want), "'%s': got '%s', want '%s'",
			      cases[i].typed, sb.s ? sb.s : "", cases[i].want);
		sb_free(&sb);
	}
}
END_TEST

/* empty sets: the rule, or the entry, that can never match */
START_TEST(empty_sets)
{
	static const struct fake_file files[] = {
		{ "empty.txt", "", 0, 0 },
		{ "comments.txt", "# admins, one a line\n\n; none yet\n", 0, 0 },
		{ "one.txt", "192.0.2.1\n", 0, 0 },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };

	want_fs(HEAD "sets:\n"
		       "  nobody: {type: cidr, elements: []}\n"
		       "  noports: {type: port, elements: []}\n"
		       "  admins: {type: cidr, file: empty.txt}\n"
		       "  later: {type: cidr, file: comments.txt}\n"
		       "  both: {type: cidr, elements: [10.0.0.1], file: empty.txt}\n"
		       "  one: {type: cidr, file: one.txt}\n"
		       "rules:\n"
		       "  - {name: a, chain: input, src: \"@nobody\", action: accept}\n"
		       "  - {name: b, chain: input, proto: tcp, dport: [\"@noports\", 22], action: accept}\n"
		       "  - {name: c, chain: input, src: [\"@admins\", \"@later\"], action: drop}\n"
		       "  - {name: d, chain: input, src: [\"@both\", \"@one\", \"@nobody\"], action: drop}\n"
		       "  - {name: e, chain: input, proto: udp, sport: \"@noports\", action: drop}\n",
		  &fs, 0,
		  "p.yml:5:30: warning: set file 'empty.txt' holds no entries: the set is empty\n"
		  "p.yml:6:29: warning: set file 'comments.txt' holds no entries: the set is empty\n"
		  "p.yml:7:50: warning: set file 'empty.txt' holds no entries\n"
		  "p.yml:10:5: warning: rule 'a' can never match: set '@nobody' (src) is empty\n"
		  "p.yml:11:49: warning: rule 'b': set '@noports' in 'dport' is empty, so this entry "
		  "matches nothing\n"
		  "p.yml:12:5: warning: rule 'c' can never match: sets '@admins' and '@later' (src) "
		  "are empty\n"
		  "p.yml:13:52: warning: rule 'd': set '@nobody' in 'src' is empty, so this entry "
		  "matches nothing\n"
		  "p.yml:14:5: warning: rule 'e' can never match: set '@noports' (sport) is "
		  "empty\n");
	/* an empty set file alone (no rule uses the set) is still said */
	want_fs(HEAD "sets:\n  admins: {type: cidr, file: empty.txt}\n", &fs, 0,
		  "p.yml:3:3: warning: set 'admins' is not used by any rule\n"
		  "p.yml:3:30: warning: set file 'empty.txt' holds no entries: the set is empty\n");
}
END_TEST

/* the halves of a rule the compiler drops, said (test_warn.c holds them to
 * the compiled rules) */
START_TEST(family_halves)
{
	want(HEAD "sets:\n"
		    "  v6: {type: cidr, elements: [\"2001:db8:6::/48\"]}\n"
		    "  mixed: {type: cidr, elements: [203.0.113.0/24, \"2001:db8:7::/48\"]}\n"
		    "rules:\n"
		    "  - {name: a, chain: input, src: [192.0.2.0/24, \"2001:db8::/32\"], dst: "
		    "198.51.100.1, action: drop}\n"
		    "  - {name: b, chain: input, proto: [icmp, icmpv6], src: 192.0.2.0/24, action: "
		    "accept}\n"
		    "  - {name: c, chain: input, src: [\"@v6\", 192.0.2.1], dst: 198.51.100.2, action: "
		    "drop}\n"
		    "  - {name: d, chain: input, src: \"@mixed\", dst: 198.51.100.1, action: drop}\n"
		    "  - {name: e, chain: input, proto: icmp, src: [192.0.2.1, \"2001:db8::1\"], action: "
		    "drop}\n"
		    "  - {name: f, chain: input, proto: [icmp, icmpv6], icmp-type: echo-request, dst: "
		    "\"2001:db8::1\", action: drop}\n"
		    "  - {name: g, chain: input, proto: [icmp, icmpv6], action: drop}\n",
	       0,
	       "p.yml:6:49: warning: rule 'a': the IPv6 entries of 'src' can never match: dst is "
	       "IPv4 only\n"
	       "p.yml:7:43: warning: rule 'b': proto icmpv6 can never match: src is IPv4 only\n"
	       "p.yml:8:35: warning: rule 'c': set '@v6' in 'src' can never match: it holds only "
	       "IPv6 addresses and dst is IPv4 only\n"
	       "p.yml:10:59: warning: rule 'e': the IPv6 entries of 'src' can never match: proto "
	       "icmp is IPv4 only\n"
	       "p.yml:11:37: warning: rule 'f': proto icmp can never match: dst is IPv6 only\n");
}
END_TEST

/* the formats public blocklists ship in */
START_TEST(blocklist_formats)
{
	static const char drop[] =
		"; Spamhaus DROP List 2024/05/14 - (c) 2024 The Spamhaus Project SLU\n"
		"; https://www.spamhaus.org/drop/drop.txt\n"
		"; Last-Modified: Tue, 14 May 2024 10:12:31 GMT\n"
		"; Expires: Tue, 14 May 2024 11:13:40 GMT\n"
		"1.10.16.0/20 ; SBL256894\n"
		"1.19.0.0/16 ; SBL434604\n";
	static const char firehol[] = "#\n# firehol_level1\n#\n# ipv4 hash:net ipset\n#\n"
				      "0.0.0.0/8\n1.10.16.0/20\n\n5.8.37.0/24\n";
	static const char crlf[] = "192.0.2.0/24\r\n\r\n# c\r\n198.51.100.7 # host\r\n";
	static const struct fake_file files[] = {
		{ "drop.txt", drop, 0, 0 },
		{ "firehol.netset", firehol, 0, 0 },
		{ "crlf.txt", crlf, 0, 0 },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(check_text("p.yml",
				    HEAD "sets:\n"
					 "  drop: {type: cidr, file: drop.txt}\n"
					 "  fh: {type: cidr, file: firehol.netset}\n"
					 "  crlf: {type: cidr, file: crlf.txt}\n"
					 "rules:\n"
					 "  - {name: a, chain: input, src: [\"@drop\", \"@fh\", \"@crlf\"], action: drop}\n",
				    &fs, &pol, &out),
			 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(pol.sets[0].entries, 2);
	ck_assert_uint_eq(pol.sets[1].entries, 3);
	ck_assert_uint_eq(pol.sets[2].entries, 2);
	policy_free(&pol);
}
END_TEST

/* a set file of the wrong type: said once, not per line */
START_TEST(wrong_type_file)
{
	static const struct fake_file files[] = {
		{ "addrs.txt", "# admins\n192.0.2.1\n192.0.2.2\n2001:db8::1\n10.0.0.0/8\n", 0, 0 },
		{ "ports.txt", "22\n80-90\n", 0, 0 },
		{ "one.txt", "443\n192.0.2.9\n", 0, 0 },
		{ "lists.txt", "80,443\n", 0, 0 },
	};
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };

	want_fs(HEAD "sets:\n"
		       "  web: {type: port, file: addrs.txt}\n"
		       "  nets: {type: cidr, file: ports.txt}\n"
		       "  mixed: {type: port, file: one.txt}\n"
		       "  l: {type: port, file: lists.txt}\n"
		       "rules:\n"
		       "  - {name: a, chain: input, proto: tcp, dport: [\"@web\", \"@mixed\", \"@l\"], "
		       "src: \"@nets\", action: drop}\n",
		  &fs, -EINVAL,
		  "addrs.txt:2:1: error: set 'web' is of type port, but its file holds addresses: "
		  "'192.0.2.1' here and on 3 more lines\n"
		  "lists.txt:1:1: error: one entry a line: '80,443' holds more than one\n"
		  "one.txt:2:1: error: set 'mixed' is of type port, but its file holds addresses: "
		  "'192.0.2.9' here\n"
		  "ports.txt:1:1: error: set 'nets' is of type cidr, but its file holds ports: '22' "
		  "here and on 1 more line\n");
}
END_TEST

/* every set-file error names the directory a relative path was read from */
START_TEST(set_dir_named)
{
	static const struct fake_file files[] = {
		{ "big.txt", "", 0, -EFBIG },
		{ "dev.txt", "", 0, POLICY_READ_NOT_REGULAR },
		{ "locked.txt", "", 0, -EACCES },
		{ "empty.txt", "", 0, 0 },
	};
	static const char text[] =
		HEAD "sets:\n"
		     "  a: {type: cidr, file: missing.txt}\n"
		     "  b: {type: cidr, file: big.txt}\n"
		     "  c: {type: cidr, file: dev.txt}\n"
		     "  d: {type: cidr, file: locked.txt}\n"
		     "  e: {type: cidr, file: /etc/vigil/abs.txt}\n"
		     "  f: {type: cidr, file: empty.txt}\n"
		     "rules:\n"
		     "  - {name: r, chain: input, src: [\"@a\", \"@b\", \"@c\", \"@d\", \"@e\", \"@f\"], action: drop}\n";
	struct fake_fs fs = { files, ARRAY_SIZE(files), 0, "", 0 };
	struct policy_opts po = { .read_file = fake_read, .read_ctx = &fs, .as_user = "vigil",
				  .set_dir = "/srv/fw", .set_dir_is_cwd = false };
	struct diags d = { 0 };
	struct policy pol;
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *out2 = NULL;

	ck_assert_int_eq(policy_compile_buffer("p.yml", text, strlen(text), &po, &pol, &d), -EINVAL);
	out = diags_text(&d);
	diags_free(&d);
	ck_assert_str_eq(
		out,
		"p.yml:3:25: error: cannot read set file 'missing.txt' (looked in /srv/fw, the "
		"policy's directory): No such file or directory\n"
		"p.yml:4:25: error: set file 'big.txt' (looked in /srv/fw, the policy's directory) is "
		"larger than the limit of 64 MiB\n"
		"p.yml:5:25: error: set file 'dev.txt' (looked in /srv/fw, the policy's directory) is "
		"not a regular file (a pipe, a device or a socket): set files are read whole, from "
		"regular files only\n"
		"p.yml:6:25: error: cannot read set file 'locked.txt' (looked in /srv/fw, the policy's "
		"directory): Permission denied (vigild reads set files as user 'vigil' after dropping "
		"privileges: make the file and its directory readable by that user)\n"
		"p.yml:7:25: error: cannot read set file '/etc/vigil/abs.txt': No such file or "
		"directory\n"
		"p.yml:8:25: warning: set file 'empty.txt' (looked in /srv/fw, the policy's directory) "
		"holds no entries: the set is empty\n"
		"p.yml:10:65: warning: rule 'r': set '@f' in 'src' is empty, so this entry matches "
		"nothing\n");

	/* a policy from stdin: relative to the working directory */
	po.set_dir = "/home/alice";
	po.set_dir_is_cwd = true;
	ck_assert_int_eq(policy_compile_buffer("<stdin>", text, strlen(text), &po, &pol, &d),
			 -EINVAL);
	out2 = diags_text(&d);
	diags_free(&d);
	ck_assert_msg(strstr(out2, "<stdin>:3:25: error: cannot read set file 'missing.txt' "
				   "(looked in /home/alice, the working directory: the policy "
				   "came from stdin): No such file or directory\n"),
		      "%s", out2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_diag");
	TCase *tc = tcase_create("policy_diag");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, negation_everywhere);
	tcase_add_test(tc, plus_wildcards);
	tcase_add_test(tc, port_prefix_spellings);
	tcase_add_test(tc, address_ranges);
	tcase_add_test(tc, unknown_chain);
	tcase_add_test(tc, close_suggestions);
	tcase_add_test(tc, suggest_limits);
	tcase_add_test(tc, empty_sets);
	tcase_add_test(tc, family_halves);
	tcase_add_test(tc, blocklist_formats);
	tcase_add_test(tc, wrong_type_file);
	tcase_add_test(tc, set_dir_named);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
