// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decision trees, the parts that decide (dispatch.h): what each rule
 * compares (profiles), which rules are one segment and which may move
 * past it, the elementary intervals of a segment's values and the leaves
 * they share, and the bound on copies.
 */
#include <string.h>

#include "dispatch.h"

const enum ir_key dsp_key[DF_N] = { K_DPORT, K_IIFNAME, K_OIFNAME, K_L4PROTO, K_NFPROTO };

/* ---- profiles ---- */

static void lit_of(const struct ir_match *m, struct ivlist *out)
{
	if (m->op == OP_SET) {
		ivlist_extend(out, &m->set->elems);
	} else if ((m->key == K_IIFNAME || m->key == K_OIFNAME) && m->op == OP_EQ) {
		size_t n = strnlen(m->ifname, sizeof(m->ifname));
		u128 lo = ir_pack_ifname(m->ifname);
		/* "eth*": every name starting so, NUL-padded */
		ivlist_add(out, lo, m->iflen == n ? lo | (~(u128)0 >> (8 * n)) : lo);
	} else {
		ivlist_add(out, m->v.lo, m->op == OP_EQ ? m->v.lo : m->v.hi);
	}
}

static int key_family(enum ir_key k, const struct ir_match *m)
{
	switch (k) {
	case K_IP_SADDR:
	case K_IP_DADDR:
	case K_ICMP_TYPE:
		return 4;
	case K_IP6_SADDR:
	case K_IP6_DADDR:
	case K_ICMPV6_TYPE:
		return 6;
	case K_NFPROTO:
		return m && m->v.lo == 2 /* NFPROTO_IPV4 */ ? 4 : m ? 6 : 0;
	default:
		return 0;
	}
}

void dsp_profile(const struct ir_rule *r, struct prof *p)
{
	struct ivlist l4 = { 0 };

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < r->nm; i++) {
		const struct ir_match *m = &r->m[i];
		if (m->op == OP_VMAP) {
			/* a merged map: only the family its fields imply */
			for (int k = 0; k < m->set->nfields && !p->family; k++)
				p->family = key_family(m->set->fields[k].key, NULL);
			continue;
		}
		if (!p->family)
			p->family = key_family(m->key, m);
		if (m->key == K_ICMP_TYPE || m->key == K_ICMPV6_TYPE)
			ivlist_add(&l4, m->key == K_ICMP_TYPE ? 1 : 58, m->key == K_ICMP_TYPE ? 1 : 58);
		if ((m->key == K_SPORT || m->key == K_DPORT) && m->l4)
			ivlist_add(&l4, m->l4, m->l4);
		/*
		 * Address sets may be large and change (bans): they say nothing
		 * here. A port set is written in the policy and changes only
		 * with it, when the tree is compiled again: its ports route
		 * packets to leaves like literal ones (its lookup stays in the
		 * rule).
		 */
		if (m->key == K_CT_STATE || m->key == K_CT_STATUS || (m->op == OP_SET && !m->set->anonymous &&
					     m->key != K_DPORT && m->key != K_SPORT))
			continue;
		lit_of(m, &p->lit[m->key]);
		p->known |= 1u << m->key;
	}
	if (!(p->known & (1u << K_L4PROTO)) && l4.n) {
		p->lit[K_L4PROTO] = l4;
		p->known |= 1u << K_L4PROTO;
	} else {
		ivlist_free(&l4);
	}
	for (int k = 0; k < K_MAX; k++)
		ivlist_merge(&p->lit[k]);
}

void dsp_prof_free(struct prof *p)
{
	for (int k = 0; k < K_MAX; k++)
		ivlist_free(&p->lit[k]);
}

/* Can no packet match both rules? (Certain answers only.) */
static bool disjoint(struct dsp *D, uint32_t a, uint32_t b)
{
	const struct prof *x = &D->prof[a], *y = &D->prof[b];
	uint32_t common = x->known & y->known;

	D->work++;
	if (x->family && y->family && x->family != y->family)
		return true;
	for (int k = 0; k < K_MAX; k++)
		if ((common & (1u << k)) && !ivlist_overlaps(&x->lit[k], &y->lit[k]))
			return true;
	return false;
}

