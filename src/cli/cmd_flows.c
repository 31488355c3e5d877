// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild flows: query the flows database, read-only, while vigild watch writes it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vigil/flowdb.h"
#include "vigil/names.h"
#include "vigil/util.h"

static const char flows_usage[] =
	"Usage: vigild flows [--db PATH] [--since T] [--until T] [--rule NAME]\n"
	"                    [--by src|dst|dport|rule] [--top N] [--json]\n"
	"\n"
	"Shows the flows 'vigild watch' recorded: connections per minute, with\n"
	"the policy rule that accepted them, and packets/bytes/duration once\n"
	"they have ended. Reads the database read-only: needs read access to it,\n"
	"no privileges, and never disturbs the writer.\n"
	"\n"
	"  --db PATH     the database (default " FLOWDB_DEFAULT_PATH ")\n"
	"  --since T     start of the window (default 1h: the last hour)\n"
	"  --until T     end of the window (default now); both are rounded out to\n"
	"                whole minutes: --until 10:30:20 includes minute 10:30\n"
	"                T is a duration back from now (90s, 30m, 1h, 2d, 1w, 1h30m),\n"
	"                Unix seconds (1700000000 or @1700000000), 'now', a time\n"
	"                today (10:30, 10:30:20), or ISO 8601: 2024-05-01,\n"
	"                2024-05-01T10:00[:00][Z|+02:00]; all UTC unless a zone\n"
	"                is given\n"
	"  --rule NAME   only flows accepted by that policy rule ('-': by none)\n"
	"  --by KEY      sum the window per src, dst, dport (with proto) or rule\n"
	"  --top N       only the N largest rows or groups (by flows, then bytes)\n"
	"  --json        one JSON array of objects (minute, proto, src, dst, dport,\n"
	"                rule, flows, packets, bytes, ...), for scripts; null is\n"
	"                unknown (no counters yet), none (src aggregated, no rule)\n"
	"                or, with --by, a field that was summed over\n"
	"\n"
	"After the table comes what the observer saw and lost in the window: when\n"
	"events were lost, or no observer ran for part of it, the output says the\n"
	"database is incomplete (with --json, on stderr). Times are UTC.\n"
	"\n"
	"Exit status: 0 ok, 2 usage, 3 the database cannot be read.\n";

/* ---- time arguments ---- */

/* 90s, 30m, 1h30m, 2d, 1w: each unit at most once, the larger ones first. */
static int flows_duration(const char *s, int64_t *secs)
{
	int64_t total = 0, last = INT64_MAX;

	if (!*s)
		return -EINVAL;
	while (*s) {
		int64_t n = 0, unit;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			if (n > INT64_MAX / 10 - 9)
				return -ERANGE;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -EINVAL;
		}
		if (unit >= last)
			return -EINVAL; /* 1d1d, 1m1h */
		last = unit;
		if (n > (INT64_MAX / 4 - total) / unit)
			return -ERANGE;
		total += n * unit;
	}
	*secs = total;
	return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS]][Z|(+|-)HH[:]MM]; no zone = UTC. */
static int flows_iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, zh, zm;
	int64_t off = 0;
	struct tm tm = { 0 }, chk;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	s += n;
	if (*s == 'T' || *s == ' ') {
		n = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -EINVAL;
		s += 1 + n;
		if (*s == ':') {
			n = 0;
			if (sscanf(s + 1, "%2d%n", &sec, &n) != 1 || n != 2)
				return -EINVAL;
			s += 1 + n;
		}
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;

		n = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &zh, &zm, &n) == 2 && n == 5)
			s += 1 + n;
		else if (n = 0, sscanf(s + 1, "%2d%2d%n", &zh, &zm, &n) == 2 && n == 4)
			s += 1 + n;
		else
			return -EINVAL;
		if (zh > 23 || zm > 59)
			return -EINVAL;
		off = sign * (zh * 3600 + zm * 60);
	}
	if (*s)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalises 2024-02-31 to March: refuse dates that moved */
	if (!gmtime_r(&t, &chk) || chk.tm_mday != d || chk.tm_mon != mo - 1)
		return -EINVAL;
	*out = (int64_t)t - off;
	return 0;
}

