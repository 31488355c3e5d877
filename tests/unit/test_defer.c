// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * defer-to (policy_defer.c, ir/defer.c): the forward default as a mapping,
 * every mistake located; the compiled accepts, after the policy's rules
 * (decision trees and merged maps included) and before the default
 * counter; both evaluators on the packets a docker host sees (published
 * ports arrive with ct status dnat); and the coverage of another table's
 * accept rules that decides apply's coexistence warning (foreign.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "unit.h"
#include "vigil/eval.h"
#include "vigil/foreign.h"
#include "vigil/render.h"

#define HEAD "version: 1\n"

static void errors_are(const char *yaml, const char *want)
{
	_cleanup_free_ char *got = errors_of(yaml);

	ck_assert_msg(streq(got, want), "for:\n%s\ngot:\n%s\nexpected:\n%s", yaml, got, want);
}

/* Valid, with exactly these warnings ("" for none). */
static void valid_with(const char *yaml, struct policy *pol, const char *want)
{
	_cleanup_free_ char *out = NULL;
	int r = check_text("p.yml", yaml, NULL, pol, &out);

	ck_assert_msg(r == 0, "invalid:\n%s\n%s", yaml, out);
	ck_assert_msg(streq(out, want), "for:\n%s\ngot:\n%s\nexpected:\n%s", yaml, out, want);
}

START_TEST(parse_values)
{
	struct policy pol;

	/* the scalar spelling is unchanged */
	valid_with(HEAD "defaults: {forward: accept}\n", &pol, "");
	ck_assert_int_eq(pol.defaults[CH_FORWARD], VERDICT_ACCEPT);
	ck_assert_uint_eq(pol.defer, 0);
	policy_free(&pol);

	valid_with(HEAD "defaults:\n  input: accept\n  forward:\n    default: drop\n"
			"    defer-to: [docker, libvirt]\n",
		   &pol, "");
	ck_assert_int_eq(pol.defaults[CH_INPUT], VERDICT_ACCEPT);
	ck_assert_int_eq(pol.defaults[CH_FORWARD], VERDICT_DROP);
	ck_assert_uint_eq(pol.defer, (1u << DEFER_DOCKER) | (1u << DEFER_LIBVIRT));
	ck_assert_uint_eq(pol.defer_loc.line, 6);
	ck_assert_uint_eq(pol.defer_loc.col, 5);
	policy_free(&pol);

	/* one name as a scalar; default left out: forward's default, drop */
	valid_with(HEAD "defaults: {forward: {defer-to: podman}}\n", &pol, "");
	ck_assert_int_eq(pol.defaults[CH_FORWARD], VERDICT_DROP);
	ck_assert_uint_eq(pol.defer, 1u << DEFER_PODMAN);
	policy_free(&pol);

	/* accept as the default: the list does nothing, and says so */
	valid_with(HEAD "defaults: {forward: {default: accept, defer-to: [docker]}}\n", &pol,
		   "p.yml:2:39: warning: defer-to has no effect: the forward default is accept, which already accepts the bridges' traffic\n");
	ck_assert_int_eq(pol.defaults[CH_FORWARD], VERDICT_ACCEPT);
	ck_assert_uint_eq(pol.defer, 0);
	policy_free(&pol);

	valid_with(HEAD "defaults: {forward: {default: drop, defer-to: [docker, podman, docker]}}\n",
		   &pol, "p.yml:2:64: warning: 'docker' is listed twice in defer-to\n");
	ck_assert_uint_eq(pol.defer, (1u << DEFER_DOCKER) | (1u << DEFER_PODMAN));
	policy_free(&pol);
}
END_TEST

