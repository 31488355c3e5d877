// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dispatch pass: per-packet cost that does not grow with the policy,
 * for rules the merge pass leaves alone (named sets, interface wildcards,
 * overlapping values).
 *
 * A base chain whose policy rules (after merging) are more than
 * IR_DISPATCH_MIN becomes a decision tree. Its rules are read in order and cut into
 * segments; a segment is a stretch of rules that all compare one field F
 * (the destination port, the input or output interface) with literal
 * values, and compiles to one lookup
 *     counter th dport vmap @dispatch.input.1
 * whose elements send each value of F to a leaf chain (jump) holding only
 * the segment's rules that can match packets with that value, in their
 * order. A leaf that is still long is split the same way on another
 * field; where no segment starts, the rest of a list may be split by
 * protocol or address family. The values of F are cut into elementary
 * intervals (a rule for 1000-2000 and one for 1500 make three), and
 * leaves with the same rules are one chain.
 *
 * First match wins, exactly:
 *  - a packet whose F value is v can only match the segment's rules that
 *    name v, and its leaf holds all of them in order; a packet whose F
 *    cannot be loaded (no transport header) or is in no element can match
 *    none of them and goes on after the lookup;
 *  - a leaf is reached by jump: when it ends without a verdict the walk
 *    goes on right after the lookup, with the rules that followed the
 *    segment;
 *  - a rule that does not compare F may sit inside the segment only if it
 *    can never match the same packet as any segment rule after it (another
 *    protocol, family, port, interface...): it is then placed right after
 *    the lookup, which changes no packet's first match. Any other such
 *    rule ends the segment.
 *  - the protocol and family splits are lookups on `meta l4proto` (every
 *    number an element) and `meta nfproto` that every packet finds: rules
 *    that compare neither go to every leaf.
 * Every placement of a rule is a full copy of it (counter, comment, mark,
 * log, and later its companion rules): attribution does not change. A
 * packet reaches at most one copy of each rule.
 *
 * Bounds: a rule is copied into at most `copies` leaves (a rule that would
 * be copied more is left out of the segment, which it then ends), and a
 * chain's tree holds at most `growth` times the chain's kernel rules and
 * keeps the policy within the compiler's limits; a chain over a bound
 * stays linear, with a warning naming the rules copied most. A chain the
 * tree shortens little because of rules left out draws a warning too.
 */
#include <string.h>

#include "dispatch.h"

/* ---- placing rules ---- */

static uint32_t new_chain(struct dsp *D, char *name)
{
	struct ir_table *t = D->t;
	struct ir_chain *ch;

	t->chains = xreallocarray(t->chains, t->nchains + 1, sizeof(*t->chains));
	ch = &t->chains[t->nchains];
	memset(ch, 0, sizeof(*ch));
	ch->name = name;
	return (uint32_t)t->nchains++;
}

static struct ir_rule *chain_push(struct dsp *D, uint32_t c)
{
	struct ir_chain *ch = &D->t->chains[c];
	struct ir_rule *r;

	GROW(ch->rules, ch->cap, ch->n + 1);
	r = &ch->rules[ch->n++];
	memset(r, 0, sizeof(*r));
	D->t->nrules++;
	if (++D->size > D->budget)
		D->over = true;
	return r;
}

/*
 * A rule placed more than once would give each copy its own anonymous sets,
 * and the kernel's cost of anonymous sets grows with their number squared
 * (each gets a free "__set%d" name by scanning the table's sets, and its
 * binding walks the batch's transactions): its lists become named sets,
 * list.RULE.ID, which all the copies (and their twins) look up.
 */
static void share_lists(struct dsp *D, uint32_t id)
{
	const struct ir_rule *o = &D->in[id];
	struct ir_table *t = D->t;

	for (size_t j = 0; j < o->nm; j++) {
		struct ir_set *s = o->m[j].set;
		if (o->m[j].op != OP_SET || !s->anonymous)
			continue;
		s->anonymous = false;
		s->name = xasprintf("list.%s.%u", o->comment, s->id);
		t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
		t->sets[t->nsets++] = s;
		t->nelems += s->elems.n;
		D->shared = xreallocarray(D->shared, D->nshared + 1, sizeof(*D->shared));
		D->shared[D->nshared++] = s;
	}
}

