// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigil/kerr.h"

void kerr_format(struct strbuf *out, const struct nl_result *res, const struct batch *b,
		 const struct policy *pol, const char *prog)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct nl_err *e = &res->errs[i];
		const struct batch_msg *m = batch_find_seq(b, e->seq);
		/* -INT_MIN overflows: nl_err is trusted no further than needed */
		const char *why = strerror(e->error < 0 && e->error >= -4095 ? -e->error : EPROTO);
		char kmsg[200] = "";

		if (e->msg[0])
			snprintf(kmsg, sizeof(kmsg), " (kernel: %s)", e->msg);
		if (e->error == -EPERM) {
			/* the commit helper holds CAP_NET_ADMIN (it checked when it
			 * started), so the usual cause is a table another process
			 * owns (nft table flag "owner"): only that process may
			 * change it. The kernel refuses the whole batch alike. */
			sb_printf(out,
				  "%s: error: the kernel refused the change: %s; the table is probably owned by another process (nft table flag 'owner'), which alone may change or delete it\n",
				  prog, why);
			return;
		}
		if (m && pol && m->origin_rule >= 0 && (size_t)m->origin_rule < pol->nrules) {
			const struct prule *r = &pol->rules[m->origin_rule];
			sb_printf(out, "%s:%u:%u: error: rule '%s': the kernel rejected %s: %s%s\n",
				  r->loc.file, r->loc.line, r->loc.col, r->name, m->what, why, kmsg);
		} else if (m && pol && m->origin_set >= 0 && (size_t)m->origin_set < pol->nsets) {
			const struct pset *s = &pol->sets[m->origin_set];
			sb_printf(out, "%s:%u:%u: error: set '%s': the kernel rejected %s: %s%s\n",
				  s->loc.file, s->loc.line, s->loc.col, s->name, m->what, why, kmsg);
		} else if (m) {
			sb_printf(out, "%s: error: the kernel rejected %s: %s%s\n", prog, m->what, why,
				  kmsg);
		} else {
			sb_printf(out, "%s: error: the kernel rejected message %u of the batch: %s%s\n",
				  prog, e->seq, why, kmsg);
		}
	}
	if (res->lost)
		sb_printf(out, "%s: error: some of the kernel's replies were lost (receive buffer full); nothing was committed only if an error is shown above\n",
			  prog);
}
