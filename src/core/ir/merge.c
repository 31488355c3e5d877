// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The merge pass: per-packet cost independent of the number of rules.
 *
 * A run of kernel rules that look at the same fields (same "shape": e.g.
 * `ip saddr . tcp dport`) and whose values never overlap becomes ONE rule:
 *     counter ip saddr . tcp dport vmap @merged.input.1
 * whose map sends each key to a small chain per policy rule,
 *     chain rule.NAME { [ct mark set ...] counter [log ...] VERDICT comment "NAME" }
 * so every policy rule keeps its own counter, comment, conntrack mark and
 * log prefix, and the lookup costs the same for 10 or 100,000 rules.
 *
 * First match wins is preserved:
 *  - inside a run no two rules match the same packet (their keys are
 *    checked to be disjoint), so their order does not matter;
 *  - a run is placed where its first rule was. Later members move up past
 *    rules of the other address family only (an IPv4-only rule and an
 *    IPv6-only rule never match the same packet); any other rule in between
 *    ends the run.
 * Runs shorter than the threshold are left as they were, in place.
 */
#include <string.h>

#include "vigil/ir.h"

enum lane {
	LANE_V4,
	LANE_V6,
	LANE_ANY,
	LANE_N,
};

struct shape {
	uint8_t n;
	struct ir_field f[IR_MAX_CONCAT];
};

/* Open-addressing set of all-point keys, for duplicate detection. */
struct pindex {
	uint32_t *slot; /* element index + 1; 0 = empty */
	size_t cap, n;
};

struct run {
	bool open;
	enum lane lane;
	struct shape shape;
	size_t *members; /* rule indexes in the chain */
	size_t nmem;
	struct ir_celem *elems;
	uint32_t *elem_member; /* which member each element came from */
	size_t nelems, capelems;
	struct pindex points;
	size_t *ranges; /* indexes of elements with a range in some field */
	size_t nranges;
	uint64_t work;  /* comparisons spent: a run too costly to check ends */
};

#define WORK_BUDGET 50000000ull

static uint32_t field_len(const struct ir_field *f)
{
	uint32_t l = ir_keyinfo(f->key)->len;
	return (l + 3) & ~3u; /* registers are 32 bits wide */
}

static bool mergeable_match(const struct ir_match *m, struct ir_field *f)
{
	switch (m->key) {
	case K_IIFNAME:
	case K_OIFNAME:
		/* exact names only: a wildcard is a prefix compare */
		if (m->op == OP_EQ && m->iflen != strnlen(m->ifname, sizeof(m->ifname)) + 1)
			return false;
		break;
	case K_IP_SADDR:
	case K_IP_DADDR:
	case K_IP6_SADDR:
	case K_IP6_DADDR:
	case K_L4PROTO:
	case K_SPORT:
	case K_DPORT:
		break;
	default:
		return false;
	}
	if (m->op == OP_SET && !m->set->anonymous)
		return false; /* a named set is already one lookup */
	if (m->op != OP_EQ && m->op != OP_PREFIX && m->op != OP_RANGE && m->op != OP_SET)
		return false;
	f->key = m->key;
	f->l4 = m->l4;
	return true;
}

static bool rule_shape(const struct ir_rule *r, struct shape *s)
{
	uint32_t len = 0;

	if (r->origin < 0 || r->nm == 0 || r->nm > IR_MAX_CONCAT || r->lim.kind)
		return false;
	if (r->verdict != IV_ACCEPT && r->verdict != IV_DROP && r->verdict != IV_REJECT)
		return false;
	s->n = (uint8_t)r->nm;
	for (size_t i = 0; i < r->nm; i++) {
		if (!mergeable_match(&r->m[i], &s->f[i]))
			return false;
		len += field_len(&s->f[i]);
	}
	return len <= IR_MAX_KEYLEN;
}

