// SPDX-License-Identifier: GPL-2.0-or-later
/* Which rule decides a packet, for people (explain.h). */
#include <errno.h>
#include <string.h>

#include "vigil/explain.h"

#define DNAT_PREFIX IR_BUILTIN_PREFIX "dnat "

/* The nat entry called name (len bytes); -1: none. */
static int nat_named(const struct policy *pol, const char *name, size_t len)
{
	for (size_t i = 0; i < pol->nnats; i++)
		if (strlen(pol->nats[i].m.name) == len && !strncmp(pol->nats[i].m.name, name, len))
			return (int)i;
	return -1;
}

/* Does the forward accept of a run of port forwards (natmap.c: one set
 * lookup, "vigil:dnat FIRST .. LAST") hold the entry whose own accept
 * the policy names ("vigil:dnat NAME")? The run's accepts are the
 * entries from FIRST to LAST that have one. */
static bool run_holds(const struct policy *pol, const char *kernel, const char *ref)
{
	size_t pl = strlen(DNAT_PREFIX);
	const char *sep;
	int a, b, i;

	if (!kernel || !ref || strncmp(kernel, DNAT_PREFIX, pl) || strncmp(ref, DNAT_PREFIX, pl) ||
	    !(sep = strstr(kernel + pl, " .. ")))
		return false;
	a = nat_named(pol, kernel + pl, (size_t)(sep - kernel) - pl);
	b = nat_named(pol, sep + 4, strlen(sep + 4));
	i = nat_named(pol, ref + pl, strlen(ref + pl));
	return a >= 0 && i >= a && i <= b;
}

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
	/* two built-in rules: the same one (their comments name them), or a
	 * run's accept and one entry of it: that entry is named */
	if (o->origin < 0 && !o->policy && !streq(o->comment, ref.comment)) {
		if (!run_holds(pol, o->comment, ref.comment))
			return -EPROTO;
		o->comment = ref.comment;
	}
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
