// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET /v1/diff: the kernel's table against the policy the watch runs, as
 * vigild diff prints it (tablediff.h). The dump comes from the helper
 * (control.c asks for it); this turns the answer into the reply.
 */
#include <string.h>

#include "daemon.h"
#include "vigil/tablediff.h"

unsigned daemon_diff(struct daemon *d, const struct psep_reply *rep, struct strbuf *out)
{
	struct tablediff_counts c;

	if (!d->active) {
		sb_puts(out, "no policy is running: nothing to compare\n");
		return 503;
	}
	if (rep->status < 0 || (rep->u.dump.status < 0 && rep->u.dump.status != -ENOENT)) {
		sb_printf(out, "cannot read table inet %s: %s\n", d->table,
			  rep->status < 0 ? rep->why : rep->u.dump.why);
		return 502;
	}
	struct strbuf lines = { 0 };
	if (tablediff_tables(rep->extra, rep->u.dump.status ? 0 : rep->extra_len, &d->active->t,
			     &d->active->t, &lines, &c) < 0) {
		sb_free(&lines);
		sb_printf(out, "the kernel's dump of table inet %s is malformed\n", d->table);
		return 502;
	}
	if (!c.added && !c.removed) {
		sb_printf(out, "no difference: table inet %s holds what %s compiles to (%zu rules)\n", d->table,
			  d->active->input.source ? d->active->input.source : "the policy", c.same_rules);
	} else {
		sb_printf(out, "--- kernel: table inet %s%s\n+++ %s\n%s", d->table,
			  c.kernel_table ? "" : " (does not exist)",
			  d->active->input.source ? d->active->input.source : "the running policy", lines.s);
		sb_printf(out, "%zu line%s to add, %zu to remove (%zu rules unchanged)\n", c.added,
			  c.added == 1 ? "" : "s", c.removed, c.same_rules);
	}
	sb_free(&lines);
	return 200;
}
