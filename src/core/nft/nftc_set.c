// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sets, maps and their elements, in nft's encoding: interval sets with an
 * end element one past each interval and a leading end element at zero,
 * set userdata (key byte order, merge flag, typeof for concatenations) as
 * nft writes it, elements in chunks of bounded size.
 */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "vigil/dynset.h"
#include "vigil/vocab.h"
#include "nftc_int.h"

static void nftnl_set_freep(struct nftnl_set **p)
{
	if (*p)
		nftnl_set_free(*p);
}

static int cmp_celem(const void *a, const void *b)
{
	const struct ir_celem *x = a, *y = b;
	return x->f[0].lo < y->f[0].lo ? -1 : x->f[0].lo > y->f[0].lo;
}

/*
 * Elements go to the kernel in NEWSETELEM messages of at most ~64 KiB. They
 * are built a chunk at a time, so that user-space memory stays bounded
 * however large the set (libnftnl keeps every element of a set as an
 * object of a few hundred bytes).
 */
#define ELEM_CHUNK 512

struct elem_writer {
	struct enc *E;
	const char *name;
	uint32_t id;
	int origin_rule, origin_set;
	const char *what;
	struct nftnl_set *cur;
	size_t n;
};

static struct nftnl_set *chunk_set(const struct elem_writer *w)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		abort();
	nftnl_set_set_str(set, NFTNL_SET_TABLE, w->E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, w->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_ID, w->id);
	return set;
}

static void ew_flush(struct elem_writer *w)
{
	struct nftnl_set_elems_iter *it;
	struct nlmsghdr *nlh;
	int ret;

	if (!w->n)
		return;
	it = nftnl_set_elems_iter_create(w->cur);
	if (!it)
		abort();
	do {
		nlh = nftnl_nlmsg_build_hdr(batch_reserve(w->E->b, MSG_ROOM), NFT_MSG_NEWSETELEM,
					    NFPROTO_INET, NLM_F_CREATE, batch_seq(w->E->b));
		ret = nftnl_set_elems_nlmsg_build_payload_iter(nlh, it);
		batch_commit_msg(w->E->b, w->origin_rule, w->origin_set,
				 xasprintf("elements of %s", w->what));
	} while (ret > 0);
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(w->cur);
	w->cur = chunk_set(w);
	w->n = 0;
}

static void ew_add(struct elem_writer *w, struct nftnl_set_elem *e)
{
	nftnl_set_elem_add(w->cur, e);
	if (++w->n == ELEM_CHUNK)
		ew_flush(w);
}

static void ew_init(struct elem_writer *w, struct enc *E, const char *name, uint32_t id,
		    int origin_rule, int origin_set, const char *what)
{
	*w = (struct elem_writer){ E, name, id, origin_rule, origin_set, what, NULL, 0 };
	w->cur = chunk_set(w);
}

static void ew_done(struct elem_writer *w)
{
	ew_flush(w);
	nftnl_set_free(w->cur);
	w->cur = NULL;
}

static size_t set_kernel_elems(const struct ir_set *s)
{
	const struct ir_keyinfo *ki = ir_keyinfo(s->key);
	u128 max = ki->len >= 16 ? ~(u128)0 : (((u128)1 << (8 * ki->len)) - 1);
	size_t n = 0;

	if (!s->interval)
		return s->elems.n;
	if (s->elems.n && s->elems.v[0].lo != 0)
		n++;
	for (size_t i = 0; i < s->elems.n; i++)
		n += s->elems.v[i].hi == max ? 1 : 2;
	return n;
}

static void add_elem(struct elem_writer *set, const struct ir_set *s, u128 key, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t b[16];

	if (!e)
		abort();
	nftc_key_bytes(s->key, key, b);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, b, ir_keyinfo(s->key)->len);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	ew_add(set, e);
}

/* the userdata nft writes, so `nft list` prints our sets as its own */
static void put_set_udata(struct nftnl_set *set, uint32_t flags, uint32_t keytype, bool dynamic)
{
	uint8_t ud[NFT_USERDATA_MAXLEN];
	size_t n = vocab_set_udata(flags, keytype, dynamic, ud, sizeof(ud));

	nftnl_set_set_data(set, NFTNL_SET_USERDATA, ud, (uint32_t)n);
}

