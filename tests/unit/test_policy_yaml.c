// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_yaml: syntax errors, the shape check, limits, the canonical text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vigil/ival.h"
#include "vigil/policy_load.h"
#include "vigil/policy_yaml.h"
#include "vigil/util.h"

/* Parses len bytes; returns the result and every diagnostic as text. */
static int parse_n(const char *buf, size_t len, char **out, struct ydoc *doc)
{
	struct diags d = { 0 };
	int r;

	memset(doc, 0, sizeof(*doc));
	r = policy_yaml_parse("p.yml", buf, len, doc, &d);
	*out = diags_text(&d);
	diags_free(&d);
	return r;
}

/* Expects exactly `want` (all diagnostics) from parsing text. */
static void shape_is(const char *text, int want_r, const char *want)
{
	struct ydoc doc;
	_cleanup_free_ char *out = NULL;
	int r = parse_n(text, strlen(text), &out, &doc);

	ydoc_free(&doc);
	/* Check's messages are limited in size: show only the start of text */
	ck_assert_msg(streq(out, want), "for:\n%.300s\ngot:\n%.2000s\nexpected:\n%.2000s", text,
		      out, want);
	ck_assert_msg(r == want_r, "for:\n%.300s\nreturned %d, expected %d", text, r, want_r);
}

START_TEST(syntax_errors)
{
	shape_is("version: 1\nrules:\n  - name: a\n    chain: [input\n", -EINVAL,
		 "p.yml:5:1: error: YAML syntax error: did not find expected ',' or ']' "
		 "(while parsing a flow sequence at line 4)\n");
	shape_is("version: 1\nrules:\n  - name: a\n   chain: input\n", -EINVAL,
		 "p.yml:4:4: error: YAML syntax error: did not find expected '-' indicator "
		 "(while parsing a block collection at line 3)\n");
	shape_is("version: 1\n\tfoo: bar\n", -EINVAL,
		 "p.yml:2:1: error: a tab in the indentation: YAML does not allow tabs for "
		 "indentation (indent with spaces)\n");
	shape_is("version: \"1\n", -EINVAL,
		 "p.yml:2:1: error: YAML syntax error: found unexpected end of stream "
		 "(while scanning a quoted scalar at line 1)\n");
	shape_is("version: 1\nrules:\n  - name: x\n    chain: @\n", -EINVAL,
		 "p.yml:4:12: error: YAML reserves '@' at the start of a value: quote it: \"@\"\n");
	shape_is("a: b\nc\n", -EINVAL,
		 "p.yml:3:1: error: YAML syntax error: could not find expected ':' "
		 "(while scanning a simple key at line 2)\n");
	shape_is("{\"a\": \"b\", \"c\": %}\n", -EINVAL,
		 "p.yml:1:17: error: YAML syntax error: found character that cannot start any "
		 "token (while scanning for the next token)\n");
	shape_is("rules: [a, b\nversion: 1\n", -EINVAL,
		 "p.yml:2:8: error: YAML syntax error: did not find expected ',' or ']' "
		 "(while parsing a flow sequence at line 1)\n");
	shape_is("version: \"\\q\"\n", -EINVAL,
		 "p.yml:1:11: error: YAML syntax error: found unknown escape character "
		 "(while parsing a quoted scalar)\n");
}
END_TEST

/* The YAML mistakes every new user makes: a hint instead of libyaml's words. */
START_TEST(syntax_hints)
{
	const char *tab = "error: a tab in the indentation: YAML does not allow tabs for "
			  "indentation (indent with spaces)\n";
	_cleanup_free_ char *t1 = xasprintf("p.yml:3:1: %s", tab);
	_cleanup_free_ char *t2 = xasprintf("p.yml:4:5: %s", tab);
	_cleanup_free_ char *t3 = xasprintf("p.yml:5:1: %s", tab);

	/* an unquoted @set, in block and flow style, and a backtick */
	shape_is("version: 1\nrules:\n  - name: a\n    src: @admins\n", -EINVAL,
		 "p.yml:4:10: error: YAML reserves '@' at the start of a value: quote it: "
		 "\"@admins\"\n");
	shape_is("version: 1\nrules:\n  - {name: a, src: [192.0.2.1, @admins], action: drop}\n",
		 -EINVAL,
		 "p.yml:3:32: error: YAML reserves '@' at the start of a value: quote it: "
		 "\"@admins\"\n");
	shape_is("version: 1\nrules:\n  - {name: a, src: `x`}\n", -EINVAL,
		 "p.yml:3:20: error: YAML reserves '`' at the start of a value: quote it: "
		 "\"`x`\"\n");
	/* tabs: at the start of a line, after spaces, before a value */
	shape_is("version: 1\nrules:\n\t- name: a\n", -EINVAL, t1);
	shape_is("version: 1\nrules:\n  - name: a\n    \tchain: input\n", -EINVAL, t2);
	shape_is("version: 1\nrules:\n  - name: a\n    chain:\n\t  input\n", -EINVAL, t3);
	/* IPv6 addresses that start with ':' in flow style (block style reads them) */
	shape_is("version: 1\nrules:\n  - {name: a, chain: input, src: ::1, action: drop}\n",
		 -EINVAL,
		 "p.yml:3:34: error: quote IPv6 addresses that start with ':' in a flow list or "
		 "mapping: \"::1\"\n");
	shape_is("version: 1\nsets:\n  a: {type: cidr, elements: [192.0.2.1,::ffff:1.2.3.4]}\n",
		 -EINVAL,
		 "p.yml:3:40: error: quote IPv6 addresses that start with ':' in a flow list or "
		 "mapping: \"::ffff:1.2.3.4\"\n");
	/* iptables' negation: a tag in YAML */
	shape_is("version: 1\nrules:\n  - {name: a, chain: input, action: !drop}\n", -EINVAL,
		 "p.yml:3:37: error: YAML reads a value that starts with '!' as a tag (quote it to "
		 "keep the '!'); if it is meant as a negation: " NEGATION_WHY "\n");
	shape_is("version: 1\nrules:\n  - name: a\n    chain: input\n    iif: !wan0\n    action: drop\n", 0,
		 "p.yml:5:10: error: YAML reads '!wan0' as a tag, not a value; if it is meant as a "
		 "negation: " NEGATION_WHY "\n");
	/* the hint only where its cause is: other scanner errors stay as they are */
	shape_is("version: 1\nrules: [a: b: c]\n", -EINVAL,
		 "p.yml:2:13: error: YAML syntax error: did not find expected ',' or ']' (while "
		 "parsing a flow sequence)\n");
}
END_TEST

