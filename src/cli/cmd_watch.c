// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild watch: options, then the daemon (src/daemon/).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vigil/ctsock.h"
#include "vigil/flowdb.h"
#include "vigil/ir.h"
#include "../daemon/daemon.h"

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v > (1ull << 40))
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end || v < 4096 || v > CTSOCK_MAX_RCVBUF)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* "30d", "12h", "90m", or plain days; at most 100 years. */
static int parse_retention(const char *s, int64_t *secs)
{
	char *end;
	long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0 || v > 36500LL * 24 * 60)
		return -EINVAL;
	switch (*end) {
	case '\0':
	case 'd':
		if (v > 36500)
			return -EINVAL;
		v *= 86400;
		break;
	case 'h':
		if (v > 36500LL * 24)
			return -EINVAL;
		v *= 3600;
		break;
	case 'm':
		v *= 60;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	*secs = v;
	return 0;
}

static const char watch_usage[] =
	"Usage: vigild watch [OPTIONS] POLICY\n"
	"\n"
	"Applies POLICY like 'vigild apply' and keeps it in the kernel: a change\n"
	"that vigild did not make is logged and reverted at once; when POLICY is\n"
	"invalid or refused, the last-known-good policy is applied, or a built-in\n"
	"fail-closed one (never no firewall). Records every connection the kernel\n"
	"creates, attributed to the rule that accepted it, in per-minute rows of a\n"
	"SQLite database, with the exact number of events it lost. SIGHUP (or\n"
	"'vigild reload') re-reads POLICY; SIGTERM and SIGINT flush and exit.\n"
	"Needs root; reads and writes without any capability.\n"
	"\n"
	"      --db PATH          the database (default " FLOWDB_DEFAULT_PATH ")\n"
	"      --ct-buffer SIZE   conntrack socket receive buffer, 4K to 1G (default 32M)\n"
	"      --ct-accounting    turn on nf_conntrack_acct and nf_conntrack_timestamp\n"
	"                         (packets, bytes and durations in DESTROY events)\n"
	"      --aggregate        leave source addresses out of the flow key\n"
	"      --retention TIME   keep this long: 30d (default), 12h, 90m\n"
	"      --db-buffer ROWS   rows kept in memory while the database cannot be\n"
	"                         written, 1 to 16M (default 1M); beyond, the oldest\n"
	"                         are dropped and counted\n"
	"      --fallback FILE    the policy to apply when POLICY cannot be and there\n"
	"                         is no last-known-good (default: built-in, fail-closed)\n"
	"      --no-reassert      report changes made by others, do not revert them\n"
	"      --no-owner         do not make the table owned by vigild (nft table\n"
	"                         flags owner,persist; used when the kernel has them)\n"
	"      --metrics-file PATH  write the Prometheus metrics to PATH (node_exporter's\n"
	"                         textfile collector), atomically, every --metrics-interval\n"
	"      --metrics-interval SECONDS  1 to 3600 (default 15)\n"
	"      --metrics-listen ADDR:PORT  serve GET /metrics on TCP (127.0.0.1:9469)\n"
	"      --on-event CMD     run CMD (through /bin/sh, as the unprivileged user) with\n"
	"                         the event's JSON on stdin on degraded, recovered, drift\n"
	"                         and loss (at most 10 a minute)\n"
	"      --nflog-group N    record refused traffic through NFLOG group N, 1 to\n"
	"                         65535 (default 6613)\n"
	"      --no-refused       do not record refused traffic (no NFLOG rules)\n"
	"      --count-every SECS read the refused totals from the kernel's counters\n"
	"                         every SECS seconds, 1 to 3600 (default 60)\n"
	"      --row-cap N        rows per minute and rule, 1 to 1000000 (default\n"
	"                         10000): beyond, one overflow row with exact totals\n"
	"      --db-max-size SIZE delete the oldest minutes early beyond SIZE (like\n"
	"                         512M; default a tenth of the database's file system)\n"
	"  -t, --table NAME       the table vigild manages (default: the policy's, else vigil)\n"
	"  -u, --user NAME        unprivileged user (default: vigil, else nobody)\n"
	"  -f, --force            replace the table even if vigild did not make it\n"
	"  -q, --quiet            print only problems\n";