START_TEST(parse_errors)
{
	errors_are(HEAD "defaults: {forward: {default: drop, defer-to: [dokcer, Docker, k8s]}}\n",
		   "p.yml:2:48: error: unknown name 'dokcer' in defer-to; did you mean 'docker'? (defer-to knows docker, podman and libvirt; for other bridges, accept their interfaces with forward rules)\n"
		   "p.yml:2:56: error: unknown name 'Docker' in defer-to; did you mean 'docker'? (defer-to knows docker, podman and libvirt; for other bridges, accept their interfaces with forward rules)\n"
		   "p.yml:2:64: error: unknown name 'k8s' in defer-to (defer-to knows docker, podman and libvirt; for other bridges, accept their interfaces with forward rules)\n");
	errors_are(HEAD "defaults:\n  forward:\n    default: rejct\n    defer-to: []\n",
		   "p.yml:4:14: error: default verdict for forward must be accept or drop, not 'rejct'\n"
		   "p.yml:5:15: error: defer-to is empty: name docker, podman or libvirt, or leave the key out\n");
	errors_are(HEAD "defaults:\n  forward:\n    defer-to:\n",
		   "p.yml:4:14: error: defer-to is empty: name docker, podman or libvirt, or leave the key out\n");
	errors_are(HEAD "defaults: {forward: {default: drop, defer: [docker]}}\n",
		   "p.yml:2:37: error: unknown key 'defer' in forward; expected one of: default, defer-to\n");
	errors_are(HEAD "defaults: {forward: {default: drop, defer-to: [{docker: 1}]}}\n",
		   "p.yml:2:48: error: each item of 'defer-to' must be a single value, not a mapping\n");
	errors_are(HEAD "defaults: {forward: {default: [drop]}}\n",
		   "p.yml:2:31: error: 'default' must be a single value, not a list\n");
	/* defer-to is forward's only */
	errors_are(HEAD "defaults: {input: {default: drop, defer-to: [docker]}}\n",
		   "p.yml:2:19: error: 'input' must be a single value, not a mapping\n");
	errors_are(HEAD "defaults: {forward: {default: drop, defer-to: docker, default: accept}}\n",
		   "p.yml:2:55: error: duplicate key 'default' in forward (first at line 2)\n");
}
END_TEST

/* The forward chain's rule comments, in order, joined by '|'. */
static char *forward_comments(const struct ir_table *t)
{
	struct strbuf sb = { 0 };
	const struct ir_chain *ch = &t->chains[CH_FORWARD];

	for (size_t i = 0; i < ch->n; i++)
		sb_printf(&sb, "%s%s", i ? "|" : "", ch->rules[i].comment);
	return sb_take(&sb);
}