void nftc_put_set(struct enc *E, const struct ir_set *s, int origin_rule)
{
	const struct ir_keyinfo *ki = ir_keyinfo(s->key);
	_cleanup_(nftnl_set_freep) struct nftnl_set *set = nftnl_set_alloc();
	uint32_t flags = 0;
	struct nlmsghdr *nlh;
	u128 max = ki->len >= 16 ? ~(u128)0 : (((u128)1 << (8 * ki->len)) - 1);
	const char *shown = s->anonymous ? "anonymous set" : s->name;

	if (s->anonymous)
		flags |= NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
	if (s->interval)
		flags |= NFT_SET_INTERVAL;
	if (s->timeout_ms)
		flags |= NFT_SET_TIMEOUT;
	if (s->kfill) /* filled by the rules: bounded, and forgotten when idle */
		flags |= NFT_SET_EVAL;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, nftc_set_name(s));
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, ki->type_id);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, ki->len);
	nftnl_set_set_u32(set, NFTNL_SET_ID, s->id);
	if (s->anonymous)
		nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, (uint32_t)set_kernel_elems(s));
	if (s->size)
		nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, s->size);
	if (s->timeout_ms)
		nftnl_set_set_u64(set, NFTNL_SET_TIMEOUT, s->timeout_ms);
	put_set_udata(set, flags, ki->type_id, s->dynamic);

	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_set_nlmsg_build_payload(nlh, set);
	batch_commit_msg(E->b, origin_rule, s->origin_set, xasprintf("set %s", shown));

	if (!s->elems.n)
		return;
	struct elem_writer w;
	_cleanup_free_ char *what = xasprintf("set %s", shown);
	ew_init(&w, E, nftc_set_name(s), s->id, origin_rule, s->origin_set, what);
	/* interval sets: a start element, and an end element one past the
	 * interval's last key (none when it reaches the top); like nft, an end
	 * element at zero first when the first interval does not start there */
	if (s->interval) {
		if (s->elems.v[0].lo != 0)
			add_elem(&w, s, 0, true);
		for (size_t i = 0; i < s->elems.n; i++) {
			add_elem(&w, s, s->elems.v[i].lo, false);
			if (s->elems.v[i].hi != max)
				add_elem(&w, s, s->elems.v[i].hi + 1, true);
		}
	} else {
		for (size_t i = 0; i < s->elems.n; i++)
			add_elem(&w, s, s->elems.v[i].lo, false);
	}
	ew_done(&w);
}

/* A dynamic set's elements as they were before the reload, with what was
 * left of their lifetimes (the kernel's NFTA_SET_ELEM_EXPIRATION). */
void nftc_put_kept(struct enc *E, const struct ir_set *s)
{
	const struct dynset *o = E->o ? dynset_kept(E->o->keep, s) : NULL;
	_cleanup_free_ char *what = NULL;

	if (!o)
		return;
	what = xasprintf("kept elements of dynamic set %s", s->name);
	dynset_put_elems(E->b, E->t->name, s->name, s->id, NFT_MSG_NEWSETELEM, NLM_F_CREATE, o->v,
			 o->n, s->origin_set, what);
}

/* ---- verdict maps (merged runs) ---- */

uint32_t nftc_field_len(const struct ir_field *f)
{
	return (ir_keyinfo(f->key)->len + 3) & ~3u; /* 32-bit registers */
}

/* A concatenation pads each field to a register; a single field is its own
 * length (2 bytes for a port, 1 for l4proto), as nft makes it: a padded
 * key would work for lookups but `nft list` would misread every element. */
static uint32_t map_key_len(const struct ir_set *s)
{
	uint32_t l = 0;

	if (s->nfields == 1)
		return ir_keyinfo(s->fields[0].key)->len;
	for (int k = 0; k < s->nfields; k++)
		l += nftc_field_len(&s->fields[k]);
	return l;
}

/* Concatenated key bytes of lo (or hi) values, each field padded to 4. */
static void concat_bytes(const struct ir_set *s, const struct ir_celem *e, bool hi, uint8_t *out)
{
	uint32_t off = 0;

	memset(out, 0, IR_MAX_KEYLEN);
	for (int k = 0; k < s->nfields; k++) {
		nftc_key_bytes(s->fields[k].key, hi ? e->f[k].hi : e->f[k].lo, out + off);
		off += nftc_field_len(&s->fields[k]);
	}
}

static void add_verdict_elem(struct elem_writer *set, const struct ir_table *t, bool jump,
			     const struct ir_celem *e, const uint8_t *key, const uint8_t *key_end,
			     uint32_t len, bool end)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();

	if (!el)
		abort();
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, len);
	if (key_end)
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, key_end, len);
	if (end) {
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	} else if (e) { /* a set of concatenations (no verdicts) passes none */
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT,
				       (uint32_t)(jump ? NFT_JUMP : NFT_GOTO));
		nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, t->chains[e->chain].name);
	}
	ew_add(set, el);
}

