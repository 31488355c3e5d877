// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply --confirm's rollback batch (rebuild.c) without a kernel. A policy's
 * compiled batch is turned into the dump the kernel gives of the table it
 * makes (kdump.c: what nf_tables' dump adds and leaves out), that
 * dump is rebuilt, and the rebuilt batch
 *  - passes the helper's verifier (batch_verify), and
 *  - holds the compiled batch's chains, sets, elements (their data: the
 *    address . port of a port-forward map) and rules, each as libnftnl
 *    prints it (set ids aside: the rebuild numbers sets its own way).
 * Policies: examples/gateway.yml (linear dnat with ranges, snat,
 * masquerade, redirect, a per-source limit's dynset, ct count, named
 * sets) with 10 IPv4 and 8 IPv6 port forwards (two port-forward maps and
 * their dnatfwd sets), and without them. A changed byte of an element's
 * data in the dump shows in the comparison (it can fail).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "kdump.h"
#include "unit.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"
#include "vigil/rebuild.h"

/* ---- what a batch holds, printed by libnftnl ---- */

struct held {
	struct strbuf chains, sets, elems, rules;
	size_t natmap_elems; /* elements with 8 or 20 bytes of data */
};

static void held_set(struct held *o, const struct nlmsghdr *m)
{
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t n;
	const uint8_t *ud;

	ck_assert_int_ge(nftnl_set_nlmsg_parse(m, s), 0);
	sb_printf(&o->sets, "%s flags %x key %u/%u data %u/%u timeout %llu ud",
		  nftnl_set_get_str(s, NFTNL_SET_NAME), nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
		  nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN),
		  nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE), nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN),
		  (unsigned long long)nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT));
	ud = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &n);
	for (uint32_t i = 0; ud && i < n; i++)
		sb_printf(&o->sets, " %02x", ud[i]);
	sb_printf(&o->sets, " size %u\n", nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE));
	nftnl_set_free(s);
}

static void hex(struct strbuf *sb, const char *what, const struct nlattr *a)
{
	const uint8_t *p = mnl_attr_get_payload(a);

	sb_printf(sb, " %s", what);
	for (uint16_t i = 0; i < mnl_attr_get_payload_len(a); i++)
		sb_printf(sb, "%s%02x", i ? "" : " ", p[i]);
}

/* A data nest (key, key end, data): a value, or a verdict and its chain. */
static void data_of(struct strbuf *sb, const char *what, const struct nlattr *d)
{
	const struct nlattr *v = kd_find(d, NFTA_DATA_VALUE), *vd = kd_find(d, NFTA_DATA_VERDICT), *c;

	if (v)
		hex(sb, what, v);
	if (vd) {
		sb_printf(sb, " %s verdict %d", what, (int)ntohl(mnl_attr_get_u32(kd_find(vd, NFTA_VERDICT_CODE))));
		if ((c = kd_find(vd, NFTA_VERDICT_CHAIN)))
			sb_printf(sb, " %s", mnl_attr_get_str(c));
	}
}

/* libnftnl reads element lists of NFTA_LIST_ELEM items only; nftc
 * numbers them (the kernel takes either): printed here */
static void held_elems(struct held *o, const struct nlmsghdr *m)
{
	const struct nlattr *a, *el, *x;

	KD_EACH_ATTR(a, m)
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			sb_printf(&o->elems, "%s:\n", mnl_attr_get_str(a));
	KD_EACH_ATTR(a, m) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			sb_puts(&o->elems, " ");
			if ((x = kd_find(el, NFTA_SET_ELEM_KEY)))
				data_of(&o->elems, "key", x);
			if ((x = kd_find(el, NFTA_SET_ELEM_KEY_END)))
				data_of(&o->elems, "end", x);
			if ((x = kd_find(el, NFTA_SET_ELEM_FLAGS)))
				sb_printf(&o->elems, " flags %x", ntohl(mnl_attr_get_u32(x)));
			if ((x = kd_find(el, NFTA_SET_ELEM_DATA))) {
				data_of(&o->elems, "data", x);
				if ((x = kd_find(x, NFTA_DATA_VALUE)) &&
				    (mnl_attr_get_payload_len(x) == 8 || mnl_attr_get_payload_len(x) == 20))
					o->natmap_elems++;
			}
			sb_puts(&o->elems, "\n");
		}
	}
}