int cmd_watch(int argc, char **argv)
{
	enum { O_DB = 256, O_BUF, O_ACCT, O_AGG, O_RET, O_FALLBACK, O_NOREASSERT, O_NOOWNER, O_DBBUF,
	       O_MFILE, O_MINT, O_MLISTEN, O_ONEVENT,
	       O_GROUP, O_NOREF, O_EVERY, O_ROWCAP, O_MAXSIZE };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "db", required_argument, NULL, O_DB },
		{ "ct-buffer", required_argument, NULL, O_BUF },
		{ "ct-accounting", no_argument, NULL, O_ACCT },
		{ "aggregate", no_argument, NULL, O_AGG },
		{ "retention", required_argument, NULL, O_RET },
		{ "fallback", required_argument, NULL, O_FALLBACK },
		{ "no-reassert", no_argument, NULL, O_NOREASSERT },
		{ "no-owner", no_argument, NULL, O_NOOWNER },
		{ "db-buffer", required_argument, NULL, O_DBBUF },
		{ "metrics-file", required_argument, NULL, O_MFILE },
		{ "metrics-interval", required_argument, NULL, O_MINT },
		{ "metrics-listen", required_argument, NULL, O_MLISTEN },
		{ "on-event", required_argument, NULL, O_ONEVENT },
		{ "nflog-group", required_argument, NULL, O_GROUP },
		{ "no-refused", no_argument, NULL, O_NOREF },
		{ "count-every", required_argument, NULL, O_EVERY },
		{ "row-cap", required_argument, NULL, O_ROWCAP },
		{ "db-max-size", required_argument, NULL, O_MAXSIZE },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = {
		.ct_buffer = CTSOCK_DEFAULT_RCVBUF,
		.retention = 30 * 86400,
		.reassert = true,
		.owner = -1,
		.db_buffer = 1u << 20,
		.nflog_group = IR_NFLOG_GROUP,
	};
	int ch;
	bool no_refused = false;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:u:fq", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(watch_usage, stdout);
			return EXIT_OK;
		case O_DB:
			if (!*optarg) {
				cli_error("--db wants the database's file name, not ''");
				return EXIT_USAGE;
			}
			o.db = optarg;
			break;
		case O_BUF:
			if (parse_size(optarg, &o.ct_buffer) < 0) {
				cli_error("--ct-buffer wants a size from 4K to 1G, like 32M, not '%s'"
					  " (the kernel doubles it: 1G already gives the largest buffer there is)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case O_ACCT:
			o.ct_accounting = true;
			break;
		case O_AGG:
			o.aggregate = true;
			break;
		case O_RET:
			if (parse_retention(optarg, &o.retention) < 0) {
				cli_error("--retention wants a time like 30d, 12h or 90m (at most 100 years), not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case O_FALLBACK:
			if (!*optarg) {
				cli_error("--fallback wants a policy file, not ''");
				return EXIT_USAGE;
			}
			o.fallback = optarg;
			break;
		case O_NOREASSERT:
			o.reassert = false;
			break;
		case O_NOOWNER:
			o.owner = 0;
			break;
		case O_DBBUF: {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || errno || *end || v < 1 || v > (16u << 20)) {
				cli_error("--db-buffer wants a number of rows from 1 to 16777216, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o.db_buffer = (size_t)v;
			break;
		}
		case O_MFILE:
			if (!*optarg || optarg[strlen(optarg) - 1] == '/') {
				cli_error("--metrics-file wants a file name (node_exporter reads NAME.prom), not '%s'", optarg);
				return EXIT_USAGE;
			}
			o.metrics_file = optarg;
			break;
		case O_MINT: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || errno || *end || v < 1 || v > 3600) {
				cli_error("--metrics-interval wants seconds from 1 to 3600, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o.metrics_interval = (unsigned)v;
			break;
		}
		case O_MLISTEN:
			if (!strchr(optarg, ':')) {
				cli_error("--metrics-listen wants ADDRESS:PORT (127.0.0.1:9469, [::1]:9469), not '%s'", optarg);
				return EXIT_USAGE;
			}
			o.metrics_listen = optarg;
			break;
		case O_ONEVENT:
			if (!*optarg) {
				cli_error("--on-event wants a command");
				return EXIT_USAGE;
			}
			o.on_event = optarg;
			break;
		case O_GROUP:
		case O_EVERY:
		case O_ROWCAP: {
			char *end;
			unsigned long v;
			unsigned long max = ch == O_GROUP ? 65535 : ch == O_EVERY ? 3600 : 1000000;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || errno || *end || v > max) {
				cli_error("%s wants a number from 1 to %lu, not '%s'",
					  ch == O_GROUP ? "--nflog-group" : ch == O_EVERY ? "--count-every" : "--row-cap",
					  max, optarg);
				return EXIT_USAGE;
			}
			if (ch == O_GROUP)
				o.nflog_group = (uint16_t)v;
			else if (ch == O_EVERY)
				o.count_every = (unsigned)v;
			else
				o.row_cap = (size_t)v;
			break;
		}
		case O_MAXSIZE: {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (*end == 'K' || *end == 'k')
				v <<= 10, end++;
			else if (*end == 'M' || *end == 'm')
				v <<= 20, end++;
			else if (*end == 'G' || *end == 'g')
				v <<= 30, end++;
			else if (*end == 'T' || *end == 't')
				v <<= 40, end++;
			if (*optarg < '1' || *optarg > '9' || errno || *end || v < (64u << 10) ||
			    v > (1ull << 50)) {
				cli_error("--db-max-size wants a size from 64K up, like 512M or 2G, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			o.db_max_size = v;
			break;
		}
		case O_NOREF:
			o.nflog_group = 0;
			no_refused = true;
			break;
		case 't':
			o.table = optarg;
			break;
		case 'u':
			if (!*optarg) {
				cli_error("--user needs a user name or id");
				return EXIT_USAGE;
			}
			o.user = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		default:
			return cli_bad_option("watch", ch, argv, watch_usage);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s watch: error: expected exactly one POLICY file\n\n%s", program_name,
			watch_usage);
		return EXIT_USAGE;
	}
	if (o.table && table_name_problem(o.table)) {
		cli_error("invalid table name '%s': %s", o.table, table_name_problem(o.table));
		return EXIT_USAGE;
	}
	if (streq(argv[optind], "-")) {
		cli_error("vigild watch reads its policy from a file, not from stdin ('-'): it reads it again on every reload");
		return EXIT_USAGE;
	}
	if (no_refused)
		o.nflog_group = 0; /* whatever the order of the options */
	o.policy = argv[optind];
	return daemon_run(&o);
}