void nftc_put_map(struct enc *E, const struct ir_set *s)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *set = nftnl_set_alloc();
	bool concat = s->nfields > 1;
	uint32_t flags = s->vmap ? NFT_SET_MAP : 0, keytype = 0, keylen = map_key_len(s);
	struct nlmsghdr *nlh;

	for (int k = 0; k < s->nfields; k++)
		keytype = keytype << 6 | ir_keyinfo(s->fields[k].key)->type_id;
	if (s->interval)
		flags |= NFT_SET_INTERVAL;
	if (s->interval && concat)
		flags |= NFT_SET_CONCAT;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, keytype);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, keylen);
	if (s->vmap) {
		nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, 16 /* struct nft_data verdict */);
	}
	nftnl_set_set_u32(set, NFTNL_SET_ID, s->id);
	if (s->interval && concat) {
		uint8_t fl[IR_MAX_CONCAT];
		for (int k = 0; k < s->nfields; k++)
			fl[k] = (uint8_t)ir_keyinfo(s->fields[k].key)->len;
		nftnl_set_set_data(set, NFTNL_SET_DESC_CONCAT, fl, s->nfields);
	}
	put_set_udata(set, flags, keytype, false);

	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_set_nlmsg_build_payload(nlh, set);
	batch_commit_msg(E->b, -1, -1, xasprintf("%s %s", s->vmap ? "map" : "set", s->name));
	if (!s->ncelems)
		return;
	struct elem_writer w;
	_cleanup_free_ char *what = xasprintf("%s %s", s->vmap ? "map" : "set", s->name);
	ew_init(&w, E, s->name, s->id, -1, -1, what);

	if (concat || !s->interval) {
		/* hash or pipapo: one element per key, an inclusive end for ranges */
		for (size_t i = 0; i < s->ncelems; i++) {
			uint8_t k[IR_MAX_KEYLEN], ke[IR_MAX_KEYLEN];
			concat_bytes(s, &s->celems[i], false, k);
			concat_bytes(s, &s->celems[i], true, ke);
			add_verdict_elem(&w, E->t, s->jump, s->vmap ? &s->celems[i] : NULL, k,
					 s->interval ? ke : NULL, keylen, false);
		}
	} else {
		/* rbtree: start elements carry the verdict; end elements one past
		 * each interval, and an end at zero first, like nft */
		const struct ir_keyinfo *ki = ir_keyinfo(s->fields[0].key);
		u128 max = ki->len >= 16 ? ~(u128)0 : (((u128)1 << (8 * ki->len)) - 1);
		struct ir_celem *sorted = xcalloc(s->ncelems, sizeof(*sorted));
		uint8_t k[IR_MAX_KEYLEN];

		memcpy(sorted, s->celems, s->ncelems * sizeof(*sorted));
		qsort(sorted, s->ncelems, sizeof(*sorted), cmp_celem);
		if (sorted[0].f[0].lo != 0) {
			concat_bytes(s, &(struct ir_celem){ .f = { { 0, 0 } } }, false, k);
			add_verdict_elem(&w, E->t, s->jump, NULL, k, NULL, keylen, true);
		}
		for (size_t i = 0; i < s->ncelems; i++) {
			concat_bytes(s, &sorted[i], false, k);
			add_verdict_elem(&w, E->t, s->jump, &sorted[i], k, NULL, keylen, false);
			if (sorted[i].f[0].hi != max) {
				struct ir_celem end = { .f = { { sorted[i].f[0].hi + 1, 0 } } };
				concat_bytes(s, &end, false, k);
				add_verdict_elem(&w, E->t, s->jump, NULL, k, NULL, keylen, true);
			}
		}
		free(sorted);
	}
	ew_done(&w);
}

/* A port-forward map (natmap.c): key the destination port, data the
 * address and the port, each padded to 32 bits, as nft makes
 * `map m { type inet_service : ipv4_addr . inet_service }`. */
void nftc_put_natmap(struct enc *E, const struct ir_set *s)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *set = nftnl_set_alloc();
	bool v4 = s->nat_fam == AF_V4;
	uint32_t alen = v4 ? 4 : 16;
	uint8_t ud[NFT_USERDATA_MAXLEN];
	struct nlmsghdr *nlh;
	struct elem_writer w;
	_cleanup_free_ char *what = xasprintf("map %s", s->name);

	nftnl_set_set_str(set, NFTNL_SET_TABLE, E->t->name);
	nftnl_set_set_str(set, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, ir_keyinfo(K_DPORT)->type_id);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, 2);
	nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, vocab_natmap_data_type(v4));
	nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, alen + 4);
	nftnl_set_set_u32(set, NFTNL_SET_ID, s->id);
	nftnl_set_set_data(set, NFTNL_SET_USERDATA, ud, (uint32_t)vocab_natmap_udata(ud, sizeof(ud)));
	nlh = nftnl_nlmsg_build_hdr(batch_reserve(E->b, MSG_ROOM), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, batch_seq(E->b));
	nftnl_set_nlmsg_build_payload(nlh, set);
	batch_commit_msg(E->b, -1, -1, xasprintf("map %s", s->name));
	if (!s->nnelems)
		return;
	ew_init(&w, E, s->name, s->id, -1, -1, what);
	for (size_t i = 0; i < s->nnelems; i++) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();
		uint8_t k[2], d[20] = { 0 };

		if (!el)
			abort();
		nftc_key_bytes(K_DPORT, s->nelems[i].port, k);
		addr_to_be(s->nat_fam, s->nelems[i].addr, d);
		nftc_key_bytes(K_DPORT, s->nelems[i].to_port, d + alen);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, k, 2);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, d, alen + 4);
		ew_add(&w, el);
	}
	ew_done(&w);
}