START_TEST(compiled_rules)
{
	struct policy pol;
	struct ir_table t;
	struct strbuf sb = { 0 };

	compile_text(HEAD "defaults: {forward: {default: drop, defer-to: [libvirt, docker]}}\n"
			  "rules:\n"
			  "  - {name: no-smtp, chain: forward, proto: tcp, dport: 25, action: drop}\n"
			  "  - {name: wg, chain: forward, iif: wg0, action: accept}\n"
			  "nat:\n"
			  "  - {name: web, iif: eth0, proto: tcp, dport: 8080, action: dnat, to: \"10.0.0.2:80\"}\n",
		     NULL, &pol, &t);
	_cleanup_free_ char *c = forward_comments(&t);
	/* enum order (docker before libvirt), whatever the policy's order;
	 * after the policy's rules and the dnat entry's accept */
	text_is("forward", c,
		"vigil:established|vigil:invalid|vigil:dnat web|no-smtp|wg|wg|" /* wg: its untracked twin */
		"vigil:defer docker|vigil:defer docker|vigil:defer docker dnat|vigil:defer docker dnat|"
		"vigil:defer libvirt|vigil:defer libvirt dnat|vigil:default");
	render_table(&sb, &t, &pol);
	ck_assert_ptr_nonnull(strstr(sb.s,
		"\t\ttcp dport 25 counter drop comment \"no-smtp\"\n"
		"\t\tiifname \"wg0\" ct mark set ct mark and 0x0000ffff or 0x00020000 counter accept comment \"wg\"\n"
		"\t\tct state untracked iifname \"wg0\" counter accept comment \"wg\"\n"
		"\t\tiifname \"docker0\" counter accept comment \"vigil:defer docker\"\n"
		"\t\tiifname \"br-*\" counter accept comment \"vigil:defer docker\"\n"
		"\t\tct status dnat oifname \"docker0\" counter accept comment \"vigil:defer docker dnat\"\n"
		"\t\tct status dnat oifname \"br-*\" counter accept comment \"vigil:defer docker dnat\"\n"
		"\t\tiifname \"virbr*\" counter accept comment \"vigil:defer libvirt\"\n"
		"\t\tct status dnat oifname \"virbr*\" counter accept comment \"vigil:defer libvirt dnat\"\n"
		"\t\tcounter comment \"vigil:default\"\n"));
	/* no marks: the connections are the manager's */
	for (size_t i = 0; i < t.chains[CH_FORWARD].n; i++)
		if (!strncmp(t.chains[CH_FORWARD].rules[i].comment, "vigil:defer", 11))
			ck_assert(!t.chains[CH_FORWARD].rules[i].set_mark);
	sb_free(&sb);
	ir_table_free(&t);
	policy_free(&pol);

	/* nothing without defer-to, nothing with a forward default of accept */
	compile_text(HEAD "defaults: {forward: {default: accept, defer-to: [docker]}}\n", NULL, &pol,
		     &t);
	_cleanup_free_ char *c2 = forward_comments(&t);
	text_is("forward", c2, "vigil:established|vigil:invalid|vigil:default");
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

/* ir_eval and ir_eval_policy agree; returns the outcome. */
static struct ir_outcome decide(const struct policy *pol, const struct ir_table *t,
				const struct ir_pkt *p)
{
	struct ir_outcome o, ref;

	ck_assert_int_eq(ir_eval(t, CH_FORWARD, p, &o), 0);
	ck_assert_int_eq(ir_eval_policy(pol, CH_FORWARD, p, &ref), 0);
	ck_assert_msg(o.verdict == ref.verdict && o.policy == ref.policy && o.origin == ref.origin,
		      "kernel walk %d/%d/%d, policy %d/%d/%d", o.verdict, o.policy, o.origin,
		      ref.verdict, ref.policy, ref.origin);
	if (!o.policy)
		ck_assert_str_eq(o.comment, ref.comment);
	ck_assert_int_eq(o.marked, ref.marked);
	return o;
}

static struct ir_pkt fwd(uint32_t s, uint32_t d, uint16_t dport, const char *iif, const char *oif,
			 enum ir_ct_state ct, bool dnat)
{
	struct ir_pkt p = { .family = 4, .saddr = s, .daddr = d, .l4proto = IPPROTO_TCP,
			    .sport = 40000, .dport = dport, .ct = ct, .dnat = dnat };
	snprintf(p.iif, sizeof(p.iif), "%s", iif);
	snprintf(p.oif, sizeof(p.oif), "%s", oif);
	return p;
}

#define CTR 0xac110002u /* 172.17.0.2 */
#define WAN 0xc0000202u /* 192.0.2.2 */

static void expect_outcome(const struct policy *pol, const struct ir_table *t,
			   const struct ir_pkt p, enum ir_verdict v, const char *by)
{
	struct ir_outcome o = decide(pol, t, &p);

	ck_assert_int_eq(o.verdict, v);
	if (by)
		ck_assert_str_eq(o.comment, by);
	else
		ck_assert(o.policy);
}

static void docker_host_packets(const char *yaml)
{
	struct policy pol;
	struct ir_table t;

	compile_text(yaml, NULL, &pol, &t);
	/* outbound from the containers, on docker0 and a user network */
	expect_outcome(&pol, &t, fwd(CTR, WAN, 80, "docker0", "wan0", IR_CT_NEW, false), IV_ACCEPT,
		       "vigil:defer docker");
	expect_outcome(&pol, &t, fwd(CTR, WAN, 443, "br-0123abcd", "wan0", IR_CT_NEW, false),
		       IV_ACCEPT, "vigil:defer docker");
	/* container to container across bridges (docker's own table isolates) */
	expect_outcome(&pol, &t, fwd(CTR, CTR + 1, 80, "docker0", "br-x", IR_CT_NEW, false),
		       IV_ACCEPT, "vigil:defer docker");
	/* a published port: docker's nat table translated it */
	expect_outcome(&pol, &t, fwd(WAN, CTR, 80, "wan0", "docker0", IR_CT_NEW, true), IV_ACCEPT,
		       "vigil:defer docker dnat");
	/* the same container port, routed to without translation: dropped */
	expect_outcome(&pol, &t, fwd(WAN, CTR, 80, "wan0", "docker0", IR_CT_NEW, false), IV_DROP,
		       NULL);
	expect_outcome(&pol, &t, fwd(WAN, CTR, 22, "wan0", "docker0", IR_CT_NEW, false), IV_DROP,
		       NULL);
	/* replies: the built-in rule */
	expect_outcome(&pol, &t, fwd(WAN, CTR, 40000, "wan0", "docker0", IR_CT_ESTABLISHED, false),
		       IV_ACCEPT, "vigil:established");
	/* untracked: no conntrack entry, so no ct status either */
	expect_outcome(&pol, &t, fwd(WAN, CTR, 80, "wan0", "docker0", IR_CT_UNTRACKED, true),
		       IV_DROP, NULL);
	expect_outcome(&pol, &t, fwd(CTR, WAN, 80, "docker0", "wan0", IR_CT_UNTRACKED, false),
		       IV_ACCEPT, "vigil:defer docker");
	/* not a bridge of docker's, nor a prefix match of one */
	expect_outcome(&pol, &t, fwd(CTR, WAN, 80, "docker1", "wan0", IR_CT_NEW, false), IV_DROP,
		       NULL);
	expect_outcome(&pol, &t, fwd(CTR, WAN, 80, "br0", "wan0", IR_CT_NEW, false), IV_DROP, NULL);
	/* an explicit drop of the policy still wins */
	expect_outcome(&pol, &t, fwd(CTR, WAN, 25, "docker0", "wan0", IR_CT_NEW, false), IV_DROP,
		       "no-smtp");
	expect_outcome(&pol, &t, fwd(WAN, CTR, 25, "wan0", "docker0", IR_CT_NEW, true), IV_DROP,
		       "no-smtp");
	/* libvirt: not named */
	expect_outcome(&pol, &t, fwd(CTR, WAN, 80, "virbr0", "wan0", IR_CT_NEW, false), IV_DROP,
		       NULL);
	ir_table_free(&t);
	policy_free(&pol);
}

START_TEST(evaluators_agree)
{
	static const char yaml[] =
		HEAD "defaults: {forward: {default: drop, defer-to: [docker]}}\n"
		     "rules:\n"
		     "  - {name: no-smtp, chain: forward, proto: tcp, dport: 25, action: drop}\n";
	struct strbuf sb = { 0 };

	docker_host_packets(yaml);
	/* the same with 40 more forward rules: merged maps and a decision
	 * tree before the accepts, which stay after them */
	sb_puts(&sb, yaml);
	for (int i = 0; i < 40; i++)
		sb_printf(&sb, "  - {name: r%d, chain: forward, proto: udp, dport: %d, iif: \"eth%d\", oif: \"ww*\", action: reject}\n",
			  i, 1000 + i, i % 5);
	for (int i = 0; i < 30; i++)
		sb_printf(&sb, "  - {name: m%d, chain: forward, proto: tcp, src: 198.51.100.%d, dport: %d, action: accept}\n",
			  i, i, 2000 + i);
	docker_host_packets(sb.s);

	struct policy pol;
	struct ir_table t;
	compile_text(sb.s, NULL, &pol, &t);
	ck_assert_uint_gt(t.ndispatch + t.nmerged, 0);
	const struct ir_chain *ch = &t.chains[CH_FORWARD];
	ck_assert_str_eq(ch->rules[ch->n - 1].comment, "vigil:default");
	ck_assert_str_eq(ch->rules[ch->n - 2].comment, "vigil:defer docker dnat");
	ck_assert_str_eq(ch->rules[ch->n - 5].comment, "vigil:defer docker");
	expect_outcome(&pol, &t, fwd(0xc6336405u, CTR, 2005, "wan0", "docker0", IR_CT_NEW, true),
		       IV_ACCEPT, "m5");
	ir_table_free(&t);
	policy_free(&pol);
	sb_free(&sb);
}
END_TEST

START_TEST(nat_accepts_with_dnat)
{
	struct policy pol;
	struct ir_table t;

	/* a dnat entry's forward accept is visible once packets can say
	 * status dnat: both evaluators see it, before the policy's rules */
	compile_text(HEAD "defaults: {forward: {defer-to: [podman]}}\n"
			  "rules:\n"
			  "  - {name: no-web, chain: forward, proto: tcp, dport: 80, action: drop}\n"
			  "nat:\n"
			  "  - {name: web, iif: eth0, proto: tcp, dport: 8080, action: dnat, to: \"10.0.0.2:80\"}\n"
			  "  - {name: off, iif: eth0, proto: tcp, dport: 8081, action: dnat, to: \"10.0.0.3:80\", accept: false}\n",
		     NULL, &pol, &t);
	expect_outcome(&pol, &t, fwd(WAN, 0x0a000002u, 80, "eth0", "lan0", IR_CT_NEW, true), IV_ACCEPT,
		       "vigil:dnat web");
	expect_outcome(&pol, &t, fwd(WAN, 0x0a000003u, 80, "eth0", "lan0", IR_CT_NEW, true), IV_DROP,
		       "no-web");
	expect_outcome(&pol, &t, fwd(WAN, 0x0a000002u, 80, "eth1", "lan0", IR_CT_NEW, true), IV_DROP,
		       "no-web");
	expect_outcome(&pol, &t, fwd(WAN, 0x0a000002u, 81, "eth0", "podman0", IR_CT_NEW, true),
		       IV_ACCEPT, "vigil:defer podman dnat");
	expect_outcome(&pol, &t, fwd(CTR, WAN, 81, "cni-podman1", "eth0", IR_CT_NEW, false),
		       IV_ACCEPT, "vigil:defer podman");
	expect_outcome(&pol, &t, fwd(CTR, WAN, 81, "docker0", "eth0", IR_CT_NEW, false), IV_DROP,
		       NULL);
	ir_table_free(&t);
	policy_free(&pol);
}
END_TEST

START_TEST(patterns)
{
	ck_assert(defer_pattern_covers("br-*", "br-1a2b"));
	ck_assert(defer_pattern_covers("br-*", "br-1*"));
	ck_assert(defer_pattern_covers("br-*", "br-"));
	ck_assert(!defer_pattern_covers("br-*", "br*"));
	ck_assert(!defer_pattern_covers("br-*", "br0"));
	ck_assert(defer_pattern_covers("docker0", "docker0"));
	ck_assert(!defer_pattern_covers("docker0", "docker0*"));
	ck_assert(!defer_pattern_covers("docker0", "docker01"));
	ck_assert_int_eq(defer_owner("docker0"), DEFER_DOCKER);
	ck_assert_int_eq(defer_owner("podman3"), DEFER_PODMAN);
	ck_assert_int_eq(defer_owner("cni-podman0"), DEFER_PODMAN);
	ck_assert_int_eq(defer_owner("virbr1"), DEFER_LIBVIRT);
	ck_assert_int_eq(defer_owner("eth0"), -1);
}
END_TEST

/* ---- another table's rules, as a dump delivers them ---- */

static void add_ifcmp(struct nftnl_rule *r, uint32_t key, const char *name, uint32_t op)
{
	struct nftnl_expr *m = nftnl_expr_alloc("meta"), *c = nftnl_expr_alloc("cmp");
	char data[16] = { 0 };
	size_t len = strlen(name);

	nftnl_expr_set_u32(m, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(m, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, m);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, op);
	if (name[len - 1] == '*') { /* nft's prefix compare: no NUL */
		memcpy(data, name, len - 1);
		nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, data, (uint32_t)(len - 1));
	} else {
		memcpy(data, name, len);
		nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, data, sizeof(data));
	}
	nftnl_rule_add_expr(r, c);
}