static bool same_shape(const struct shape *a, const struct shape *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->f[i].key != b->f[i].key || a->f[i].l4 != b->f[i].l4)
			return false;
	return true;
}

static enum lane rule_lane(const struct ir_rule *r)
{
	for (size_t i = 0; i < r->nm; i++) {
		const struct ir_match *m = &r->m[i];
		switch (m->key) {
		case K_IP_SADDR:
		case K_IP_DADDR:
		case K_ICMP_TYPE:
			return LANE_V4;
		case K_IP6_SADDR:
		case K_IP6_DADDR:
		case K_ICMPV6_TYPE:
			return LANE_V6;
		case K_NFPROTO:
			return m->v.lo == 2 /* NFPROTO_IPV4 */ ? LANE_V4 : LANE_V6;
		default:
			break;
		}
	}
	return LANE_ANY;
}


/* The values one match field takes, as intervals. */
static void field_values(const struct ir_match *m, struct ivlist *out)
{
	memset(out, 0, sizeof(*out));
	if (m->op == OP_SET) {
		ivlist_copy(out, &m->set->elems);
	} else if (m->key == K_IIFNAME || m->key == K_OIFNAME) {
		u128 v = ir_pack_ifname(m->ifname);
		ivlist_add(out, v, v);
	} else {
		ivlist_add(out, m->v.lo, m->op == OP_EQ ? m->v.lo : m->v.hi);
	}
}

/* The cartesian product of a rule's fields; 0 when there are too many. */
static size_t rule_elems(const struct ir_rule *r, struct ir_celem **out)
{
	struct ivlist vals[IR_MAX_CONCAT];
	size_t total = 1, idx[IR_MAX_CONCAT] = { 0 };
	struct ir_celem *e;

	for (size_t i = 0; i < r->nm; i++) {
		field_values(&r->m[i], &vals[i]);
		total *= vals[i].n ? vals[i].n : 1;
		if (total > IR_MERGE_MAX_ELEMS)
			total = IR_MERGE_MAX_ELEMS + 1;
	}
	if (total > IR_MERGE_MAX_ELEMS) {
		for (size_t i = 0; i < r->nm; i++)
			ivlist_free(&vals[i]);
		return 0;
	}
	e = xcalloc(total, sizeof(*e));
	for (size_t k = 0; k < total; k++) {
		for (size_t i = 0; i < r->nm; i++)
			e[k].f[i] = vals[i].v[idx[i]];
		for (size_t i = r->nm; i-- > 0;) {
			if (++idx[i] < vals[i].n)
				break;
			idx[i] = 0;
		}
	}
	for (size_t i = 0; i < r->nm; i++)
		ivlist_free(&vals[i]);
	*out = e;
	return total;
}

static bool is_point(const struct ir_celem *e, uint8_t n)
{
	for (int i = 0; i < n; i++)
		if (e->f[i].lo != e->f[i].hi)
			return false;
	return true;
}

static bool overlap(const struct ir_celem *a, const struct ir_celem *b, uint8_t n)
{
	for (int i = 0; i < n; i++)
		if (a->f[i].hi < b->f[i].lo || b->f[i].hi < a->f[i].lo)
			return false;
	return true;
}

static uint64_t point_hash(const struct ir_celem *e, uint8_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < n; i++) {
		u128 v = e->f[i].lo;
		for (int b = 0; b < 16; b++) {
			h ^= (uint8_t)(v >> (8 * b));
			h *= 1099511628211ull;
		}
	}
	return h;
}

static void pindex_grow(struct run *R)
{
	struct pindex *p = &R->points;
	size_t ncap = p->cap ? p->cap * 2 : 1024;
	uint32_t *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < p->cap; i++) {
		if (!p->slot[i])
			continue;
		size_t h = point_hash(&R->elems[p->slot[i] - 1], R->shape.n) & (ncap - 1);
		while (ns[h])
			h = (h + 1) & (ncap - 1);
		ns[h] = p->slot[i];
	}
	free(p->slot);
	p->slot = ns;
	p->cap = ncap;
}

