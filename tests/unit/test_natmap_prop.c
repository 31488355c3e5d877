// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port-forward maps (natmap.c) on random dnat lists: compiled grouped
 * (thresholds 2 and 8) and linear, random first packets get the same
 * translation from each and from the nat entries read as written
 * (ir_eval_policy_dnat), and the same forward decision once translated
 * (ct status dnat); explain (ir_explain) finds the compiled table and
 * the policy agreeing on every forward packet and names the same rule or
 * entry grouped as linear; each batch passes the verifier.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/eval.h"
#include "vigil/explain.h"
#include "vigil/nftc.h"

static size_t count_named(const struct ir_table *t, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nsets; i++)
		if (t->sets[i]->name && !strncmp(t->sets[i]->name, prefix, strlen(prefix)))
			n++;
	return n;
}

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const char *const ifs[] = { "wan0", "wan1", "lan0" };

static char *random_policy(void)
{
	struct strbuf sb = { 0 };
	size_t n = rnd(40);

	sb_puts(&sb, "version: 1\ndefaults: {forward: drop}\nnat:\n");
	for (size_t i = 0; i < n; i++) {
		unsigned k = rnd(20), port = 1000 + rnd(24), to = 2000 + rnd(6);
		const char *proto = rnd(4) ? "udp" : "tcp";
		const char *acc = rnd(3) ? "true" : "false";
		char iif[24] = "";
		char target[48];

		if (rnd(5))
			snprintf(iif, sizeof(iif), "iif: %s, ", ifs[rnd(2)]);
		if (rnd(4) || k == 2) /* (a source match is IPv4: so is its target) */
			snprintf(target, sizeof(target), "10.9.0.%u:%u", 1 + rnd(3), to);
		else
			snprintf(target, sizeof(target), "[fd00::%u]:%u", 1 + rnd(3), to);
		if (k == 0) /* a port range: never in a map */
			sb_printf(&sb, "  - {name: n%zu, %sproto: %s, dport: %u-%u, action: dnat, to: \"10.9.0.9:%u\", accept: %s}\n",
				  i, iif, proto, port, port + 2, to, acc);
		else if (k == 1) /* no port translated */
			sb_printf(&sb, "  - {name: n%zu, %sproto: %s, dport: %u, action: dnat, to: \"10.9.0.8\", accept: %s}\n",
				  i, iif, proto, port, acc);
		else if (k == 2) /* a source match */
			sb_printf(&sb, "  - {name: n%zu, %sproto: %s, src: 192.0.2.0/25, dport: %u, action: dnat, to: \"%s\", accept: %s}\n",
				  i, iif, proto, port, target, acc);
		else
			sb_printf(&sb, "  - {name: n%zu, %sproto: %s, dport: %u, action: dnat, to: \"%s\", accept: %s}\n",
				  i, iif, proto, port, target, acc);
	}
	return sb_take(&sb);
}

static void random_packet(struct ir_pkt *p)
{
	static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_SCTP, IPPROTO_ICMP };

	memset(p, 0, sizeof(*p));
	p->family = rnd(4) ? 4 : 6;
	p->l4proto = protos[rnd(sizeof(protos))];
	if (p->family == 6 && p->l4proto == IPPROTO_ICMP)
		p->l4proto = IPPROTO_ICMPV6;
	p->saddr = p->family == 4 ? (rnd(2) ? 0xc0000201u : 0xc6336401u) : ((u128)0x20010db8u << 96) | 1;
	p->sport = (uint16_t)(40000 + rnd(100));
	p->dport = (uint16_t)(rnd(8) ? 1000 + rnd(26) : 2000 + rnd(7));
	snprintf(p->iif, sizeof(p->iif), "%s", ifs[rnd(3)]);
	snprintf(p->oif, sizeof(p->oif), "%s", "lan0");
	p->ct = IR_CT_NEW;
}

static bool dnat_eq(const struct ir_dnat *a, const struct ir_dnat *b)
{
	if (a->hit != b->hit)
		return false;
	return !a->hit || (a->kind == b->kind && a->fam == b->fam && a->addr_lo == b->addr_lo &&
			   a->addr_hi == b->addr_hi && a->port == b->port && a->port_lo == b->port_lo &&
			   a->port_hi == b->port_hi);
}

static void verified(const struct ir_table *t, const struct policy *pol, const char *yaml)
{
	struct batch b;
	struct batch_refusal r;

	batch_init(&b, 1);
	nftc_build_replace(t, &b);
	expect(batch_verify(b.buf, b.len, pol->table, &r) == 0, "the batch is refused: %s\n%.3000s", r.why,
	       yaml);
	batch_free(&b);
}

