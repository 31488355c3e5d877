// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compile + render: the IR a policy lowers to (families, alternatives,
 * anonymous sets, verdicts, marks, built-ins), and the golden files of
 * tests/golden rendered in-process (golden.sh checks them through vigild).
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "unit.h"
#include "vigil/render.h"
#include "vigil/util.h"

/* ---- helpers ---- */

struct compiled {
	struct policy pol;
	struct ir_table t;
};

static void compile(const char *yaml, struct compiled *c)
{
	compile_text(yaml, NULL, &c->pol, &c->t);
}

static void compile_nomerge(const char *yaml, struct compiled *c)
{
	struct ir_opts o = { .merge_min = SIZE_MAX };
	_cleanup_free_ char *out = NULL;

	ck_assert_msg(check_text("p.yml", yaml, NULL, &c->pol, &out) == 0, "%s", out);
	ir_compile(&c->pol, &o, &c->t);
}

static void release(struct compiled *c)
{
	ir_table_free(&c->t);
	policy_free(&c->pol);
}

/* Policy rules' kernel rules of a base chain, after the built-ins. */
static size_t first_policy_rule(const struct ir_chain *ch)
{
	size_t i = 0;

	while (i < ch->n && ch->rules[i].origin < 0)
		i++;
	return i;
}

static char *rule_text(const struct ir_rule *r)
{
	struct strbuf sb = { 0 };

	render_rule(&sb, r);
	return sb_take(&sb);
}

/* The twin that follows every accept rule, for packets without a conntrack
 * entry: `ct state untracked <the same matches> counter accept`. */
static bool is_twin(const struct ir_rule *r)
{
	return r->origin >= 0 && r->nm && r->m[0].key == K_CT_STATE &&
	       r->m[0].v.lo == NF_CT_STATE_UNTRACKED_BIT;
}

/* The rendered policy rules of chain c, one a line, without the untracked
 * twins (untracked_twins checks those). */
static char *chain_text(const struct ir_table *t, enum chain_id c)
{
	const struct ir_chain *ch = &t->chains[c];
	struct strbuf sb = { 0 };

	for (size_t i = first_policy_rule(ch); i < ch->n; i++) {
		if (ch->rules[i].origin < 0 || is_twin(&ch->rules[i]))
			continue;
		render_rule(&sb, &ch->rules[i]);
		sb_putc(&sb, '\n');
	}
	return sb_take(&sb);
}

#define M(i) "ct mark set ct mark and 0x0000ffff or 0x000" #i "0000 "

/* ---- built-ins and the table ---- */