/* A full copy of input rule id at the end of chain c. */
static void place(struct dsp *D, uint32_t c, uint32_t id)
{
	const struct ir_rule *o = &D->in[id];
	struct ir_rule *r;

	/* every placement is reserved before any is made (dsp_take_copies) */
	if (!D->placed[id] && D->copies[id] > 1)
		share_lists(D, id);
	D->placed[id] = true;
	r = chain_push(D, c);

	*r = *o;
	r->m = ir_matches_copy(D->t, o, 0);
	r->comment = o->comment ? xstrdup(o->comment) : NULL;
	r->log_prefix = o->log_prefix ? xstrdup(o->log_prefix) : NULL;
	r->nflog_prefix = o->nflog_prefix ? xstrdup(o->nflog_prefix) : NULL;
}

static void place_all(struct dsp *D, uint32_t c, const uint32_t *R, size_t n)
{
	for (size_t i = 0; i < n && !D->over; i++)
		place(D, c, R[i]);
}

static void emit(struct dsp *D, const uint32_t *R, size_t n, uint32_t chain, unsigned fields,
		 int level);

/*
 * A map of intervals is a tree (rbtree) in the kernel, a map of single
 * values a hash: the hash costs a new connection less. So when the
 * intervals hold few values in all, every value is an element of its own.
 * Interface wildcards stay intervals.
 */
static void expand_points(struct ir_set *s, bool names)
{
	u128 total = 0;
	size_t n = 0;

	for (size_t e = 0; e < s->ncelems; e++)
		total += s->celems[e].f[0].hi - s->celems[e].f[0].lo + 1;
	if (total == s->ncelems)
		return;
	if (names || total > DISPATCH_POINTS_MAX) {
		s->interval = true;
		return;
	}
	struct ir_celem *v = xcalloc((size_t)total, sizeof(*v));
	for (size_t e = 0; e < s->ncelems; e++)
		for (u128 x = s->celems[e].f[0].lo; x <= s->celems[e].f[0].hi; x++) {
			v[n].f[0].lo = v[n].f[0].hi = x;
			v[n++].chain = s->celems[e].chain;
		}
	free(s->celems);
	s->celems = v;
	s->ncelems = n;
}

/*
 * An interface map whose elements all start with the same bytes ("vz001*"
 * .. "vz899*": "vz") is guarded by that prefix: `iifname "vz*" iifname
 * vmap @m`. A packet from another interface, which no element holds, is
 * then settled by one comparison instead of a lookup in a tree of
 * intervals (the kernel's costliest kind, see expand_points); a packet
 * that passes pays one comparison more. Every value between the smallest
 * element and the largest shares their common leading bytes, so the guard
 * turns away exactly packets the lookup would not find.
 */
static void guard_ifnames(const struct ir_set *s, struct ir_match *m)
{
	u128 lo, hi;
	char a[17], b[17];
	uint8_t p = 0;

	if (!s->ncelems)
		return;
	lo = s->celems[0].f[0].lo;
	hi = s->celems[0].f[0].hi;
	for (size_t e = 1; e < s->ncelems; e++) {
		lo = s->celems[e].f[0].lo < lo ? s->celems[e].f[0].lo : lo;
		hi = s->celems[e].f[0].hi > hi ? s->celems[e].f[0].hi : hi;
	}
	ir_unpack_ifname(lo, a);
	ir_unpack_ifname(hi, b);
	while (p < 15 && a[p] && a[p] == b[p])
		p++;
	memcpy(m->ifname, a, p);
	m->iflen = p;
}