START_TEST(reader_errors)
{
	struct ydoc doc;
	_cleanup_free_ char *out = NULL;
	static const char bad_utf8[] = "version: 1\nrules:\n  - name: \xff\xfe\n";
	static const char nul[] = "version: 1\ntable: a\0b\n";
	static const char ctl[] = "version: 1\ntable: \"\x01\"\n";
	static const char col[] = "version: 1\n# \xc3\xa9\xc3\xa9\x80\n";

	/* positions come from the byte offset: line, and column in characters */
	ck_assert_int_eq(parse_n(bad_utf8, sizeof(bad_utf8) - 1, &out, &doc), -EINVAL);
	ck_assert_str_eq(out, "p.yml:3:11: error: not a YAML text file: invalid leading UTF-8 "
			      "octet (byte 0xff)\n");
	ydoc_free(&doc);
	free(out);
	ck_assert_int_eq(parse_n(nul, sizeof(nul) - 1, &out, &doc), -EINVAL);
	ck_assert_str_eq(out, "p.yml:2:9: error: not a YAML text file: control characters are "
			      "not allowed (byte 0x00)\n");
	ydoc_free(&doc);
	free(out);
	ck_assert_int_eq(parse_n(ctl, sizeof(ctl) - 1, &out, &doc), -EINVAL);
	ck_assert_str_eq(out, "p.yml:2:9: error: not a YAML text file: control characters are "
			      "not allowed (byte 0x01)\n");
	ydoc_free(&doc);
	free(out);
	ck_assert_int_eq(parse_n(col, sizeof(col) - 1, &out, &doc), -EINVAL);
	ck_assert_str_eq(out, "p.yml:2:5: error: not a YAML text file: invalid leading UTF-8 "
			      "octet (byte 0x80)\n");
	ydoc_free(&doc);
}
END_TEST

START_TEST(empty_documents)
{
	shape_is("", -EINVAL, "p.yml:1:1: error: the policy is empty\n");
	shape_is("# nothing here\n\n", -EINVAL, "p.yml:1:1: error: the policy is empty\n");
	shape_is("---\n...\n", -EINVAL, "p.yml:2:1: error: the policy is empty\n");
	shape_is("~\n", -EINVAL, "p.yml:1:1: error: the policy is empty\n");
	shape_is("hello\n", -EINVAL,
		 "p.yml:1:1: error: the policy must be a mapping of keys (version, sets, rules, "
		 "...), not a single value\n");
	shape_is("- a\n- b\n", -EINVAL,
		 "p.yml:1:1: error: the policy must be a mapping of keys (version, sets, rules, "
		 "...), not a list\n");
}
END_TEST

START_TEST(multiple_documents)
{
	shape_is("version: 1\n---\nversion: 1\n", -EINVAL,
		 "p.yml:2:1: error: only one YAML document is allowed in a policy\n");
	shape_is("--- \nversion: 1\n...\n--- \n", -EINVAL,
		 "p.yml:4:1: error: only one YAML document is allowed in a policy\n");
	/* one explicit document is fine */
	shape_is("---\nversion: 1\n...\n", 0, "");
}
END_TEST