START_TEST(builtins)
{
	struct compiled c;
	static const char *const in[] = { "vigil:established", "vigil:invalid", "vigil:loopback",
					  "vigil:icmpv6-nd" };

	compile("version: 1\ntable: t1\ndefaults: {input: accept, forward: accept, output: drop}\n",
		&c);
	ck_assert_str_eq(c.t.name, "t1");
	ck_assert_uint_eq(c.t.nchains, CH_MAX);
	ck_assert_uint_eq(c.t.nsets, 0);
	for (int ch = 0; ch < CH_MAX; ch++) {
		const struct ir_chain *k = &c.t.chains[ch];
		size_t want = ch == CH_FORWARD ? 3 : 5;

		ck_assert(k->base);
		ck_assert_str_eq(k->name, chain_name(ch));
		ck_assert_int_eq(k->hook, ch);
		ck_assert_uint_eq(k->n, want);
		for (size_t i = 0; i + 1 < want; i++) {
			ck_assert_str_eq(k->rules[i].comment, in[i]);
			ck_assert_int_eq(k->rules[i].origin, -1);
			ck_assert(!k->rules[i].set_mark);
		}
		/* the last rule only counts what falls through to the policy */
		ck_assert_str_eq(k->rules[want - 1].comment, "vigil:default");
		ck_assert_uint_eq(k->rules[want - 1].nm, 0);
		ck_assert_int_eq(k->rules[want - 1].verdict, IV_NONE);
	}
	ck_assert_int_eq(c.t.chains[CH_INPUT].policy, VERDICT_ACCEPT);
	ck_assert_int_eq(c.t.chains[CH_FORWARD].policy, VERDICT_ACCEPT);
	ck_assert_int_eq(c.t.chains[CH_OUTPUT].policy, VERDICT_DROP);
	ck_assert_uint_eq(c.t.nrules, 13);
	{
		_cleanup_free_ char *a = rule_text(&c.t.chains[CH_INPUT].rules[0]);
		_cleanup_free_ char *b = rule_text(&c.t.chains[CH_INPUT].rules[1]);
		_cleanup_free_ char *l = rule_text(&c.t.chains[CH_OUTPUT].rules[2]);
		_cleanup_free_ char *nd = rule_text(&c.t.chains[CH_INPUT].rules[3]);
		ck_assert_str_eq(a, "ct state established,related counter accept comment "
				    "\"vigil:established\"");
		ck_assert_str_eq(b, "ct state invalid counter drop comment \"vigil:invalid\"");
		ck_assert_str_eq(l, "oifname \"lo\" counter accept comment \"vigil:loopback\"");
		ck_assert_str_eq(nd, "icmpv6 type { mld-listener-query, mld-listener-report, "
				     "mld-listener-done, nd-router-solicit, nd-router-advert, "
				     "nd-neighbor-solicit, nd-neighbor-advert, "
				     "mld2-listener-report } "
				     "counter accept comment \"vigil:icmpv6-nd\"");
	}
	release(&c);
}
END_TEST

/* ---- families and alternatives ---- */

START_TEST(family_split)
{
	struct compiled c;
	_cleanup_free_ char *txt = NULL;
	const struct ir_chain *in;
	size_t f;

	compile("version: 1\n"
		"sets:\n  both: {type: cidr, elements: [192.0.2.0/24, \"2001:db8::/32\"]}\n"
		"  v4: {type: cidr, elements: [198.51.100.0/24]}\n"
		"rules:\n"
		"  - {name: a, chain: input, src: \"@both\", action: drop}\n"
		"  - {name: b, chain: input, src: \"@v4\", dst: [\"2001:db8::1\", 192.0.2.1], "
		"action: "
		"drop}\n"
		"  - {name: c, chain: input, proto: [icmp, icmpv6], icmp-type: echo-request, "
		"dst: 192.0.2.1, action: drop}\n",
		&c);
	/* a mixed group: one kernel set per family */
	ck_assert_uint_eq(c.t.nsets, 3);
	ck_assert_str_eq(c.t.sets[0]->name, "both_v4");
	ck_assert_int_eq(c.t.sets[0]->key, K_IP_SADDR);
	ck_assert(c.t.sets[0]->interval);
	ck_assert_int_eq(c.t.sets[0]->origin_set, 0);
	ck_assert_str_eq(c.t.sets[1]->name, "both_v6");
	ck_assert_int_eq(c.t.sets[1]->key, K_IP6_SADDR);
	ck_assert_str_eq(c.t.sets[2]->name, "v4_v4");
	ck_assert_int_eq(c.t.sets[2]->origin_set, 1);
	/* 3 in named sets, 8 ICMPv6 types in each of input and output */
	ck_assert_uint_eq(c.t.nelems, 3 + 16);

	in = &c.t.chains[CH_INPUT];
	f = first_policy_rule(in);
	txt = chain_text(&c.t, CH_INPUT);
	/* b: src is IPv4 only, so only its IPv4 dst remains; c: only icmp */
	ck_assert_str_eq(txt, "ip saddr @both_v4 counter drop comment \"a\"\n"
			      "ip6 saddr @both_v6 counter drop comment \"a\"\n"
			      "ip saddr @v4_v4 ip daddr 192.0.2.1 counter drop comment \"b\"\n"
			      "ip daddr 192.0.2.1 icmp type echo-request counter drop comment "
			      "\"c\"\n");
	ck_assert_int_eq(in->rules[f].origin, 0);
	ck_assert_int_eq(in->rules[f + 1].origin, 0);
	ck_assert_int_eq(in->rules[f + 2].origin, 1);
	ck_assert_int_eq(in->rules[f + 3].origin, 2);
	release(&c);
}
END_TEST

