// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rules that can never match, because something before them in the same
 * chain matches every packet they would: an earlier policy rule (all
 * actions decide, so the first match is the last), or one of vigild's
 * built-in rules (loopback, ICMPv6 neighbour discovery). Warnings only: the
 * policy means what it says, but a rule that never fires is almost always
 * a mistake in the order.
 *
 * Conservative: a warning is given only when the earlier rule certainly
 * covers the later one. Every field of the earlier rule must cover the same
 * field of the later one, family by family; an address or port interval of
 * the later rule must lie inside one interval of one list of the earlier
 * one (a range split across two of its sets is not noticed). Comparing
 * every pair is quadratic, so chains longer than SHADOW_MAX_PAIRWISE rules
 * are checked against the built-in rules only, and all pairs together get
 * SHADOW_BUDGET interval lookups (huge sets in many rules), then no more.
 * Most pairs of a long chain fail on one field: each rule's port hulls and
 * interface names are measured once (struct rkey), so that such a pair
 * costs a few comparisons (1,000 rules of one port each are 500,000
 * pairs), and the earlier rules that can cover a rule's input interface
 * are looked up in an index of names (struct cindex) instead of compared
 * one by one (1,000 interface wildcards).
 */
#include <stdint.h>
#include <string.h>

#include "vigil/names.h"
#include "vigil/policy.h"
#include "vigil/util.h"

#define SHADOW_MAX_PAIRWISE 2048
/* interval lookups for all pairs together: a bound on the time spent */
#define SHADOW_BUDGET (16u << 20)
#define FAM_V4 1u
#define FAM_V6 2u

static const unsigned nd_types[] = ND_ICMPV6_TYPES;

/* Is [lo, hi] inside one interval of l? (l sorted by lo; a list that is not
 * only gives a miss, never a false hit.) */
static bool ival_inside(const struct ivlist *l, const struct ival *iv)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) { /* the first interval starting after iv->lo */
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].lo <= iv->lo)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && l->v[lo - 1].lo <= iv->lo && l->v[lo - 1].hi >= iv->hi;
}

struct shadow {
	const struct ivlist **la, **lb; /* scratch: the lists of a field */
	size_t budget;                  /* interval lookups left */
};

/* Every interval of b inside some list of a[0..na)? */
static bool list_covered(struct shadow *S, const struct ivlist *b, const struct ivlist *const *a,
			 size_t na)
{
	for (size_t k = 0; k < na; k++)
		if (a[k] == b)
			return true; /* the same set */
	if (b->n * na > S->budget) {
		S->budget = 0;
		return false;
	}
	S->budget -= b->n * na;
	for (size_t i = 0; i < b->n; i++) {
		bool in = false;
		for (size_t k = 0; k < na && !in; k++)
			in = ival_inside(a[k], &b->v[i]);
		if (!in)
			return false;
	}
	return true;
}

/* The lists of an address field for one family: the literals and each set. */
static size_t addr_lists(const struct paddr *p, unsigned fam, const struct ivlist **out)
{
	size_t n = 0;

	out[n++] = fam == FAM_V4 ? &p->v4 : &p->v6;
	for (size_t i = 0; i < p->nrefs; i++)
		out[n++] = fam == FAM_V4 ? &p->refs[i]->v4 : &p->refs[i]->v6;
	return n;
}

static size_t port_lists(const struct pport *p, const struct ivlist **out)
{
	size_t n = 0;

	out[n++] = &p->lit;
	for (size_t i = 0; i < p->nrefs; i++)
		out[n++] = &p->refs[i]->ports;
	return n;
}

/* Are b's nb lists (S->lb) inside a's na lists (S->la)? An absent b field
 * is every value from 0 to max. */
static bool field_covered(struct shadow *S, size_t na, bool b_present, size_t nb, u128 max)
{
	if (!b_present) {
		struct ival all = { 0, max };
		struct ivlist whole = { &all, 1, 1 };
		return list_covered(S, &whole, S->la, na);
	}
	for (size_t i = 0; i < nb; i++)
		if (!list_covered(S, S->lb[i], S->la, na))
			return false;
	return true;
}

static bool has_dynamic(const struct paddr *p)
{
	for (size_t i = 0; i < p->nrefs; i++)
		if (p->refs[i]->dynamic)
			return true;
	return false;
}