/* The lookup rule and its map: key k, region q -> leaf chain. */
static void put_lookup(struct dsp *D, uint32_t chain, enum ir_key k, const struct regions *G,
		       const struct leaf *L, const uint32_t *mem, size_t nmem)
{
	struct ir_table *t = D->t;
	struct ir_set *s = xzalloc(sizeof(*s));
	struct ir_rule *r;
	bool names = k == K_IIFNAME || k == K_OIFNAME;

	s->name = xasprintf("dispatch.%s.%u", D->cname, ++D->nmaps);
	s->id = ++t->next_set_id;
	s->vmap = true;
	s->jump = true;
	s->key = k;
	s->nfields = 1;
	s->fields[0].key = k;
	s->origin_set = s->origin_rule = -1;
	s->celems = xcalloc(G->n ? G->n : 1, sizeof(*s->celems));
	for (size_t q = 0; q < G->n; q++) {
		const struct region *g = &G->v[q];
		struct ir_celem *prev = s->ncelems ? &s->celems[s->ncelems - 1] : NULL;
		if (!g->n)
			continue;
		/* adjacent intervals to the same leaf are one element (ports) */
		if (!names && prev && prev->chain == L[g->leaf].chain && prev->f[0].hi + 1 == g->iv.lo) {
			prev->f[0].hi = g->iv.hi;
			continue;
		}
		s->celems[s->ncelems].f[0] = g->iv;
		s->celems[s->ncelems++].chain = L[g->leaf].chain;
	}
	expand_points(s, names);
	t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	t->nelems += s->ncelems;

	r = chain_push(D, chain);
	r->m = xzalloc(sizeof(*r->m));
	r->nm = 1;
	r->m->key = k;
	r->m->op = OP_VMAP;
	r->m->set = s;
	if (names)
		guard_ifnames(s, r->m);
	r->verdict = IV_NONE;
	r->origin = -1;
	const char *a = D->in[mem[0]].comment, *b = D->in[mem[nmem - 1]].comment;
	r->comment = strcmp(a, b) ? xasprintf(IR_BUILTIN_PREFIX "dispatch %s .. %s", a, b)
				  : xasprintf(IR_BUILTIN_PREFIX "dispatch %s", a);
}

/* One lookup on k and its leaves (each compiled on the remaining fields). */
static void build(struct dsp *D, uint32_t chain, enum dfield f, struct regions *G,
		  const uint32_t *mem, size_t nmem, unsigned fields, int level)
{
	size_t nl;
	struct leaf *L = dsp_leaves_of(G, &nl);
	unsigned map_no = D->nmaps + 1;

	for (size_t l = 0; l < nl; l++)
		L[l].chain = new_chain(D, xasprintf("dispatch.%s.%u.%zu", D->cname, map_no, l + 1));
	put_lookup(D, chain, dsp_key[f], G, L, mem, nmem);
	for (size_t l = 0; l < nl && !D->over; l++) {
		const struct region *g = L[l].first;
		if (g->n <= LEAF_LINEAR || level + 1 >= MAX_LEVELS)
			place_all(D, L[l].chain, g->mem, g->n);
		else
			emit(D, g->mem, g->n, L[l].chain, fields & ~(1u << f), level + 1);
	}
	free(L);
}

/*
 * A split of all of R by protocol or address family: a lookup every packet
 * finds an element in (protocols 0-255; IPv4 and IPv6), rules that compare
 * neither going to every leaf. Worth it when each leaf is much shorter.
 */
