// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Accepted connections per policy rule, for the metrics: every conntrack
 * NEW event carries the mark of the rule that accepted its first packet
 * (vigild's rules set it), so the count is exact, like the database's.
 * Counters are kept by index for the rule names in force and folded into
 * a by-name table when the names change, so a rule's counter never goes
 * back (a rule that leaves the policy keeps its last value).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/ir.h"
#include "daemon.h"
#include "writer.h"

void rule_conns_count(struct daemon *d, uint32_t mark)
{
	size_t i = (mark & IR_MARK_MASK) >> IR_MARK_SHIFT;
	size_t n = d->names ? d->names->n + 1 : 1;

	if (i >= n)
		return; /* not one of ours (a mark someone else set) */
	if (d->rc_ncur < n) {
		d->rc_cur = xrealloc(d->rc_cur, n * sizeof(*d->rc_cur));
		memset(d->rc_cur + d->rc_ncur, 0, (n - d->rc_ncur) * sizeof(*d->rc_cur));
		d->rc_ncur = n;
	}
	d->rc_cur[i]++;
}

static struct rule_count *by_name(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->rc_nold; i++)
		if (streq(d->rc_old[i].name, name))
			return &d->rc_old[i];
	GROW(d->rc_old, d->rc_capold, d->rc_nold + 1);
	d->rc_old[d->rc_nold] = (struct rule_count){ xstrdup(name), 0 };
	return &d->rc_old[d->rc_nold++];
}

void rule_conns_rebase(struct daemon *d)
{
	for (size_t i = 1; i < d->rc_ncur && d->names && i <= d->names->n; i++)
		if (d->rc_cur[i])
			by_name(d, d->names->v[i - 1])->n += d->rc_cur[i];
	/* connections no rule accepted are not a rule's */
	if (d->rc_ncur)
		memset(d->rc_cur + 1, 0, (d->rc_ncur - 1) * sizeof(*d->rc_cur));
}

static void label(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sb_putc(sb, '\\');
		if (*s == '\n') {
			sb_puts(sb, "\\n");
			continue;
		}
		sb_putc(sb, *s);
	}
}

void rule_conns_metrics(struct daemon *d, struct strbuf *sb)
{
	struct writer_stats ws = { 0 };

	/* every rule in force (0 included), then those of earlier policies */
	for (size_t i = 0; d->names && i < d->names->n; i++)
		by_name(d, d->names->v[i]);
	sb_puts(sb, "# HELP vigil_rule_connections_total Connections a policy rule accepted (conntrack NEW events with its mark).\n"
		    "# TYPE vigil_rule_connections_total counter\n");
	for (size_t i = 0; i < d->rc_nold; i++) {
		uint64_t n = d->rc_old[i].n;

		for (size_t j = 0; d->names && j < d->names->n && j + 1 < d->rc_ncur; j++)
			if (streq(d->names->v[j], d->rc_old[i].name))
				n += d->rc_cur[j + 1];
		sb_puts(sb, "vigil_rule_connections_total{rule=\"");
		label(sb, d->rc_old[i].name);
		sb_printf(sb, "\"} %" PRIu64 "\n", n);
	}
	sb_printf(sb, "# HELP vigil_unmatched_connections_total Connections no policy rule accepted (no vigild mark).\n"
		      "# TYPE vigil_unmatched_connections_total counter\nvigil_unmatched_connections_total %" PRIu64 "\n",
		  d->rc_ncur ? d->rc_cur[0] : 0);
	if (d->w)
		writer_stats(d->w, &ws);
	sb_printf(sb, "# HELP vigil_db_rows_written_total Rows written to the flows database.\n"
		      "# TYPE vigil_db_rows_written_total counter\nvigil_db_rows_written_total %" PRIu64 "\n"
		      "# HELP vigil_db_write_failures_total Writes of the flows database that failed (the rows are kept and retried).\n"
		      "# TYPE vigil_db_write_failures_total counter\nvigil_db_write_failures_total %" PRIu64 "\n"
		      "# HELP vigil_db_flows_lost_total Flows dropped from memory while the database could not be written.\n"
		      "# TYPE vigil_db_flows_lost_total counter\nvigil_db_flows_lost_total %" PRIu64 "\n"
		      "# HELP vigil_db_rows_pending Rows kept in memory, not written yet.\n"
		      "# TYPE vigil_db_rows_pending gauge\nvigil_db_rows_pending %" PRIu64 "\n",
		  ws.rows_written, ws.failed_writes, ws.lost_flows, ws.rows_pending);
}

void rule_conns_free(struct daemon *d)
{
	for (size_t i = 0; i < d->rc_nold; i++)
		free(d->rc_old[i].name);
	free(d->rc_old);
	free(d->rc_cur);
	d->rc_old = NULL;
	d->rc_cur = NULL;
	d->rc_nold = d->rc_ncur = d->rc_capold = 0;
}