static bool addr_covered(struct shadow *S, const struct paddr *a, const struct paddr *b,
			 unsigned fam)
{
	if (!a->present)
		return true;
	/* a dynamic set in b may come to hold any address: b is then taken
	 * as every address; in a, it is counted as empty (it may be) */
	if (b->present && has_dynamic(b))
		return field_covered(S, addr_lists(a, fam, S->la), false, 0,
				     family_max(fam == FAM_V4 ? AF_V4 : AF_V6));
	return field_covered(S, addr_lists(a, fam, S->la), b->present,
			     b->present ? addr_lists(b, fam, S->lb) : 0,
			     family_max(fam == FAM_V4 ? AF_V4 : AF_V6));
}

static bool port_covered(struct shadow *S, const struct pport *a, const struct pport *b)
{
	if (!a->present)
		return true;
	return field_covered(S, port_lists(a, S->la), b->present,
			     b->present ? port_lists(b, S->lb) : 0, 65535);
}

/* An interface name of a rule with its length and its first 8 bytes
 * (byte i in bits 8i..8i+7, zero past the end), measured once: the pairs
 * of a long chain compare the same names thousands of times, and most
 * pairs differ within the first 8 bytes. */
struct ifpat {
	const char *s;
	size_t len;
	uint64_t head;
};

/* The low k bytes of a head (k <= 8) */
static uint64_t head_mask(size_t k)
{
	return k >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * k)) - 1;
}

/* Does interface pattern a (exact, or a prefix ending in '*') match every
 * interface that b does? */
static bool ifname_covers(const struct ifpat *a, const struct ifpat *b)
{
	size_t p = a->len, k;

	if (p && a->s[p - 1] == '*') {
		p--;
		if (p > b->len)
			return false;
	} else if (p != b->len) {
		return false;
	}
	k = p < 8 ? p : 8;
	if ((a->head ^ b->head) & head_mask(k))
		return false;
	return memcmp(a->s + k, b->s + k, p - k) == 0;
}

/* pa, pb: the names of a and b measured (ifpats_of) */
static bool ifnames_covered(const struct pifname *a, const struct ifpat *pa,
			    const struct pifname *b, const struct ifpat *pb)
{
	if (!a->present)
		return true;
	if (!b->present)
		return false;
	for (size_t i = 0; i < b->n; i++) {
		bool in = false;
		for (size_t k = 0; k < a->n && !in; k++)
			in = ifname_covers(&pa[k], &pb[i]);
		if (!in)
			return false;
	}
	return true;
}

/* The smallest interval holding every value a port field's lists hold
 * (an absent field: every port). `any` false: the lists hold nothing. */
struct hull {
	bool any;
	u128 lo, hi;
};

static struct hull port_hull(const struct pport *p)
{
	struct hull h = { !p->present, 0, 65535 };
	const struct ivlist *l;

	for (size_t k = 0; p->present && k <= p->nrefs; k++) {
		l = k ? &p->refs[k - 1]->ports : &p->lit;
		for (size_t i = 0; i < l->n; i++) {
			if (!h.any || l->v[i].lo < h.lo)
				h.lo = l->v[i].lo;
			if (!h.any || l->v[i].hi > h.hi)
				h.hi = l->v[i].hi;
			h.any = true;
		}
	}
	return h;
}

/* What one rule's pairs need measured once: the port fields' hulls and
 * the interface names' lengths (iif first, then oif). */
struct rkey {
	struct hull sport, dport;
	struct ifpat *ifs;
};

/*
 * A cheap test that a's port field cannot cover b's: every interval of b
 * must lie inside one of a's (list_covered), so inside a's hull; b's hull
 * outside a's settles the pair without a lookup. Never rejects a pair
 * port_covered would accept.
 */
static bool hull_misses(const struct pport *a, const struct hull *ha, const struct hull *hb)
{
	return a->present && hb->any && (!ha->any || hb->lo < ha->lo || hb->hi > ha->hi);
}

static struct ifpat *ifpats_of(const struct prule *r)
{
	struct ifpat *p = xcalloc(r->iif.n + r->oif.n + 1, sizeof(*p));