START_TEST(alternatives_own_their_sets)
{
	struct compiled c;
	_cleanup_free_ char *txt = NULL;
	const struct ir_chain *in;
	const struct ir_set *seen[64];
	size_t nseen = 0, f;

	compile_nomerge("version: 1\n"
			"sets:\n  p: {type: port, elements: [8080]}\n"
			"  q: {type: port, elements: [9000-9100]}\n"
			"rules:\n"
			"  - name: a\n    chain: input\n    proto: tcp\n"
			"    src: [192.0.2.1, 192.0.2.3]\n"
			"    dport: [\"@p\", 22, 25, \"@q\"]\n    iif: [eth0, eth1, \"wg*\"]\n"
			"    action: accept\n",
			&c);
	txt = chain_text(&c.t, CH_INPUT);
	/* 2 interface alternatives x 1 source x 3 port alternatives; every
	 * kernel rule owns its anonymous sets (the kernel binds an anonymous
	 * set to one rule) */
	ck_assert_str_eq(txt,
			 "iifname \"wg*\" ip saddr { 192.0.2.1, 192.0.2.3 } tcp dport { 22, 25 } "
			 M(1)
			 "counter accept comment \"a\"\n"
			 "iifname \"wg*\" ip saddr { 192.0.2.1, 192.0.2.3 } tcp dport @p " M(1)
			 "counter accept comment \"a\"\n"
			 "iifname \"wg*\" ip saddr { 192.0.2.1, 192.0.2.3 } tcp dport @q " M(1)
			 "counter accept comment \"a\"\n"
			 "iifname { \"eth0\", \"eth1\" } ip saddr { 192.0.2.1, 192.0.2.3 } tcp "
			 "dport "
			 "{ 22, 25 } " M(1) "counter accept comment \"a\"\n"
			 "iifname { \"eth0\", \"eth1\" } ip saddr { 192.0.2.1, 192.0.2.3 } tcp "
			 "dport @p "
			 M(1) "counter accept comment \"a\"\n"
			 "iifname { \"eth0\", \"eth1\" } ip saddr { 192.0.2.1, 192.0.2.3 } tcp "
			 "dport @q "
			 M(1) "counter accept comment \"a\"\n");
	in = &c.t.chains[CH_INPUT];
	f = first_policy_rule(in);
	for (size_t i = f; i < in->n; i++)
		for (size_t j = 0; j < in->rules[i].nm; j++) {
			const struct ir_set *s = in->rules[i].m[j].set;
			if (!s || !s->anonymous)
				continue;
			for (size_t k = 0; k < nseen; k++)
				ck_assert_msg(seen[k] != s, "anonymous set shared by two rules");
			ck_assert_int_eq(s->origin_rule, 0);
			seen[nseen++] = s;
		}
	/* 6 x src, 3 x the iif set, 2 x {22, 25}; as many again for the
	 * untracked twins */
	ck_assert_uint_eq(nseen, 2 * (6 + 3 + 2));
	/* set ids are unique across named and anonymous sets */
	for (size_t k = 0; k < nseen; k++) {
		for (size_t l = k + 1; l < nseen; l++)
			ck_assert_uint_ne(seen[k]->id, seen[l]->id);
		for (size_t l = 0; l < c.t.nsets; l++)
			ck_assert_uint_ne(seen[k]->id, c.t.sets[l]->id);
		ck_assert_uint_ne(seen[k]->id, 0);
	}
	ck_assert_uint_ne(c.t.sets[0]->id, c.t.sets[1]->id);
	release(&c);
}
END_TEST

