/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_REVOKE_H
#define VIGIL_CLI_REVOKE_H

#include <stdbool.h>

#include "lockout.h"
#include "vigil/psep.h"

/*
 * apply --revoke (or the policy's revoke: true), after a successful
 * commit: dumps conntrack through the helper p, judges every entry against
 * the policy now in force (revoke.h), deletes the refused ones through the
 * helper (CT_DELETE, in requests of at most REVOKE_MAX_PER_REQUEST) and
 * prints "revoked N connections: X: n, ..." with a line per connection.
 * With dry, deletes nothing and says what it would cut. Returns EXIT_OK,
 * or EXIT_SYSTEM when the dump or a delete failed (printed).
 */
int cli_revoke(struct psep *p, const struct lockout_ctx *lk, const struct policy *pol,
	       const struct ir_table *t, bool dry, bool quiet);

#endif
