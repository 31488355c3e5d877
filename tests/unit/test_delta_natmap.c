// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental apply of port-forward maps (natmap.c): a map's element is a
 * port and an address . port, so a forward whose target changed is its
 * element deleted and added again with the new data, which the helper's
 * gate (batch_verify_delta) takes as a replacement's elements are taken;
 * near misses of such elements, and elements for a kernel map that is not
 * vigild's port-forward map, are refused.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/nftc.h"
#include "deltapair.h"

/* ---- port-forward maps (natmap.c): elements with an address . port ---- */

static const char fwd_yml[] =
	"version: 1\n"
	"zones: {lan: lan0, wan: wan0}\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"rules:\n"
	"  - {name: lan-out, chain: forward, iif: \"@lan\", oif: \"@wan\", action: accept}\n"
	"nat:\n"
	"  - {name: f1, iif: \"@wan\", proto: tcp, dport: 8001, action: dnat, to: \"10.1.0.21:443\"}\n"
	"  - {name: f2, iif: \"@wan\", proto: tcp, dport: 8002, action: dnat, to: \"10.1.0.22:443\"}\n"
	"  - {name: f3, iif: \"@wan\", proto: tcp, dport: 8003, action: dnat, to: \"10.1.0.23:443\"}\n"
	"  - {name: f4, iif: \"@wan\", proto: tcp, dport: 8004, action: dnat, to: \"10.1.0.24:443\"}\n"
	"  - {name: f5, iif: \"@wan\", proto: tcp, dport: 8005, action: dnat, to: \"10.1.0.25:443\"}\n"
	"  - {name: f6, iif: \"@wan\", proto: tcp, dport: 8006, action: dnat, to: \"10.1.0.26:443\"}\n"
	"  - {name: f7, iif: \"@wan\", proto: tcp, dport: 8007, action: dnat, to: \"10.1.0.27:443\"}\n"
	"  - {name: f8, iif: \"@wan\", proto: tcp, dport: 8008, action: dnat, to: \"10.1.0.28:443\"}\n"
	"  - {name: f9, iif: \"@wan\", proto: tcp, dport: 8009, action: dnat, to: \"10.1.0.29:443\"}\n";

/* m is a message of this type whose attribute attr is the string name */
static bool names_set(const struct nlmsghdr *m, uint16_t type, uint16_t attr, const char *name)
{
	const struct nlattr *a;

	if (m->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | type))
		return false;
	mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == attr && streq(mnl_attr_get_str(a), name))
			return true;
	return false;
}

/* the message of this type for set `name` in b, or NULL */
static const struct nlmsghdr *elems_for(const struct batch *b, uint16_t type, const char *name)
{
	for (size_t off = 0; off < b->len;) {
		const struct nlmsghdr *m = (const void *)(b->buf + off);

		off += NLMSG_ALIGN(m->nlmsg_len);
		if (names_set(m, type, NFTA_SET_ELEM_LIST_SET, name))
			return m;
	}
	return NULL;
}

START_TEST(port_forward_target_changed)
{
	/* a target's address, then a target's port: the key stays, the data changes */
	static const char *const to[][2] = { { "10.1.0.22:443", "10.1.0.42:443" },
					     { "10.1.0.25:443", "10.1.0.25:4443" } };

	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		_cleanup_free_ char *b = text_replace(fwd_yml, to[i][0], to[i][1]);
		struct batch_refusal r;
		struct pair x;

		pair_build(&x, fwd_yml, b);
		ck_assert_msg(!x.p.full, "full: %s", x.p.reason);
		/* natmap.1: port 800N's element out and in again with its new
		 * data; dnatfwd.1: the old address . port out, the new one in */
		ck_assert_uint_eq(x.p.elems_del, 2);
		ck_assert_uint_eq(x.p.elems_add, 2);
		ck_assert_uint_eq(x.p.rules_add + x.p.rules_del, 0);
		ck_assert_ptr_nonnull(elems_for(&x.delta, NFT_MSG_DELSETELEM, "natmap.1"));
		ck_assert_ptr_nonnull(elems_for(&x.delta, NFT_MSG_NEWSETELEM, "natmap.1"));
		ck_assert_ptr_nonnull(elems_for(&x.delta, NFT_MSG_DELSETELEM, "dnatfwd.1"));
		ck_assert_ptr_nonnull(elems_for(&x.delta, NFT_MSG_NEWSETELEM, "dnatfwd.1"));
		ck_assert_msg(pair_verify(x.delta.buf, x.delta.len, &x, &r) == 0, "%s", r.why);
		pair_free(&x);
	}
}
END_TEST

