// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild flows: query the flows database, read-only, while vigild watch writes it. */
#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flows.h"
#include "vigil/flowdb.h"
#include "vigil/names.h"
#include "vigil/util.h"

static const char flows_usage[] =
	"Usage: vigild flows [--db PATH] [--since T] [--until T] [--verdict V]\n"
	"                    [--rule NAME] [--src CIDR] [--dst CIDR] [--dport N]\n"
	"                    [--proto P] [--by KEY] [--sort KEY] [--top N]\n"
	"                    [--json | --follow [--format ndjson|ecs]]\n"
	"\n"
	"Shows what 'vigild watch' recorded: the connections the policy accepted,\n"
	"per minute, with the rule that accepted them (packets, bytes and\n"
	"duration once they have ended; a connection through NAT also with where\n"
	"it went and the nat entry: NAT 10.1.0.2:80 via web), and what it\n"
	"refused: a sample of the refused connection attempts (rate-limited in\n"
	"the kernel) and, per rule,\n"
	"the exact refused packets from the kernel's counters. Reads the database\n"
	"read-only: needs read access to it, no privileges, and never disturbs\n"
	"the writer.\n"
	"\n"
	"  --db PATH       the database (default " FLOWDB_DEFAULT_PATH ")\n"
	"  --since T       start of the window (default 1h: the last hour)\n"
	"  --until T       end of the window (default now); both are rounded out\n"
	"                  to whole minutes: --until 10:30:20 includes minute 10:30\n"
	"                  T is a duration back from now (90s, 30m, 1h, 2d, 1w,\n"
	"                  1h30m, -1h), 'now', 'today', 'yesterday', a time today\n"
	"                  (10:30), a date and time (2026-12-01 10:00, ISO 8601 with\n"
	"                  a zone) or Unix seconds (@1700000000); UTC\n"
	"  --verdict V     accepted, refused or all (default: all)\n"
	"  --rule NAME     only that policy rule's rows ('-': accepted by none;\n"
	"                  default:input and the like: a chain's default verdict)\n"
	"  --src CIDR      only sources in CIDR (or one address)\n"
	"  --dst CIDR      only destinations in CIDR\n"
	"  --dport N       only that destination port (ICMP: type)\n"
	"  --proto P       only tcp, udp, sctp, icmp, icmpv6 or a protocol number\n"
	"  --by KEY        sum the window per src, dst, dport (with proto), rule,\n"
	"                  verdict or nat (the nat entry: translated connections\n"
	"                  only); per rule and verdict, refused rows also carry\n"
	"                  the exact packets and bytes\n"
	"  --sort KEY      connections (default), packets or bytes\n"
	"  --top N         only the N largest rows or groups (by --sort)\n"
	"  --json          one JSON array of objects (minute, verdict, proto, src,\n"
	"                  dst, dport, rule, nat, flows, packets, bytes, ...); null is\n"
	"                  unknown, none, or, with --by, a field summed over\n"
	"  --follow        print the rows recorded from now on, one JSON object\n"
	"                  a line, until interrupted: pushed by the running\n"
	"                  watch through its control socket, or, without one,\n"
	"                  read from the database once a second (stderr says\n"
	"                  which); each line is a row's change since the last\n"
	"                  (a {\"lost\": N} line: N lines a slow reader missed)\n"
	"  --format F      with --follow: ndjson (the --json objects, default) or\n"
	"                  ecs (Elastic Common Schema field names)\n"
	"\n"
	"After the table comes what the observer saw and lost in the window: when\n"
	"events were lost, or no observer ran for part of it, the output says the\n"
	"database is incomplete (with --json, on stderr). Times are UTC.\n"
	"\n"
	"Exit status: 0 ok, 2 usage, 3 the database cannot be read.\n";

#define FLOWS_ERR(...) (fprintf(stderr, "%s flows: error: ", program_name), \
			fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), EXIT_USAGE)