static bool is_member(const struct dsp *D, uint32_t r, enum dfield f)
{
	return D->prof[r].known & (1u << dsp_key[f]);
}

/* ---- segments ---- */


void dsp_seg_free(struct seg *S)
{
	free(S->mem);
	free(S->def);
	memset(S, 0, sizeof(*S));
}

/*
 * The segment on field f that starts at R[i]: members compare f (and are
 * not `wide`); a rule that does not may be moved past the segment when no
 * later member can match its packets.
 */
void dsp_form(struct dsp *D, const uint32_t *R, size_t n, size_t i, enum dfield f,
		 const uint8_t *wide, struct seg *S)
{
	size_t last = i, ndef_at_last = 0;

	memset(S, 0, sizeof(*S));
	S->f = f;
	S->mem = xcalloc(n - i, sizeof(*S->mem));
	S->def = xcalloc(n - i, sizeof(*S->def));
	for (size_t j = i; j < n; j++) {
		uint32_t r = R[j];
		if (is_member(D, r, f) && !wide[j]) {
			bool ok = true;
			for (size_t k = 0; k < S->ndef && ok; k++)
				ok = disjoint(D, S->def[k], r);
			if (!ok)
				break;
			S->mem[S->nmem++] = r;
			last = j + 1;
			ndef_at_last = S->ndef;
		} else {
			/* a rule another segment could take is left to it */
			bool other = false;
			for (int g = 0; g < DF_L4 && !other; g++)
				other = g != (int)f && is_member(D, r, (enum dfield)g);
			if (!S->nmem || S->ndef == DEFER_MAX || other)
				break;
			S->def[S->ndef++] = r;
		}
	}
	/* rules moved past nothing stay where they are */
	S->ndef = ndef_at_last;
	S->end = S->nmem ? last : i;
}

/* Rule r is left out of segments from R[i] on (and remembered for the
 * warning of a chain the tree helps little). */
static void mark_wide(struct dsp *D, const uint32_t *R, size_t n, size_t i, uint32_t r,
		      uint8_t *wide)
{
	for (size_t p = i; p < n; p++)
		if (R[p] == r)
			wide[p] = 1;
	D->wide[r] = true;
}

/* ---- regions: the elementary intervals of a segment's values ---- */



static u128 key_max(enum ir_key k)
{
	uint32_t len = ir_keyinfo(k)->len;
	return len >= 16 ? ~(u128)0 : ((u128)1 << (8 * len)) - 1;
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;
	return x < y ? -1 : x > y;
}

/* Index of the last cut <= v. */
static size_t cut_index(const u128 *cut, size_t n, u128 v)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (cut[mid] <= v)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}


void dsp_regions_free(struct regions *G)
{
	for (size_t k = 0; k < G->n; k++)
		free(G->v[k].mem);
	free(G->v);
	memset(G, 0, sizeof(*G));
}

/*
 * Cuts the members' values of S->f into elementary intervals, each with the
 * members that hold it, in order. Marks in `wide` (by position in R) the
 * members that would be copied too often, or whose interface values cannot
 * be written as names and wildcards; returns false when it marked any.
 */
