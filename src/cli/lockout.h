/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_LOCKOUT_H
#define VIGIL_CLI_LOCKOUT_H

#include <stdbool.h>

#include "vigil/lockout.h"
#include "vigil/psep.h"

/* What the precheck learns while still privileged (no sockets after the drop). */
struct lockout_ctx {
	struct lockout_local *locals;
	size_t nlocals;
	char *ssh;             /* SSH_CONNECTION, or NULL */
	bool revoking;         /* apply --revoke: the established connections the
				* policy refuses are meant to end (warned, not
				* refused); the caller's own session still is */
};

/* Reads the local addresses (getifaddrs) and SSH_CONNECTION; call as root,
 * before the privilege drop. Never fails: what it cannot read is missing. */
void lockout_gather(struct lockout_ctx *lk);
void lockout_free(struct lockout_ctx *lk);

/*
 * Evaluates the compiled policy against the caller's SSH session and the
 * established inbound TCP connections in conntrack (asked of the helper p,
 * which has CAP_NET_ADMIN). Prints a line for each session the policy
 * would no longer admit; with `refuse` that is an error and the return
 * value is EXIT_SYSTEM, else a warning and EXIT_OK. Also warns when
 * established connections are not accepted in input.
 */
int lockout_precheck(struct psep *p, const struct lockout_ctx *lk, const struct policy *pol,
		     const struct ir_table *t, bool refuse);

/*
 * After the running watch took `apply --confirm` (it has the helper): the
 * same question for SSH_CONNECTION alone, as warnings, so that the change
 * is not confirmed blindly. Drops privileges; call last.
 */
void lockout_warn_after_watch(const char *path, const char *table);

#endif
