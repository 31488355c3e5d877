/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NATATTR_H
#define VIGIL_NATATTR_H

#include "vigil/ct.h"
#include "vigil/policy.h"

/*
 * Which nat: entry of a policy translated a connection (pure): for `vigild
 * watch`, which records the translated addresses of a conntrack event
 * (ct_event.nat) with the entry that made them.
 *
 * The event's original tuple is read as the packet that opened the
 * connection (ct state new) and held to the policy's nat entries in
 * order: dnat and redirect entries with the original tuple, as
 * prerouting sees it, by the same function ir_eval_policy_dnat uses
 * (ir_eval_policy_dnat_next, which test_natmap holds the compiled
 * port-forward maps to); snat and masquerade entries, read
 * as ir_eval_policy reads a rule's (ir_eval_prule_matches), with the
 * destination the dnat made (postrouting sees the packet after it). The
 * first entry that matches AND whose target agrees with the translation
 * conntrack shows is the one: a dnat's target range holds the translated
 * destination (and its port range the port; without one the port is
 * unchanged), an snat's the translated source, a port range of a
 * masquerade or redirect the port.
 *
 * Conntrack events carry no interface: an entry's iif and oif matches are
 * not looked at, and the target check alone tells apart entries that
 * differ only by interface. The compiled ruleset is not consulted: this
 * names the policy's entry, not a kernel rule.
 */

struct nat_attr {
	int dnat;  /* index into pol->nats of the dnat or redirect entry; -1: none */
	int snat;  /* ... of the snat or masquerade entry; -1: none */
};

/* Fills *out for ev (both -1 when ev->nat is 0 or no entry fits). */
void nat_attribute(const struct policy *pol, const struct ct_event *ev, struct nat_attr *out);

#endif
