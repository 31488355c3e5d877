// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dynamic sets: the compiler's sets pass the commit gate; vigild set's
 * batches pass batch_verify_setelem, and everything else is refused by it
 * (other messages, sets, tables, flags, keys, timeouts); reading the
 * kernel's dynamic sets from a dump; the reload's carry-over and its
 * refusals.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/dynset.h"
#include "vigil/nftc.h"
#include "vigil/util.h"

static const char dyn_yaml[] =
	"version: 1\n"
	"sets:\n"
	"  banned: {type: address, dynamic: true, timeout: 4h, size: 8}\n"
	"  nets: {type: cidr, dynamic: true}\n"
	"  admins: {type: cidr, elements: [192.0.2.0/24]}\n"
	"rules:\n"
	"  - {name: bans, chain: input, src: [\"@banned\", \"@nets\"], action: drop}\n"
	"  - {name: ssh, chain: input, src: \"@admins\", proto: tcp, dport: 22, action: accept}\n";

/* The kernel's dynamic sets as dynset_parse reads them from the
 * compiler's own batch (a dump has the same NEWSET messages). */
static void kernel_sets(struct dynset_list *l, struct batch *b)
{
	struct policy pol;
	struct ir_table t;

	compile_text(dyn_yaml, NULL, &pol, &t);
	batch_init(b, 1);
	nftc_build_replace(&t, b);
	ck_assert_int_eq(dynset_parse(b->buf, b->len, true, l), 0);
	ir_table_free(&t);
	policy_free(&pol);
	for (size_t i = 0; i < l->n; i++)
		dynset_sort(&l->v[i]);
}

START_TEST(compiled_passes_and_parses)
{
	struct dynset_list l;
	struct batch b;
	struct batch_refusal r;

	kernel_sets(&l, &b);
	ck_assert_msg(batch_verify(b.buf, b.len, "vigil", &r) == 0, "%s", r.why);
	ck_assert_uint_eq(l.n, 4);
	struct dynset *s = dynset_find(&l, "banned_v4");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->flags, NFT_SET_TIMEOUT);
	ck_assert_uint_eq(s->timeout_ms, 4 * 3600 * 1000u);
	ck_assert_uint_eq(s->size, 8);
	s = dynset_find(&l, "nets_v6");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->flags, NFT_SET_INTERVAL);
	ck_assert_uint_eq(s->key_len, 16);
	ck_assert_ptr_null(dynset_find(&l, "admins_v4"));
	ck_assert_uint_eq(l.nothers, 1);
	ck_assert_str_eq(l.others[0], "admins_v4");
	dynset_list_free(&l);
	batch_free(&b);
}
END_TEST

static struct dynset_req req(const char *text, uint64_t timeout_ms)
{
	struct dynset_req q = { .timeout_ms = timeout_ms };
	const char *why;

	ck_assert_int_eq(addr_parse(text, &q.f, &q.iv, &why), 0);
	snprintf(q.text, sizeof(q.text), "%s", text);
	return q;
}

/* dynset_build of one request; returns its result, errors in d */
static int build(const struct dynset_list *l, const char *set, bool add, struct dynset_req *q,
		 size_t n, struct batch **bs, size_t *nb, struct diags *d)
{
	struct dynset_op op = { "vigil", set, add, q, n, "test" };

	return dynset_build(l, &op, 100, bs, nb, d);
}

static void free_batches(struct batch *bs, size_t nb)
{
	for (size_t i = 0; i < nb; i++)
		batch_free(&bs[i]);
	free(bs);
}