START_TEST(matches)
{
	struct compiled c;
	const struct ir_chain *in, *fw;
	const struct ir_match *m;
	size_t f;

	compile("version: 1\nrules:\n"
		"  - {name: a, chain: input, src: 0.0.0.0/0, action: drop}\n"
		"  - {name: b, chain: input, src: \"2001:db8::/64\", proto: udp, dport: 1000-2000, "
		"action: drop}\n"
		"  - {name: c, chain: forward, iif: eth0, oif: \"veth*\", action: drop}\n",
		&c);
	in = &c.t.chains[CH_INPUT];
	f = first_policy_rule(in);
	/* 0.0.0.0/0: any IPv4 packet, no address compare */
	m = &in->rules[f].m[0];
	ck_assert_uint_eq(in->rules[f].nm, 1);
	ck_assert_int_eq(m->key, K_NFPROTO);
	ck_assert_int_eq(m->op, OP_EQ);
	ck_assert(m->v.lo == NFPROTO_IPV4);
	/* a prefix, and a port range of one protocol */
	ck_assert_uint_eq(in->rules[f + 1].nm, 2);
	m = &in->rules[f + 1].m[0];
	ck_assert_int_eq(m->key, K_IP6_SADDR);
	ck_assert_int_eq(m->op, OP_PREFIX);
	m = &in->rules[f + 1].m[1];
	ck_assert_int_eq(m->key, K_DPORT);
	ck_assert_int_eq(m->op, OP_RANGE);
	ck_assert_uint_eq(m->l4, IPPROTO_UDP);
	ck_assert(m->v.lo == 1000 && m->v.hi == 2000);
	fw = &c.t.chains[CH_FORWARD];
	f = first_policy_rule(fw);
	/* exact names compare the NUL too; wildcards only the prefix */
	m = &fw->rules[f].m[0];
	ck_assert_int_eq(m->key, K_IIFNAME);
	ck_assert_str_eq(m->ifname, "eth0");
	ck_assert_uint_eq(m->iflen, 5);
	m = &fw->rules[f].m[1];
	ck_assert_int_eq(m->key, K_OIFNAME);
	ck_assert_str_eq(m->ifname, "veth");
	ck_assert_uint_eq(m->iflen, 4);
	release(&c);
}
END_TEST

/* ---- verdicts ---- */

START_TEST(verdicts)
{
	struct compiled c;
	const struct ir_chain *in;
	size_t f;
	struct {
		enum ir_verdict v;
		uint8_t type, code;
	} want[] = {
		{ IV_REJECT, NFT_REJECT_TCP_RST, 0 },
		{ IV_REJECT, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH },
		{ IV_REJECT, NFT_REJECT_ICMP_UNREACH, 3 },  /* ICMP_PORT_UNREACH */
		{ IV_REJECT, NFT_REJECT_ICMP_UNREACH, 4 },  /* ICMPV6_PORT_UNREACH */
		{ IV_REJECT, NFT_REJECT_TCP_RST, 0 },
		{ IV_REJECT, NFT_REJECT_TCP_RST, 0 },
		{ IV_ACCEPT, 0, 0 },
		{ IV_ACCEPT, 0, 0 }, /* its untracked twin */
		{ IV_DROP, 0, 0 },
	};

	compile("version: 1\nrules:\n"
		"  - {name: r0, chain: input, proto: tcp, action: reject}\n"
		"  - {name: r1, chain: input, proto: [tcp, udp], action: reject}\n"
		"  - {name: r2, chain: input, proto: udp, src: [192.0.2.1, \"::1\"], action: "
		"reject}\n"
		"  - {name: r3, chain: input, proto: tcp, src: [192.0.2.1, \"::1\"], action: "
		"reject}\n"
		"  - {name: r4, chain: input, proto: tcp, dport: 1, log: unlimited, action: accept}\n"
		"  - {name: r5, chain: input, action: drop, log: unlimited}\n",
		&c);
	in = &c.t.chains[CH_INPUT];
	f = first_policy_rule(in);
	ck_assert_uint_eq(in->n - f - 1, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct ir_rule *r = &in->rules[f + i];
		ck_assert_int_eq(r->verdict, want[i].v);
		if (r->verdict == IV_REJECT) {
			ck_assert_uint_eq(r->reject_type, want[i].type);
			ck_assert_uint_eq(r->reject_code, want[i].code);
		}
		/* only accepted connections carry the rule's mark (a packet
		 * without a connection meets the twin) */
		ck_assert_int_eq(r->set_mark, r->verdict == IV_ACCEPT && !is_twin(r));
	}
	/* r2 (udp) is split by family: icmp then icmpv6 port unreachable */
	ck_assert_int_eq(in->rules[f + 2].origin, 2);
	ck_assert_int_eq(in->rules[f + 3].origin, 2);
	ck_assert_int_eq(in->rules[f + 4].origin, 3);
	ck_assert_int_eq(in->rules[f + 5].origin, 3);
	{
		const struct ir_rule *a = &in->rules[f + 6], *d = &in->rules[f + 8];
		ck_assert_uint_eq(a->mark_and, 0x0000ffffu);
		ck_assert_uint_eq(a->mark_xor, ir_mark_of_rule(4));
		ck_assert_uint_eq(a->mark_xor, 0x00050000u);
		ck_assert(a->log && d->log);
		ck_assert_str_eq(a->log_prefix, "vigil:r4 ");
		ck_assert_str_eq(d->log_prefix, "vigil:r5 ");
		ck_assert_str_eq(a->comment, "r4");
		ck_assert_uint_eq(a->log_rate, 0);
	}
	release(&c);
}
END_TEST