START_TEST(unknown_keys)
{
	shape_is("version: 1\nrulez: []\nsets:\n  a: {type: cidr, elemnts: [192.0.2.1], fiel: x}\n"
		 "rules:\n  - name: a\n    chain: input\n    action: accept\n    dprot: 22\n"
		 "    sprot: 1\n    actoin: drop\n    iff: eth0\n    zzzzzzzz: 1\n"
		 "defaults: {inptu: drop, foo: accept}\n",
		 0,
		 "p.yml:2:1: error: unknown key 'rulez' in the policy; did you mean 'rules'?\n"
		 "p.yml:4:19: error: unknown key 'elemnts' in set 'a'; did you mean 'elements'?\n"
		 "p.yml:4:41: error: unknown key 'fiel' in set 'a'; did you mean 'file'?\n"
		 "p.yml:9:5: error: unknown key 'dprot' in rule; did you mean 'dport'?\n"
		 "p.yml:10:5: error: unknown key 'sprot' in rule; did you mean 'sport'?\n"
		 "p.yml:11:5: error: unknown key 'actoin' in rule; did you mean 'action'?\n"
		 "p.yml:12:5: error: unknown key 'iff' in rule; did you mean 'iif'?\n"
		 "p.yml:13:5: error: unknown key 'zzzzzzzz' in rule; expected one of: name, chain, "
		 "proto, src, dst, sport, dport, iif, oif, icmp-type, action, log, comment, limit, per-source, ct-count, over\n"
		 "p.yml:14:12: error: unknown key 'inptu' in defaults; did you mean 'input'?\n"
		 "p.yml:14:25: error: unknown key 'foo' in defaults; expected one of: input, "
		 "forward, output, log\n");
	/* a very long key gets no suggestion, and no crash */
	{
		struct strbuf sb = { 0 };
		_cleanup_free_ char *want = NULL;
		sb_puts(&sb, "version: 1\n");
		for (int i = 0; i < 300; i++)
			sb_putc(&sb, 'k');
		sb_puts(&sb, ": 1\n");
		want = xasprintf("p.yml:2:1: error: unknown key '%.300s' in the policy; expected "
				 "one of: version, table, revoke, defaults, sets, rules, nat, zones\n",
				 sb.s + strlen("version: 1\n"));
		shape_is(sb.s, 0, want);
		sb_free(&sb);
	}
}
END_TEST

START_TEST(wrong_kinds)
{
	shape_is("version: [1]\ntable: {a: b}\ndefaults: [drop]\nsets: [a]\nrules: {a: b}\n", 0,
		 "p.yml:1:10: error: 'version' must be a single value, not a list\n"
		 "p.yml:2:8: error: 'table' must be a single value, not a mapping\n"
		 "p.yml:3:11: error: 'defaults' must be a mapping, not a list\n"
		 "p.yml:4:7: error: 'sets' must be a mapping of set names to sets, not a list\n"
		 "p.yml:5:8: error: 'rules' must be a list of rules, not a mapping\n");
	shape_is("version: 1\ndefaults:\n  input: [drop]\nsets:\n  a: [1]\n  b: 5\n  c:\n"
		 "rules:\n  - 5\n  - name: {x: 1}\n    chain: input\n    action: accept\n"
		 "    src: {a: 1}\n    dst: [[1], {a: b}, ~]\n    dport: []\n    sport:\n"
		 "  - []\n  -\n",
		 0,
		 "p.yml:3:10: error: 'input' must be a single value, not a list\n"
		 "p.yml:5:6: error: set 'a' must be a mapping with 'type' and 'elements' or "
		 "'file'\n"
		 "p.yml:6:6: error: set 'b' must be a mapping with 'type' and 'elements' or "
		 "'file'\n"
		 "p.yml:7:3: error: set 'c' must be a mapping with 'type' and 'elements' or "
		 "'file'\n"
		 "p.yml:9:5: error: each rule must be a mapping, not a single value\n"
		 "p.yml:10:11: error: 'name' must be a single value, not a mapping\n"
		 "p.yml:13:10: error: 'src' must be a value or a list of values, not a mapping\n"
		 "p.yml:14:11: error: each item of 'dst' must be a single value, not a list\n"
		 "p.yml:14:16: error: each item of 'dst' must be a single value, not a mapping\n"
		 "p.yml:14:24: error: empty item in 'dst'\n"
		 "p.yml:15:12: error: 'dport' is an empty list; leave the key out to match "
		 "anything\n"
		 "p.yml:16:11: error: 'sport' has no value; leave the key out to match anything\n"
		 "p.yml:17:5: error: each rule must be a mapping, not a list\n"
		 "p.yml:18:4: error: each rule must be a mapping, not empty\n");
	/* keys must be names */
	shape_is("version: 1\n? [a]\n: 1\n~: 2\n", 0,
		 "p.yml:2:3: error: keys in the policy must be plain names\n"
		 "p.yml:4:1: error: keys in the policy must be plain names\n");
	/* required keys */
	shape_is("version: 1\nsets:\n  a: {elements: []}\nrules:\n  - {}\n  - chain: input\n", 0,
		 "p.yml:3:6: error: set 'a' is missing required key 'type'\n"
		 "p.yml:5:5: error: rule is missing required key 'name'\n"
		 "p.yml:5:5: error: rule is missing required key 'chain'\n"
		 "p.yml:5:5: error: rule is missing required key 'action'\n"
		 "p.yml:6:5: error: rule is missing required key 'name'\n"
		 "p.yml:6:5: error: rule is missing required key 'action'\n");
	/* scalars with no value */
	shape_is("version:\ntable: ~\ndefaults:\nsets:\nrules:\n", 0,
		 "p.yml:1:9: error: 'version' has no value\n"
		 "p.yml:2:8: error: 'table' has no value\n");
}
END_TEST

START_TEST(duplicates)
{
	shape_is("version: 1\nversion: 1\nsets:\n  a: {type: cidr, elements: []}\n"
		 "  a: {type: port, elements: []}\nrules:\n  - name: x\n    chain: input\n"
		 "    chain: output\n    action: accept\n",
		 0,
		 "p.yml:2:1: error: duplicate key 'version' in the policy (first at line 1)\n"
		 "p.yml:5:3: error: duplicate set 'a' (first defined at line 4)\n"
		 "p.yml:9:5: error: duplicate key 'chain' in rule (first at line 8)\n");
}
END_TEST