START_TEST(set_batches_pass)
{
	struct dynset_list l;
	struct batch b, *bs;
	struct batch_refusal r;
	struct diags d = { 0 };
	size_t nb;
	struct dynset_req q[] = { req("192.0.2.7", 0), req("2001:db8::7", 60000),
				  req("198.51.100.1", 3600000) };
	struct dynset_req c[] = { req("10.0.0.0/8", 0), req("2001:db8::/32", 0),
				  req("255.255.255.0/24", 0) };

	kernel_sets(&l, &b);
	ck_assert_int_eq(build(&l, "banned", true, q, 3, &bs, &nb, &d), 0);
	ck_assert_uint_eq(nb, 1);
	ck_assert_msg(batch_verify_setelem(bs[0].buf, bs[0].len, "vigil", &l, &r) == 0, "%s", r.why);
	/* the replacement gate refuses it: no table is replaced */
	ck_assert_int_eq(batch_verify(bs[0].buf, bs[0].len, "vigil", &r), -EPERM);
	free_batches(bs, nb);
	ck_assert_int_eq(build(&l, "nets", true, c, 3, &bs, &nb, &d), 0);
	ck_assert_msg(batch_verify_setelem(bs[0].buf, bs[0].len, "vigil", &l, &r) == 0, "%s", r.why);
	free_batches(bs, nb);
	ck_assert_uint_eq(d.nerr, 0);
	dynset_list_free(&l);
	batch_free(&b);
}
END_TEST

/* The checks before anything is built: each names the element and the set. */
START_TEST(bad_requests)
{
	struct dynset_list l;
	struct batch b, *bs;
	size_t nb;
	static const struct {
		const char *set, *elem;
		bool add;
		uint64_t timeout;
		const char *needle;
	} cases[] = {
		{ "banned", "10.0.0.0/8", true, 0, "element '10.0.0.0/8' for set 'banned': is a prefix" },
		{ "banned", "10.0.0.1-10.0.0.9", true, 0, "is a range, and the set holds single addresses" },
		{ "nets", "10.0.0.0/8", true, 5000, "element '10.0.0.0/8' for set 'nets': set has no timeout" },
		{ "admins", "192.0.2.1", true, 0, "set 'admins' of table inet vigil is not dynamic" },
		{ "nosuch", "192.0.2.1", true, 0, "table inet vigil has no dynamic set 'nosuch'" },
		{ "banned", "192.0.2.1", false, 0, "element '192.0.2.1' is not in set 'banned'" },
		{ "nets", "10.0.0.0/8", false, 0, "(a prefix or range is deleted as it was added)" },
	};

	kernel_sets(&l, &b);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct diags d = { 0 };
		struct dynset_req q = req(cases[i].elem, cases[i].timeout);
		int r = build(&l, cases[i].set, cases[i].add, &q, 1, &bs, &nb, &d);
		char *t = diags_text(&d);

		ck_assert_msg(r == -EINVAL && nb == 0 && strstr(t, cases[i].needle),
			      "case %zu: r %d, %zu batches, '%s' lacks '%s'", i, r, nb, t, cases[i].needle);
		free(t);
		diags_free(&d);
	}
	/* twice in one add; more than the set's size (8) */
	struct dynset_req two[] = { req("192.0.2.1", 0), req("192.0.2.1", 0) };
	struct dynset_req nine[9];
	struct diags d = { 0 };
	for (int i = 0; i < 9; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", i + 1);
		nine[i] = req(a, 0);
	}
	struct diags d2 = { 0 };
	ck_assert_int_eq(build(&l, "banned", true, two, 2, &bs, &nb, &d), -EINVAL);
	ck_assert_int_eq(build(&l, "banned", true, nine, 9, &bs, &nb, &d2), -EINVAL);
	char *t = diags_text(&d), *t2 = diags_text(&d2);
	ck_assert_msg(strstr(t, "given twice for set 'banned'"), "%s", t);
	ck_assert_msg(strstr(t2, "set 'banned' is full: banned_v4 holds 0 of at most 8 elements, and 9 more do not fit"), "%s", t2);
	free(t);
	free(t2);
	diags_free(&d);
	diags_free(&d2);
	dynset_list_free(&l);
	batch_free(&b);
}
END_TEST

/* A SETELEM batch written by hand: BEGIN, one message, END. */
struct hand {
	uint16_t type, flags;
	const char *table, *set;
	uint32_t keylen;
	bool end, data, expiration, set_id;
	uint64_t timeout;
};