bool dsp_regions_of(struct dsp *D, const uint32_t *R, size_t n, size_t i, const struct seg *S,
		       uint8_t *wide, struct regions *G)
{
	enum ir_key k = dsp_key[S->f];
	u128 max = key_max(k), *cut = NULL;
	size_t ncut = 0, cap = 0;
	bool ok = true;

	memset(G, 0, sizeof(*G));
	for (size_t m = 0; m < S->nmem; m++) {
		const struct ivlist *l = &D->prof[S->mem[m]].lit[k];
		for (size_t j = 0; j < l->n; j++) {
			GROW(cut, cap, ncut + 2);
			cut[ncut++] = l->v[j].lo;
			if (l->v[j].hi != max)
				cut[ncut++] = l->v[j].hi + 1;
		}
	}
	qsort(cut, ncut, sizeof(*cut), cmp_u128);
	size_t u = 0;
	for (size_t j = 0; j < ncut; j++)
		if (!u || cut[j] != cut[u - 1])
			cut[u++] = cut[j];
	ncut = u;
	G->v = xcalloc(ncut ? ncut : 1, sizeof(*G->v));
	G->n = ncut;
	for (size_t j = 0; j < ncut; j++) {
		G->v[j].iv.lo = cut[j];
		G->v[j].iv.hi = j + 1 < ncut ? cut[j + 1] - 1 : max;
	}
	for (size_t m = 0; m < S->nmem; m++) {
		uint32_t r = S->mem[m];
		const struct ivlist *l = &D->prof[r].lit[k];
		size_t span = 0;
		for (size_t j = 0; j < l->n; j++)
			span += cut_index(cut, ncut, l->v[j].hi) - cut_index(cut, ncut, l->v[j].lo) + 1;
		D->work += span + l->n;
		if (span > SPAN_CAP) {
			ok = false;
			mark_wide(D, R, n, i, r, wide);
			continue;
		}
		for (size_t j = 0; j < l->n; j++) {
			size_t a = cut_index(cut, ncut, l->v[j].lo), b = cut_index(cut, ncut, l->v[j].hi);
			for (size_t q = a; q <= b; q++) {
				struct region *g = &G->v[q];
				/* a rule's intervals are disjoint: once per region */
				GROW(g->mem, g->cap, g->n + 1);
				g->mem[g->n++] = r;
			}
		}
	}
	free(cut);
	/* interface maps hold names and wildcards only */
	if (k == K_IIFNAME || k == K_OIFNAME) {
		for (size_t q = 0; q < G->n; q++) {
			char name[17];
			struct region *g = &G->v[q];
			if (!g->n || g->iv.lo == g->iv.hi || ir_ifname_wildcard(&g->iv, name))
				continue;
			ok = false;
			for (size_t j = 0; j < g->n; j++)
				mark_wide(D, R, n, i, g->mem[j], wide);
		}
	}
	return ok;
}