	for (size_t i = 0; i < r->iif.n + r->oif.n; i++) {
		p[i].s = i < r->iif.n ? r->iif.names[i] : r->oif.names[i - r->iif.n];
		p[i].len = strlen(p[i].s);
		for (size_t c = 0; c < 8 && c < p[i].len; c++)
			p[i].head |= (uint64_t)(unsigned char)p[i].s[c] << (8 * c);
	}
	return p;
}

/*
 * The families a rule can match at all: those its addresses allow (an empty
 * set allows none). Not its protocols: the kernel rule of `proto: icmp` is
 * `meta l4proto icmp`, with no IPv4 check (conntrack calls ICMP in IPv6
 * invalid, but a table that skips conntrack lets it through), so protocols
 * are compared as they are.
 */
static unsigned rule_fams(const struct prule *r)
{
	return paddr_families(&r->src, 0) & paddr_families(&r->dst, 0);
}

/* A port field of nothing but empty sets matches no packet (policy_warn.c
 * says so); every rule would "cover" it, which would only mislead. */
static bool ports_match_nothing(const struct pport *p)
{
	if (!p->present || p->lit.n)
		return false;
	for (size_t i = 0; i < p->nrefs; i++)
		if (p->refs[i]->ports.n)
			return false;
	return true;
}

/* Does rule a (families fa, measured ka) decide every packet that rule b
 * (fb, kb) would? */
static bool covers(struct shadow *S, const struct prule *a, unsigned fa, const struct rkey *ka,
		   const struct prule *b, unsigned fb, const struct rkey *kb)
{
	if (!fb || (fb & ~fa))
		return false;
	if (hull_misses(&a->sport, &ka->sport, &kb->sport) ||
	    hull_misses(&a->dport, &ka->dport, &kb->dport))
		return false;
	if (a->protos && (!b->protos || (b->protos & ~a->protos)))
		return false;
	if (a->has_icmp_type) {
		const struct ivlist *t4 = &a->icmp4, *t6 = &a->icmp6;
		if (!b->has_icmp_type || !list_covered(S, &b->icmp4, &t4, 1) ||
		    !list_covered(S, &b->icmp6, &t6, 1))
			return false;
	}
	if (!ifnames_covered(&a->iif, ka->ifs, &b->iif, kb->ifs) ||
	    !ifnames_covered(&a->oif, ka->ifs + a->iif.n, &b->oif, kb->ifs + b->iif.n) ||
	    !port_covered(S, &a->sport, &b->sport) || !port_covered(S, &a->dport, &b->dport))
		return false;
	for (unsigned fam = FAM_V4; fam <= FAM_V6; fam <<= 1)
		if ((fb & fam) && (!addr_covered(S, &a->src, &b->src, fam) ||
				   !addr_covered(S, &a->dst, &b->dst, fam)))
			return false;
	return true;
}

/* Every interface name of the list exactly "lo"? */
static bool only_loopback(const struct pifname *p)
{
	if (!p->present || !p->n)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (!streq(p->names[i], "lo"))
			return false;
	return true;
}

static bool is_nd_type(u128 t)
{
	for (size_t i = 0; i < ARRAY_SIZE(nd_types); i++)
		if (t == nd_types[i])
			return true;
	return false;
}

/* The built-in rules of input and output. True when r is dead. */
static bool builtin_shadow(const struct prule *r, struct diags *d)
{
	if (r->chain == CH_FORWARD)
		return false;
	if (only_loopback(r->chain == CH_INPUT ? &r->iif : &r->oif)) {
		diag_warn(d, r->loc,
			  "rule '%s' can never match: vigild's built-in rule 'vigil:loopback' accepts every packet on lo earlier in chain %s",
			  r->name, chain_name(r->chain));
		return true;
	}
	/* `icmpv6 type {...}`: any family, whatever else the rule says */
	if (r->has_icmp_type && (r->protos & P_ICMPV6) && r->icmp6.n) {
		struct strbuf sb = { 0 };
		size_t n = 0, all = 0;

		for (size_t i = 0; i < r->icmp6.n; i++)
			for (u128 t = r->icmp6.v[i].lo; t <= r->icmp6.v[i].hi; t++) {
				all++;
				if (!is_nd_type(t))
					continue;
				sb_printf(&sb, "%s%s", n++ ? ", " : "",
					  icmp_type_name(true, (unsigned)t));
			}
		if (n == all && r->protos == P_ICMPV6)
			diag_warn(d, r->loc,
				  "rule '%s' can never match: vigild's built-in rule 'vigil:icmpv6-nd' accepts %s earlier in chain %s, which IPv6 needs to work",
				  r->name, sb.s, chain_name(r->chain));
		else if (n)
			diag_warn(d, r->loc,
				  "rule '%s': icmpv6 %s never %s it: vigild's built-in rule 'vigil:icmpv6-nd' accepts %s earlier in chain %s, which IPv6 needs to work",
				  r->name, sb.s, n == 1 ? "reaches" : "reach", n == 1 ? "it" : "them",
				  chain_name(r->chain));
		sb_free(&sb);
		return n == all && r->protos == P_ICMPV6;
	}
	return false;
}