/* A rate-limited log is a rule of its own before the deciding rule: a
 * limit is a match, and a packet over it must still meet the verdict. */
START_TEST(log_limit_split)
{
	struct compiled c;
	const struct ir_chain *in;
	size_t f;

	compile("version: 1\nrules:\n"
		"  - {name: a, chain: input, proto: tcp, dport: [22, 80], src: [192.0.2.0/24, "
		"\"2001:db8::/32\"], action: accept, log: true}\n"
		"  - {name: b, chain: input, proto: udp, dport: 53, action: drop, log: 7/hour}\n",
		&c);
	in = &c.t.chains[CH_INPUT];
	f = first_policy_rule(in);
	/* a: (log, accept, untracked twin) per family; b: log, drop; then the
	 * default */
	ck_assert_uint_eq(in->n - f - 1, 8);
	for (size_t i = 0; i < 8; i += 3) {
		const struct ir_rule *l = &in->rules[f + i], *r = &in->rules[f + i + 1];
		if (i < 6) /* the twin does not log again: the log rule saw it */
			ck_assert(is_twin(&in->rules[f + i + 2]) && !in->rules[f + i + 2].log);
		ck_assert(l->log && !r->log);
		ck_assert_int_eq(l->verdict, IV_NONE);
		ck_assert_int_ne(r->verdict, IV_NONE);
		ck_assert(!l->set_mark);
		ck_assert_int_eq(l->origin, r->origin);
		ck_assert_str_eq(l->comment, r->comment);
		ck_assert_uint_eq(l->nm, r->nm);
		for (size_t j = 0; j < l->nm; j++) {
			ck_assert_int_eq(l->m[j].key, r->m[j].key);
			ck_assert_int_eq(l->m[j].op, r->m[j].op);
			if (l->m[j].op == OP_SET) {
				/* an anonymous set binds to one kernel rule only */
				ck_assert_ptr_ne(l->m[j].set, r->m[j].set);
				ck_assert(l->m[j].set->anonymous);
				ck_assert_uint_ne(l->m[j].set->id, r->m[j].set->id);
				ck_assert_uint_eq(l->m[j].set->elems.n, r->m[j].set->elems.n);
			}
		}
	}
	ck_assert_uint_eq(in->rules[f].log_rate, LOG_DEFAULT_RATE);
	ck_assert_uint_eq(in->rules[f].log_unit, 1);
	ck_assert_uint_eq(in->rules[f + 6].log_rate, 7);
	ck_assert_uint_eq(in->rules[f + 6].log_unit, 3600);
	ck_assert_int_eq(in->rules[f + 1].verdict, IV_ACCEPT);
	ck_assert_int_eq(in->rules[f + 7].verdict, IV_DROP);
	{
		_cleanup_free_ char *l = rule_text(&in->rules[f + 6]);
		_cleanup_free_ char *r = rule_text(&in->rules[f + 7]);
		ck_assert_str_eq(l, "udp dport 53 limit rate 7/hour burst 5 packets counter "
				    "log prefix \"vigil:b \" comment \"b\"");
		ck_assert_str_eq(r, "udp dport 53 counter drop comment \"b\"");
	}
	release(&c);
}
END_TEST