/* Index of an equal point element, or -1. */
static long pindex_find(const struct run *R, const struct ir_celem *e)
{
	const struct pindex *p = &R->points;

	if (!p->cap)
		return -1;
	for (size_t h = point_hash(e, R->shape.n) & (p->cap - 1); p->slot[h];
	     h = (h + 1) & (p->cap - 1)) {
		const struct ir_celem *o = &R->elems[p->slot[h] - 1];
		if (overlap(o, e, R->shape.n))
			return (long)p->slot[h] - 1;
	}
	return -1;
}

/* Would these elements keep the run's keys disjoint? */
static bool fits(struct run *R, const struct ir_celem *e, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (is_point(&e[k], R->shape.n)) {
			if (pindex_find(R, &e[k]) >= 0)
				return false;
			for (size_t j = 0; j < R->nranges; j++)
				if (overlap(&R->elems[R->ranges[j]], &e[k], R->shape.n))
					return false;
			R->work += R->nranges;
		} else {
			for (size_t j = 0; j < R->nelems; j++)
				if (overlap(&R->elems[j], &e[k], R->shape.n))
					return false;
			R->work += R->nelems;
		}
		if (R->work > WORK_BUDGET)
			return false;
	}
	return true;
}

static void add_elems(struct run *R, const struct ir_celem *e, size_t n, uint32_t member)
{
	GROW(R->elems, R->capelems, R->nelems + n);
	R->elem_member = xreallocarray(R->elem_member, R->capelems, sizeof(*R->elem_member));
	for (size_t k = 0; k < n; k++) {
		size_t at = R->nelems++;
		R->elems[at] = e[k];
		R->elem_member[at] = member;
		if (is_point(&e[k], R->shape.n)) {
			struct pindex *p = &R->points;
			if ((p->n + 1) * 2 > p->cap)
				pindex_grow(R);
			size_t h = point_hash(&e[k], R->shape.n) & (p->cap - 1);
			while (p->slot[h])
				h = (h + 1) & (p->cap - 1);
			p->slot[h] = (uint32_t)at + 1;
			p->n++;
		} else {
			R->ranges = xreallocarray(R->ranges, R->nranges + 1, sizeof(*R->ranges));
			R->ranges[R->nranges++] = at;
		}
	}
}

static void run_reset(struct run *R)
{
	free(R->members);
	free(R->elems);
	free(R->elem_member);
	free(R->points.slot);
	free(R->ranges);
	memset(R, 0, sizeof(*R));
}

/* ---- building the merged objects ---- */

struct merger {
	struct ir_table *t;
	const struct policy *pol;
	size_t min;
	uint32_t *rule_chain; /* per policy rule: its chain index + 1, 0 = none yet */
	unsigned nmaps;
};