/*
 * Which earlier rules of a chain can cover b at all, found without looking
 * at every pair: a rule with an input interface covers b only if one of
 * its names covers b's first name, so the rules are sorted by the key of
 * each of their names (a wildcard: its prefix length and up to 8 bytes of
 * it; an exact name: its length and first 8 bytes), and b's candidates are
 * the rules under the keys its first name can have a cover under (one per
 * prefix length the chain's wildcards have, and its exact key) and those
 * with no input interface. The candidates are then checked in order, as
 * the pairs were, so the first rule that covers b is the one named.
 */
struct ikey {
	uint64_t head;
	uint32_t kind; /* wildcard: prefix length 0-15; exact name: 16 + length */
	uint32_t rule;
};

struct cindex {
	struct ikey *v;      /* sorted by kind, head, rule */
	size_t n, cap;
	uint32_t *always;    /* rules without an input interface, in order */
	size_t nalways, acap;
	uint32_t wild_lens;  /* bit p: a wildcard of prefix length p */
};

/* the candidates of one rule: found under its keys, then all in order */
struct scratch {
	uint32_t *keyed, *out;
	size_t kcap, ocap;
};

static int ikey_cmp(const void *x, const void *y)
{
	const struct ikey *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static struct ikey ikey_of(const struct ifpat *p, uint32_t rule)
{
	if (p->len && p->s[p->len - 1] == '*') {
		size_t n = p->len - 1;
		return (struct ikey){ p->head & head_mask(n < 8 ? n : 8), (uint32_t)n, rule };
	}
	return (struct ikey){ p->head, 16 + (uint32_t)p->len, rule };
}

static void index_rule(struct cindex *X, const struct prule *r, const struct rkey *k, uint32_t i)
{
	bool always = !r->iif.present || !r->iif.n;

	for (size_t j = 0; j < r->iif.n && !always; j++) {
		struct ikey key = ikey_of(&k->ifs[j], i);
		if (key.kind == 0)
			always = true; /* "*" */
		if (key.kind < 16)
			X->wild_lens |= 1u << key.kind;
		GROW(X->v, X->cap, X->n + 1);
		X->v[X->n++] = key;
	}
	if (always) {
		GROW(X->always, X->acap, X->nalways + 1);
		X->always[X->nalways++] = i;
	}
}

/* The rules of key (kind, head) before rule i, appended to *out. */
static void add_under(const struct cindex *X, uint32_t kind, uint64_t head, uint32_t i,
		      uint32_t **out, size_t *n, size_t *cap)
{
	size_t lo = 0, hi = X->n;
	struct ikey want = { head, kind, 0 };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ikey_cmp(&X->v[mid], &want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < X->n && X->v[lo].kind == kind && X->v[lo].head == head && X->v[lo].rule < i; lo++) {
		GROW(*out, *cap, *n + 1);
		(*out)[(*n)++] = X->v[lo].rule;
	}
}

/* b's candidates (rule i of its chain's index X), in order, no repeats:
 * the rules under b's keys (sorted here, usually few) merged with the
 * rules without an input interface (in order already). */
static size_t candidates(const struct cindex *X, const struct prule *b, const struct rkey *kb,
			 uint32_t i, struct scratch *T, const uint32_t **out)
{
	size_t n = 0, nk = 0, a = 0, k = 0;

	if (b->iif.present && b->iif.n) {
		const struct ifpat *f = &kb->ifs[0];
		for (uint32_t p = 1; p < 16; p++)
			if ((X->wild_lens >> p & 1) && p <= f->len)
				add_under(X, p, f->head & head_mask(p < 8 ? p : 8), i, &T->keyed, &nk,
					  &T->kcap);
		add_under(X, 16 + (uint32_t)f->len, f->head, i, &T->keyed, &nk, &T->kcap);
	} else if (b->iif.present) {
		for (size_t j = 0; j < X->n; j++) /* no names: every earlier rule */
			if (X->v[j].rule < i) {
				GROW(T->keyed, T->kcap, nk + 1);
				T->keyed[nk++] = X->v[j].rule;
			}
	}
	if (nk > 1)
		qsort(T->keyed, nk, sizeof(*T->keyed), u32_cmp);
	for (size_t hi = X->nalways; a < hi;) { /* the always list is sorted */
		size_t mid = a + (hi - a) / 2;
		if (X->always[mid] < i)
			a = mid + 1;
		else
			hi = mid;
	}
	*out = X->always;
	if (!nk)
		return a;
	GROW(T->out, T->ocap, a + nk + 1);
	*out = T->out;
	for (size_t j = 0; j < a || k < nk;) {
		uint32_t next = k >= nk || (j < a && X->always[j] < T->keyed[k]) ? X->always[j++] :
										   T->keyed[k++];
		if (!n || T->out[n - 1] != next)
			T->out[n++] = next;
	}
	return n;
}

void policy_shadow_warnings(const struct policy *pol, struct diags *d)
{
	size_t per_chain[CH_MAX] = { 0 }, maxrefs = 0;
	struct shadow S = { .budget = SHADOW_BUDGET };
	unsigned *fams = xcalloc(pol->nrules + 1, sizeof(*fams));
	struct rkey *keys = xcalloc(pol->nrules + 1, sizeof(*keys));
	struct cindex X[CH_MAX];
	struct scratch T = { 0 };

	memset(X, 0, sizeof(X));
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct prule *r = &pol->rules[i];
		size_t m = r->src.nrefs;

		fams[i] = rule_fams(r);
		keys[i] = (struct rkey){ port_hull(&r->sport), port_hull(&r->dport), ifpats_of(r) };
		per_chain[r->chain]++;
		index_rule(&X[r->chain], r, &keys[i], (uint32_t)i);
		m = r->dst.nrefs > m ? r->dst.nrefs : m;
		m = r->sport.nrefs > m ? r->sport.nrefs : m;
		m = r->dport.nrefs > m ? r->dport.nrefs : m;
		maxrefs = m > maxrefs ? m : maxrefs;
	}
	for (int c = 0; c < CH_MAX; c++)
		if (X[c].n)
			qsort(X[c].v, X[c].n, sizeof(*X[c].v), ikey_cmp);
	S.la = xcalloc(maxrefs + 1, sizeof(*S.la));
	S.lb = xcalloc(maxrefs + 1, sizeof(*S.lb));
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct prule *b = &pol->rules[i];
		unsigned fb = fams[i];

		if (!fb || ports_match_nothing(&b->sport) || ports_match_nothing(&b->dport) ||
		    builtin_shadow(b, d) || per_chain[b->chain] > SHADOW_MAX_PAIRWISE ||
		    !S.budget)
			continue;
		const uint32_t *cand;
		size_t nc = candidates(&X[b->chain], b, &keys[i], (uint32_t)i, &T, &cand);
		for (size_t j = 0; j < nc; j++) {
			size_t k = cand[j];
			const struct prule *a = &pol->rules[k];

			if (!covers(&S, a, fams[k], &keys[k], b, fb, &keys[i]))
				continue;
			diag_warn(d, b->loc,
				  "rule '%s' can never match: rule '%s' (line %u) comes before it in chain %s and matches every packet it would",
				  b->name, a->name, a->loc.line, chain_name(b->chain));
			break;
		}
	}
	for (int c = 0; c < CH_MAX; c++) {
		free(X[c].v);
		free(X[c].always);
	}
	free(T.keyed);
	free(T.out);
	for (size_t i = 0; i < pol->nrules; i++)
		free(keys[i].ifs);
	free(keys);
	free(S.la);
	free(S.lb);
	free(fams);
}