static bool full_split(struct dsp *D, const uint32_t *R, size_t n, uint32_t chain,
		       unsigned fields, int level)
{
	struct regions G[2];
	size_t longest[2] = { SIZE_MAX, SIZE_MAX }, nl;
	static const enum dfield split[2] = { DF_L4, DF_FAMILY };
	int best = -1;

	for (int k = 0; k < 2; k++) {
		memset(&G[k], 0, sizeof(G[k]));
		if (!(fields & (1u << split[k])))
			continue;
		longest[k] = dsp_split_regions(D, R, n, split[k], &G[k]);
		D->work += n * G[k].n;
		if (longest[k] * 4 <= n * 3 && (best < 0 || longest[k] < longest[best]))
			best = k;
	}
	if (best >= 0) {
		struct seg S = { .mem = (uint32_t *)R, .nmem = n };
		struct leaf *L = dsp_leaves_of(&G[best], &nl);
		/* nothing is marked wide here: a rule over its copies ends it */
		uint8_t *wide = xcalloc(n, 1);
		if (dsp_take_copies(D, R, n, 0, &S, L, nl, wide))
			build(D, chain, split[best], &G[best], R, n, fields, level);
		else
			best = -1;
		free(wide);
		free(L);
	}
	dsp_regions_free(&G[0]);
	dsp_regions_free(&G[1]);
	return best >= 0;
}

/*
 * Appends to chain what R (input rule ids, in policy order) compiles to,
 * dispatching on the fields still allowed.
 */
static void emit(struct dsp *D, const uint32_t *R, size_t n, uint32_t chain, unsigned fields,
		 int level)
{
	uint8_t *wide = xcalloc(n ? n : 1, 1);
	size_t i = 0;
	unsigned tries = 0;

	while (i < n && !D->over) {
		struct seg best = { 0 }, S;
		struct regions G;
		bool built = false;

		if (D->work > WORK_BUDGET) {
			place_all(D, chain, R + i, n - i);
			break;
		}
		for (int f = 0; f < DF_L4; f++) {
			if (!(fields & (1u << f)))
				continue;
			dsp_form(D, R, n, i, (enum dfield)f, wide, &S);
			if (S.nmem > best.nmem) {
				dsp_seg_free(&best);
				best = S;
			} else {
				dsp_seg_free(&S);
			}
		}
		if (best.nmem >= SEG_MIN) {
			if (dsp_regions_of(D, R, n, i, &best, wide, &G)) {
				size_t nl;
				struct leaf *L = dsp_leaves_of(&G, &nl);
				built = dsp_take_copies(D, R, n, i, &best, L, nl, wide);
				free(L);
			}
			if (built) {
				build(D, chain, best.f, &G, best.mem, best.nmem, fields, level);
				if (best.ndef)
					emit(D, best.def, best.ndef, chain, fields, level);
				i = best.end;
			}
			dsp_regions_free(&G);
		}
		size_t had = best.nmem;
		dsp_seg_free(&best);
		if (built || (had >= SEG_MIN && tries++ < 4)) {
			/* a failed try marked rules wide: form again, a few times */
			if (built)
				tries = 0;
			continue;
		}
		tries = 0;
		if (n - i > LEAF_LINEAR * 2 && full_split(D, R + i, n - i, chain, fields, level))
			break;
		place(D, chain, R[i++]);
	}
	free(wide);
}

/* ---- the pass ---- */

/* The warning of a chain that stays linear: the rules copied most. */
static void warn_linear(struct dsp *D, struct diags *w, size_t growth)
{
	int top[3] = { -1, -1, -1 };
	uint32_t topn[3] = { 0, 0, 0 };
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < D->nin; i++) {
		int o = D->in[i].origin;
		uint32_t c = D->copies[i];
		if (o < 0 || o == top[0] || o == top[1] || o == top[2])
			continue;
		for (int k = 0; k < 3; k++)
			if (c > topn[k]) {
				for (int m = 2; m > k; m--) {
					top[m] = top[m - 1];
					topn[m] = topn[m - 1];
				}
				top[k] = o;
				topn[k] = c;
				break;
			}
	}
	for (int k = 0; k < 3 && top[k] >= 0; k++) {
		const struct prule *pr = &D->pol->rules[top[k]];
		sb_printf(&sb, "%s'%s' (line %u, %u copies)", k ? ", " : "", pr->name, pr->loc.line,
			  (unsigned)topn[k]);
	}
	_cleanup_free_ char *names = sb_take(&sb);
	struct srcloc at = { .file = D->pol->file };
	if (top[0] >= 0)
		at = D->pol->rules[top[0]].loc;
	diag_warn(w, at,
		  "chain %s stays a linear walk of its %zu kernel rules: its decision tree would need more than %zu times as many; the rules copied most: %s",
		  D->cname, D->nin, growth, names ? names : "none");
}

