// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `revoke: true` (top level): after each successful apply or reload of
 * this policy, the conntrack entries of connections it would not admit as
 * new are deleted (revoke.h). Off unless the policy says so.
 */
#include "vigil/policy.h"
#include "check.h"

void check_revoke(struct ck *c, const struct pdoc *pd)
{
	int b;

	if (!pd->revoke)
		return;
	b = policy_bool(pd->revoke);
	if (b < 0) {
		diag_err(c->d, at(c, ynode_get(c->root, "revoke")),
			 "revoke must be true or false, not '%s'", pd->revoke);
		return;
	}
	c->pol->revoke = b == 1;
}