static int parse_by(const char *s, enum flowdb_by *by)
{
	static const char *const names[] = { [FLOWDB_BY_SRC] = "src", [FLOWDB_BY_DST] = "dst",
		[FLOWDB_BY_DPORT] = "dport", [FLOWDB_BY_RULE] = "rule", [FLOWDB_BY_VERDICT] = "verdict",
		[FLOWDB_BY_NAT] = "nat" };

	for (int i = FLOWDB_BY_SRC; i <= FLOWDB_BY_NAT; i++)
		if (streq(s, names[i])) {
			*by = (enum flowdb_by)i;
			return 0;
		}
	return -EINVAL;
}

struct flows_args {
	const char *path, *since_s, *until_s;
	struct flowdb_query q;
	bool json, follow, db_given;
	enum flows_format fmt;
};

/* --sort and --verdict */
static int flows_enum_option(int c, const char *arg, struct flowdb_query *q)
{
	switch (c) {
	case 'S':
		if (streq(arg, "connections") || streq(arg, "flows"))
			q->sort = FLOWDB_SORT_CONNECTIONS;
		else if (streq(arg, "packets"))
			q->sort = FLOWDB_SORT_PACKETS;
		else if (streq(arg, "bytes"))
			q->sort = FLOWDB_SORT_BYTES;
		else
			return FLOWS_ERR("--sort takes connections, packets or bytes, not '%s'", arg);
		return 0;
	case 'V':
		if (streq(arg, "all"))
			q->verdict = FLOWDB_V_ALL;
		else if (streq(arg, "accepted") || streq(arg, "accept"))
			q->verdict = FLOWDB_V_ACCEPTED;
		else if (streq(arg, "refused"))
			q->verdict = FLOWDB_V_REFUSED;
		else
			return FLOWS_ERR("--verdict takes accepted, refused or all, not '%s'", arg);
		return 0;
	}
	return -1;
}

static int flows_option(int c, const char *arg, struct flows_args *a)
{
	struct flowdb_query *q = &a->q;
	char *end;

	switch (c) {
	case 'd':
		if (!*arg)
			return FLOWS_ERR("--db needs the database's file name, not ''");
		a->path = arg;
		a->db_given = true;
		return 0;
	case 's': a->since_s = arg; return 0;
	case 'u': a->until_s = arg; return 0;
	case 'r':
		if (!*arg)
			return FLOWS_ERR("--rule needs a rule name, or '-' for the flows no rule accepted");
		q->rule = streq(arg, "-") ? "" : arg;
		return 0;
	case 't':
		errno = 0;
		q->top = (size_t)strtoull(arg, &end, 10);
		if (errno || *end || !*arg || *arg == '-' || q->top == 0)
			return FLOWS_ERR("--top needs a positive number, not '%s'", arg);
		return 0;
	case 'b':
		if (parse_by(arg, &q->by) < 0)
			return FLOWS_ERR("--by takes src, dst, dport, rule, verdict or nat, not '%s'", arg);
		return 0;
	case 'S':
	case 'V':
		return flows_enum_option(c, arg, q);
	case '4':
	case '6':
		if (!flowdb_cidr_ok(arg))
			return FLOWS_ERR("--%s wants an address or a CIDR like 10.0.0.0/8 or 2001:db8::/32, not '%s'",
					 c == '4' ? "src" : "dst", arg);
		*(c == '4' ? &q->src : &q->dst) = arg;
		return 0;
	case 'P': {
		unsigned long v;
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || errno || *end || v > 65535)
			return FLOWS_ERR("--dport wants a port from 0 to 65535, not '%s'", arg);
		q->dport = (int)v;
		q->dport_set = true;
		return 0;
	}
	case 'p':
		if (flowdb_proto_parse(arg, &q->proto) < 0)
			return FLOWS_ERR("--proto wants tcp, udp, sctp, icmp, icmpv6 or a number from 0 to 255, not '%s'",
					 arg);
		q->proto_set = true;
		return 0;
	case 'j': a->json = true; return 0;
	case 'f': a->follow = true; return 0;
	case 'F':
		if (streq(arg, "ndjson"))
			a->fmt = FMT_NDJSON;
		else if (streq(arg, "ecs"))
			a->fmt = FMT_ECS;
		else
			return FLOWS_ERR("--format takes ndjson or ecs, not '%s'", arg);
		return 0;
	}
	return -1;
}