START_TEST(aliases)
{
	shape_is("version: 1\nsets:\n  a: &A {type: cidr, elements: [192.0.2.1]}\n  b: *A\n"
		 "rules:\n  - name: x\n    chain: input\n    action: accept\n    src: *A\n"
		 "    dst: [*A, 192.0.2.2]\n",
		 0,
		 "p.yml:3:6: error: YAML anchors (&A) are not supported in a policy, nor are aliases\n"
		 "p.yml:4:6: error: YAML aliases (*A) are not supported in a policy\n"
		 "p.yml:9:10: error: YAML aliases (*A) are not supported in a policy\n"
		 "p.yml:10:11: error: YAML aliases (*A) are not supported in a policy\n");
	/* merge keys are aliases too */
	shape_is("version: 1\nrules:\n  - &r {name: a, chain: input, action: drop}\n"
		 "  - <<: *r\n    name: b\n",
		 0,
		 "p.yml:3:5: error: YAML anchors (&r) are not supported in a policy, nor are aliases\n"
		 "p.yml:4:5: error: unknown key '<<' in rule; expected one of: name, chain, proto, "
		 "src, dst, sport, dport, iif, oif, icmp-type, action, log, comment, limit, per-source, ct-count, over\n"
		 "p.yml:4:5: error: rule is missing required key 'chain'\n"
		 "p.yml:4:5: error: rule is missing required key 'action'\n"
		 "p.yml:4:9: error: YAML aliases (*r) are not supported in a policy\n");
	/* tags: the value is read as written, whatever the tag says */
	shape_is("version: !!int 1\nrules: !!seq\n  - !x {name: a, chain: input, action: drop}\n",
		 0,
		 "p.yml:1:10: error: YAML tags (!!int) are not supported in a policy: vigild reads every value as the text written\n"
		 "p.yml:2:8: error: YAML tags (!!seq) are not supported in a policy: vigild reads every value as the text written\n"
		 "p.yml:3:5: error: YAML tags (!x) are not supported in a policy: vigild reads every value as the text written\n");
}
END_TEST

/* line breaks only YAML 1.1 has: refused at the first, where editors show it */
START_TEST(odd_line_breaks)
{
	static const char tail[] = " is not allowed in a policy: YAML 1.1 reads it as a line "
				   "break where editors see none (lines end with \\n or \\r\\n)\n";
	char want[512];

	snprintf(want, sizeof(want), "p.yml:1:11: error: a carriage return without a line feed%s",
		 tail);
	shape_is("version: 1\rrules: []\n", -EINVAL, want);
	snprintf(want, sizeof(want), "p.yml:2:6: error: U+0085 (next line)%s", tail);
	shape_is("version: 1\n# \xc3\xa9\xc3\xa9 \xc2\x85rules: x\n", -EINVAL, want);
	snprintf(want, sizeof(want), "p.yml:3:17: error: U+2028 (line separator)%s", tail);
	shape_is("version: 1\r\nrules:\n  - {comment: \"a\xe2\x80\xa8\"}\n", -EINVAL, want);
	snprintf(want, sizeof(want), "p.yml:1:3: error: U+2029 (paragraph separator)%s", tail);
	shape_is("# \xe2\x80\xa9\nversion: 1\n", -EINVAL, want);
	/* UTF-16 would carry them past the check: refused as such */
	shape_is("\xff\xfev\0:\0 \0001\0\n\0", -EINVAL,
		 "p.yml:1:1: error: the policy is UTF-16 (it starts with a UTF-16 byte order mark): "
		 "policies are UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)\n");
}
END_TEST

START_TEST(nul_in_values)
{
	shape_is("version: 1\nrules:\n  - name: \"a\\0b\"\n    chain: input\n    action: accept\n"
		 "    src: [\"192.0.2.1\\0\"]\n    dst: \"\\0\"\n",
		 0,
		 "p.yml:3:11: error: 'name' contains a NUL character\n"
		 "p.yml:6:11: error: an item of 'src' contains a NUL character\n"
		 "p.yml:7:10: error: 'dst' contains a NUL character\n");
}
END_TEST

/* n nested flow sequences around a scalar */
static char *nested(unsigned n, const char *prefix)
{
	struct strbuf sb = { 0 };

	sb_puts(&sb, prefix);
	for (unsigned i = 0; i < n; i++)
		sb_putc(&sb, '[');
	sb_putc(&sb, '1');
	for (unsigned i = 0; i < n; i++)
		sb_putc(&sb, ']');
	sb_putc(&sb, '\n');
	return sb_take(&sb);
}

START_TEST(depth_limit)
{
	_cleanup_free_ char *ok = nested(YAML_MAX_DEPTH - 1, "version: 1\nrules: ");
	_cleanup_free_ char *deep = nested(YAML_MAX_DEPTH, "version: 1\nrules: ");
	_cleanup_free_ char *deeper = nested(100000, "version: 1\nrules: ");
	_cleanup_free_ char *want = NULL;

	/* 63 sequences inside the root mapping: 64 levels, allowed */
	shape_is(ok, 0, "p.yml:2:9: error: each rule must be a mapping, not a list\n");
	want = xasprintf("p.yml:2:%d: error: YAML nesting deeper than 64 levels\n",
			 7 + YAML_MAX_DEPTH);
	shape_is(deep, -EINVAL, want);
	shape_is(deeper, -EINVAL, want);
}
END_TEST

