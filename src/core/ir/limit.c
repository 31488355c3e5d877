// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rate limits and connection counts of policy rules (policy_limit.c):
 * before each kernel rule of a limited rule, a rule with the same matches
 * that takes what is over the limit:
 *   <matches> ct count over N counter drop                  (ct-count, per rule)
 *   <matches> add @count.NAME_v4 { ip saddr ct count over N } counter drop
 *   <matches> limit rate over R/U burst B packets counter drop
 *   <matches> update @limit.NAME_v4 { ip saddr limit rate over R/U burst B packets } counter drop
 * (reject instead of drop with `over: reject`). What is within the limit
 * fails the over rule (a `limit rate over` that does not match, or a
 * dynamic-set statement whose expression does not, ends the rule:
 * nft_dynset.c, NFT_BREAK) and reaches the rule itself. Per-source
 * limits keep one bucket per source address in a dynamic set of at most
 * LIMIT_SET_SIZE addresses, each forgotten a minute after its last packet;
 * ct-count always counts per source (conntrack's connlimit, its elements
 * go when their count does). A full set adds nobody: the new source's
 * packet is not over any limit and passes (the kernel cannot say "over"
 * for a source it cannot track).
 */
#include <string.h>
#include <linux/netfilter.h>

#include "lower.h"

static bool has_family_match(const struct ir_rule *r)
{
	for (size_t i = 0; i < r->nm; i++)
		if (r->m[i].key == K_NFPROTO || r->m[i].key == K_IP_SADDR || r->m[i].key == K_IP_DADDR ||
		    r->m[i].key == K_IP6_SADDR || r->m[i].key == K_IP6_DADDR)
			return true;
	return false;
}

static struct ir_set *dyn_set(struct lower *L, const struct prule *pr, enum addr_family f,
			      bool count)
{
	struct ir_table *t = L->t;
	struct ir_set *s = ir_set_new(t, f == AF_V4 ? K_IP_SADDR : K_IP6_SADDR, false);

	s->name = xasprintf("%s.%s_%s", count ? "count" : "limit", pr->name, f == AF_V4 ? "v4" : "v6");
	s->kfill = true;
	s->size = LIMIT_SET_SIZE;
	s->timeout_ms = count ? 0 : LIMIT_SET_TIMEOUT_MS;
	s->origin_rule = (int)pr->index;
	t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	return s;
}

/* One over rule with the matches of rule `at` of pr's chain, appended. */
static void over_rule(struct lower *L, const struct prule *pr, enum addr_family f, size_t at,
		      const struct ir_limit *lim)
{
	struct ir_rule *o = lower_chain_add(L->t, pr->chain); /* may move the rules */
	const struct ir_rule *r = &L->t->chains[pr->chain].rules[at];

	o->m = ir_matches_copy(L->t, r, 0);
	o->nm = r->nm;
	o->lim = *lim;
	o->origin = (int)pr->index;
	o->comment = xstrdup(pr->name);
	if (pr->limit.over == VERDICT_REJECT)
		lower_set_reject(o, pr->protos, f);
	else
		o->verdict = IV_DROP;
}

struct ir_rule *lower_limit_rules(struct lower *L, const struct prule *pr, enum addr_family f,
				  struct ir_set *sets[2])
{
	struct ir_chain *ch = &L->t->chains[pr->chain];
	size_t at = ch->n - 1, added = 0;
	const struct plimit *pl = &pr->limit;
	bool keyed = pl->per_source || pl->ct_count;

	if (keyed && f != AF_NONE && !has_family_match(&ch->rules[at])) {
		struct ir_rule *r = &ch->rules[at];
		struct ir_match m = { .key = K_NFPROTO, .op = OP_EQ };
		m.v.lo = m.v.hi = f == AF_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
		r->m = xreallocarray(r->m, r->nm + 1, sizeof(*r->m));
		memmove(&r->m[1], &r->m[0], r->nm * sizeof(*r->m));
		r->m[0] = m;
		r->nm++;
	}
	if (pl->ct_count) {
		struct ir_limit lim = { .kind = IR_LIM_COUNT, .count = pl->ct_count };
		if (f != AF_NONE)
			lim.set = sets[1] ? sets[1] : (sets[1] = dyn_set(L, pr, f, true));
		over_rule(L, pr, f, at, &lim);
		ch = &L->t->chains[pr->chain];
		added++;
	}
	if (pl->rate) {
		struct ir_limit lim = { .kind = IR_LIM_RATE, .bytes = pl->bytes, .rate = pl->per,
					.unit = pl->unit, .burst = pl->burst };
		if (pl->per_source && f != AF_NONE)
			lim.set = sets[0] ? sets[0] : (sets[0] = dyn_set(L, pr, f, false));
		over_rule(L, pr, f, at, &lim);
		ch = &L->t->chains[pr->chain];
		added++;
	}
	/* the over rules go before the rule: rotate it to the end */
	struct ir_rule keep = ch->rules[at];
	memmove(&ch->rules[at], &ch->rules[at + 1], added * sizeof(*ch->rules));
	ch->rules[at + added] = keep;
	return &ch->rules[at + added];
}
