/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Large tables: literal lists become shared named sets (ir_share_lists).
 *
 * Every kernel rule with a literal list ({22, 80}, {10.0.0.0/8, ...}) has
 * an anonymous set of its own: an accept rule's untracked twin and every
 * copy a decision tree makes carry one more of the same. The kernel's cost
 * of anonymous sets grows with their number squared: each one's binding
 * walks every transaction of the batch (__nft_set_trans_bind) and each one
 * gets a free "__set%d" name by scanning the table's sets. Profiled on
 * 6.18 with bench/packets' (mixed) shape: 4,480 anonymous sets, 1,798
 * distinct, took 3.5 s to load, 70% of it in those two functions; the same
 * table with one named set per distinct list loads in 1.45 s.
 *
 * So when a table would hold at least IR_SHARE_LISTS_MIN anonymous sets,
 * each distinct list (same key, same interval flag, same elements) becomes
 * one named set, list.HASH (16 hex digits of a 64-bit FNV-1a of its
 * content; a second content with the same hash gets list.HASH.2, ...),
 * that every rule with that list looks up; the decision trees' per-rule
 * shared sets (list.RULE.ID) are folded in the same way. Smaller tables
 * keep their lists inline, as written. The lookups' meaning is unchanged:
 * the sets are constant for the table's life and identical in content.
 */
#include <stdio.h>
#include <string.h>

#include "lower.h"

struct lists {
	struct ir_table *t;
	struct ir_set **slot; /* open addressing by content hash */
	uint64_t *hash;
	size_t cap;
	struct ir_set **gone; /* named list sets folded into another */
	size_t ngone, capgone;
};

static bool candidate(const struct ir_match *m)
{
	const struct ir_set *s = m->set;

	if (m->op != OP_SET || !s || s->vmap || s->nfields || s->dynamic || s->kfill)
		return false;
	return s->anonymous || (s->name && !strncmp(s->name, "list.", 5) && s->origin_set < 0);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t content_hash(const struct ir_set *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t key = (uint32_t)s->key;
	unsigned char iv = s->interval;

	h = fnv(h, &key, sizeof(key));
	h = fnv(h, &iv, 1);
	for (size_t i = 0; i < s->elems.n; i++) {
		unsigned char lohi[32];
		u128 lo = s->elems.v[i].lo, hi = s->elems.v[i].hi;
		for (int k = 0; k < 16; k++) {
			lohi[k] = (unsigned char)(lo >> (8 * k));
			lohi[16 + k] = (unsigned char)(hi >> (8 * k));
		}
		h = fnv(h, lohi, sizeof(lohi));
	}
	return h;
}

static bool same_content(const struct ir_set *a, const struct ir_set *b)
{
	if (a->key != b->key || a->interval != b->interval || a->elems.n != b->elems.n)
		return false;
	for (size_t i = 0; i < a->elems.n; i++)
		if (a->elems.v[i].lo != b->elems.v[i].lo || a->elems.v[i].hi != b->elems.v[i].hi)
			return false;
	return true;
}

/* The named set with s's content, made from s when there is none yet. */
static struct ir_set *canonical(struct lists *L, struct ir_set *s)
{
	uint64_t h = content_hash(s);
	size_t i = (size_t)h & (L->cap - 1), twins = 0;

	for (; L->slot[i]; i = (i + 1) & (L->cap - 1)) {
		if (L->hash[i] != h)
			continue;
		if (same_content(L->slot[i], s))
			return L->slot[i];
		twins++;
	}
	L->slot[i] = s;
	L->hash[i] = h;
	free(s->name);
	s->name = twins ? xasprintf("list.%016llx.%zu", (unsigned long long)h, twins + 1)
			: xasprintf("list.%016llx", (unsigned long long)h);
	if (s->anonymous) {
		s->anonymous = false;
		L->t->sets = xreallocarray(L->t->sets, L->t->nsets + 1, sizeof(*L->t->sets));
		L->t->sets[L->t->nsets++] = s;
		L->t->nelems += s->elems.n;
	}
	return s;
}

/* m looks up the canonical set of its content; what it looked up before
 * is freed (anonymous) or remembered for removal (a folded named set). */
static void share(struct lists *L, struct ir_match *m)
{
	struct ir_set *s = m->set, *c = canonical(L, s);

	if (c == s)
		return;
	m->set = c;
	if (s->anonymous) {
		ir_set_free(s);
		return;
	}
	for (size_t k = 0; k < L->ngone; k++)
		if (L->gone[k] == s)
			return;
	GROW(L->gone, L->capgone, L->ngone + 1);
	L->gone[L->ngone++] = s;
}

/* Takes the folded named sets out of the table's list and frees them. */
static void drop_gone(struct lists *L)
{
	struct ir_table *t = L->t;
	size_t w = 0;

	for (size_t i = 0; i < t->nsets; i++) {
		bool gone = false;
		for (size_t k = 0; k < L->ngone && !gone; k++)
			gone = L->gone[k] == t->sets[i];
		if (gone) {
			t->nelems -= t->sets[i]->elems.n;
			ir_set_free(t->sets[i]);
		} else {
			t->sets[w++] = t->sets[i];
		}
	}
	t->nsets = w;
}

void ir_share_lists(struct ir_table *t, size_t min)
{
	struct lists L = { .t = t };
	size_t anon = 0, all = 0;

	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			for (size_t j = 0; j < t->chains[c].rules[i].nm; j++) {
				const struct ir_match *m = &t->chains[c].rules[i].m[j];
				if (candidate(m)) {
					all++;
					anon += m->set->anonymous;
				}
			}
	if (anon < (min ? min : IR_SHARE_LISTS_MIN))
		return;
	for (L.cap = 16; L.cap < 2 * all; L.cap *= 2)
		;
	L.slot = xcalloc(L.cap, sizeof(*L.slot));
	L.hash = xcalloc(L.cap, sizeof(*L.hash));
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++)
			for (size_t j = 0; j < t->chains[c].rules[i].nm; j++)
				if (candidate(&t->chains[c].rules[i].m[j]))
					share(&L, &t->chains[c].rules[i].m[j]);
	drop_gone(&L);
	free(L.slot);
	free(L.hash);
	free(L.gone);
}