static int flows_time(const char *s, int64_t now, int64_t *out)
{
	int64_t v;
	char *end;

	if (streq(s, "now")) {
		*out = now;
		return 0;
	}
	if (*s == '@' || (*s >= '0' && *s <= '9' && strspn(s, "0123456789") == strlen(s))) {
		const char *num = *s == '@' ? s + 1 : s;

		if (*num < '0' || *num > '9')
			return -EINVAL;
		errno = 0;
		v = strtoll(num, &end, 10);
		if (errno || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (strlen(s) >= 10 && s[4] == '-')
		return flows_iso8601(s, out);
	/* HH:MM[:SS]: that time today (UTC) */
	if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
	    strlen(s) <= 8 && !strpbrk(s, "Z+-")) {
		char day[32], iso[48];
		time_t tt = (time_t)now;
		struct tm tm;

		if (!gmtime_r(&tt, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
			return -EINVAL;
		snprintf(iso, sizeof(iso), "%sT%s", day, s);
		return flows_iso8601(iso, out);
	}
	if (flows_duration(s, &v) < 0)
		return -EINVAL;
	*out = now - v;
	return 0;
}

/* ---- collected rows ---- */

struct frow {
	struct flowdb_row r;
	char *src, *dst, *rule;
};

struct frows {
	struct frow *v;
	size_t n, cap;
};

static int flows_collect(void *ctx, const struct flowdb_row *row)
{
	struct frows *rows = ctx;
	struct frow *f;

	GROW(rows->v, rows->cap, rows->n + 1);
	f = &rows->v[rows->n++];
	f->r = *row;
	f->src = row->src ? xstrdup(row->src) : NULL;
	f->dst = row->dst ? xstrdup(row->dst) : NULL;
	f->rule = row->rule ? xstrdup(row->rule) : NULL;
	f->r.src = f->src;
	f->r.dst = f->dst;
	f->r.rule = f->rule;
	return 0;
}

static void frows_free(struct frows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].src);
		free(rows->v[i].dst);
		free(rows->v[i].rule);
	}
	free(rows->v);
}

/* ---- formatting ---- */

static const char *flows_proto(int proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_DCCP: return "dccp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

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

static void flows_minute(int64_t t, bool iso, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, len, "@%" PRId64, t);
		return;
	}
	strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M", &tm);
}