static void hand_batch(const struct hand *h, struct batch *b)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *item, *key;
	uint8_t k[16] = { 192, 0, 2, 9 };

	batch_init(b, 10);
	nftnl_batch_begin(batch_reserve(b, 64), batch_seq(b));
	batch_commit_msg(b, -1, -1, xstrdup("begin"));
	nlh = nftnl_nlmsg_build_hdr(batch_reserve(b, 4096), h->type, NFPROTO_INET, h->flags,
				    batch_seq(b));
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, h->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, h->set);
	if (h->set_id)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(1));
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	item = mnl_attr_nest_start(nlh, 1);
	key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, h->keylen, k);
	mnl_attr_nest_end(nlh, key);
	if (h->end)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	if (h->timeout)
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(h->timeout));
	if (h->expiration)
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(1000));
	if (h->data) {
		struct nlattr *dn = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA), *v;
		v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(NF_ACCEPT));
		mnl_attr_nest_end(nlh, v);
		mnl_attr_nest_end(nlh, dn);
	}
	mnl_attr_nest_end(nlh, item);
	mnl_attr_nest_end(nlh, list);
	batch_commit_msg(b, -1, -1, xstrdup("elements"));
	nftnl_batch_end(batch_reserve(b, 64), batch_seq(b));
	batch_commit_msg(b, -1, -1, xstrdup("end"));
}

#define ADD NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL

START_TEST(setelem_gate_refuses)
{
	struct dynset_list l;
	struct batch kb;
	static const struct {
		struct hand h;
		const char *needle;  /* NULL: passes (the controls) */
	} cases[] = {
		{ { ADD, "vigil", "banned_v4", 4, false, false, false, false, 0 }, NULL },
		{ { ADD, "vigil", "banned_v4", 4, false, false, false, false, 60000 }, NULL },
		{ { NFT_MSG_DELSETELEM, 0, "vigil", "banned_v4", 4, false, false, false, false, 0 }, NULL },
		{ { ADD, "vigil", "nets_v4", 4, true, false, false, false, 0 }, NULL },
		{ { ADD, "vigil", "admins_v4", 4, false, false, false, false, 0 },
		  "not one of vigild's dynamic sets" },
		{ { ADD, "vigil", "nosuch_v4", 4, false, false, false, false, 0 },
		  "not one of vigild's dynamic sets" },
		{ { ADD, "docker", "banned_v4", 4, false, false, false, false, 0 },
		  "names table 'docker', not vigild's table 'vigil'" },
		{ { NFT_MSG_NEWSETELEM, NLM_F_CREATE, "vigil", "banned_v4", 4, false, false, false, false, 0 },
		  "flags" },
		{ { NFT_MSG_DELSETELEM, NLM_F_CREATE | NLM_F_EXCL, "vigil", "banned_v4", 4, false, false, false, false, 0 },
		  "flags" },
		{ { ADD, "vigil", "banned_v4", 16, false, false, false, false, 0 },
		  "its key has 16 bytes, the set's 4" },
		{ { ADD, "vigil", "banned_v4", 4, true, false, false, false, 0 },
		  "ends an interval of a set without intervals" },
		{ { ADD, "vigil", "nets_v4", 4, false, false, false, false, 60000 },
		  "has a timeout, but the set has none" },
		{ { NFT_MSG_DELSETELEM, 0, "vigil", "banned_v4", 4, false, false, false, false, 60000 },
		  "which a deletion does not take" },
		{ { ADD, "vigil", "banned_v4", 4, false, false, true, false, 60000 },
		  "has an expiration" },
		{ { ADD, "vigil", "banned_v4", 4, false, true, false, false, 0 },
		  "key end or data" },
		{ { ADD, "vigil", "banned_v4", 4, false, false, false, true, 0 },
		  "attribute" },
		{ { NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "vigil", "banned_v4", 4, false, false, false, false, 0 },
		  "not allowed" },
		{ { NFT_MSG_DELSET, 0, "vigil", "banned_v4", 4, false, false, false, false, 0 },
		  "not allowed" },
	};

	kernel_sets(&l, &kb);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct batch b;
		struct batch_refusal r = { 0 };
		int e;

		hand_batch(&cases[i].h, &b);
		e = batch_verify_setelem(b.buf, b.len, "vigil", &l, &r);
		if (!cases[i].needle)
			ck_assert_msg(e == 0, "control %zu refused: %s", i, r.why);
		else
			ck_assert_msg(e == -EPERM && strstr(r.why, cases[i].needle),
				      "case %zu: %d '%s' lacks '%s'", i, e, r.why, cases[i].needle);
		batch_free(&b);
	}
	/* the compiler's whole replacement is not a SETELEM batch */
	struct batch_refusal r;
	ck_assert_int_eq(batch_verify_setelem(kb.buf, kb.len, "vigil", &l, &r), -EPERM);
	/* BEGIN, END alone changes nothing */
	struct batch e;
	batch_init(&e, 1);
	nftnl_batch_begin(batch_reserve(&e, 64), batch_seq(&e));
	batch_commit_msg(&e, -1, -1, xstrdup("begin"));
	nftnl_batch_end(batch_reserve(&e, 64), batch_seq(&e));
	batch_commit_msg(&e, -1, -1, xstrdup("end"));
	ck_assert_int_eq(batch_verify_setelem(e.buf, e.len, "vigil", &l, &r), -EPERM);
	ck_assert_msg(strstr(r.why, "changes nothing"), "%s", r.why);
	batch_free(&e);
	dynset_list_free(&l);
	batch_free(&kb);
}
END_TEST