/* a natmap element as NEWSETELEM carries it, data dn bytes (pad: its last) */
static void natmap_elem(struct nlmsghdr *nlh, uint8_t pad, size_t dn, bool verdict)
{
	static const uint8_t port[2] = { 0x1f, 0x4a };
	uint8_t data[8] = { 10, 1, 0, 99, 0x01, 0xbb, 0, pad };
	struct nlattr *l = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	struct nlattr *e = mnl_attr_nest_start(nlh, 1), *k, *d;

	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(port), port);
	mnl_attr_nest_end(nlh, k);
	d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
	if (verdict) {
		struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(NF_ACCEPT));
		mnl_attr_nest_end(nlh, v);
	} else {
		mnl_attr_put(nlh, NFTA_DATA_VALUE, dn, data);
	}
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, e);
	mnl_attr_nest_end(nlh, l);
}

START_TEST(port_forward_near_misses)
{
	static const struct { uint8_t pad; size_t dn; bool verdict; const char *why; } bad[] = {
		{ 0, 8, false, NULL },
		{ 1, 8, false, "padding is not zero" },
		{ 0, 6, false, "value has 6 bytes" },
		{ 0, 0, true, "an address and a port (8 bytes)" },
	};
	uint8_t buf[1024] __attribute__((aligned(4)));
	struct pair x;
	struct batch d;

	pair_build(&x, fwd_yml, fwd_yml);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nlmsghdr *nlh = msg(buf, NFT_MSG_NEWSETELEM, NLM_F_CREATE);

		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "vigil");
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "natmap.1");
		natmap_elem(nlh, bad[i].pad, bad[i].dn, bad[i].verdict);
		reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
		if (bad[i].why)
			refused(&x, &d, bad[i].why);
		else /* the well-formed one: a new forward 8010 -> 10.1.0.99:443 */
			ck_assert_int_eq(pair_verify(d.buf, d.len, &x, &(struct batch_refusal){ 0 }), 0);
		batch_free(&d);
	}
	/* the kernel's map with other userdata than nft's for a port-forward
	 * map is not one: no element of the batch may go to it */
	for (size_t off = 0; off < x.kdump.len;) {
		struct nlmsghdr *m = (void *)(x.kdump.buf + off);
		struct nlattr *a;

		off += NLMSG_ALIGN(m->nlmsg_len);
		if (!names_set(m, NFT_MSG_NEWSET, NFTA_SET_NAME, "natmap.1"))
			continue;
		mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
			if (mnl_attr_get_type(a) == NFTA_SET_USERDATA)
				((uint8_t *)mnl_attr_get_payload(a))[mnl_attr_get_payload_len(a) - 1] ^= 1;
	}
	{
		struct nlmsghdr *nlh = msg(buf, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
		struct batch_refusal r;

		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "vigil");
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "natmap.1");
		natmap_elem(nlh, 0, 8, false);
		reframe(&x.delta, &d, true, nlh, nlh->nlmsg_len);
		ck_assert_int_eq(pair_verify(d.buf, d.len, &x, &r), -EPERM);
		batch_free(&d);
	}
	pair_free(&x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("delta_natmap");
	TCase *tc = tcase_create("delta_natmap");

	tcase_add_test(tc, port_forward_target_changed);
	tcase_add_test(tc, port_forward_near_misses);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