START_TEST(depth_limit_block)
{
	struct strbuf sb = { 0 };

	/* block mappings, one more level per line */
	sb_puts(&sb, "version: 1\n");
	for (int i = 0; i < 200; i++) {
		for (int j = 0; j < i; j++)
			sb_putc(&sb, ' ');
		sb_puts(&sb, "k:\n");
	}
	/* the root mapping is level 1, the one on line L level L - 1 */
	shape_is(sb.s, -EINVAL, "p.yml:66:65: error: YAML nesting deeper than 64 levels\n");
	sb_free(&sb);
}
END_TEST

START_TEST(node_limit)
{
	struct strbuf sb = { 0 };
	struct ydoc doc;
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *want = NULL;
	int r;

	/* root map + key + sequence + items: the item that makes it one too many */
	sb_puts(&sb, "rules: [");
	for (unsigned i = 0; i < YAML_MAX_NODES; i++)
		sb_puts(&sb, "0,");
	sb_puts(&sb, "0]\n");
	r = parse_n(sb.s, sb.len, &out, &doc);
	ydoc_free(&doc);
	ck_assert_int_eq(r, -EINVAL);
	want = xasprintf("p.yml:1:%u: error: the document has more than %u values; load large "
			 "lists from a set file\n",
			 9 + 2 * (YAML_MAX_NODES - 3), YAML_MAX_NODES);
	ck_assert_str_eq(out, want);
	sb_free(&sb);
}
END_TEST

START_TEST(positions)
{
	static const char text[] =
		"version: 1\n"
		"sets:\n"
		"  web: {type: port, elements: [80, \"443\"]}\n"
		"rules:\n"
		"  - name: a\n"
		"    dport: 22\n"
		"  - {name: \"\xc3\xa9t\xc3\xa9\", dport: [1, 2]}\n";
	struct ydoc doc;
	_cleanup_free_ char *out = NULL;
	const struct ynode *sets, *web, *els, *rules, *r0, *r1, *n;

	ck_assert_int_eq(parse_n(text, strlen(text), &out, &doc), 0);
	ck_assert_uint_eq(doc.root.kind, YN_MAP);
	ck_assert_uint_eq(doc.root.n, 3);
	n = ynode_key(&doc.root, "version");
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(n->line, 1);
	ck_assert_uint_eq(n->col, 1);
	n = ynode_get(&doc.root, "version");
	ck_assert_str_eq(n->val, "1");
	ck_assert_uint_eq(n->col, 10);
	ck_assert_ptr_null(ynode_get(&doc.root, "table"));
	ck_assert_ptr_null(ynode_get(n, "x")); /* not a map */

	sets = ynode_get(&doc.root, "sets");
	web = ynode_get(sets, "web");
	ck_assert_uint_eq(web->kind, YN_MAP);
	ck_assert_uint_eq(web->line, 3);
	ck_assert_uint_eq(web->col, 8);
	els = ynode_get(web, "elements");
	ck_assert_uint_eq(els->n, 2);
	ck_assert_uint_eq(ynode_elem(els, 1)->col, 36); /* at the quote */
	ck_assert_str_eq(ynode_elem(els, 1)->val, "443");
	ck_assert_ptr_null(ynode_elem(els, 2));
	ck_assert_ptr_eq(ynode_item(sets, 0), web);
	ck_assert_ptr_null(ynode_item(sets, 1));

	rules = ynode_get(&doc.root, "rules");
	r0 = ynode_item(rules, 0);
	r1 = ynode_item(rules, 1);
	ck_assert_uint_eq(r0->line, 5);
	ck_assert_uint_eq(r0->col, 5);
	/* a scalar is its own element 0, and has no element 1 */
	n = ynode_get(r0, "dport");
	ck_assert_ptr_eq(ynode_elem(n, 0), n);
	ck_assert_ptr_null(ynode_elem(n, 1));
	ck_assert_ptr_null(ynode_item(n, 0));
	/* columns count characters, not bytes */
	n = ynode_get(r1, "dport");
	ck_assert_uint_eq(n->line, 7);
	ck_assert_uint_eq(n->col, 26);
	ck_assert_uint_eq(ynode_elem(n, 1)->col, 30);
	ck_assert_ptr_null(ynode_elem(NULL, 0));
	ck_assert_ptr_null(ynode_get(NULL, "x"));
	ydoc_free(&doc);
	/* the missing keys are the checker's business */
	ck_assert_str_eq(out, "p.yml:5:5: error: rule is missing required key 'chain'\n"
			      "p.yml:5:5: error: rule is missing required key 'action'\n"
			      "p.yml:7:5: error: rule is missing required key 'chain'\n"
			      "p.yml:7:5: error: rule is missing required key 'action'\n");
}
END_TEST

/* Canonical text: every list-capable field a sequence, sets a sequence of
 * mappings with a name, values byte for byte, bad items as "" placeholders. */