/* A reload: elements kept (in the replacement, with their lifetimes,
 * accepted by the gate) or the change refused at the set's line. */
START_TEST(reload_keeps_or_refuses)
{
	struct dynset_list l;
	struct batch kb, b;
	struct batch_refusal r;
	struct policy pol;
	struct ir_table t;
	struct diags d = { 0 };
	struct dynset_elem e = { .key = { 192, 0, 2, 7 }, .keylen = 4, .timeout_ms = 3600000,
				 .expires_ms = 1234567 };
	struct nftc_opts o = { .keep = &l };

	kernel_sets(&l, &kb);
	struct dynset *s = dynset_find(&l, "banned_v4");
	GROW(s->v, s->cap, 1);
	s->v[s->n++] = e;
	compile_text(dyn_yaml, NULL, &pol, &t);
	ck_assert_int_eq(dynset_check_reload(&l, &t, &pol, false, &d), 0);
	batch_init(&b, 1);
	nftc_build_replace_opts(&t, &o, &b);
	ck_assert_msg(batch_verify(b.buf, b.len, "vigil", &r) == 0, "%s", r.why);
	/* the element is in the batch, with its timeout and what was left */
	struct dynset_list back;
	ck_assert_int_eq(dynset_parse(b.buf, b.len, true, &back), 0);
	struct dynset *bs = dynset_find(&back, "banned_v4");
	ck_assert_uint_eq(bs->n, 1);
	ck_assert_uint_eq(bs->v[0].timeout_ms, 3600000);
	ck_assert_uint_eq(bs->v[0].expires_ms, 1234567);
	dynset_list_free(&back);
	batch_free(&b);
	ir_table_free(&t);
	policy_free(&pol);

	/* now static: refused at the set's line; --full: a warning */
	compile_text("version: 1\n"
		     "sets:\n"
		     "  banned: {type: cidr, elements: [192.0.2.0/24]}\n"
		     "rules:\n"
		     "  - {name: bans, chain: input, src: \"@banned\", action: drop}\n",
		     NULL, &pol, &t);
	/* (the sets' locations point at pol.file: it stays as compile_text made it) */
	ck_assert_int_eq(dynset_check_reload(&l, &t, &pol, false, &d), -EINVAL);
	ck_assert_int_eq(dynset_check_reload(&l, &t, &pol, true, &d), 0);
	char *txt = diags_text(&d);
	ck_assert_msg(strstr(txt, ":3:3: error: dynamic set banned_v4 holds 1 elements that this policy would drop: it is no longer dynamic") &&
		      strstr(txt, ":3:3: warning: dynamic set banned_v4 loses its 1 elements"), "%s", txt);
	free(txt);
	diags_free(&d);
	ir_table_free(&t);
	policy_free(&pol);
	dynset_list_free(&l);
	batch_free(&kb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dynset");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, compiled_passes_and_parses);
	tcase_add_test(tc, set_batches_pass);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, setelem_gate_refuses);
	tcase_add_test(tc, reload_keeps_or_refuses);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
