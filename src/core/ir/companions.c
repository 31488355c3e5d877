// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel rules that go with a rule: see ir_add_companions. */
#include <linux/netfilter/nf_conntrack_common.h>
#include <string.h>

#include "lower.h"

/*
 * Kernel rules that go with a rule, done after merging (so a merged rule's
 * small chain gets them too), with their own copies of anonymous sets (an
 * anonymous set belongs to one kernel rule):
 *
 * - A limit is a match: a packet over it skips the rest of its rule. So a
 *   rule whose log is rate-limited gets a log rule right before it with the
 *   same matches (`limit rate ... counter log prefix ...`, no verdict: every
 *   packet goes on), and itself counts and decides, always.
 * - Under watch a drop or reject rule, and the counter rule of a drop
 *   default, gets an NFLOG rule before it (refused traffic, see vigil-flows(5)):
 *   `ct state new <same matches> limit rate R/U burst B packets counter log
 *   group G prefix "vigil:NAME"`, no verdict. Its own counter stays the exact
 *   total; the NFLOG rule's counter is what the kernel sampled.
 * - An accept rule names itself in the connection's mark, and reading the
 *   mark of a packet without a conntrack entry (made `notrack` by another
 *   table, or an ICMPv6 type conntrack leaves alone) ends the rule: the
 *   packet would skip every accept rule. So each is followed by its twin,
 *   `ct state untracked <same matches> counter accept`, without the mark;
 *   a tracked packet fails the twin's first match.
 */
/* The NFLOG rule of a refused rule (see ir_add_companions): takes r's
 * nflog fields. */
static void nflog_companion(struct ir_table *t, struct ir_rule *r, struct ir_rule *lr)
{
	lr->m = ir_matches_copy(t, r, 1);
	lr->nm = r->nm + 1;
	lr->m[0] = (struct ir_match){ .key = K_CT_STATE, .op = OP_MASK };
	lr->m[0].v.lo = lr->m[0].v.hi = NF_CT_STATE_BIT(IP_CT_NEW);
	lr->log = true;
	lr->log_group = r->nflog_group;
	lr->log_prefix = r->nflog_prefix;
	lr->log_rate = r->nflog_rate;
	lr->log_unit = r->nflog_unit;
	lr->log_burst = r->nflog_burst;
	lr->verdict = IV_NONE;
	lr->comment = r->comment ? xstrdup(r->comment) : NULL;
	lr->origin = r->origin;
	r->nflog_group = 0;
	r->nflog_prefix = NULL;
	r->nflog_rate = r->nflog_unit = r->nflog_burst = 0;
	t->nrules++;
}

void ir_add_companions(struct ir_table *t)
{
	for (size_t c = 0; c < t->nchains; c++) {
		struct ir_chain *ch = &t->chains[c];
		size_t extra = 0, k = 0;

		for (size_t i = 0; i < ch->n; i++)
			extra += (ch->rules[i].log && ch->rules[i].log_rate) + ch->rules[i].set_mark +
				 (ch->rules[i].nflog_group != 0);
		if (!extra)
			continue;
		struct ir_rule *out = xcalloc(ch->n + extra, sizeof(*out));
		for (size_t i = 0; i < ch->n; i++) {
			struct ir_rule *r = &ch->rules[i];

			if (r->nflog_group)
				nflog_companion(t, r, &out[k++]);
			if (r->log && r->log_rate) {
				struct ir_rule *lr = &out[k++];
				lr->m = ir_matches_copy(t, r, 0);
				lr->nm = r->nm;
				lr->log = true;
				lr->log_prefix = r->log_prefix;
				lr->log_rate = r->log_rate;
				lr->log_unit = r->log_unit;
				lr->verdict = IV_NONE;
				lr->comment = xstrdup(r->comment);
				lr->origin = r->origin;
				r->log = false;
				r->log_prefix = NULL;
				r->log_rate = r->log_unit = 0;
				t->nrules++;
			}
			out[k++] = *r;
			if (r->set_mark) {
				struct ir_rule *tw = &out[k++];
				tw->m = ir_matches_copy(t, r, 1);
				tw->nm = r->nm + 1;
				tw->m[0] = (struct ir_match){ .key = K_CT_STATE, .op = OP_MASK };
				tw->m[0].v.lo = tw->m[0].v.hi = NF_CT_STATE_UNTRACKED_BIT;
				tw->verdict = r->verdict;
				tw->comment = xstrdup(r->comment);
				tw->origin = r->origin;
				/* a log without a limit is in the rule itself, after
				 * the mark: the twin logs what the rule could not */
				if (r->log) {
					tw->log = true;
					tw->log_prefix = xstrdup(r->log_prefix);
				}
				t->nrules++;
			}
		}
		free(ch->rules);
		ch->rules = out;
		ch->n = ch->cap = k;
	}
}
