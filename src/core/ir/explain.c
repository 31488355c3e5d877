// SPDX-License-Identifier: GPL-2.0-or-later
/* Which rule decides a packet, for people (explain.h). */
#include <errno.h>
#include <string.h>

#include "vigil/explain.h"

int ir_explain(const struct policy *pol, const struct ir_table *t, enum chain_id hook,
	       const struct ir_pkt *p, struct ir_outcome *o)
{
	struct ir_outcome ref;
	int r = ir_eval(t, hook, p, o);

	if (r < 0)
		return r;
	r = ir_eval_policy(pol, hook, p, &ref);
	if (r < 0)
		return r;
	if (o->verdict != ref.verdict || o->policy != ref.policy || o->origin != ref.origin)
		return -EPROTO;
	/* two built-in rules: the same one (their comments name them) */
	if (o->origin < 0 && !o->policy && !streq(o->comment, ref.comment))
		return -EPROTO;
	return 0;
}

const char *ir_verdict_word(enum ir_verdict v)
{
	switch (v) {
	case IV_ACCEPT:
		return "accept";
	case IV_REJECT:
		return "reject";
	default:
		return "drop";
	}
}

void ir_outcome_format(struct strbuf *sb, const struct policy *pol, enum chain_id hook,
		       const struct ir_outcome *o)
{
	if (o->policy) {
		sb_printf(sb, "the default of chain %s", chain_name(hook));
		return;
	}
	if (o->origin < 0 || (size_t)o->origin >= pol->nrules) {
		sb_printf(sb, "built-in rule %s", o->comment ? o->comment : "?");
		return;
	}
	const struct prule *r = &pol->rules[o->origin];
	sb_printf(sb, "rule %s (%s:%u:%u)", r->name, r->loc.file ? r->loc.file : pol->file,
		  r->loc.line, r->loc.col);
}
