// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_warn: the warnings about parts of a rule that can never match are
 * exact. For random rules mixing address families, sets of one family, of
 * both, and protocols, the compiled kernel rules (the IR, merging off) are
 * the oracle: an entry, set or protocol is warned about if and only if no
 * kernel rule of the policy rule uses it.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vigil/ir.h"
#include "vigil/policy.h"
#include "vigil/util.h"

#define SETS                                                    \
	"sets:\n"                                               \
	"  s4: {type: cidr, elements: [203.0.113.0/24]}\n"      \
	"  s6: {type: cidr, elements: [\"2001:db8:6::/48\"]}\n" \
	"  mix: {type: cidr, elements: [10.0.0.0/8, \"fd00::/8\"]}\n"

/* what a field can hold: literals of each family and the sets above */
static const char *const src_pool[] = { "192.0.2.1", "\"2001:db8::1\"", "\"@s4\"", "\"@s6\"",
					"\"@mix\"" };
static const char *const dst_pool[] = { "198.51.100.1", "\"2001:db8::2\"", "\"@s4\"",
					"\"@s6\"", "\"@mix\"" };
static const char *const proto_pool[] = { "tcp", "udp", "icmp", "icmpv6" };

/* What the kernel rules of policy rule 0 use. */
struct used {
	bool src4, src6, dst4, dst6;   /* a literal of that family */
	bool set[2][3];                /* [src/dst][s4, s6, mix]: any of its kernel sets */
	bool icmp, icmpv6;             /* the protocol can match */
	size_t rules;
};

static bool has_value(const struct ir_match *m, u128 v)
{
	if (m->op == OP_SET) {
		for (size_t i = 0; i < m->set->elems.n; i++)
			if (m->set->elems.v[i].lo <= v && v <= m->set->elems.v[i].hi)
				return true;
		return false;
	}
	return m->v.lo <= v && v <= m->v.hi;
}

static void scan(const struct ir_table *t, struct used *u)
{
	static const char *const sets[] = { "s4", "s6", "mix" };
	const struct ir_chain *ch = &t->chains[CH_INPUT];

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < ch->n; i++) {
		const struct ir_rule *r = &ch->rules[i];
		bool l4 = false, l4_icmp = false, l4_icmpv6 = false, fam4 = false, fam6 = false;

		if (r->origin != 0)
			continue;
		u->rules++;
		for (size_t k = 0; k < r->nm; k++) {
			const struct ir_match *m = &r->m[k];
			bool src = m->key == K_IP_SADDR || m->key == K_IP6_SADDR;
			bool v4 = m->key == K_IP_SADDR || m->key == K_IP_DADDR;

			fam4 |= m->key == K_IP_SADDR || m->key == K_IP_DADDR || m->key == K_ICMP_TYPE;
			fam6 |= m->key == K_IP6_SADDR || m->key == K_IP6_DADDR ||
				m->key == K_ICMPV6_TYPE;
			if (m->key == K_L4PROTO) {
				l4 = true;
				l4_icmp |= has_value(m, IPPROTO_ICMP);
				l4_icmpv6 |= has_value(m, IPPROTO_ICMPV6);
			}
			if (m->key == K_ICMP_TYPE)
				l4 = l4_icmp = true;
			if (m->key == K_ICMPV6_TYPE)
				l4 = l4_icmpv6 = true;
			if (m->key < K_IP_SADDR || m->key > K_IP6_DADDR)
				continue;
			if (m->op != OP_SET || m->set->anonymous) {
				if (src)
					*(v4 ? &u->src4 : &u->src6) = true;
				else
					*(v4 ? &u->dst4 : &u->dst6) = true;
				continue;
			}
			for (int s = 0; s < 3; s++)
				if (!strncmp(m->set->name, sets[s], strlen(sets[s])) &&
				    m->set->name[strlen(sets[s])] == '_')
					u->set[src ? 0 : 1][s] = true;
		}
		/* no protocol match: the rule takes icmp and icmpv6 packets alike,
		 * as far as its family allows */
		if (!l4) {
			l4_icmp = !fam6;
			l4_icmpv6 = !fam4;
		}
		u->icmp |= l4_icmp;
		u->icmpv6 |= l4_icmpv6;
	}
}

/* picks a random non-empty subset of pool (as a YAML flow list) into sb */
static unsigned pick(unsigned *seed, const char *const *pool, size_t n, struct strbuf *sb)
{
	unsigned mask = 0;

	while (!mask)
		mask = (unsigned)rand_r(seed) & ((1u << n) - 1);
	sb_puts(sb, "[");
	for (size_t i = 0, first = 1; i < n; i++)
		if (mask & (1u << i)) {
			sb_printf(sb, "%s%s", first ? "" : ", ", pool[i]);
			first = 0;
		}
	sb_puts(sb, "]");
	return mask;
}

static bool warned(const char *out, const char *what)
{
	return strstr(out, what) != NULL;
}