static uint64_t list_hash(const uint32_t *v, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Regions holding the same rules share one leaf. Returns the leaves. */
struct leaf *dsp_leaves_of(struct regions *G, size_t *nleaves)
{
	size_t cap = 16, n = 0;
	while (cap < 2 * G->n)
		cap *= 2;
	int32_t *slot = xcalloc(cap, sizeof(*slot));
	struct leaf *L = xcalloc(G->n ? G->n : 1, sizeof(*L));

	for (size_t q = 0; q < G->n; q++) {
		struct region *g = &G->v[q];
		if (!g->n)
			continue;
		uint64_t h = list_hash(g->mem, g->n);
		size_t s = h & (cap - 1);
		for (; slot[s]; s = (s + 1) & (cap - 1)) {
			struct leaf *o = &L[slot[s] - 1];
			if (o->hash == h && o->first->n == g->n &&
			    !memcmp(o->first->mem, g->mem, g->n * sizeof(*g->mem)))
				break;
		}
		if (!slot[s]) {
			L[n] = (struct leaf){ .first = g, .hash = h };
			slot[s] = (int32_t)++n;
		}
		g->leaf = (uint32_t)slot[s] - 1;
	}
	free(slot);
	*nleaves = n;
	return L;
}

/*
 * Every rule holds copies[] placements it may take (1 to begin with). A
 * segment that puts a member into l leaves takes l - 1 more for it. Members
 * that would hold more than allowed become wide (false); else the
 * placements are taken (true).
 */
bool dsp_take_copies(struct dsp *D, const uint32_t *R, size_t n, size_t i,
			const struct seg *S, const struct leaf *L, size_t nl, uint8_t *wide)
{
	bool ok = true;

	for (size_t l = 0; l < nl; l++)
		for (size_t j = 0; j < L[l].first->n; j++)
			D->copies[L[l].first->mem[j]]++;
	for (size_t m = 0; m < S->nmem; m++)
		D->copies[S->mem[m]]--;
	for (size_t m = 0; m < S->nmem; m++) {
		uint32_t r = S->mem[m];
		if (D->copies[r] <= D->max_copies)
			continue;
		ok = false;
		mark_wide(D, R, n, i, r, wide);
	}
	if (ok)
		return true;
	for (size_t l = 0; l < nl; l++)
		for (size_t j = 0; j < L[l].first->n; j++)
			D->copies[L[l].first->mem[j]]--;
	for (size_t m = 0; m < S->nmem; m++)
		D->copies[S->mem[m]]++;
	return false;
}

/* ---- splits: every value an element ---- */

/* Rule r's values for a split on f; NULL when it compares nothing of it. */
static const struct ivlist *split_vals(const struct dsp *D, uint32_t r, enum dfield f,
				       struct ivlist *tmp)
{
	const struct prof *p = &D->prof[r];

	if (f == DF_L4)
		return p->known & (1u << K_L4PROTO) ? &p->lit[K_L4PROTO] : NULL;
	if (!p->family)
		return NULL;
	tmp->n = 0;
	ivlist_add(tmp, p->family == 4 ? 2 : 10, p->family == 4 ? 2 : 10); /* NFPROTO_IPV4, _IPV6 */
	return tmp;
}

size_t dsp_split_regions(const struct dsp *D, const uint32_t *R, size_t n, enum dfield f,
			 struct regions *G)
{
	struct ivlist tmp = { 0 }, cuts = { 0 };
	size_t longest = 0;

	memset(G, 0, sizeof(*G));
	if (f == DF_FAMILY) {
		/* an inet chain sees IPv4 and IPv6 only */
		ivlist_add(&cuts, 2, 2);
		ivlist_add(&cuts, 10, 10);
	} else {
		/* every protocol number: cut at each rule's intervals */
		u128 *c = NULL;
		size_t nc = 0, cap = 0;
		GROW(c, cap, 1);
		c[nc++] = 0;
		for (size_t i = 0; i < n; i++) {
			const struct ivlist *l = split_vals(D, R[i], f, &tmp);
			for (size_t j = 0; l && j < l->n; j++) {
				GROW(c, cap, nc + 2);
				c[nc++] = l->v[j].lo;
				if (l->v[j].hi < 255)
					c[nc++] = l->v[j].hi + 1;
			}
		}
		qsort(c, nc, sizeof(*c), cmp_u128);
		for (size_t j = 0; j < nc; j++) {
			if (j && c[j] == c[j - 1])
				continue;
			size_t k = j + 1;
			while (k < nc && c[k] == c[j])
				k++;
			ivlist_add(&cuts, c[j], k < nc ? c[k] - 1 : 255);
		}
		free(c);
	}
	G->v = xcalloc(cuts.n, sizeof(*G->v));
	G->n = cuts.n;
	for (size_t q = 0; q < cuts.n; q++) {
		struct region *g = &G->v[q];
		g->iv = cuts.v[q];
		for (size_t i = 0; i < n; i++) {
			const struct ivlist *l = split_vals(D, R[i], f, &tmp);
			bool in = !l;
			for (size_t j = 0; l && j < l->n && !in; j++)
				in = l->v[j].lo <= g->iv.lo && g->iv.hi <= l->v[j].hi;
			if (!in)
				continue;
			GROW(g->mem, g->cap, g->n + 1);
			g->mem[g->n++] = R[i];
		}
		if (g->n > longest)
			longest = g->n;
	}
	ivlist_free(&tmp);
	ivlist_free(&cuts);
	return longest;
}
