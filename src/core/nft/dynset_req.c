// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild set's elements: what the user wrote, as the kernel set's
 * elements, and what the kernel holds, looked up and walked (pure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include "vigil/dynset.h"

void dynset_kernel_name(const char *name, enum addr_family f, char *buf, size_t len)
{
	snprintf(buf, len, "%s_v%d", name, f == AF_V4 ? 4 : 6);
}

static void key_of(enum addr_family f, u128 a, struct dynset_elem *e)
{
	addr_to_be(f, a, e->key);
	e->keylen = f == AF_V4 ? 4 : 16;
}

int dynset_req_elems(const struct dynset *s, const struct dynset_req *q, struct dynset_elem out[2],
		     char *why, size_t len)
{
	u128 max = family_max(q->f);

	memset(out, 0, 2 * sizeof(*out));
	if (q->timeout_ms && !(s->flags & NFT_SET_TIMEOUT)) {
		snprintf(why, len, "set has no timeout (give the policy's set one: timeout: 4h)");
		return -EINVAL;
	}
	if (!(s->flags & NFT_SET_INTERVAL)) {
		if (q->iv.lo != q->iv.hi) {
			snprintf(why, len, "is a %s, and the set holds single addresses (type address)",
				 ival_prefix_len(&q->iv, q->f) >= 0 ? "prefix" : "range");
			return -EINVAL;
		}
		key_of(q->f, q->iv.lo, &out[0]);
		out[0].timeout_ms = q->timeout_ms;
		return 1;
	}
	key_of(q->f, q->iv.lo, &out[0]);
	out[0].timeout_ms = q->timeout_ms;
	if (q->iv.hi == max)
		return 1;
	key_of(q->f, q->iv.hi + 1, &out[1]);
	out[1].end = true;
	out[1].timeout_ms = q->timeout_ms;
	return 2;
}

static int cmp_elem(const void *pa, const void *pb)
{
	const struct dynset_elem *a = pa, *b = pb;
	int c = memcmp(a->key, b->key, sizeof(a->key));

	return c ? c : (int)a->end - (int)b->end;
}

void dynset_sort(struct dynset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_elem);
}

bool dynset_has(const struct dynset *s, const struct dynset_elem *e)
{
	struct dynset_elem k = { 0 };

	memcpy(k.key, e->key, e->keylen);
	k.end = e->end;
	return s->n && bsearch(&k, s->v, s->n, sizeof(*s->v), cmp_elem) != NULL;
}

static u128 key_value(const struct dynset_elem *e)
{
	u128 v = 0;

	for (size_t i = 0; i < e->keylen; i++)
		v = v << 8 | e->key[i];
	return v;
}

void dynset_walk(const struct dynset *s, enum addr_family f,
		 void (*fn)(void *ctx, const struct ival *iv, const struct dynset_elem *e),
		 void *ctx)
{
	bool interval = s->flags & NFT_SET_INTERVAL;

	for (size_t i = 0; i < s->n; i++) {
		const struct dynset_elem *e = &s->v[i];
		struct ival iv;

		if (e->end)
			continue; /* an end without its start (nft's end at zero) */
		iv.lo = iv.hi = key_value(e);
		if (interval) {
			/* the next element ends it; none: the top of the space */
			if (i + 1 < s->n && s->v[i + 1].end) {
				iv.hi = key_value(&s->v[i + 1]) - 1;
				i++;
			} else {
				iv.hi = family_max(f);
			}
		}
		fn(ctx, &iv, e);
	}
}