/*
 * The warning of a chain whose tree still walks more than half of the
 * list, because rules were kept out of it (each would have been copied into
 * more than max_copies chains, or its interface values split into pieces
 * no name or wildcard writes): it names them. A few such rules, such as a
 * wide port range after many single ports, cost a rule each and draw none.
 */
static void warn_little(struct dsp *D, struct diags *w, size_t walk, size_t linear)
{
	struct strbuf sb = { 0 };
	unsigned named = 0, left = 0;
	int first = -1, last = -1;

	if (walk * 2 <= linear)
		return;
	for (size_t i = 0; i < D->nin; i++) {
		int o = D->in[i].origin;
		if (!D->wide[i] || o < 0 || o == last)
			continue;
		last = o;
		left++;
		if (named++ < 3) {
			const struct prule *pr = &D->pol->rules[o];
			sb_printf(&sb, "%s'%s' (line %u)", named > 1 ? ", " : "", pr->name, pr->loc.line);
			if (first < 0)
				first = o;
		}
	}
	if (!left) {
		sb_free(&sb);
		return;
	}
	_cleanup_free_ char *names = sb_take(&sb);
	_cleanup_free_ char *what = walk >= linear ?
		xasprintf("stays a linear walk of its %zu kernel rules", linear) :
		xasprintf("has a decision tree that still walks up to %zu of its %zu kernel rules", walk, linear);
	diag_warn(w, D->pol->rules[first].loc,
		  "chain %s %s: %u rules (such as %s) would be copied into more than %u of its chains, or hold other rules' interface names, and are walked one by one",
		  D->cname, what, left, names, D->max_copies);
}

/* What the table will count once the companion rules are in (each accept
 * rule's twin, each rate-limited log rule, with copies of the anonymous
 * sets): the compiler's limits apply to that. */
static void projected(const struct ir_table *t, size_t *rules, size_t *elems)
{
	*rules = 0;
	*elems = t->nelems;
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++) {
			const struct ir_rule *r = &t->chains[c].rules[i];
			size_t times = 1 + r->set_mark + (r->log && r->log_rate) + (r->nflog_group != 0);
			*rules += times;
			for (size_t j = 0; j < r->nm; j++)
				if (r->m[j].op == OP_SET && r->m[j].set->anonymous)
					*elems += r->m[j].set->elems.n * times;
		}
}

/* Frees what a tree added to the table after c0 chains and s0 sets; the
 * lists it named become the input rules' anonymous sets again. */
static void drop_tree(struct dsp *D, struct ir_table *t, size_t c0, size_t s0)
{
	for (size_t c = c0; c < t->nchains; c++) {
		for (size_t i = 0; i < t->chains[c].n; i++)
			ir_rule_free(&t->chains[c].rules[i]);
		free(t->chains[c].rules);
		free(t->chains[c].name);
	}
	t->nchains = c0;
	for (size_t i = s0; i < t->nsets; i++) {
		struct ir_set *s = t->sets[i];
		bool shared = false;
		for (size_t k = 0; k < D->nshared && !shared; k++)
			shared = D->shared[k] == s;
		if (!shared) {
			ir_set_free(s);
			continue;
		}
		s->anonymous = true;
		free(s->name);
		s->name = NULL;
	}
	t->nsets = s0;
}

