// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild set add/del: the user's elements checked against the kernel's
 * dynamic sets, then the batches that change them (pure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "vigil/dynset.h"
#include "vigil/util.h"

/* The kernel elements of op, per family, with the request each came from. */
struct pend {
	struct dynset_elem *v;
	size_t *from;
	size_t n, cap, capf;
};

static void pend_add(struct pend *p, const struct dynset_elem *e, size_t from)
{
	GROW(p->v, p->cap, p->n + 1);
	GROW(p->from, p->capf, p->n + 1);
	p->v[p->n] = *e;
	p->from[p->n++] = from;
}

static struct srcloc loc_of(const struct dynset_op *op, const struct dynset_req *q)
{
	return (struct srcloc){ op->source, q->line, 0 };
}

/* The set must be one of vigild's dynamic sets. */
static int find_sets(const struct dynset_list *l, const struct dynset_op *op,
		     const struct dynset *s[2], struct diags *d)
{
	char k4[80], k6[80];

	dynset_kernel_name(op->name, AF_V4, k4, sizeof(k4));
	dynset_kernel_name(op->name, AF_V6, k6, sizeof(k6));
	s[0] = dynset_find(l, k4);
	s[1] = dynset_find(l, k6);
	if (s[0] && s[1])
		return 0;
	for (size_t i = 0; i < l->nothers; i++)
		if (streq(l->others[i], op->name) || streq(l->others[i], k4) ||
		    streq(l->others[i], k6)) {
			diag_err(d, ((struct srcloc){ op->source, 0, 0 }),
				 "set '%s' of table inet %s is not dynamic: its elements come from the policy (give it dynamic: true to fill it with vigild set)",
				 op->name, op->table);
			return -EINVAL;
		}
	diag_err(d, ((struct srcloc){ op->source, 0, 0 }),
		 "table inet %s has no dynamic set '%s' (a policy set with dynamic: true, applied)",
		 op->table, op->name);
	return -EINVAL;
}

static int cmp_key(const void *pa, const void *pb)
{
	const struct dynset_elem *a = pa, *b = pb;
	int c = memcmp(a->key, b->key, sizeof(a->key));

	return c ? c : (int)a->end - (int)b->end;
}

/* The same element twice in one add: the second would fail (EEXIST). */
static int twice(const struct dynset_op *op, const struct pend *p, const char *kname,
		 struct diags *d)
{
	struct dynset_elem *v = xcalloc(p->n ? p->n : 1, sizeof(*v));
	int r = 0;

	memcpy(v, p->v, p->n * sizeof(*v));
	qsort(v, p->n, sizeof(*v), cmp_key);
	for (size_t i = 1; i < p->n && r == 0; i++)
		if (!v[i].end && !cmp_key(&v[i - 1], &v[i])) {
			diag_err(d, ((struct srcloc){ op->source, 0, 0 }),
				 "an element is given twice for set '%s' (%s)", op->name, kname);
			r = -EINVAL;
		}
	free(v);
	return r;
}

static int check_one(const struct dynset_op *op, const struct dynset *s, size_t i,
		     struct pend *p, struct diags *d)
{
	const struct dynset_req *q = &op->q[i];
	struct dynset_elem e[2];
	char why[160];
	int n = dynset_req_elems(s, q, e, why, sizeof(why));

	if (n < 0) {
		diag_err(d, loc_of(op, q), "element '%s' for set '%s': %s", q->text, op->name, why);
		return -EINVAL;
	}
	if (op->add && dynset_has(s, &e[0])) {
		diag_err(d, loc_of(op, q), "element '%s' is already in set '%s'", q->text, op->name);
		return -EINVAL;
	}
	for (int k = 0; !op->add && k < n; k++)
		if (!dynset_has(s, &e[k])) {
			diag_err(d, loc_of(op, q), "element '%s' is not in set '%s'%s", q->text,
				 op->name, s->flags & NFT_SET_INTERVAL
						   ? " (a prefix or range is deleted as it was added)" : "");
			return -EINVAL;
		}
	for (int k = 0; k < n; k++)
		pend_add(p, &e[k], i);
	return 0;
}

static void put_batches(const struct dynset_op *op, const struct dynset *s[2], struct pend p[2],
			uint32_t seq0, struct batch **out, size_t *nout)
{
	size_t at[2] = { 0, 0 };

	*out = NULL;
	*nout = 0;
	while (at[0] < p[0].n || at[1] < p[1].n) {
		struct batch *b;
		size_t room = DYNSET_BATCH_ELEMS;

		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		b = &(*out)[(*nout)++];
		batch_init(b, seq0 + (uint32_t)(*nout - 1) * 1024u);
		nftnl_batch_begin(batch_reserve(b, 64), batch_seq(b));
		batch_commit_msg(b, -1, -1, xstrdup("batch begin"));
		for (int f = 0; f < 2; f++) {
			size_t k = p[f].n - at[f] < room ? p[f].n - at[f] : room;
			/* an interval's start and end stay in one batch */
			if (k && k < p[f].n - at[f] && !p[f].v[at[f] + k - 1].end &&
			    p[f].v[at[f] + k].end)
				k--;
			if (!k)
				continue;
			dynset_put_elems(b, op->table, s[f]->name, 0,
					 op->add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
					 op->add ? NLM_F_CREATE | NLM_F_EXCL : 0, p[f].v + at[f], k,
					 -1, s[f]->name);
			at[f] += k;
			room -= k;
		}
		nftnl_batch_end(batch_reserve(b, 64), batch_seq(b));
		batch_commit_msg(b, -1, -1, xstrdup("batch end"));
	}
}

int dynset_build(const struct dynset_list *l, const struct dynset_op *op, uint32_t seq0,
		 struct batch **out, size_t *nout, struct diags *d)
{
	const struct dynset *s[2];
	struct pend p[2] = { { 0 }, { 0 } };
	int r = find_sets(l, op, s, d);

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; r == 0 && i < op->n; i++)
		if (check_one(op, s[op->q[i].f == AF_V4 ? 0 : 1], i, &p[op->q[i].f == AF_V4 ? 0 : 1],
			      d) < 0 && d->nerr >= 20)
			break; /* enough said */
	if (r == 0 && d->nerr)
		r = -EINVAL;
	for (int f = 0; r == 0 && op->add && f < 2; f++) {
		size_t starts = 0;
		for (size_t i = 0; i < p[f].n; i++)
			starts += !p[f].v[i].end;
		r = twice(op, &p[f], s[f]->name, d);
		if (r == 0 && s[f]->size && s[f]->n + p[f].n > s[f]->size) {
			diag_err(d, ((struct srcloc){ op->source, 0, 0 }),
				 "set '%s' is full: %s holds %zu of at most %u elements, and %zu more do not fit",
				 op->name, s[f]->name, s[f]->n, s[f]->size, starts);
			r = -EINVAL;
		}
	}
	if (r == 0)
		put_batches(op, s, p, seq0, out, nout);
	for (int f = 0; f < 2; f++) {
		free(p[f].v);
		free(p[f].from);
	}
	return r;
}