START_TEST(warnings_are_exact)
{
	unsigned seed = 4242;
	size_t checked = 0, warnings = 0;

	for (int round = 0; round < 4000; round++) {
		struct strbuf sb = { 0 };
		unsigned srcm = 0, dstm = 0, protom = 0;
		bool icmp_type = false;
		struct policy pol;
		struct ir_table t;
		struct used u;
		_cleanup_free_ char *out = NULL;

		sb_puts(&sb, "version: 1\n" SETS "rules:\n  - {name: r, chain: input");
		if (rand_r(&seed) % 4) {
			sb_puts(&sb, ", src: ");
			srcm = pick(&seed, src_pool, ARRAY_SIZE(src_pool), &sb);
		}
		if (rand_r(&seed) % 2) {
			sb_puts(&sb, ", dst: ");
			dstm = pick(&seed, dst_pool, ARRAY_SIZE(dst_pool), &sb);
		}
		if (rand_r(&seed) % 3) {
			sb_puts(&sb, ", proto: ");
			protom = pick(&seed, proto_pool, ARRAY_SIZE(proto_pool), &sb);
			icmp_type = !(protom & 3) && rand_r(&seed) % 2;
			if (icmp_type)
				sb_puts(&sb, ", icmp-type: echo-request");
		}
		sb_puts(&sb, ", action: drop}\n");
		/* every set used somewhere, so no "not used" warnings get in the way */
		sb_puts(&sb, "  - {name: uses, chain: output, dst: [\"@s4\", \"@s6\", \"@mix\"], action: drop}\n");

		if (check_text("p.yml", sb.s, NULL, &pol, &out) < 0) {
			/* the whole rule can never match: an error, never a warning */
			ck_assert_msg(strstr(out, "can never match") && !strstr(out, "warning"),
				      "refused otherwise:\n%s\n%s", sb.s, out);
			sb_free(&sb);
			policy_free(&pol);
			continue;
		}
		struct ir_opts io = { .merge_min = SIZE_MAX };
		ir_compile(&pol, &io, &t);
		scan(&t, &u);
		ck_assert_msg(u.rules > 0, "no kernel rule:\n%s", sb.s);

		/* a literal of a family, in src or dst */
		struct {
			unsigned mask, bit;
			bool used;
			const char *what;
		} lits[] = {
			{ srcm, 1, u.src4, "the IPv4 entries of 'src' can never match" },
			{ srcm, 2, u.src6, "the IPv6 entries of 'src' can never match" },
			{ dstm, 1, u.dst4, "the IPv4 entries of 'dst' can never match" },
			{ dstm, 2, u.dst6, "the IPv6 entries of 'dst' can never match" },
		};
		for (size_t k = 0; k < ARRAY_SIZE(lits); k++) {
			if (!(lits[k].mask & lits[k].bit))
				continue;
			ck_assert_msg(warned(out, lits[k].what) == !lits[k].used,
				      "'%s' %s, but the entries are %s:\n%s\n%s", lits[k].what,
				      warned(out, lits[k].what) ? "said" : "not said",
				      lits[k].used ? "used" : "unused", sb.s, out);
			warnings += !lits[k].used;
		}
		/* sets of one family; a set of both is never warned about */
		static const char *const setw[2][2] = {
			{ "set '@s4' in 'src' can never match", "set '@s6' in 'src' can never match" },
			{ "set '@s4' in 'dst' can never match", "set '@s6' in 'dst' can never match" },
		};
		for (int f = 0; f < 2; f++)
			for (int s = 0; s < 3; s++) {
				unsigned mask = f ? dstm : srcm;
				if (!(mask & (4u << s)))
					continue;
				if (s == 2) {
					ck_assert_msg(u.set[f][2] && !strstr(out, "'@mix'"),
						      "set mix:\n%s\n%s", sb.s, out);
					continue;
				}
				ck_assert_msg(warned(out, setw[f][s]) == !u.set[f][s],
					      "'%s' %s, but the set is %s:\n%s\n%s", setw[f][s],
					      warned(out, setw[f][s]) ? "said" : "not said",
					      u.set[f][s] ? "used" : "unused", sb.s, out);
				warnings += !u.set[f][s];
			}
		/* protocols of one family */
		if (protom & 4) {
			ck_assert_msg(warned(out, "proto icmp can never match") == !u.icmp,
				      "proto icmp:\n%s\n%s", sb.s, out);
			warnings += !u.icmp;
		}
		if (protom & 8) {
			ck_assert_msg(warned(out, "proto icmpv6 can never match") == !u.icmpv6,
				      "proto icmpv6:\n%s\n%s", sb.s, out);
			warnings += !u.icmpv6;
		}
		checked++;
		ir_table_free(&t);
		policy_free(&pol);
		sb_free(&sb);
	}
	/* the generator reaches both outcomes often */
	ck_assert_msg(checked > 2000 && warnings > 500, "%zu policies, %zu warnings", checked,
		      warnings);
	printf("# %zu policies compiled, %zu parts said never to match\n", checked, warnings);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("warn");
	TCase *tc = tcase_create("warn");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, warnings_are_exact);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
