/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_EVAL_H
#define VIGIL_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil/ir.h"
#include "vigil/policy.h"

/*
 * Which rule decides a packet: two evaluators that must agree.
 *
 * ir_eval walks a compiled table the way the kernel walks the ruleset
 * (nft_do_chain): rules in order, first verdict wins; a rule whose match
 * fails, or whose statement cannot run (setting the conntrack mark of a
 * packet without a conntrack entry ends the rule), goes on to the next; a
 * verdict map sends the packet to the chain of the element its key falls
 * in (goto: no return; jump: back to the rule after the lookup when that
 * chain ends without a verdict); the end of a chain reached by goto from
 * the base chain, or of the base chain itself, applies the base chain's
 * policy. Built-in rules, merged and dispatched maps and the untracked
 * twins are all just rules of the table here.
 *
 * ir_eval_policy is the reference: the checked policy read as written,
 * the built-in rules (and, in forward, the accepts of dnat entries), then
 * the chain's rules in policy order, first match wins, then (forward)
 * the accepts of defer-to, then the chain's default. It never looks at kernel objects, so a
 * compiler bug cannot hide in it.
 */

enum ir_ct_state {
	IR_CT_NEW,
	IR_CT_ESTABLISHED,
	IR_CT_RELATED,
	IR_CT_INVALID,   /* conntrack could not make sense of it: no entry */
	IR_CT_UNTRACKED, /* `notrack` elsewhere, or a type conntrack leaves alone */
};

/*
 * A packet as the filter hooks see it. A plain struct: callers fill what
 * they know and zero the rest; later fields may be added (NAT results).
 * Addresses are numbers in host order (IPv4 in the low 32 bits), as in
 * struct ival. Ports matter for tcp, udp and sctp, types for icmp
 * (family 4) and icmpv6 (family 6). Interface names are NUL-terminated;
 * the evaluators ignore oif on input and iif on output (the kernel has no
 * such device there and reads an empty name).
 */
struct ir_pkt {
	int family;               /* 4 or 6 */
	u128 saddr, daddr;
	uint8_t l4proto;          /* IPPROTO_* */
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
	char iif[16], oif[16];
	enum ir_ct_state ct;
	bool dnat;                /* ct status dnat (a conntrack entry's only:
				   * ignored with IR_CT_INVALID, _UNTRACKED) */
};

struct ir_outcome {
	enum ir_verdict verdict;  /* IV_ACCEPT, IV_DROP or IV_REJECT */
	bool policy;              /* no rule decided: the chain's default verdict */
	/* ir_eval: the deciding kernel rule, t->chains[chain].rules[rule];
	 * -1 when the policy decided, and always -1 from ir_eval_policy */
	int chain, rule;
	int origin;               /* its policy rule index; -1: built-in rule or default */
	const char *comment;      /* its comment (borrowed); NULL for the default */
	bool marked;              /* the rule set vigild's bits of the conntrack mark */
	uint32_t mark;            /* to this (ir_mark_of_rule) */
	bool logged;              /* a log statement ran (assuming its limit had room) */
	unsigned walked;          /* ir_eval: kernel rules evaluated, lookups included */
};

/*
 * Evaluates p in base chain `hook` of t. Returns 0 with *o filled;
 * -EINVAL for a packet of another family or a hook out of range; -EEXIST
 * when a verdict map holds two elements the key falls in (the kernel
 * refuses such maps); -ELOOP when the walk nests deeper than the kernel
 * allows (NFT_JUMP_STACK_SIZE, 16) or runs past every rule of the table
 * many times over.
 */
int ir_eval(const struct ir_table *t, enum chain_id hook, const struct ir_pkt *p,
	    struct ir_outcome *o);

/* The same question for the checked policy itself; returns 0, or -EINVAL
 * as ir_eval does. o->chain and o->rule are -1, o->walked 0. */
int ir_eval_policy(const struct policy *pol, enum chain_id hook, const struct ir_pkt *p,
		   struct ir_outcome *o);

/*
 * Whether the matches of policy rule r (or of a nat entry: its m) hold for
 * p in chain hook, as ir_eval_policy reads them (the chain and action of r
 * are not looked at). For callers judging tuples the same way (natattr.c).
 */
bool ir_eval_prule_matches(const struct prule *r, enum chain_id hook, const struct ir_pkt *p);

/*
 * The destination NAT of a new connection's first packet: which rule of
 * the prerouting nat chain translates it, and to what. ir_eval_dnat walks
 * the compiled chain (a port-forward map's rule looks the destination
 * port up in its map; no element, or a translation of the other family,
 * and the walk goes on); ir_eval_policy_dnat reads the nat entries as
 * written, first match wins. p->iif is the input interface; oif unused.
 * Both return 0, or -EINVAL for a family other than 4 and 6; ir_eval_dnat
 * -EEXIST for a map that holds the packet's port twice.
 */
struct ir_dnat {
	bool hit;                 /* a dnat or redirect translates it */
	uint8_t kind;             /* IR_NAT_DNAT or IR_NAT_REDIR */
	enum addr_family fam;     /* of the address (AF_NONE: redirect) */
	u128 addr_lo, addr_hi;
	bool port;
	uint16_t port_lo, port_hi;
};
int ir_eval_dnat(const struct ir_table *t, const struct ir_pkt *p, struct ir_dnat *o);
int ir_eval_policy_dnat(const struct policy *pol, const struct ir_pkt *p, struct ir_dnat *o);

/*
 * The one reading of the nat entries for destination NAT, shared by
 * ir_eval_policy_dnat and natattr.c: the index of the first dnat or
 * redirect entry of pol, from index `from` on, whose matches hold for p
 * in prerouting and whose target is of p's family (a redirect's fits
 * both); -1 when none does. With IR_DNAT_ANY_IIF the entry's input
 * interface is not looked at (a conntrack event has none).
 */
#define IR_DNAT_ANY_IIF 1u
int ir_eval_policy_dnat_next(const struct policy *pol, const struct ir_pkt *p, size_t from,
			     unsigned flags);

#endif