static uint32_t rule_chain(struct merger *M, const struct ir_rule *r)
{
	struct ir_table *t = M->t;
	struct ir_chain *ch;
	struct ir_rule *nr;

	if (M->rule_chain[r->origin])
		return M->rule_chain[r->origin] - 1;
	t->chains = xreallocarray(t->chains, t->nchains + 1, sizeof(*t->chains));
	ch = &t->chains[t->nchains];
	memset(ch, 0, sizeof(*ch));
	ch->name = xasprintf("rule.%s", r->comment);
	GROW(ch->rules, ch->cap, 1);
	nr = &ch->rules[ch->n++];
	memset(nr, 0, sizeof(*nr));
	nr->origin = r->origin;
	nr->comment = xstrdup(r->comment);
	nr->log = r->log;
	nr->log_prefix = r->log_prefix ? xstrdup(r->log_prefix) : NULL;
	nr->log_rate = r->log_rate;
	nr->log_unit = r->log_unit;
	nr->nflog_group = r->nflog_group;
	nr->nflog_prefix = r->nflog_prefix ? xstrdup(r->nflog_prefix) : NULL;
	nr->nflog_rate = r->nflog_rate;
	nr->nflog_unit = r->nflog_unit;
	nr->nflog_burst = r->nflog_burst;
	nr->set_mark = r->set_mark;
	nr->mark_and = r->mark_and;
	nr->mark_xor = r->mark_xor;
	nr->verdict = r->verdict;
	/* no address family is known here: a TCP reset stays, ICMP and ICMPv6
	 * unreachables become the family-neutral ICMPX one (same on the wire) */
	nr->reject_type = r->reject_type;
	nr->reject_code = r->reject_code;
	if (r->verdict == IV_REJECT && r->reject_type != 1 /* NFT_REJECT_TCP_RST */) {
		nr->reject_type = 2; /* NFT_REJECT_ICMPX_UNREACH */
		nr->reject_code = 1; /* NFT_REJECT_ICMPX_PORT_UNREACH */
	} else if (r->verdict == IV_REJECT) {
		/* a TCP reset needs TCP: nft reads `reject with tcp reset` as
		 * `meta l4proto tcp reject ...`, so say it, and both agree */
		nr->m = xzalloc(sizeof(*nr->m));
		nr->nm = 1;
		nr->m->key = K_L4PROTO;
		nr->m->op = OP_EQ;
		nr->m->v.lo = nr->m->v.hi = 6; /* IPPROTO_TCP */
	}
	t->nrules++;
	M->rule_chain[r->origin] = (uint32_t)t->nchains + 1;
	return (uint32_t)t->nchains++;
}

/*
 * Turns a run of rules[] (the rules of chain `cname`) into a map; returns
 * the dispatch rule that replaces the run. May add chains to the table.
 */
static struct ir_rule dispatch(struct merger *M, const char *cname, const struct ir_rule *rules,
			       struct run *R)
{
	struct ir_table *t = M->t;
	struct ir_set *s = xzalloc(sizeof(*s));
	struct ir_rule d;
	const struct ir_rule *first = &rules[R->members[0]];
	const struct ir_rule *last = &rules[R->members[R->nmem - 1]];
	uint32_t *chain_of = xcalloc(R->nmem, sizeof(*chain_of));

	for (size_t i = 0; i < R->nmem; i++)
		chain_of[i] = rule_chain(M, &rules[R->members[i]]);

	s->name = xasprintf("merged.%s.%u", cname, ++M->nmaps);
	s->id = ++t->next_set_id;
	s->vmap = true;
	s->key = R->shape.f[0].key;
	s->nfields = R->shape.n;
	memcpy(s->fields, R->shape.f, sizeof(s->fields));
	s->origin_set = -1;
	s->origin_rule = -1;
	s->celems = R->elems;
	s->ncelems = R->nelems;
	for (size_t k = 0; k < R->nelems; k++) {
		s->celems[k].chain = chain_of[R->elem_member[k]];
		if (!is_point(&s->celems[k], s->nfields))
			s->interval = true;
	}
	R->elems = NULL;
	free(chain_of);
	t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	t->nelems += s->ncelems;

	memset(&d, 0, sizeof(d));
	d.m = xzalloc(sizeof(*d.m));
	d.nm = 1;
	d.m->key = s->key;
	d.m->op = OP_VMAP;
	d.m->set = s;
	d.verdict = IV_NONE;
	d.origin = -1;
	if (first->origin == last->origin)
		d.comment = xasprintf(IR_BUILTIN_PREFIX "merged %s", first->comment);
	else
		d.comment = xasprintf(IR_BUILTIN_PREFIX "merged %s .. %s", first->comment,
				      last->comment);
	return d;
}

/* ---- the pass ---- */

struct closed {
	struct run *v;
	size_t n, cap;
};

