// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild flows: the table, JSON (json-c) and the observer's account (flows.h). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cli.h"
#include "flows.h"
#include "vigil/names.h"
#include "vigil/util.h"

int flows_collect(void *ctx, const struct flowdb_row *row)
{
	struct frows *rows = ctx;
	struct frow *f;

	GROW(rows->v, rows->cap, rows->n + 1);
	f = &rows->v[rows->n++];
	f->r = *row;
	f->src = row->src ? xstrdup(row->src) : NULL;
	f->dst = row->dst ? xstrdup(row->dst) : NULL;
	f->rule = row->rule ? xstrdup(row->rule) : NULL;
	f->nat_dst = row->nat_dst ? xstrdup(row->nat_dst) : NULL;
	f->nat_src = row->nat_src ? xstrdup(row->nat_src) : NULL;
	f->nat = row->nat ? xstrdup(row->nat) : NULL;
	f->verdict = !row->verdict	       ? NULL :
		     streq(row->verdict, "accept") ? "accept" :
		     streq(row->verdict, "reject") ? "reject" :
		     streq(row->verdict, "drop")   ? "drop" :
						     "?";
	f->r.verdict = f->verdict;
	f->r.src = f->src;
	f->r.dst = f->dst;
	f->r.rule = f->rule;
	f->r.nat_dst = f->nat_dst;
	f->r.nat_src = f->nat_src;
	f->r.nat = f->nat;
	return 0;
}

void frows_free(struct frows *rows)
{
	flowdb_mins_free(&rows->mins);
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].src);
		free(rows->v[i].dst);
		free(rows->v[i].rule);
		free(rows->v[i].nat_dst);
		free(rows->v[i].nat_src);
		free(rows->v[i].nat);
	}
	free(rows->v);
}

/* ---- formatting ---- */

static bool flows_has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

/* The dport column for people: a port, an ICMP type name, or "-". */
static const char *flows_dport(const struct flowdb_row *r, char *buf, size_t len)
{
	const char *name;

	if (r->dport < 0)
		return "-";
	if (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6) {
		name = icmp_type_name(r->proto == IPPROTO_ICMPV6, (unsigned)r->dport);
		if (name)
			return name;
		snprintf(buf, len, "type %d", r->dport);
		return buf;
	}
	if (r->proto >= 0 && !flows_has_ports(r->proto))
		return "-";
	snprintf(buf, len, "%d", r->dport);
	return buf;
}

static void flows_bytes(uint64_t b, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64, b);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

