// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/kerr.h"

void kerr_diags(const struct nl_result *res, const struct batch *b, const struct policy *pol,
		const char *prog, struct diags *d)
{
	struct srcloc none = { prog, 0, 0 };

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
			diag_err(d, none,
				 "the kernel refused the change: %s; the table is probably owned by another process (nft table flag 'owner'), which alone may change or delete it",
				 why);
			return;
		}
		if (e->error == -ERESTART && m && m->type == NFNL_MSG_BATCH_BEGIN) {
			diag_err(d, none,
				 "the ruleset changed while the change was prepared (generation check): nothing was committed");
			continue;
		}
		if (m && pol && m->origin_rule >= 0 && (size_t)m->origin_rule < pol->nrules) {
			const struct prule *r = &pol->rules[m->origin_rule];
			diag_err(d, r->loc, "rule '%s': the kernel rejected %s: %s%s", r->name, m->what,
				 why, kmsg);
		} else if (m && pol && m->origin_set >= 0 && (size_t)m->origin_set < pol->nsets) {
			const struct pset *s = &pol->sets[m->origin_set];
			diag_err(d, s->loc, "set '%s': the kernel rejected %s: %s%s", s->name, m->what, why,
				 kmsg);
		} else if (m) {
			diag_err(d, none, "the kernel rejected %s: %s%s", m->what, why, kmsg);
		} else {
			diag_err(d, none, "the kernel rejected message %u of the batch: %s%s", e->seq, why,
				 kmsg);
		}
	}
	if (res->lost)
		diag_err(d, none,
			 "some of the kernel's replies were lost (receive buffer full); nothing was committed only if an error is shown above");
}

void kerr_format(struct strbuf *out, const struct nl_result *res, const struct batch *b,
		 const struct policy *pol, const char *prog)
{
	struct diags d = { 0 };

	kerr_diags(res, b, pol, prog, &d);
	for (size_t i = 0; i < d.n; i++)
		diag_format(&d.v[i], out);
	diags_free(&d);
}