static void dispatch_chain(struct ir_table *t, const struct policy *pol, enum chain_id c,
			   const struct ir_opts *o)
{
	struct ir_chain saved = t->chains[c];
	size_t nb = 0, min = o->dispatch_min ? o->dispatch_min : IR_DISPATCH_MIN;
	size_t growth = o->dispatch_growth ? o->dispatch_growth : IR_DISPATCH_GROWTH;
	size_t c0 = t->nchains, s0 = t->nsets, nrules0 = t->nrules, nelems0 = t->nelems;

	/* built-in rules first, the default counter last */
	while (nb < saved.n && saved.rules[nb].origin < 0 &&
	       !(saved.rules[nb].nm == 1 && saved.rules[nb].m[0].op == OP_VMAP))
		nb++;
	if (saved.n < nb + 1 || saved.n - nb - 1 <= min)
		return;

	struct dsp D = {
		.t = t, .pol = pol, .cname = saved.name, .in = &saved.rules[nb],
		.nin = saved.n - nb - 1,
		.max_copies = o->dispatch_copies ? o->dispatch_copies : IR_DISPATCH_COPIES,
	};
	D.budget = growth * D.nin;
	D.prof = xcalloc(D.nin, sizeof(*D.prof));
	D.copies = xcalloc(D.nin, sizeof(*D.copies));
	D.placed = xcalloc(D.nin, sizeof(*D.placed));
	D.wide = xcalloc(D.nin, sizeof(*D.wide));
	uint32_t *ids = xcalloc(D.nin, sizeof(*ids));
	for (size_t i = 0; i < D.nin; i++) {
		dsp_profile(&D.in[i], &D.prof[i]);
		D.copies[i] = 1;
		ids[i] = (uint32_t)i;
	}

	t->chains[c].rules = xcalloc(nb + 1, sizeof(struct ir_rule));
	t->chains[c].cap = nb + 1;
	t->chains[c].n = nb;
	memcpy(t->chains[c].rules, saved.rules, nb * sizeof(struct ir_rule));
	t->nrules -= D.nin;
	emit(&D, ids, D.nin, c, (1u << DF_N) - 1, 0);

	struct ir_chain *ch = &t->chains[c];
	if (!D.over && !D.nmaps) /* the walk as it stands, and the default */
		warn_little(&D, &t->warnings, ir_worst_path(t, c) + 1, saved.n);
	bool limit = false;
	if (!D.over && D.nmaps) {
		size_t pr, pe;
		projected(t, &pr, &pe);
		pr += 1; /* the default counter, still to come back */
		limit = pr > o->max_rules || pe > o->max_elems;
		if (limit)
			diag_warn(&t->warnings, (struct srcloc){ .file = pol->file },
				  "chain %s stays a linear walk of its %zu kernel rules: its decision tree would make the policy more than %zu %s (%s N raises the limit)",
				  saved.name, D.nin, pr > o->max_rules ? o->max_rules : o->max_elems,
				  pr > o->max_rules ? "kernel rules" : "set elements",
				  pr > o->max_rules ? "--max-rules" : "--max-elements");
	}
	if (D.over || !D.nmaps || limit) {
		/* linear after all: everything made goes, the chain is as it was */
		for (size_t i = nb; i < ch->n; i++)
			ir_rule_free(&ch->rules[i]);
		free(ch->rules);
		drop_tree(&D, t, c0, s0);
		t->chains[c] = saved;
		t->nrules = nrules0;
		t->nelems = nelems0;
		if (D.over)
			warn_linear(&D, &t->warnings, growth);
	} else {
		GROW(ch->rules, ch->cap, ch->n + 1);
		ch->rules[ch->n++] = saved.rules[saved.n - 1];
		warn_little(&D, &t->warnings, ir_worst_path(t, c), saved.n);
		for (size_t i = 0; i < D.nin; i++)
			ir_rule_free(&saved.rules[nb + i]);
		free(saved.rules);
		t->ndispatch += D.nmaps;
	}
	for (size_t i = 0; i < D.nin; i++)
		dsp_prof_free(&D.prof[i]);
	free(D.prof);
	free(D.copies);
	free(D.placed);
	free(D.wide);
	free(D.shared);
	free(ids);
}

void ir_dispatch(struct ir_table *t, const struct policy *pol, const struct ir_opts *o)
{
	if (o->dispatch_min == SIZE_MAX)
		return;
	for (int c = 0; c < CH_MAX; c++)
		dispatch_chain(t, pol, (enum chain_id)c, o);
}