void flows_print_json(const struct frows *rows, enum flowdb_by by)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < rows->n; i++) {
		json_object *o = flowdb_row_json(&rows->v[i].r, by);
		/* grouped: true when every minute of the group is */
		json_object_object_add(o, "complete",
				       flowdb_complete_json(&rows->mins, rows->v[i].r.minute, rows->v[i].r.last_minute));
		json_object_array_add(a, o);
	}
	fputs(json_object_to_json_string_ext(a, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	putchar('\n');
	json_object_put(a);
}

enum { C_MINUTE, C_LAST, C_VERDICT, C_PROTO, C_SRC, C_DST, C_DPORT, C_NAT, C_RULE, C_FLOWS,
       C_PACKETS, C_BYTES, C_N };

#define CELL 192

/*
 * The nat column: where a dnat sent the connection ("10.1.0.2:80",
 * "[fd00:1::2]:80"), the source an snat gave it ("src 203.0.113.1"), and
 * the entry ("via web"); "-" when not translated. Grouped by nat: the entry.
 */
static void flows_nat_cell(const struct flowdb_row *r, enum flowdb_by by, char *cell)
{
	size_t n = 0;

	if (by == FLOWDB_BY_NAT) {
		snprintf(cell, CELL, "%s", r->nat ? r->nat : "(none)");
		return;
	}
	cell[0] = '\0';
	if (r->nat_dst && r->nat_dport > 0 && flows_has_ports(r->proto))
		n += (size_t)snprintf(cell, CELL, strchr(r->nat_dst, ':') ? "[%s]:%d" : "%s:%d",
				      r->nat_dst, r->nat_dport);
	else if (r->nat_dst)
		n += (size_t)snprintf(cell, CELL, "%s", r->nat_dst);
	if (r->nat_src && n < CELL)
		n += (size_t)snprintf(cell + n, CELL - n, "%ssrc %s", n ? " " : "", r->nat_src);
	if (r->nat && n < CELL)
		n += (size_t)snprintf(cell + n, CELL - n, "%svia %s", n ? " " : "", r->nat);
	if (!n)
		snprintf(cell, CELL, "-");
}

static void flows_cells(const struct flowdb_row *r, enum flowdb_by by, char cell[C_N][CELL])
{
	char buf[32];

	flowdb_utc(r->minute, FLOWDB_T_MINUTE, cell[C_MINUTE], CELL);
	flowdb_utc(r->last_minute, FLOWDB_T_MINUTE, cell[C_LAST], CELL);
	snprintf(cell[C_PROTO], CELL, "%s",
		 r->proto >= 0 ? flowdb_proto_name(r->proto, buf, sizeof(buf)) : "");
	/* a NULL src where src is shown: sources were aggregated away; summed
	 * per source, the family tells the IPv4 and the IPv6 group apart */
	if (by == FLOWDB_BY_NONE && r->family == 0) {
		/* the rule's overflow row of the minute (--row-cap) */
		snprintf(cell[C_SRC], CELL, "(overflow)");
		snprintf(cell[C_PROTO], CELL, "*");
	} else if (r->src)
		snprintf(cell[C_SRC], CELL, "%s", r->src);
	else if (by == FLOWDB_BY_SRC && r->family)
		snprintf(cell[C_SRC], CELL, "* (IPv%d)", r->family);
	else
		snprintf(cell[C_SRC], CELL, "*");
	snprintf(cell[C_DST], CELL, "%s", r->dst ? r->dst : "");
	snprintf(cell[C_DPORT], CELL, "%s",
		 by == FLOWDB_BY_NONE && r->family == 0 ? "*" : flows_dport(r, buf, sizeof(buf)));
	flows_nat_cell(r, by, cell[C_NAT]);
	snprintf(cell[C_RULE], CELL, "%s", r->rule ? r->rule : "-");
	snprintf(cell[C_VERDICT], CELL, "%s", r->verdict ? r->verdict : "");
	snprintf(cell[C_FLOWS], CELL, "%" PRIu64, r->flows);
	if (r->counted) {
		snprintf(cell[C_PACKETS], CELL, "%" PRIu64, r->packets);
		flows_bytes(r->bytes, cell[C_BYTES], CELL);
	} else {
		snprintf(cell[C_PACKETS], CELL, "-");
		snprintf(cell[C_BYTES], CELL, "-");
	}
}

void flows_print_table(const struct frows *rows, enum flowdb_by by, bool verdict)
{
	static const char *const head[C_N] = { "MINUTE (UTC)", "LAST", "VERDICT", "PROTO", "SRC",
					       "DST", "DPORT", "NAT", "RULE", "FLOWS", "PACKETS",
					       "BYTES" };
	static const bool right[C_N] = { [C_FLOWS] = true, [C_PACKETS] = true, [C_BYTES] = true };
	bool show[C_N] = { 0 };
	size_t w[C_N];
	char cell[C_N][CELL];
	bool nat = false;

	for (size_t i = 0; i < rows->n; i++)
		nat |= rows->v[i].r.nat_dst || rows->v[i].r.nat_src || rows->v[i].r.nat;
	switch (by) {
	case FLOWDB_BY_NONE:
		show[C_MINUTE] = show[C_PROTO] = show[C_SRC] = show[C_DST] = show[C_DPORT] =
			show[C_RULE] = true;
		/* the nat column when some row went through NAT */
		show[C_NAT] = nat;
		break;
	case FLOWDB_BY_SRC: show[C_SRC] = true; break;
	case FLOWDB_BY_DST: show[C_DST] = true; break;
	case FLOWDB_BY_DPORT: show[C_PROTO] = show[C_DPORT] = true; break;
	case FLOWDB_BY_RULE: show[C_RULE] = true; break;
	case FLOWDB_BY_VERDICT: show[C_VERDICT] = true; break;
	case FLOWDB_BY_NAT: show[C_NAT] = true; break;
	}
	if (verdict && (by == FLOWDB_BY_NONE || by == FLOWDB_BY_RULE))
		show[C_VERDICT] = true;
	if (by != FLOWDB_BY_NONE)
		show[C_MINUTE] = show[C_LAST] = true;
	show[C_FLOWS] = show[C_PACKETS] = show[C_BYTES] = true;

	for (int c = 0; c < C_N; c++)
		w[c] = strlen(head[c]);
	if (by != FLOWDB_BY_NONE)
		w[C_MINUTE] = strlen("FIRST (UTC)");
	for (size_t i = 0; i < rows->n; i++) {
		flows_cells(&rows->v[i].r, by, cell);
		for (int c = 0; c < C_N; c++)
			if (strlen(cell[c]) > w[c])
				w[c] = strlen(cell[c]);
	}
	for (int c = 0, first = 1; c < C_N; c++) {
		const char *h = c == C_MINUTE && by != FLOWDB_BY_NONE ? "FIRST (UTC)" : head[c];

		if (!show[c])
			continue;
		printf(right[c] ? "%s%*s" : "%s%-*s", first ? "" : "  ", (int)w[c], h);
		first = 0;
	}
	putchar('\n');
	for (size_t i = 0; i < rows->n; i++) {
		flows_cells(&rows->v[i].r, by, cell);
		for (int c = 0, first = 1; c < C_N; c++) {
			if (!show[c])
				continue;
			printf(right[c] ? "%s%*s" : "%s%-*s", first ? "" : "  ", (int)w[c],
			       cell[c]);
			first = 0;
		}
		putchar('\n');
	}
}

/*
 * The observer's account of the window. Returns true when the database is
 * complete for it. since and until are minute starts; the minutes that have
 * begun by now are the ones an observer could have watched. lines go to f,
 * prefixed for stderr when warn.
 */
bool flows_loss_report(FILE *f, const struct flowdb_loss *l, int64_t since, int64_t until,
			      int64_t now, bool warn)
{
	const char *pre = warn ? "vigild flows: warning: " : "";
	int64_t last = until - 60 < num_floor_minute(now) ? until - 60 : num_floor_minute(now);
	uint64_t window = last >= since ? (uint64_t)((last - since) / 60 + 1) : 0;
	bool complete = true;

	if (!warn) {
		fprintf(f, "\nObserver: %" PRIu64 " of %" PRIu64 " minutes observed", l->minutes,
			window);
		if (l->partial)
			fprintf(f, " (%" PRIu64 " only in part)", l->partial);
		fprintf(f, "; %" PRIu64 " events (%" PRIu64 " NEW), %" PRIu64 " lost, %" PRIu64
			" ENOBUFS episodes, %" PRIu64 " kernel inserts\n",
			l->events, l->new_events, l->lost, l->enobufs, l->kernel_inserts);
	}
	if (l->minutes == 0) {
		fprintf(f, "%sINCOMPLETE: no observer data in this window"
			" (was 'vigild watch' running?)\n", pre);
		return false;
	}
	if (l->minutes < window) {
		fprintf(f, "%sINCOMPLETE: no observer ran during %" PRIu64 " of the %" PRIu64
			" minutes in this window\n", pre, window - l->minutes, window);
		complete = false;
	}
	/* an observer that started or stopped within a minute missed the
	 * connections of that minute before or after: no count says how many */
	for (size_t i = 0; i < l->npart; i++) {
		const struct flowdb_partial *p = &l->part[i];
		char m[32], t[32];

		flowdb_utc(p->minute, FLOWDB_T_MINUTE, m, sizeof(m));
		fprintf(f, "%sINCOMPLETE: minute %s was observed only in part: ", pre, m);
		if (p->started) {
			flowdb_utc(p->started, FLOWDB_T_CLOCK, t, sizeof(t));
			fprintf(f, "an observer started within it (at %s)%s", t,
				p->stopped ? ", and " : "\n");
		}
		if (p->stopped && p->stopped == p->minute) {
			fprintf(f, "an observer stopped within it (or ended without stopping cleanly)\n");
		} else if (p->stopped) {
			flowdb_utc(p->stopped, FLOWDB_T_CLOCK, t, sizeof(t));
			fprintf(f, "an observer stopped within it (at %s)\n", t);
		}
	}
	if (l->partial > l->npart)
		fprintf(f, "%sINCOMPLETE: and %" PRIu64 " more minutes observed only in part\n",
			pre, l->partial - l->npart);
	if (l->partial)
		complete = false;
	if (l->lost || l->enobufs) {
		fprintf(f, "%sINCOMPLETE: the kernel dropped %" PRIu64
			" events (receive buffer full; %" PRIu64 " ENOBUFS episodes)\n",
			pre, l->lost, l->enobufs);
		complete = false;
	}
	if (l->overflow) {
		fprintf(f, "%sINCOMPLETE: %" PRIu64
			" events were not aggregated (the observer's memory cap)\n", pre,
			l->overflow);
		complete = false;
	}
	if (l->bad) {
		fprintf(f, "%sINCOMPLETE: %" PRIu64 " event messages could not be parsed\n", pre,
			l->bad);
		complete = false;
	}
	if (l->incomplete_minutes[0]) {
		fprintf(f, "%sINCOMPLETE: vigild's table was absent from the kernel during %" PRIu64
			" minutes (deleted by someone else): connections then were not seen by its rules\n",
			pre, l->incomplete_minutes[0]);
		complete = false;
	}
	if (l->incomplete_minutes[1] || l->incomplete_minutes[2]) {
		uint64_t m = l->incomplete_minutes[1] > l->incomplete_minutes[2] ? l->incomplete_minutes[1]
										     : l->incomplete_minutes[2];
		fprintf(f, "%sINCOMPLETE: during %" PRIu64
			" minutes the rules in the kernel were not the recorded policy's (someone else changed vigild's table): flows then may carry the wrong rule\n",
			pre, m);
		complete = false;
	}
	if (l->ct_full_minutes) {
		fprintf(f, "%sINCOMPLETE: the kernel's conntrack table was full during %" PRIu64
			" minutes (nf_conntrack_max %" PRIu64 "): %" PRIu64 " connections evicted early, %" PRIu64
			" not inserted, %" PRIu64 " packets dropped for want of an entry\n",
			pre, l->ct_full_minutes, l->ct_max, l->ct_early_drop, l->ct_insert_failed, l->ct_drop);
		complete = false;
	}
	if (l->db_lost_flows || l->db_lost_minutes) {
		fprintf(f, "%sINCOMPLETE: %" PRIu64 " flow rows of %" PRIu64
			" minutes could not be written to the database (disk full or read-only)\n",
			pre, l->db_lost_flows, l->db_lost_minutes);
		complete = false;
	}
	if (l->kernel_inserts > l->new_events + l->lost) {
		fprintf(f, "%sINCOMPLETE: the kernel inserted %" PRIu64
			" connections, the observer saw %" PRIu64 " NEW events\n",
			pre, l->kernel_inserts, l->new_events);
		complete = false;
	}
	if (complete && !warn)
		fprintf(f, "Complete: an observer ran every minute of the window"
			" and lost nothing.\n");
	return complete;
}