START_TEST(grouped_equals_linear)
{
	size_t maps = 0, fwds = 0, hits = 0, accepted = 0, explained = 0;

	rnd_state = 20261207u + (uint32_t)_i;
	for (int iter = 0; iter < 60; iter++) {
		_cleanup_free_ char *yaml = random_policy();
		struct policy pol;
		struct ir_table lin, g2, g8;
		struct ir_opts olin = { .natmap_min = SIZE_MAX }, o2 = { .natmap_min = 2 }, o8 = { 0 };
		struct diags d = { 0 };

		if (policy_compile_buffer("random.yml", yaml, strlen(yaml), NULL, &pol, &d) < 0) {
			_cleanup_free_ char *txt = diags_text(&d);
			ck_abort_msg("policy does not compile:\n%.2000s\n%.2000s", txt, yaml);
		}
		diags_free(&d);
		ck_assert_int_eq(ir_compile(&pol, &olin, &lin), 0);
		ck_assert_int_eq(ir_compile(&pol, &o2, &g2), 0);
		ck_assert_int_eq(ir_compile(&pol, &o8, &g8), 0);
		expect(count_named(&lin, "natmap.") == 0, "linear has a map");
		maps += count_named(&g2, "natmap.") + count_named(&g8, "natmap.");
		fwds += count_named(&g2, "dnatfwd.") + count_named(&g8, "dnatfwd.");
		verified(&g2, &pol, yaml);
		verified(&g8, &pol, yaml);
		for (int k = 0; k < 400; k++) {
			struct ir_pkt p, fp;
			struct ir_dnat ref, dl, d2, d8;
			struct ir_outcome ol, o2r, o8r;

			random_packet(&p);
			ck_assert_int_eq(ir_eval_policy_dnat(&pol, &p, &ref), 0);
			ck_assert_int_eq(ir_eval_dnat(&lin, &p, &dl), 0);
			ck_assert_int_eq(ir_eval_dnat(&g2, &p, &d2), 0);
			ck_assert_int_eq(ir_eval_dnat(&g8, &p, &d8), 0);
			expect(dnat_eq(&ref, &dl) && dnat_eq(&ref, &d2) && dnat_eq(&ref, &d8),
			       "translations differ (policy %d, linear %d, grouped %d/%d) for family %d proto %u "
			       "dport %u iif %s\n%.3000s",
			       ref.hit, dl.hit, d2.hit, d8.hit, p.family, p.l4proto, p.dport, p.iif, yaml);
			hits += ref.hit;
			/* the connection's later packet in forward, translated or not */
			fp = p;
			fp.dnat = ref.hit && rnd(4);
			if (ref.hit && ref.fam != AF_NONE) {
				fp.daddr = ref.addr_lo;
				if (ref.port)
					fp.dport = ref.port_lo;
			} else {
				fp.daddr = p.family == 4 ? 0x0a090001u + rnd(3) : (((u128)0xfd00u << 112) | (1 + rnd(3)));
			}
			ck_assert_int_eq(ir_eval(&lin, CH_FORWARD, &fp, &ol), 0);
			ck_assert_int_eq(ir_eval(&g2, CH_FORWARD, &fp, &o2r), 0);
			ck_assert_int_eq(ir_eval(&g8, CH_FORWARD, &fp, &o8r), 0);
			expect(ol.verdict == o2r.verdict && ol.verdict == o8r.verdict && ol.policy == o2r.policy &&
			       ol.policy == o8r.policy && ol.origin == o2r.origin && ol.origin == o8r.origin,
			       "forward decisions differ (linear %d, grouped %d/%d) for dport %u\n%.3000s",
			       ol.verdict, o2r.verdict, o8r.verdict, fp.dport, yaml);
			accepted += !ol.policy;
			/* explain: no disagreement, and grouped it names what it
			 * names linear (a run's accept: the entry) */
			{
				struct ir_outcome el, e2, e8;
				expect(ir_explain(&pol, &lin, CH_FORWARD, &fp, &el) == 0 &&
				       ir_explain(&pol, &g2, CH_FORWARD, &fp, &e2) == 0 &&
				       ir_explain(&pol, &g8, CH_FORWARD, &fp, &e8) == 0,
				       "explain: the table and the policy disagree for dport %u\n%.3000s", fp.dport, yaml);
				expect(streq(el.comment ? el.comment : "", e2.comment ? e2.comment : "") &&
				       streq(el.comment ? el.comment : "", e8.comment ? e8.comment : ""),
				       "explain names %s linear, %s / %s grouped\n%.3000s", el.comment, e2.comment,
				       e8.comment, yaml);
				explained += el.comment && !strncmp(el.comment, "vigil:dnat ", 11);
			}
		}
		ir_table_free(&lin);
		ir_table_free(&g2);
		ir_table_free(&g8);
		policy_free(&pol);
	}
	/* the test means something: maps were made, packets translated and
	 * admitted by the forward accepts */
	ck_assert_uint_gt(maps, 10);
	ck_assert_uint_gt(fwds, 5);
	ck_assert_uint_gt(hits, 1000);
	ck_assert_uint_gt(accepted, 300);
	ck_assert_uint_gt(explained, 300);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("natmap_prop");
	TCase *tc = tcase_create("natmap_prop");

	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, grouped_equals_linear, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