/* Every accept rule is followed by its twin for packets without a conntrack
 * entry: the accept rule reads the connection's mark, which ends the rule
 * for them. Drops and rejects need no twin. */
START_TEST(untracked_twins)
{
	struct compiled c;
	const struct ir_chain *in;
	size_t f;

	compile_nomerge("version: 1\nrules:\n"
			"  - {name: a, chain: input, proto: tcp, dport: [22, 25], action: accept}\n"
			"  - {name: b, chain: input, proto: udp, action: drop}\n"
			"  - {name: c, chain: input, action: accept, log: unlimited}\n",
			&c);
	in = &c.t.chains[CH_INPUT];
	f = first_policy_rule(in);
	/* a, a's twin, b, c, c's twin, the default */
	ck_assert_uint_eq(in->n - f, 6);
	{
		const struct ir_rule *a = &in->rules[f], *t = &in->rules[f + 1];
		_cleanup_free_ char *txt = rule_text(t);
		ck_assert(a->set_mark && !t->set_mark && is_twin(t) && !is_twin(a));
		ck_assert_str_eq(txt, "ct state untracked tcp dport { 22, 25 } counter accept "
				      "comment \"a\"");
		ck_assert_int_eq(t->origin, a->origin);
		ck_assert_uint_eq(t->nm, a->nm + 1);
		/* its own anonymous set, with the same elements */
		for (size_t j = 0; j < a->nm; j++)
			if (a->m[j].op == OP_SET) {
				ck_assert_ptr_ne(a->m[j].set, t->m[j + 1].set);
				ck_assert_uint_eq(a->m[j].set->elems.n, t->m[j + 1].set->elems.n);
			}
	}
	ck_assert(!is_twin(&in->rules[f + 2]) && in->rules[f + 2].verdict == IV_DROP);
	{
		_cleanup_free_ char *txt = rule_text(&in->rules[f + 4]);
		/* an unlimited log is in the accept rule, after the mark: the twin
		 * logs what the accept rule could not */
		ck_assert_str_eq(txt, "ct state untracked counter log prefix \"vigil:c \" accept "
				      "comment \"c\"");
	}
	release(&c);

	/* merged runs: the twin follows the accept rule in the rule's chain */
	compile("version: 1\nrules:\n"
		"  - {name: m1, chain: input, src: 192.0.2.1, proto: tcp, dport: 22, action: accept}\n"
		"  - {name: m2, chain: input, src: 192.0.2.2, proto: tcp, dport: 80, action: drop}\n"
		"  - {name: m3, chain: input, src: 192.0.2.3, proto: tcp, dport: 443, action: accept}\n"
		"  - {name: m4, chain: input, src: 192.0.2.4, proto: tcp, dport: 22, action: accept}\n"
		"  - {name: m5, chain: input, src: 192.0.2.5, proto: tcp, dport: 22, action: reject}\n"
		"  - {name: m6, chain: input, src: 192.0.2.6, proto: tcp, dport: 22, action: accept}\n"
		"  - {name: m7, chain: input, src: 192.0.2.7, proto: tcp, dport: 22, action: accept}\n"
		"  - {name: m8, chain: input, src: 192.0.2.8, proto: tcp, dport: 22, action: accept}\n",
		&c);
	ck_assert_uint_eq(c.t.nmerged, 8);
	for (size_t i = CH_MAX; i < c.t.nchains; i++) {
		const struct ir_chain *ch = &c.t.chains[i];
		bool acc = ch->rules[0].verdict == IV_ACCEPT;
		ck_assert_uint_eq(ch->n, acc ? 2 : 1);
		if (acc) {
			_cleanup_free_ char *txt = rule_text(&ch->rules[1]);
			_cleanup_free_ char *want =
				xasprintf("ct state untracked counter accept comment \"%s\"",
					  ch->rules[0].comment);
			ck_assert_str_eq(txt, want);
		}
	}
	release(&c);
}
END_TEST

