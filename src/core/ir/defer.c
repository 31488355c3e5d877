// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * defer-to's forward accepts (policy_defer.c says which names stand for
 * which bridges). For each manager named, in the order of enum defer_id,
 * at the end of the forward chain, after every policy rule and before its
 * default counter:
 *
 *     iifname "docker0" counter accept comment "vigil:defer docker"
 *     iifname "br-*" counter accept comment "vigil:defer docker"
 *     ct status dnat oifname "docker0" counter accept comment "vigil:defer docker dnat"
 *     ct status dnat oifname "br-*" counter accept comment "vigil:defer docker dnat"
 *
 * The first pair lets the containers out (to the WAN, to the host's other
 * networks, to each other); the second lets in the connections the
 * manager's own nat table translated to a container: its published ports.
 * Replies are the built-in `ct state established,related accept`. A
 * container address reached without translation (routed to from outside)
 * is not accepted: that is the manager's rules' job too, and docker's
 * raw-table rules refuse it. After the policy's rules, so that an explicit
 * drop or reject in forward still wins: defer-to takes the place of the
 * default drop for the bridges' traffic only. One kernel rule a pattern:
 * interface wildcards are compares of a prefix (lower.c, ifname_alts).
 * No conntrack mark: the connection is the manager's, not a rule's.
 */
#include <linux/netfilter/nf_conntrack_common.h>
#include <string.h>

#include "lower.h"

static struct ir_match ifname_match(enum ir_key k, const char *pat)
{
	struct ir_match m = { .key = k, .op = OP_EQ };
	size_t len = strlen(pat);

	if (pat[len - 1] == '*') {
		memcpy(m.ifname, pat, len - 1);
		m.iflen = (uint8_t)(len - 1);
	} else {
		memcpy(m.ifname, pat, len);
		m.iflen = (uint8_t)(len + 1);
	}
	return m;
}

/* Appends one accept to the forward chain, before its last rule (the
 * default counter), which stays last. */
static void defer_rule(struct ir_table *t, const struct ir_match *m, size_t nm,
		       const char *comment)
{
	struct ir_chain *ch = &t->chains[CH_FORWARD];
	struct ir_rule r;

	lower_chain_add(t, CH_FORWARD);
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < nm; i++)
		lower_rule_add_match(&r, &m[i]);
	r.verdict = IV_ACCEPT;
	r.origin = -1;
	r.comment = xstrdup(comment);
	ch->rules[ch->n - 1] = ch->rules[ch->n - 2];
	ch->rules[ch->n - 2] = r;
}

size_t lower_defer_count(const struct policy *pol)
{
	size_t n = 0;

	for (int d = 0; d < DEFER_MAX; d++)
		for (const char *const *p = defer_info((enum defer_id)d)->ifaces;
		     (pol->defer & (1u << d)) && *p; p++)
			n += 2;
	return n;
}

void lower_defer(struct lower *L)
{
	struct ir_table *t = L->t;

	for (int d = 0; d < DEFER_MAX; d++) {
		const struct defer_info *di = defer_info((enum defer_id)d);
		const char *const *p;

		if (!(L->pol->defer & (1u << d)))
			continue;
		for (p = di->ifaces; *p; p++) {
			struct ir_match m = ifname_match(K_IIFNAME, *p);
			defer_rule(t, &m, 1, di->comment_out);
		}
		for (p = di->ifaces; *p; p++) {
			struct ir_match m[2] = { { .key = K_CT_STATUS, .op = OP_MASK },
						 ifname_match(K_OIFNAME, *p) };
			m[0].v.lo = m[0].v.hi = IPS_DST_NAT;
			defer_rule(t, m, 2, di->comment_dnat);
		}
	}
}
