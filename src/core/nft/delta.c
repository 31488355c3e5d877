// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental apply's diff (delta.h): rules by identity (a longest common
 * subsequence, so rules kept keep their handles and counters), set elements
 * as a multiset difference. Pure: no netlink, no I/O.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/delta.h"
#include "vigil/util.h"

struct oplist {
	struct delta_op *v;
	size_t n;
};

static void op_push(struct oplist *o, enum delta_kind kind, uint64_t handle, size_t index)
{
	o->v = xreallocarray(o->v, o->n + 1, sizeof(*o->v));
	o->v[o->n++] = (struct delta_op){ kind, handle, index };
}

/*
 * keep[j] = 1 + index of the kernel rule wanted rule j stays as, 0: new;
 * deletes go to *o. Returns the number of rules kept, or -E2BIG.
 */
static long match(const struct delta_krule *k, size_t nk, const char *const *w, size_t nw,
		  size_t *keep, struct oplist *o)
{
	size_t p = 0, s = 0, m, n, i, j;
	uint32_t *L;

	while (p < nk && p < nw && !strcmp(k[p].id, w[p]))
		p++;
	while (s < nk - p && s < nw - p && !strcmp(k[nk - 1 - s].id, w[nw - 1 - s]))
		s++;
	m = nk - p - s;
	n = nw - p - s;
	if ((m + 1) > DELTA_MAX_CELLS / (n + 1))
		return -E2BIG;
	/* L[i][j]: longest common subsequence of k[p+i..] and w[p+j..] */
	L = xcalloc((m + 1) * (n + 1), sizeof(*L));
#define AT(i, j) L[(i) * (n + 1) + (j)]
	for (i = m; i-- > 0;)
		for (j = n; j-- > 0;)
			AT(i, j) = !strcmp(k[p + i].id, w[p + j]) ? AT(i + 1, j + 1) + 1
				 : AT(i + 1, j) >= AT(i, j + 1) ? AT(i + 1, j) : AT(i, j + 1);
	for (j = 0; j < p; j++)
		keep[j] = j + 1;
	for (j = 0; j < s; j++)
		keep[nw - 1 - j] = nk - j;
	for (i = 0, j = 0; i < m || j < n;) {
		if (i < m && j < n && !strcmp(k[p + i].id, w[p + j])) {
			keep[p + j++] = p + ++i;
		} else if (i < m && (j == n || AT(i + 1, j) >= AT(i, j + 1))) {
			op_push(o, DELTA_DEL, k[p + i++].handle, 0);
		} else {
			keep[p + j++] = 0;
		}
	}
	long kept = (long)(p + s + AT(0, 0));
#undef AT
	free(L);
	return kept;
}

int delta_rules(const struct delta_krule *k, size_t nk, const char *const *want, size_t nw,
		struct delta_op **ops, size_t *nops, size_t *nkept)
{
	struct oplist o = { NULL, 0 };
	size_t *keep = xcalloc(nw + 1, sizeof(*keep));
	long kept = match(k, nk, want, nw, keep, &o);

	if (kept < 0) {
		free(keep);
		free(o.v);
		return (int)kept;
	}
	/* each run [a, b) of new rules hangs off a kept neighbour */
	for (size_t a = 0, b; a < nw; a = b) {
		if (keep[a]) {
			b = a + 1;
			continue;
		}
		for (b = a; b < nw && !keep[b]; b++)
			;
		if (a > 0) {
			/* after the same handle, last first: each lands right after it */
			for (size_t j = b; j-- > a;)
				op_push(&o, DELTA_INS_AFTER, k[keep[a - 1] - 1].handle, j);
		} else if (b < nw) {
			for (size_t j = a; j < b; j++)
				op_push(&o, DELTA_INS_BEFORE, k[keep[b] - 1].handle, j);
		} else {
			for (size_t j = a; j < b; j++)
				op_push(&o, DELTA_APPEND, 0, j);
		}
	}
	free(keep);
	*ops = o.v;
	*nops = o.n;
	*nkept = (size_t)kept;
	return 0;
}

/* ---- set elements ---- */

static int item_cmp(const void *a, const void *b, void *arg)
{
	const struct delta_item *v = arg;
	const struct delta_item *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = x->len ? memcmp(x->p, y->p, x->len) : 0;
	if (c)
		return c;
	/* equal elements in index order, so the result is deterministic */
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int idx_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static size_t *sorted(const struct delta_item *v, size_t n)
{
	size_t *ix = xcalloc(n + 1, sizeof(*ix));

	for (size_t i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), item_cmp, (void *)v);
	return ix;
}

static int same_cmp(const struct delta_item *x, const struct delta_item *y)
{
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->len ? memcmp(x->p, y->p, x->len) : 0;
}

void delta_items(const struct delta_item *k, size_t nk, const struct delta_item *w, size_t nw,
		 size_t **del, size_t *ndel, size_t **add, size_t *nadd)
{
	size_t *ki = sorted(k, nk), *wi = sorted(w, nw), i = 0, j = 0;

	*del = xcalloc(nk + 1, sizeof(**del));
	*add = xcalloc(nw + 1, sizeof(**add));
	*ndel = *nadd = 0;
	while (i < nk || j < nw) {
		int c = i == nk ? 1 : j == nw ? -1 : same_cmp(&k[ki[i]], &w[wi[j]]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			(*del)[(*ndel)++] = ki[i++];
		} else {
			(*add)[(*nadd)++] = wi[j++];
		}
	}
	qsort(*del, *ndel, sizeof(**del), idx_cmp);
	qsort(*add, *nadd, sizeof(**add), idx_cmp);
	free(ki);
	free(wi);
}