static int flows_args(int argc, char **argv, struct flows_args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' }, { "rule", required_argument, NULL, 'r' },
		{ "top", required_argument, NULL, 't' }, { "by", required_argument, NULL, 'b' },
		{ "sort", required_argument, NULL, 'S' }, { "verdict", required_argument, NULL, 'V' },
		{ "src", required_argument, NULL, '4' }, { "dst", required_argument, NULL, '6' },
		{ "dport", required_argument, NULL, 'P' }, { "proto", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, { "follow", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(flows_usage, stdout);
			return EXIT_OK + 100;
		}
		r = flows_option(c, optarg, a);
		if (r > 0)
			return r;
		if (r < 0)
			return cli_bad_option("flows", c, argv, flows_usage);
	}
	if (optind != argc) {
		fprintf(stderr, "%s flows: error: unexpected argument '%s'\n\n%s", program_name,
			argv[optind], flows_usage);
		return EXIT_USAGE;
	}
	if (a->json && a->follow)
		return FLOWS_ERR("--json prints a window, --follow what comes: not both");
	if (a->fmt != FMT_TABLE && !a->follow)
		return FLOWS_ERR("--format is for --follow (the window's JSON is --json)");
	return -1;
}

/* The window, in whole minutes (see --since in the usage). */
static int flows_window(struct flows_args *a, int64_t now)
{
	struct flowdb_query *q = &a->q;

	if (flows_time(a->since_s, now, &q->since) < 0)
		return FLOWS_ERR("--since: '%s' is not a time or a duration; give %s", a->since_s,
				 flows_time_forms);
	if (flows_time(a->until_s, now, &q->until) < 0)
		return FLOWS_ERR("--until: '%s' is not a time or a duration; give %s", a->until_s,
				 flows_time_forms);
	/* 'now' is the whole current second, so the current minute is
	 * always in: --since now works in a minute's first second */
	if (streq(a->until_s, "now"))
		q->until = now + 1;
	q->since = num_floor_minute(q->since);
	if (q->until > INT64_MAX - 60)
		q->until = INT64_MAX - 60;
	q->until = num_floor_minute(q->until + 59);
	if (q->until <= q->since)
		return FLOWS_ERR("the window is empty (--until is not after --since)");
	return -1;
}

/* Why the database cannot be opened, for people. */
static void flows_open_error(const char *path, int r, const char *err)
{
	struct stat st;
	struct group *gr;

	if (r == -ENOENT) {
		fprintf(stderr, "%s flows: error: %s does not exist"
			" (is 'vigild watch' running? --db names another database)\n",
			program_name, path);
		return;
	}
	if ((r == -EACCES || r == -EPERM) && access(path, R_OK) < 0 && errno == EACCES &&
	    stat(path, &st) == 0 && (gr = getgrgid(st.st_gid))) {
		fprintf(stderr, "%s flows: error: %s: permission denied: the database is readable by the group '%s' (mode %03o); to read it, join the group: 'sudo usermod -a -G %s $USER', then log in again (or run 'newgrp %s')\n",
			program_name, path, gr->gr_name, (unsigned)(st.st_mode & 0777), gr->gr_name,
			gr->gr_name);
		return;
	}
	fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, err);
}

struct rule_probe {
	const char *want;
	bool found;
	char **names;  /* the candidates outlive SQLite's text: suggest keeps pointers */
	size_t n, cap;
};