static void held_of(const void *buf, size_t len, struct held *o)
{
	char line[8192];

	memset(o, 0, sizeof(*o));
	KD_EACH_MSG(m, buf, len) {
		if (!kd_nft(m))
			continue;
		if (kd_type(m) == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();
			ck_assert_int_ge(nftnl_chain_nlmsg_parse(m, c), 0);
			nftnl_chain_snprintf(line, sizeof(line), c, NFTNL_OUTPUT_DEFAULT, 0);
			sb_printf(&o->chains, "%s\n", line);
			nftnl_chain_free(c);
		} else if (kd_type(m) == NFT_MSG_NEWSET) {
			held_set(o, m);
		} else if (kd_type(m) == NFT_MSG_NEWSETELEM) {
			held_elems(o, m);
		} else if (kd_type(m) == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			ck_assert_int_ge(nftnl_rule_nlmsg_parse(m, r), 0);
			nftnl_rule_snprintf(line, sizeof(line), r, NFTNL_OUTPUT_DEFAULT, 0);
			sb_printf(&o->rules, "%s\n", line);
			nftnl_rule_free(r);
		}
	}
}

static void held_free(struct held *o)
{
	sb_free(&o->chains);
	sb_free(&o->sets);
	sb_free(&o->elems);
	sb_free(&o->rules);
}

static const char *str(const struct strbuf *sb)
{
	return sb->s ? sb->s : "";
}

/* ---- the round trip ---- */

static char *gateway_with(size_t n4, size_t n6)
{
	_cleanup_free_ char *gw = read_src_file("examples/gateway.yml", NULL);
	struct strbuf sb = { 0 };

	sb_puts(&sb, gw);
	for (size_t i = 0; i < n4; i++)
		sb_printf(&sb, "  - {name: f%zu, iif: wan0, proto: udp, dport: %zu, action: dnat, "
			  "to: \"10.1.0.3:%zu\", accept: true}\n", i, 7000 + i, 2000 + i);
	for (size_t i = 0; i < n6; i++)
		sb_printf(&sb, "  - {name: g%zu, iif: wan0, proto: tcp, dport: %zu, action: dnat, "
			  "to: \"[fd00:1::3]:%zu\", accept: true}\n", i, 9000 + i, 3000 + i);
	return sb_take(&sb);
}

/* The compiled batch of yaml, its rebuild from the emulated dump (with
 * `tweak` applied to the dump first, if given). */
static void round_trip(const char *yaml, void (*tweak)(struct batch *dump), struct held *want,
		       struct held *got)
{
	struct policy pol;
	struct ir_table t;
	struct batch b, rb;
	struct kdump k;
	struct nftc_opts o = { 0 };
	struct batch_refusal why;

	compile_text(yaml, NULL, &pol, &t);
	batch_init(&b, 1);
	nftc_build_replace(&t, &b);
	ck_assert_msg(batch_verify(b.buf, b.len, pol.table, &why) == 0, "compiled: %s", why.why);
	kdump_of(&b, &k);
	if (tweak)
		tweak(&k.out);
	batch_init(&rb, 1000);
	ck_assert_int_eq(rebuild_replace(k.out.buf, k.out.len, pol.table, &o, &rb), 0);
	ck_assert_msg(batch_verify(rb.buf, rb.len, pol.table, &why) == 0,
		      "the rebuilt batch is refused: message %zu: %s", why.index, why.why);
	held_of(b.buf, b.len, want);
	held_of(rb.buf, rb.len, got);
	batch_free(&rb);
	kdump_free(&k);
	batch_free(&b);
	ir_table_free(&t);
	policy_free(&pol);
}

static void same(const struct held *want, const struct held *got)
{
	text_is("chains", str(&got->chains), str(&want->chains));
	text_is("sets", str(&got->sets), str(&want->sets));
	text_is("elements", str(&got->elems), str(&want->elems));
	text_is("rules", str(&got->rules), str(&want->rules));
}

