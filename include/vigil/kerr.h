/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_KERR_H
#define VIGIL_KERR_H

#include "vigil/batch.h"
#include "vigil/nlreply.h"
#include "vigil/policy.h"
#include "vigil/util.h"

/*
 * Formats the kernel's answer to a batch, one line per error, mapped back to
 * the policy through the batch's sequence numbers: an error on a rule's
 * message names the rule and its FILE:LINE:COL, one on a set's message the
 * set. pol may be NULL. prog prefixes lines that have no place.
 */
/* The same as diagnostics (errors; located at the rule or set when known,
 * else at prog). */
void kerr_diags(const struct nl_result *res, const struct batch *b, const struct policy *pol,
		const char *prog, struct diags *d);

void kerr_format(struct strbuf *out, const struct nl_result *res, const struct batch *b,
		 const struct policy *pol, const char *prog);

#endif