/* The time of day of t, UTC: 22:13:27. */
static void flows_clock(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		snprintf(buf, len, "@%" PRId64, t);
	else
		strftime(buf, len, "%H:%M:%S", &tm);
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

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_u64(uint64_t v, bool known)
{
	if (known)
		printf("%" PRIu64, v);
	else
		fputs("null", stdout);
}

static void flows_print_json(const struct frows *rows, enum flowdb_by by)
{
	char buf[32];

	putchar('[');
	for (size_t i = 0; i < rows->n; i++) {
		const struct flowdb_row *r = &rows->v[i].r;

		fputs(i ? ",\n {" : "\n {", stdout);
		flows_minute(r->minute, true, buf, sizeof(buf));
		printf("\"minute\": \"%s\", ", buf);
		if (by != FLOWDB_BY_NONE) {
			flows_minute(r->last_minute, true, buf, sizeof(buf));
			printf("\"last_minute\": \"%s\", ", buf);
		}
		fputs("\"family\": ", stdout);
		if (r->family)
			printf("%d", r->family);
		else
			fputs("null", stdout);
		fputs(", \"proto\": ", stdout);
		json_str(r->proto >= 0 ? flows_proto(r->proto, buf, sizeof(buf)) : NULL);
		fputs(", \"src\": ", stdout);
		json_str(r->src);
		fputs(", \"dst\": ", stdout);
		json_str(r->dst);
		fputs(", \"dport\": ", stdout);
		if (r->dport >= 0)
			printf("%d", r->dport);
		else
			fputs("null", stdout);
		fputs(", \"rule\": ", stdout);
		json_str(r->rule);
		printf(", \"flows\": %" PRIu64 ", \"packets\": ", r->flows);
		json_u64(r->packets, r->counted);
		fputs(", \"bytes\": ", stdout);
		json_u64(r->bytes, r->counted);
		fputs(", \"duration_ms\": ", stdout);
		json_u64(r->duration_ms, r->counted);
		printf(", \"destroys\": %" PRIu64 "}", r->destroys);
	}
	fputs(rows->n ? "\n]\n" : "]\n", stdout);
}

enum { C_MINUTE, C_LAST, C_PROTO, C_SRC, C_DST, C_DPORT, C_RULE, C_FLOWS, C_PACKETS, C_BYTES,
       C_N };

static void flows_cells(const struct flowdb_row *r, enum flowdb_by by, char cell[C_N][64])
{
	char buf[32];

	flows_minute(r->minute, false, cell[C_MINUTE], 64);
	flows_minute(r->last_minute, false, cell[C_LAST], 64);
	snprintf(cell[C_PROTO], 64, "%s",
		 r->proto >= 0 ? flows_proto(r->proto, buf, sizeof(buf)) : "");
	/* a NULL src where src is shown: sources were aggregated away; summed
	 * per source, the family tells the IPv4 and the IPv6 group apart */
	if (r->src)
		snprintf(cell[C_SRC], 64, "%s", r->src);
	else if (by == FLOWDB_BY_SRC && r->family)
		snprintf(cell[C_SRC], 64, "* (IPv%d)", r->family);
	else
		snprintf(cell[C_SRC], 64, "*");
	snprintf(cell[C_DST], 64, "%s", r->dst ? r->dst : "");
	snprintf(cell[C_DPORT], 64, "%s", flows_dport(r, buf, sizeof(buf)));
	snprintf(cell[C_RULE], 64, "%s", r->rule ? r->rule : "-");
	snprintf(cell[C_FLOWS], 64, "%" PRIu64, r->flows);
	if (r->counted) {
		snprintf(cell[C_PACKETS], 64, "%" PRIu64, r->packets);
		flows_bytes(r->bytes, cell[C_BYTES], 64);
	} else {
		snprintf(cell[C_PACKETS], 64, "-");
		snprintf(cell[C_BYTES], 64, "-");
	}
}

static void flows_print_table(const struct frows *rows, enum flowdb_by by)
{
	static const char *const head[C_N] = { "MINUTE (UTC)", "LAST", "PROTO", "SRC", "DST",
					       "DPORT", "RULE", "FLOWS", "PACKETS", "BYTES" };
	static const bool right[C_N] = { [C_FLOWS] = true, [C_PACKETS] = true, [C_BYTES] = true };
	bool show[C_N] = { 0 };
	size_t w[C_N];
	char cell[C_N][64];

	switch (by) {
	case FLOWDB_BY_NONE:
		show[C_MINUTE] = show[C_PROTO] = show[C_SRC] = show[C_DST] = show[C_DPORT] =
			show[C_RULE] = true;
		break;
	case FLOWDB_BY_SRC: show[C_SRC] = true; break;
	case FLOWDB_BY_DST: show[C_DST] = true; break;
	case FLOWDB_BY_DPORT: show[C_PROTO] = show[C_DPORT] = true; break;
	case FLOWDB_BY_RULE: show[C_RULE] = true; break;
	}
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

/* The start of the minute that contains t. */
static int64_t flows_floor(int64_t t)
{
	return t - ((t % 60) + 60) % 60;
}

/*
 * The observer's account of the window. Returns true when the database is
 * complete for it. since and until are minute starts; the minutes that have
 * begun by now are the ones an observer could have watched. lines go to f,
 * prefixed for stderr when warn.
 */
static bool flows_loss_report(FILE *f, const struct flowdb_loss *l, int64_t since, int64_t until,
			      int64_t now, bool warn)
{
	const char *pre = warn ? "vigild flows: warning: " : "";
	int64_t last = until - 60 < flows_floor(now) ? until - 60 : flows_floor(now);
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

		flows_minute(p->minute, false, m, sizeof(m));
		fprintf(f, "%sINCOMPLETE: minute %s was observed only in part: ", pre, m);
		if (p->started) {
			flows_clock(p->started, t, sizeof(t));
			fprintf(f, "an observer started within it (at %s)%s", t,
				p->stopped ? ", and " : "\n");
		}
		if (p->stopped && p->stopped == p->minute) {
			fprintf(f, "an observer stopped within it (or ended without stopping cleanly)\n");
		} else if (p->stopped) {
			flows_clock(p->stopped, t, sizeof(t));
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

int cmd_flows(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "rule", required_argument, NULL, 'r' },
		{ "top", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = FLOWDB_DEFAULT_PATH, *since_s = "1h", *until_s = "now";
	struct flowdb_query q = { 0 };
	struct flowdb_loss loss;
	struct frows rows = { 0 };
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN];
	int64_t now = (int64_t)time(NULL);
	bool json = false;
	char *end;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!*optarg) {
				fprintf(stderr, "%s flows: error: --db needs the database's file"
					" name, not ''\n", program_name);
				return EXIT_USAGE;
			}
			path = optarg;
			break;
		case 's':
			since_s = optarg;
			break;
		case 'u':
			until_s = optarg;
			break;
		case 'r':
			if (!*optarg) {
				fprintf(stderr, "%s flows: error: --rule needs a rule name, or '-'"
					" for the flows no rule accepted\n", program_name);
				return EXIT_USAGE;
			}
			q.rule = streq(optarg, "-") ? "" : optarg;
			break;
		case 't':
			errno = 0;
			q.top = (size_t)strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || q.top == 0) {
				fprintf(stderr, "%s flows: error: --top needs a positive number,"
					" not '%s'\n", program_name, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (streq(optarg, "src"))
				q.by = FLOWDB_BY_SRC;
			else if (streq(optarg, "dst"))
				q.by = FLOWDB_BY_DST;
			else if (streq(optarg, "dport"))
				q.by = FLOWDB_BY_DPORT;
			else if (streq(optarg, "rule"))
				q.by = FLOWDB_BY_RULE;
			else {
				fprintf(stderr, "%s flows: error: --by takes src, dst, dport"
					" or rule, not '%s'\n", program_name, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(flows_usage, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("flows", c, argv, flows_usage);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s flows: error: unexpected argument '%s'\n\n%s", program_name,
			argv[optind], flows_usage);
		return EXIT_USAGE;
	}
	if (flows_time(since_s, now, &q.since) < 0) {
		fprintf(stderr, "%s flows: error: --since: '%s' is not a time or a duration\n",
			program_name, since_s);
		return EXIT_USAGE;
	}
	if (flows_time(until_s, now, &q.until) < 0) {
		fprintf(stderr, "%s flows: error: --until: '%s' is not a time or a duration\n",
			program_name, until_s);
		return EXIT_USAGE;
	}
	/*
	 * Rows are minutes: the window is the minutes from the one that
	 * contains --since to the one that contains --until, the latter left
	 * out only when --until is its very start (--until 2024-05-02 ends
	 * with May 1st). 'now' is the whole current second, so the current
	 * minute is always in: --since now works in a minute's first second.
	 */
	if (streq(until_s, "now"))
		q.until = now + 1;
	q.since = flows_floor(q.since);
	if (q.until > INT64_MAX - 60)
		q.until = INT64_MAX - 60;
	q.until = flows_floor(q.until + 59);
	if (q.until <= q.since) {
		fprintf(stderr, "%s flows: error: the window is empty"
			" (--until is not after --since)\n", program_name);
		return EXIT_USAGE;
	}

	r = flowdb_open(path, FLOWDB_RDONLY, &db, err);
	if (r < 0) {
		if (r == -ENOENT)
			fprintf(stderr, "%s flows: error: %s does not exist"
				" (is 'vigild watch' running? --db names another database)\n",
				program_name, path);
		else
			fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, err);
		return EXIT_SYSTEM;
	}
	r = flowdb_query(db, &q, flows_collect, &rows);
	if (r >= 0)
		r = flowdb_loss(db, q.since, q.until, &loss);
	if (r < 0) {
		fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, flowdb_errmsg(db));
		flowdb_close(db);
		frows_free(&rows);
		return EXIT_SYSTEM;
	}
	flowdb_close(db);

	if (json) {
		flows_print_json(&rows, q.by);
		flows_loss_report(stderr, &loss, q.since, q.until, now, true);
	} else {
		if (rows.n)
			flows_print_table(&rows, q.by);
		else
			printf("No flows in this window.\n");
		flows_loss_report(stdout, &loss, q.since, q.until, now, false);
	}
	frows_free(&rows);
	return EXIT_OK;
}