/* One rule of ip TABLE CHAIN: the compares "i:NAME", "o:NAME", "!i:NAME"
 * (not equal), "si" (an iifname set lookup), then accept (or not). */
static void rule_msg(struct foreign_view *v, const char *table, const char *chain,
		     const char *const *cmps, bool accept)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	for (; *cmps; cmps++) {
		const char *s = *cmps;
		bool neg = s[0] == '!';
		if (!strcmp(s, "pd")) { /* ip daddr 172.17.0.2, into reg 1 too */
			struct nftnl_expr *pl = nftnl_expr_alloc("payload"), *c = nftnl_expr_alloc("cmp");
			uint32_t a = htonl(0xac110002u);
			nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
			nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_OFFSET, 16);
			nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_LEN, 4);
			nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
			nftnl_rule_add_expr(r, pl);
			nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
			nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
			nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, &a, sizeof(a));
			nftnl_rule_add_expr(r, c);
			continue;
		}
		if (!strcmp(s, "si")) {
			struct nftnl_expr *m = nftnl_expr_alloc("meta"), *l = nftnl_expr_alloc("lookup");
			nftnl_expr_set_u32(m, NFTNL_EXPR_META_KEY, NFT_META_IIFNAME);
			nftnl_expr_set_u32(m, NFTNL_EXPR_META_DREG, NFT_REG_1);
			nftnl_rule_add_expr(r, m);
			nftnl_expr_set_u32(l, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
			nftnl_expr_set_str(l, NFTNL_EXPR_LOOKUP_SET, "__set0");
			nftnl_rule_add_expr(r, l);
			continue;
		}
		add_ifcmp(r, s[neg] == 'i' ? NFT_META_IIFNAME : NFT_META_OIFNAME, s + neg + 2,
			  neg ? NFT_CMP_NEQ : NFT_CMP_EQ);
	}
	struct nftnl_expr *imm = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_VERDICT, accept ? NF_ACCEPT : NFT_RETURN);
	nftnl_rule_add_expr(r, imm);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	foreign_add_rule(v, nlh);
}

