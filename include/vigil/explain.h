/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_EXPLAIN_H
#define VIGIL_EXPLAIN_H

#include "vigil/eval.h"
#include "vigil/util.h"

/*
 * Which rule decides a packet, for people (vigild explain, the lockout
 * precheck of apply, diff --flows): the compiled table walked as the kernel
 * walks it (ir_eval), held to the policy as written (ir_eval_policy).
 *
 * Returns 0 with *o from ir_eval; -EPROTO when the two disagree on the
 * verdict or the deciding rule (a compiler bug: the caller must not trust
 * either), or ir_eval's error. When the deciding kernel rule is the
 * forward accept of a run of port forwards ("vigil:dnat FIRST .. LAST")
 * and the policy's is one entry's of that run, o->comment is the entry's
 * ("vigil:dnat NAME").
 */
int ir_explain(const struct policy *pol, const struct ir_table *t, enum chain_id hook,
	       const struct ir_pkt *p, struct ir_outcome *o);

/* "accept", "drop" or "reject". */
const char *ir_verdict_word(enum ir_verdict v);

/*
 * Appends what decided: "rule ssh (policy.yml:14:5)", "built-in rule
 * vigil:established", or "the default of chain input".
 */
void ir_outcome_format(struct strbuf *sb, const struct policy *pol, enum chain_id hook,
		       const struct ir_outcome *o);

#endif