/* The policy's file name goes into a comment line: a newline in it must
 * not start a line nft would read as a command. */
START_TEST(render_file_name_escaped)
{
	struct compiled c;
	struct strbuf sb = { 0 };
	_cleanup_free_ char *got = NULL;

	compile("version: 1\nrules: []\n", &c);
	free(c.pol.file);
	c.pol.file = xstrdup("x\nflush ruleset\n#\\.yml");
	render_table(&sb, &c.t, &c.pol);
	got = sb_take(&sb);
	ck_assert_msg(!strncmp(got, "# vigild: compiled from x\\x0aflush ruleset\\x0a#\\x5c.yml\n",
			       strlen("# vigild: compiled from x\\x0aflush ruleset\\x0a#\\x5c.yml\n")),
		      "%s", got);
	ck_assert_ptr_null(strstr(got, "\nflush ruleset"));
	release(&c);
}
END_TEST

START_TEST(render_rules)
{
	struct compiled c;
	_cleanup_free_ char *txt = NULL;

	compile("version: 1\nrules:\n"
		"  - {name: r0, chain: input, proto: [tcp, udp, sctp], sport: [1-1023, 2000], "
		"dport: 53, action: drop}\n"
		"  - {name: r1, chain: input, proto: icmp, icmp-type: [0, 8, 99], action: drop}\n"
		"  - {name: r2, chain: input, src: [10.0.0.0/24, 10.0.1.0/25], action: drop}\n"
		"  - {name: r3, chain: input, proto: icmpv6, src: \"::ffff:192.0.2.1\", action: "
		"drop}\n"
		"  - {name: r4, chain: input, src: [\"2001:db8::1\", \"2001:db8::3\"], action: "
		"drop}\n",
		&c);
	txt = chain_text(&c.t, CH_INPUT);
	ck_assert_str_eq(txt,
			 "meta l4proto { tcp, udp, sctp } th sport { 1-1023, 2000 } th dport 53 "
			 "counter drop comment \"r0\"\n"
			 "icmp type { echo-reply, echo-request, 99 } counter drop comment \"r1\"\n"
			 "ip saddr 10.0.0.0-10.0.1.127 counter drop comment \"r2\"\n"
			 "ip6 saddr ::ffff:192.0.2.1 meta l4proto ipv6-icmp counter drop comment "
			 "\"r3\"\n"
			 "ip6 saddr { 2001:db8::1, 2001:db8::3 } counter drop comment \"r4\"\n");
	release(&c);
}
END_TEST

START_TEST(counts)
{
	struct compiled c;

	compile("version: 1\n"
		"sets:\n  s: {type: cidr, elements: [192.0.2.0/24, 198.51.100.0/24, \"::1\"]}\n"
		"  p: {type: port, elements: [1, 2, 3]}\n"
		"rules:\n"
		"  - {name: a, chain: input, src: \"@s\", proto: tcp, dport: [\"@p\", 7, 8], "
		"action: "
		"accept}\n",
		&c);
	/* 2 families x 2 port alternatives, each with its untracked twin, plus
	 * 5 + 3 + 5 built-in rules */
	ck_assert_uint_eq(c.t.nrules, 8 + 13);
	/* named 2 + 1 + 3, anonymous {7, 8} twice and twice more for the twins,
	 * ND types 8 twice */
	ck_assert_uint_eq(c.t.nelems, 6 + 8 + 16);
	release(&c);
}
END_TEST

/* ---- golden files, rendered in-process ---- */

static char **golden_names;
static size_t ngolden;