static int probe_rule(void *ctx, const char *rule)
{
	struct rule_probe *p = ctx;

	if (streq(rule, p->want))
		p->found = true;
	GROW(p->names, p->cap, p->n + 1);
	p->names[p->n++] = xstrdup(rule);
	return 0;
}

/* --rule NAME no recorded policy has: an error with a did-you-mean. */
static int flows_check_rule(struct flowdb *db, const char *rule, const char *path)
{
	struct rule_probe p = { .want = rule };
	struct strbuf sb = { 0 };
	struct suggest sg;
	int r = 0;

	if (!rule || !*rule)
		return 0;
	if (flowdb_rules(db, probe_rule, &p) >= 0 && !p.found) {
		suggest_init(&sg, rule);
		for (size_t i = 0; i < p.n; i++)
			suggest_try(&sg, p.names[i]);
		suggest_format(&sg, "", &sb);
		fprintf(stderr, "%s flows: error: no rule '%s' in %s (no flows or refused traffic were ever recorded for it)%s\n",
			program_name, rule, path, sb.s ? sb.s : "");
		sb_free(&sb);
		r = EXIT_USAGE;
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.names[i]);
	free(p.names);
	return r;
}

int cmd_flows(int argc, char **argv)
{
	struct flows_args a = { .path = FLOWDB_DEFAULT_PATH, .since_s = "1h", .until_s = "now" };
	struct flowdb_loss loss;
	struct frows rows = { 0 };
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN];
	int64_t now = (int64_t)time(NULL);
	int r;

	r = flows_args(argc, argv, &a);
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	if (a.follow)
		return flows_follow(a.path, a.db_given, &a.q,
				    a.fmt == FMT_ECS ? FLOWDB_FOLLOW_ECS : FLOWDB_FOLLOW_NDJSON);
	r = flows_window(&a, now);
	if (r >= 0)
		return r;
	r = flowdb_open(a.path, FLOWDB_RDONLY, &db, err);
	if (r < 0) {
		flows_open_error(a.path, r, err);
		return EXIT_SYSTEM;
	}
	r = flows_check_rule(db, a.q.rule, a.path);
	if (r) {
		flowdb_close(db);
		return r;
	}
	r = flowdb_query(db, &a.q, flows_collect, &rows);
	if (r >= 0)
		r = flowdb_loss(db, a.q.since, a.q.until, &loss);
	if (r >= 0 && a.json)
		r = flowdb_minutes(db, a.q.since, a.q.until, flowdb_mins_add, &rows.mins);
	char *exp = NULL;
	int64_t expired = 0;
	if (r >= 0 && flowdb_meta_get(db, "expired_early_before", &exp) == 0) {
		expired = strtoll(exp, NULL, 10);
		free(exp);
	}
	if (r < 0) {
		fprintf(stderr, "%s flows: error: %s: %s\n", program_name, a.path, flowdb_errmsg(db));
		flowdb_close(db);
		frows_free(&rows);
		return EXIT_SYSTEM;
	}
	flowdb_close(db);
	if (a.json) {
		flows_print_json(&rows, a.q.by);
		flows_loss_report(stderr, &loss, a.q.since, a.q.until, now, true);
	} else {
		if (rows.n)
			flows_print_table(&rows, a.q.by, a.q.verdict != FLOWDB_V_ACCEPTED);
		else
			printf("No flows in this window.\n");
		flows_loss_report(stdout, &loss, a.q.since, a.q.until, now, false);
	}
	if (expired > a.q.since) {
		char m[32];
		flowdb_utc(expired, FLOWDB_T_MINUTE, m, sizeof(m));
		fprintf(a.json ? stderr : stdout,
			"%sEXPIRED EARLY: minutes before %s were deleted to keep the database within 'vigild watch --db-max-size'\n",
			a.json ? "vigild flows: warning: " : "", m);
	}
	frows_free(&rows);
	return EXIT_OK;
}