static void chain_msg(struct foreign_view *v, const char *table, const char *chain)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_IPV4);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 0, 0);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	foreign_add_chain(v, nlh);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define D(x) (1u << DEFER_##x)

static bool covered(const struct foreign_view *v, size_t t, unsigned defer, const char *ifs,
		    int owner)
{
	char why[128] = "?";
	int o = 99;
	bool c = foreign_covered(&v->t[t], defer, why, sizeof(why), &o);

	if (!c) {
		ck_assert_str_eq(why, ifs);
		ck_assert_int_eq(o, owner);
	}
	return c;
}

START_TEST(foreign_coverage)
{
	struct foreign_view v = { 0 };

	/* docker's FORWARD chain and its DOCKER chain (tests/netns/docker.sh) */
	chain_msg(&v, "filter", "FORWARD");
	rule_msg(&v, "filter", "FORWARD", L("o:docker0"), true);
	rule_msg(&v, "filter", "FORWARD", L("i:docker0", "!o:docker0"), true);
	rule_msg(&v, "filter", "DOCKER", L("!i:docker0", "o:docker0", "pd"), true);
	rule_msg(&v, "filter", "DOCKER-USER", L("o:eth9"), false); /* no accept: not counted */
	rule_msg(&v, "filter", "FORWARD", L("i:br-*"), true);
	/* podman's netavark accepts by address only, in its own table */
	rule_msg(&v, "netavark", "NETAVARK-FORWARD", ((const char *const[]){ NULL }), true);
	/* a table of someone else's */
	rule_msg(&v, "k8s", "KUBE-FORWARD", ((const char *const[]){ NULL }), true);
	rule_msg(&v, "lv", "fwd", L("o:virbr0"), true);
	rule_msg(&v, "lv", "fwd", L("si"), true);
	foreign_done(&v);

	ck_assert_uint_eq(v.n, 1);
	ck_assert_uint_eq(v.nt, 4);
	ck_assert_str_eq(v.t[v.v[0].tab].name, "filter");
	ck_assert_uint_eq(v.v[0].accepts, 4);
	ck_assert_uint_eq(v.t[0].nacc, 4);
	ck_assert_str_eq(v.t[0].acc[3].ifs[0], "br-*");
	/* only equality says which traffic a rule is for: != is left out */
	ck_assert_uint_eq(v.t[0].acc[1].nifs, 1);
	ck_assert_uint_eq(v.t[0].acc[2].nifs, 1); /* the address compare is not a name */
	ck_assert_str_eq(v.t[0].acc[2].ifs[0], "docker0");

	ck_assert(covered(&v, 0, D(DOCKER), "", -1));
	ck_assert(!covered(&v, 0, 0, "docker0", DEFER_DOCKER));
	ck_assert(!covered(&v, 0, D(PODMAN) | D(LIBVIRT), "docker0", DEFER_DOCKER));
	ck_assert(covered(&v, 1, D(PODMAN), "", -1));
	ck_assert(!covered(&v, 1, D(DOCKER), "", DEFER_PODMAN));
	ck_assert(!covered(&v, 2, D(DOCKER) | D(PODMAN) | D(LIBVIRT), "", -1));
	/* the set lookup: names unknown, so not covered */
	ck_assert(!covered(&v, 3, D(LIBVIRT), "", -1));
	ck_assert(!covered(&v, 3, 0, "virbr0", DEFER_LIBVIRT));
	foreign_free(&v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("defer");
	TCase *tc = tcase_create("defer");

	tcase_add_test(tc, parse_values);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, compiled_rules);
	tcase_add_test(tc, evaluators_agree);
	tcase_add_test(tc, nat_accepts_with_dnat);
	tcase_add_test(tc, patterns);
	tcase_add_test(tc, foreign_coverage);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