static void close_run(struct closed *c, struct run *R, long *run_of)
{
	if (!R->open)
		return;
	GROW(c->v, c->cap, c->n + 1);
	c->v[c->n] = *R;
	for (size_t i = 0; i < R->nmem; i++)
		run_of[R->members[i]] = (long)c->n;
	c->n++;
	memset(R, 0, sizeof(*R));
}

static void merge_chain(struct merger *M, uint32_t ci)
{
	/* rule_chain() grows t->chains: work on a copy of this chain's header */
	struct ir_chain chc = M->t->chains[ci], *ch = &chc;
	struct run open[LANE_N];
	struct closed done = { 0 };
	long *run_of;
	struct ir_rule *out;
	size_t nout = 0;

	if (ch->n < M->min)
		return;
	memset(open, 0, sizeof(open));
	run_of = xcalloc(ch->n, sizeof(*run_of));
	for (size_t i = 0; i < ch->n; i++)
		run_of[i] = -1;

	for (size_t i = 0; i < ch->n; i++) {
		const struct ir_rule *r = &ch->rules[i];
		enum lane L = rule_lane(r);
		struct shape sh;
		struct ir_celem *e = NULL;
		size_t ne = 0;
		bool ok = rule_shape(r, &sh);

		/* a rule of no family can match what any open run matches; a
		 * family rule, what the family-less run matches */
		if (L == LANE_ANY) {
			close_run(&done, &open[LANE_V4], run_of);
			close_run(&done, &open[LANE_V6], run_of);
		} else {
			close_run(&done, &open[LANE_ANY], run_of);
		}
		if (ok)
			ne = rule_elems(r, &e);
		if (!ne) {
			close_run(&done, &open[L], run_of);
			continue;
		}
		struct run *R = &open[L];
		if (!R->open || !same_shape(&R->shape, &sh) || !fits(R, e, ne)) {
			close_run(&done, R, run_of);
			R->open = true;
			R->lane = L;
			R->shape = sh;
		}
		R->members = xreallocarray(R->members, R->nmem + 1, sizeof(*R->members));
		R->members[R->nmem] = i;
		add_elems(R, e, ne, (uint32_t)R->nmem);
		R->nmem++;
		free(e);
	}
	for (int l = 0; l < LANE_N; l++)
		close_run(&done, &open[l], run_of);

	/* rebuild the chain: a big run's dispatch rule where its first member
	 * was, its other members gone; everything else in place */
	out = xcalloc(ch->n, sizeof(*out));
	for (size_t i = 0; i < ch->n; i++) {
		long k = run_of[i];
		struct run *R = k >= 0 ? &done.v[k] : NULL;

		if (!R || R->nmem < M->min) {
			out[nout++] = ch->rules[i];
			continue;
		}
		if (R->members[0] == i)
			out[nout++] = dispatch(M, ch->name, ch->rules, R);
	}
	for (size_t k = 0; k < done.n; k++) {
		struct run *R = &done.v[k];
		if (R->nmem >= M->min) {
			for (size_t j = 0; j < R->nmem; j++) {
				ir_rule_free(&ch->rules[R->members[j]]);
				M->t->nmerged++;
			}
			M->t->nrules -= R->nmem - 1; /* each run is one rule now */
		}
		run_reset(R);
	}
	free(done.v);
	free(run_of);
	free(ch->rules);
	M->t->chains[ci].rules = out;
	M->t->chains[ci].n = nout;
	M->t->chains[ci].cap = ch->n;
}

void ir_merge(struct ir_table *t, const struct policy *pol, size_t min)
{
	struct merger M = { .t = t, .pol = pol, .min = min ? min : IR_MERGE_MIN };

	if (min == SIZE_MAX || !pol->nrules)
		return;
	M.rule_chain = xcalloc(pol->nrules, sizeof(*M.rule_chain));
	for (uint32_t c = 0; c < CH_MAX; c++)
		merge_chain(&M, c);
	free(M.rule_chain);
}