START_TEST(canonical_round_trip)
{
	static const char text[] =
		"# leading comment\n"
		"version: 1\n"
		"rules:\n"
		"  - name: a\n"
		"    comment: 'quotes \" and '' and: colons # not a comment'\n"
		"    chain: input\n"
		"    action: accept\n"
		"    dport: 22\n"
		"    src: [null, 192.0.2.1, [x], \"~\", 'yes', '\xc3\xa9\xe2\x9c\x93']\n"
		"    log: yes\n"
		"sets:\n"
		"  b: {type: port, elements: ~}\n"
		"  a:\n"
		"    file: \"  spaces  \"\n"
		"    type: cidr\n"
		"table: t\n";
	struct ydoc doc;
	struct diags d = { 0 };
	struct pdoc *pd = NULL;
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(parse_n(text, strlen(text), &out, &doc), 0);
	ck_assert_str_eq(out, "p.yml:9:11: error: empty item in 'src'\n"
			      "p.yml:9:28: error: each item of 'src' must be a single value, not a "
			      "list\n");
	ck_assert_int_eq(policy_load(&doc, &pd, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(pd->version, "1");
	ck_assert_str_eq(pd->table, "t");
	ck_assert_ptr_null(pd->defaults);
	ck_assert_uint_eq(pd->rules_count, 1);
	ck_assert_str_eq(pd->rules[0].name, "a");
	ck_assert_str_eq(pd->rules[0].comment, "quotes \" and ' and: colons # not a comment");
	ck_assert_str_eq(pd->rules[0].log, "yes");
	ck_assert_uint_eq(pd->rules[0].dport_count, 1);
	ck_assert_str_eq(pd->rules[0].dport[0], "22");
	ck_assert_uint_eq(pd->rules[0].src_count, 6);
	ck_assert_str_eq(pd->rules[0].src[0], "");          /* placeholder */
	ck_assert_str_eq(pd->rules[0].src[1], "192.0.2.1");
	ck_assert_str_eq(pd->rules[0].src[2], "");          /* placeholder */
	ck_assert_str_eq(pd->rules[0].src[3], "~");
	ck_assert_str_eq(pd->rules[0].src[4], "yes");
	ck_assert_str_eq(pd->rules[0].src[5], "\xc3\xa9\xe2\x9c\x93");
	ck_assert_uint_eq(pd->rules[0].proto_count, 0);
	ck_assert_ptr_null(pd->rules[0].proto);
	/* sets in document order, named (elements are read from the tree) */
	ck_assert_uint_eq(pd->sets_count, 2);
	ck_assert_str_eq(pd->sets[0].name, "b");
	ck_assert_str_eq(pd->sets[0].type, "port");
	ck_assert_ptr_null(pd->sets[0].file);
	ck_assert_str_eq(pd->sets[1].name, "a");
	ck_assert_str_eq(pd->sets[1].file, "  spaces  ");
	ck_assert_str_eq(pd->sets[1].type, "cidr");
	pdoc_free(pd);
	pd = NULL;
	ck_assert_ptr_nonnull(strstr(doc.canon, "\"sets\":"));

	/* the canonical text is itself a well-formed document of the same
	 * values (sets as a list), and emitting it again changes nothing */
	{
		struct ydoc again;
		_cleanup_free_ char *out2 = NULL;
		ck_assert_int_eq(parse_n(doc.canon, doc.canon_len, &out2, &again), 0);
		ck_assert_msg(strstr(out2, ": error: 'sets' must be a mapping of set names to "
					   "sets, "
				       "not a list\n"), "%s", out2);
		ck_assert_uint_eq(d.n, 0);
		ydoc_free(&again);
	}
	ydoc_free(&doc);
	diags_free(&d);
}
END_TEST

START_TEST(canonical_only_good_parts)
{
	static const char text[] =
		"version: 1\n"
		"bogus: 1\n"
		"table: [x]\n"
		"rules:\n"
		"  - name: a\n"
		"    name: b\n"
		"    chain: input\n"
		"    action: drop\n"
		"  - 7\n"
		"  - {name: c, chain: output, action: accept, proto: [tcp, {x: y}]}\n";
	struct ydoc doc;
	struct diags d = { 0 };
	struct pdoc *pd = NULL;
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(parse_n(text, strlen(text), &out, &doc), 0);
	ck_assert_int_eq(policy_load(&doc, &pd, &d), 0);
	ck_assert_ptr_null(pd->table);       /* malformed: left out */
	ck_assert_uint_eq(pd->rules_count, 3); /* indices kept */
	ck_assert_str_eq(pd->rules[0].name, "a"); /* the first of duplicates */
	ck_assert_ptr_null(pd->rules[1].name);
	ck_assert_str_eq(pd->rules[2].name, "c");
	ck_assert_uint_eq(pd->rules[2].proto_count, 2);
	ck_assert_str_eq(pd->rules[2].proto[0], "tcp");
	ck_assert_str_eq(pd->rules[2].proto[1], "");
	ck_assert_ptr_null(strstr(doc.canon, "bogus"));
	pdoc_free(pd);
	ydoc_free(&doc);
	diags_free(&d);
}
END_TEST

START_TEST(early_stop_frees)
{
	static const char *const texts[] = {
		"version: 1\nrules:\n  - name: x\n    chain: @\n",
		"{\"a\": \"b\", \"c\": %}\n",
		"a: !!binary @\n",
		"a: {b: {c: [1, {d: e, f: @}]}}\n",
		"version: 1\n---\nversion: 1\nrules: [1, 2\n",
	};
	/* the tree of a document cut short is still well formed and freed
	 * (under ASan, a leak fails this test) */
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct ydoc doc;
		_cleanup_free_ char *out = NULL;
		ck_assert_int_eq(parse_n(texts[i], strlen(texts[i]), &out, &doc), -EINVAL);
		ck_assert_ptr_nonnull(strstr(out, "p.yml:"));
		ydoc_free(&doc);
	}
}
END_TEST

START_TEST(buffer_not_terminated)
{
	/* the parser gets a length; nothing past it is read */
	char *buf = xmalloc(11);
	struct ydoc doc;
	_cleanup_free_ char *out = NULL;

	memcpy(buf, "version: 1", 10);
	buf[10] = 'X';
	ck_assert_int_eq(parse_n(buf, 10, &out, &doc), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(ynode_get(&doc.root, "version")->val, "1");
	ydoc_free(&doc);
	free(buf);
}
END_TEST

/* ---- the fast path for long lists: always what a full parse gives ---- */

static void tree_same(const struct ynode *a, const struct ynode *b, const char *text)
{
	ck_assert_msg(a->kind == b->kind && a->bad == b->bad && a->null == b->null &&
			      a->line == b->line && a->col == b->col && a->n == b->n,
		      "node at %u:%u (fast) vs %u:%u (full) differs in:\n%.600s", a->line, a->col,
		      b->line, b->col, text);
	if (a->kind == YN_SCALAR) {
		ck_assert_msg(a->len == b->len && !memcmp(a->val, b->val, a->len),
			      "value '%s' vs '%s' at %u:%u in:\n%.600s", a->val, b->val, a->line,
			      a->col, text);
		return;
	}
	for (uint32_t i = 0; i < (a->kind == YN_MAP ? 2 * a->n : a->n); i++)
		tree_same(&a->kids[i], &b->kids[i], text);
}

/* Parses text with the fast path on (runs of min lines) and off; both must
 * agree on everything. Returns whether the fast path answered. */
static bool fast_agrees(const char *text, size_t len, size_t min)
{
	struct ydoc fast, full;
	_cleanup_free_ char *fo = NULL, *uo = NULL;
	size_t hits = policy_yaml_fast_hits();
	int fr, ur;

	policy_yaml_set_fast_min(min);
	fr = parse_n(text, len, &fo, &fast);
	bool hit = policy_yaml_fast_hits() != hits;
	policy_yaml_set_fast_min(SIZE_MAX);
	ur = parse_n(text, len, &uo, &full);
	policy_yaml_set_fast_min(64);
	ck_assert_msg(fr == ur, "returned %d (fast) vs %d (full) for:\n%.600s", fr, ur, text);
	ck_assert_msg(streq(fo, uo), "messages differ for:\n%.600s\nfast:\n%s\nfull:\n%s", text, fo,
		      uo);
	ck_assert_msg((fast.canon == NULL) == (full.canon == NULL) &&
			      (!fast.canon || streq(fast.canon, full.canon)),
		      "canonical text differs for:\n%.600s", text);
	tree_same(&fast.root, &full.root, text);
	ydoc_free(&fast);
	ydoc_free(&full);
	return hit;
}

START_TEST(fast_path_cases)
{
	/* each: taken (1) or not (0) with runs of 3 lines; always the same result */
	static const struct {
		const char *text;
		bool hit;
	} cases[] = {
		{ "version: 1\nsets:\n  a:\n    type: cidr\n    elements:\n      - 10.0.0.1\n"
		  "      - 10.0.0.2   # two\n      -   10.0.0.0/8\n      - 2001:db8::/32\n", 1 },
		/* indentless sequence under its key */
		{ "sets:\n  a:\n    elements:\n    - 1\n    - 2\n    - 3-4\n    type: port\n", 1 },
		/* a value ending in ':' is a mapping key */
		{ "x:\n  - 1\n  - 2\n  - 2001:db8::\n  - 3\n", 0 },
		/* '#' without a space belongs to the value: not a fast line */
		{ "x:\n  - 1\n  - 2#c\n  - 3\n  - 4\n", 0 },
		/* folded into a multi-line plain scalar by the next line */
		{ "x:\n  - 1\n  - 2\n  - 3\n    4\ny: 1\n", 0 },
		/* inside a literal block scalar */
		{ "c: |\n  - 1\n  - 2\n  - 3\nd: 2\n", 0 },
		{ "c: >\n  - 1\n  - 2\n  - 3\n", 0 },
		/* inside a flow sequence, and a quoted key's value */
		{ "x: [\n  - 1,\n  - 2,\n  - 3 ]\n", 0 },
		/* the placeholder text written by someone */
		{ "a: __vigil_fast_run_0__\nx:\n  - 1\n  - 2\n  - 3\n", 0 },
		{ "x:\n  - 1\n  - 2\n  - 3\na: \"__vigil_fast_run_0__\"\n", 0 },
		/* a syntax error elsewhere: the full parse's message */
		{ "x:\n  - 1\n  - 2\n  - 3\ny: [\n", 0 },
		{ "x:\n  - 1\n  - 2\n  - 3\n\ty: 1\n", 0 },
		/* CRLF lines and tabs are left to libyaml */
		{ "x:\r\n  - 1\r\n  - 2\r\n  - 3\r\n", 0 },
		{ "x:\n  - 1\t\n  - 2\n  - 3\n", 0 },
		/* a comment that is not ASCII, or bad UTF-8, stays with libyaml */
		{ "x:\n  - 1 # caf\xc3\xa9\n  - 2\n  - 3\n", 0 },
		{ "x:\n  - 1 # \xff\n  - 2\n  - 3\n", 0 },
		/* the last line without its newline */
		{ "x:\n  - 1\n  - 2\n  - 3", 0 },
		/* indentation changes: two runs, or one and a nested sequence */
		{ "x:\n  - 1\n  - 2\n  - 3\ny:\n    - 4\n    - 5\n    - 6\n", 1 },
		{ "x:\n  - 1\n  - 2\n  - 3\n   - 4\n", 0 },
		/* a sequence at the top level, and under a compact nested one */
		{ "- 1\n- 2\n- 3\n", 1 },
		{ "x:\n  - - 1\n    - 2\n    - 3\n    - 4\n", 1 },
		/* anchors and aliases on items: libyaml's business */
		{ "x:\n  - &a 1\n  - 2\n  - 3\n  - *a\n", 0 },
		/* too many values: the node limit message */
		{ "version: 1\nx:\n  - 1\n  - 2\n  - 3\n  - 4\n", 1 },
		/* a document end or a second document after the run */
		{ "x:\n  - 1\n  - 2\n  - 3\n...\n", 1 },
		{ "x:\n  - 1\n  - 2\n  - 3\n---\ny: 1\n", 0 },
		/* errors in the values are the checker's: same tree either way */
		{ "version: 1\nsets:\n  a: {type: cidr}\n  b:\n    type: cidr\n    elements:\n"
		  "      - 10.0.0.300\n      - 1:2:3\n      - ffff\n      - 0-0\n", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool hit = fast_agrees(cases[i].text, strlen(cases[i].text), 3);
		ck_assert_msg(hit == cases[i].hit, "case %zu: the fast path was %s:\n%s", i,
			      hit ? "taken" : "not taken", cases[i].text);
	}
}
END_TEST

/* Random documents made of the pieces the fast path must tell apart. */
START_TEST(fast_path_random)
{
	static const char *const values[] = {
		"10.0.0.1", "2001:db8::/32", "80", "1-2", "ff", "fe80::", "a:", "1#x", "0x1",
		"\"1\"", "'2'", "&a 1", "*a", "null", "~", "1.5e3", "::1", "[1, 2]", "{a: 1}",
		"AbC", "1/", "-1", "1 2", "1:", "1 :2",
	};
	static const char *const tails[] = {
		"", " ", "  # c", " #", "#c", "\t", " # \xc3\xa9", "\r", " # a: b", " :",
	};
	static const char *const others[] = {
		"y: 1", "  z: 2", "", "# c", "c: |", "c: >-", "d: [", "]", "    more",
		"- x", "  - - 1", "k:", "  k2: v", "...", "---", "\t", "e: \"__vigil_fast_run_0__\"",
	};
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t hits = 0;

	for (int doc = 0; doc < 3000; doc++) {
		struct strbuf sb = { 0 };
		int sections = 1 + (int)(seed % 4);

		/* mostly well-formed: keys with lists under them, with now and
		 * then a value, a tail or a line that changes the meaning */
		for (int sec = 0; sec < sections; sec++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			unsigned ind = (unsigned)(seed >> 40) % 3 * 2, entries = (unsigned)(seed >> 50) % 9;
			sb_printf(&sb, "k%d:\n", sec);
			for (unsigned l = 0; l < entries; l++) {
				seed = seed * 6364136223846793005u + 1442695040888963407u;
				unsigned r = (unsigned)(seed >> 33);
				if (r % 13 == 0) {
					sb_puts(&sb, others[r / 13 % (sizeof(others) / sizeof(others[0]))]);
					sb_puts(&sb, "\n");
					continue;
				}
				for (unsigned k = 0; k < ind + (r % 17 == 0 ? 1 : 0); k++)
					sb_puts(&sb, " ");
				sb_puts(&sb, r % 11 == 0 ? "-  " : "- ");
				sb_puts(&sb, r % 4 ? values[r / 7 % 5]
						   : values[r / 7 % (sizeof(values) / sizeof(values[0]))]);
				sb_puts(&sb, r % 5 ? "" : tails[r / 3001 % (sizeof(tails) / sizeof(tails[0]))]);
				if (sec + 1 < sections || l + 1 < entries || r % 7)
					sb_puts(&sb, "\n");
			}
		}
		_cleanup_free_ char *text = sb_take(&sb);
		for (size_t min = 1; min <= 3; min++)
			hits += fast_agrees(text, strlen(text), min);
	}
	/* the generator must reach the fast path often enough to mean something */
	ck_assert_uint_gt(hits, 500);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_yaml");
	TCase *tc = tcase_create("policy_yaml");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, syntax_hints);
	tcase_add_test(tc, reader_errors);
	tcase_add_test(tc, empty_documents);
	tcase_add_test(tc, multiple_documents);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, wrong_kinds);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, aliases);
	tcase_add_test(tc, odd_line_breaks);
	tcase_add_test(tc, nul_in_values);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, depth_limit_block);
	tcase_add_test(tc, node_limit);
	tcase_add_test(tc, positions);
	tcase_add_test(tc, canonical_round_trip);
	tcase_add_test(tc, canonical_only_good_parts);
	tcase_add_test(tc, early_stop_frees);
	tcase_add_test(tc, buffer_not_terminated);
	tcase_add_test(tc, fast_path_cases);
	tcase_add_test(tc, fast_path_random);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