static int golden_read(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	_cleanup_free_ char *rel = xasprintf("tests/golden/%s", path);

	(void)ctx;
	*buf = read_src_file(rel, len);
	if (*len > max) {
		free(*buf);
		return -EFBIG;
	}
	return 0;
}

static bool golden_has_warn(const char *name)
{
	const char *src = getenv("VIGIL_SRCDIR");
	_cleanup_free_ char *p = xasprintf("%s/tests/golden/%s.warn", src ? src : ".", name);

	return access(p, F_OK) == 0;
}

START_TEST(golden)
{
	const char *name = golden_names[_i];
	_cleanup_free_ char *yml = xasprintf("tests/golden/%s.yml", name);
	_cleanup_free_ char *nft = xasprintf("tests/golden/%s.nft", name);
	_cleanup_free_ char *file = xasprintf("%s.yml", name);
	_cleanup_free_ char *text = NULL, *want = NULL, *got = NULL, *errs = NULL;
	/* as golden.sh runs vigild: set files relative to the golden directory,
	 * which messages name, as @DIR@ */
	struct policy_opts po = { .read_file = golden_read, .set_dir = "@DIR@" };
	struct diags d = { 0 };
	struct compiled c;
	struct strbuf sb = { 0 };
	size_t len;

	text = read_src_file(yml, &len);
	want = read_src_file(nft, NULL);
	ck_assert_int_eq(policy_compile_buffer(file, text, len, &po, &c.pol, &d), 0);
	ir_compile(&c.pol, NULL, &c.t);
	/* warnings the golden is meant to draw are in NAME.warn: the checker's
	 * and the compiler's (a chain left linear), as vigild prints them */
	for (size_t i = 0; i < c.t.warnings.n; i++) {
		const struct diag *g = &c.t.warnings.v[i];
		diag_add(&d, g->sev, ((struct srcloc){ g->file, g->line, g->col }), "%s", g->msg);
	}
	diags_sort(&d);
	errs = diags_text(&d);
	if (golden_has_warn(name)) {
		_cleanup_free_ char *wf = xasprintf("tests/golden/%s.warn", name);
		_cleanup_free_ char *ww = read_src_file(wf, NULL);
		text_is(wf, errs, ww);
	} else {
		ck_assert_msg(d.n == 0, "%s: %s", name, errs);
	}
	render_table(&sb, &c.t, &c.pol);
	got = sb_take(&sb);
	text_is(nft, got, want);
	release(&c);
	diags_free(&d);
}
END_TEST

static void find_goldens(void)
{
	const char *src = getenv("VIGIL_SRCDIR");
	_cleanup_free_ char *dir = xasprintf("%s/tests/golden", src ? src : ".");
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return; /* the test then fails: no goldens found */
	while ((e = readdir(dp))) {
		size_t n = strlen(e->d_name);
		if (n > 4 && !strcmp(e->d_name + n - 4, ".yml")) {
			golden_names = xreallocarray(golden_names, ngolden + 1,
						     sizeof(*golden_names));
			golden_names[ngolden++] = xstrndup(e->d_name, n - 4);
		}
	}
	closedir(dp);
}

START_TEST(goldens_exist)
{
	/* the list is read once, before the tests fork */
	ck_assert_uint_ge(ngolden, 10);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compile");
	TCase *tc = tcase_create("compile");
	int r;

	find_goldens();
	tcase_add_test(tc, builtins);
	tcase_add_test(tc, family_split);
	tcase_add_test(tc, alternatives_own_their_sets);
	tcase_add_test(tc, matches);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, log_limit_split);
	tcase_add_test(tc, untracked_twins);
	tcase_add_test(tc, render_file_name_escaped);
	tcase_add_test(tc, render_rules);
	tcase_add_test(tc, counts);
	tcase_add_test(tc, goldens_exist);
	tcase_add_loop_test(tc, golden, 0, (int)ngolden);
	suite_add_tcase(s, tc);
	r = unit_run(s);
	for (size_t i = 0; i < ngolden; i++)
		free(golden_names[i]);
	free(golden_names);
	return r;
}