START_TEST(natmaps_round_trip)
{
	_cleanup_free_ char *y = gateway_with(10, 8);
	struct held want, got;

	round_trip(y, NULL, &want, &got);
	ck_assert_ptr_nonnull(strstr(str(&want.sets), "natmap.1 flags 8"));
	ck_assert_ptr_nonnull(strstr(str(&want.sets), "natmap.2 flags 8"));
	ck_assert_ptr_nonnull(strstr(str(&want.sets), "dnatfwd.1 flags 0"));
	ck_assert_uint_eq(want.natmap_elems, 18);
	ck_assert_uint_eq(got.natmap_elems, 18);
	same(&want, &got);
	held_free(&want);
	held_free(&got);
}
END_TEST

START_TEST(linear_round_trip)
{
	_cleanup_free_ char *y = gateway_with(3, 0);
	struct held want, got;

	round_trip(y, NULL, &want, &got);
	ck_assert_ptr_null(strstr(str(&want.sets), "natmap."));
	ck_assert_ptr_nonnull(strstr(str(&want.rules), "nat dnat ip addr_min reg 1 proto_min reg 2"));
	same(&want, &got);
	held_free(&want);
	held_free(&got);
}
END_TEST

START_TEST(verdict_maps_round_trip)
{
	/* 40 rules of one shape: merged into a verdict map (goto rule.NAME),
	 * src/dst pairs for a decision tree's jumps; the element data are
	 * verdicts with chains */
	struct strbuf sb = { 0 };
	struct held want, got;

	sb_puts(&sb, "version: 1\ndefaults: {input: drop, forward: drop}\nrules:\n");
	for (int i = 0; i < 40; i++)
		sb_printf(&sb, "  - {name: r%d, chain: input, proto: tcp, src: 10.%d.0.0/16, dport: %d, action: %s}\n",
			  i, i, 100 + i, i % 3 ? "accept" : "drop");
	for (int i = 0; i < 30; i++)
		sb_printf(&sb, "  - {name: f%d, chain: forward, proto: udp, dst: 192.0.2.%d, dport: [%d, %d], action: accept}\n",
			  i, i, 1000 + i, 2000 + i);
	_cleanup_free_ char *y = sb_take(&sb);
	round_trip(y, NULL, &want, &got);
	ck_assert_ptr_nonnull(strstr(str(&want.elems), "data verdict -4 rule."));
	same(&want, &got);
	held_free(&want);
	held_free(&got);
}
END_TEST

/* the last byte of the first element data of 8 bytes (IPv4 natmap): the
 * port's register padding is refused, so the address's last byte */
static void flip_natmap_data(struct batch *dump)
{
	KD_EACH_MSG(m, dump->buf, dump->len) {
		const struct nlattr *a, *list = NULL, *el, *d, *v;

		if (!kd_nft(m) || kd_type(m) != NFT_MSG_NEWSETELEM)
			continue;
		KD_EACH_ATTR(a, m)
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		mnl_attr_for_each_nested(el, list) {
			if (!(d = kd_find(el, NFTA_SET_ELEM_DATA)) || !(v = kd_find(d, NFTA_DATA_VALUE)) ||
			    mnl_attr_get_payload_len(v) != 8)
				continue;
			((uint8_t *)mnl_attr_get_payload(v))[3] ^= 1;
			return;
		}
	}
	ck_abort_msg("no port-forward map element in the dump");
}

START_TEST(element_data_compared)
{
	_cleanup_free_ char *y = gateway_with(10, 0);
	struct held want, got;

	round_trip(y, flip_natmap_data, &want, &got);
	text_is("rules", str(&got.rules), str(&want.rules));
	ck_assert_str_ne(str(&got.elems), str(&want.elems));
	held_free(&want);
	held_free(&got);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rebuild");
	TCase *tc = tcase_create("rebuild");

	tcase_add_test(tc, natmaps_round_trip);
	tcase_add_test(tc, linear_round_trip);
	tcase_add_test(tc, verdict_maps_round_trip);
	tcase_add_test(tc, element_data_compared);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
