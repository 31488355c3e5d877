// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild diff POLICY: what applying POLICY would change in vigild's table
 * now. The kernel's table is dumped by the commit helper (nfnetlink needs
 * CAP_NET_ADMIN even to read), nothing is sent to change it; the policy is
 * compiled into the batch `apply` would send, and the two are compared
 * object by object (tablediff.h). The last policy applied (the
 * last-known-good in the state directory) lends its nft syntax to the
 * kernel's rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lockout.h"
#include "replay.h"
#include "vigil/flowdb.h"
#include "vigil/num.h"
#include "vigil/bundle.h"
#include "vigil/plan.h"
#include "vigil/psep.h"
#include "vigil/state.h"
#include "vigil/tablediff.h"
#include "vigil/delta.h"
#include "vigil/batch.h"
#include "vigil/nftc.h"

enum { DIFF_SAME = 0, DIFF_DIFFER = 1, DIFF_TROUBLE = 2 };

static const char diff_usage[] =
	"Usage: vigild diff [OPTIONS] POLICY\n"
	"       vigild diff --flows [--since TIME] [--db PATH] POLICY\n"
	"\n"
	"Shows what 'vigild apply POLICY' would change in vigild's table now:\n"
	"chains, sets, elements and rules removed (-) and added (+), rules in nft\n"
	"syntax, chain by chain in order. Reads the kernel's table through the\n"
	"commit helper and changes nothing. Needs root (CAP_NET_ADMIN to read).\n"
	"Exit status: 0 no difference, 1 differences, 2 trouble (an invalid\n"
	"policy, a usage error, the kernel could not be read).\n"
	"\n"
	"With --flows, replays the connections the flows database recorded in\n"
	"the window against POLICY instead (no kernel access, no root needed):\n"
	"those POLICY would refuse, by deciding rule and source, with their counts.\n"
	"\n"
	"      --flows       what-if against recorded traffic\n"
	"      --since TIME  the window: the last TIME (default 7d; 90m, 12h, 30d)\n"
	"      --db PATH     the flows database (default: vigild watch's, flows.db\n"
	"                    in the state directory, /var/lib/vigil)\n"
	"  -t, --table NAME  the table (default: the policy's, else vigil)\n"
	"  -u, --user NAME   unprivileged user to run as (default: vigil, else nobody)\n"
	"  -q, --quiet       print nothing; the exit status says\n"
	LIMIT_USAGE;

struct diff_priv {
	const char *policy;
	struct policy_src src;
	int statefd;
};

static int diff_open(void *ctx, const struct psep_ids *ids, char *why, size_t whylen)
{
	struct diff_priv *dp = ctx;

	(void)ids;
	if (policy_src_open(dp->policy, &dp->src) != EXIT_OK) {
		snprintf(why, whylen, "%s", "");
		return -ENOENT;
	}
	dp->statefd = open(state_dir_path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

/* The last policy applied to the table, compiled: names for the kernel's rules. */
static bool last_good(int statefd, const char *table, struct plan *pl)
{
	_cleanup_free_ char *buf = NULL;
	struct bundle bu = { 0 };
	const char *why;
	char name[128];
	size_t len = 0;
	bool ok;

	memset(pl, 0, sizeof(*pl));
	state_key(name, sizeof(name), "last-good", table);
	if (statefd < 0 || state_read(statefd, name, 64u << 20, &buf, &len) < 0 ||
	    bundle_parse(buf, len, &bu, &why) < 0)
		return false;
	ok = plan_compile_bundle(pl, &bu, table, &opt_limits) == 0;
	bundle_free(&bu);
	if (!ok)
		plan_free(pl);
	return ok;
}

struct diff_args {
	const char *table;
	bool quiet, flows;
	const char *db;
	int64_t since;     /* the window, seconds */
};

enum { OPT_FLOWS = 0x200, OPT_SINCE, OPT_DB };

static int diff_parse(int argc, char **argv, struct diff_args *a)
{
	static const struct option opts[] = {
		{ "flows", no_argument, NULL, OPT_FLOWS },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		LIMIT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:u:q", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(diff_usage, stdout);
			return 100;
		case 't':
			if (table_name_problem(optarg)) {
				cli_error("invalid table name '%s': %s", optarg, table_name_problem(optarg));
				return DIFF_TROUBLE;
			}
			a->table = optarg;
			break;
		case 'u':
			opt_user = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case OPT_FLOWS:
			a->flows = true;
			break;
		case OPT_DB:
			a->db = optarg;
			break;
		case OPT_SINCE: {
			uint64_t v;
			if (num_parse_unit(optarg, num_secs_units, 60, 366 * 86400ull, &v) < 0) {
				cli_error("--since wants a duration from 1m to 366d (90m, 12h, 7d), not '%s'", optarg);
				return DIFF_TROUBLE;
			}
			a->since = (int64_t)v;
			break;
		}
		case OPT_MAX_RULES:
		case OPT_MAX_ELEMS:
			if (cli_limit_option(ch, optarg) != EXIT_OK)
				return DIFF_TROUBLE;
			break;
		default:
			cli_bad_option("diff", ch, argv, diff_usage);
			return DIFF_TROUBLE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s diff: error: expected exactly one POLICY file\n\n%s", program_name,
			diff_usage);
		return DIFF_TROUBLE;
	}
	return -1;
}

/* --flows: the recorded connections against the policy; no kernel. */
static int diff_flows(const struct diff_args *a, const char *path)
{
	struct policy_src src;
	struct compiled c;
	struct lockout_ctx lk;
	struct replay rp;
	char err[FLOWDB_ERRLEN] = "";
	int64_t now = time(NULL);
	int r;

	if (policy_src_open(path, &src) != EXIT_OK)
		return DIFF_TROUBLE;
	lockout_gather(&lk); /* the host's addresses, before any drop */
	r = cli_drop_if_root() == EXIT_OK && policy_src_compile(&src, a->table, NULL, &c) == EXIT_OK ?
		    0 : -1;
	policy_src_close(&src);
	if (r < 0) {
		lockout_free(&lk);
		return DIFF_TROUBLE;
	}
	char def[512];
	const char *db = a->db ? a->db : replay_default_db(def, sizeof(def));

	r = replay_run(db, (now - a->since) / 60 * 60, now / 60 * 60 + 60, &c.pol, &c.t, lk.locals,
		       lk.nlocals, &rp, err);
	if (r < 0) {
		cli_error("cannot read the flows database %s: %s", db, err[0] ? err : strerror(-r));
	} else if (!a->quiet) {
		replay_print(stdout, &rp, a->since);
	}
	r = r < 0 ? DIFF_TROUBLE : rp.refused ? DIFF_DIFFER : DIFF_SAME;
	replay_free(&rp);
	compiled_free(&c);
	lockout_free(&lk);
	return r;
}

/* A table that vigild watch made logs refused traffic (NFLOG rules): the
 * policy is compiled the same way, so that those rules are not shown as
 * differences. Returns 0, or -1 when the policy no longer compiles. */
static int as_the_kernel_has_it(const void *dump, size_t len, struct compiled *c)
{
	struct ir_opts io = opt_limits;

	io.nflog_group = tablediff_nflog_group(dump, len);
	if (!io.nflog_group)
		return 0;
	ir_table_free(&c->t);
	memset(&c->t, 0, sizeof(c->t));
	if (ir_compile(&c->pol, &io, &c->t) < 0) {
		cli_print_diags(&c->t.warnings);
		return -1;
	}
	return 0;
}

/* The incremental batch the difference comes to (delta.h), or why it is a full one. */
static void delta_line(const void *dump, size_t len, const struct compiled *c, struct strbuf *line)
{
	struct batch b = { 0 };
	struct delta_plan d;

	batch_init(&b, 1);
	nftc_build_replace(&c->t, &b);
	if (delta_plan(dump, len, b.buf, b.len, &d) < 0)
		sb_puts(line, "delta: cannot be computed (the dump does not parse)\n");
	else if (d.full)
		sb_printf(line, "delta: a full replacement (%s)\n", d.reason);
	else
		sb_printf(line,
			  "delta: %zu message%s (%zu rules to delete, %zu to insert, %zu left in place; "
			  "%zu set elements to delete, %zu to add%s)\n",
			  d.messages, d.messages == 1 ? "" : "s", d.rules_del, d.rules_add, d.rules_kept,
			  d.elems_del, d.elems_add,
			  d.chains_policy == 0 ? "" : d.chains_policy == 1 ? "; 1 chain policy changed"
									  : "; chain policies changed");
	batch_free(&b);
}

static int diff_report(struct psep *p, const struct diff_priv *dp, struct compiled *c, bool quiet)
{
	struct psep_reply rep;
	struct strbuf out = { 0 }, delta = { 0 };
	struct tablediff_counts n;
	struct plan old;
	bool named = last_good(dp->statefd, c->t.name, &old);
	int r;

	psep_call(p, PSEP_REQ_DUMP, NULL, 0, &rep);
	if (rep.status < 0 || (rep.u.dump.status < 0 && rep.u.dump.status != -ENOENT)) {
		cli_error("cannot read table inet %s: %s", c->t.name,
			  rep.status < 0 ? rep.why : strerror(-rep.u.dump.status));
		r = -EIO;
	} else if (as_the_kernel_has_it(rep.extra, rep.u.dump.status ? 0 : rep.extra_len, c) < 0) {
		cli_error("the policy does not compile as vigild watch compiles it (with its NFLOG rules)");
		r = -EINVAL;
	} else {
		r = tablediff_tables(rep.extra, rep.u.dump.status ? 0 : rep.extra_len, &c->t,
				     named ? &old.t : NULL, &out, &n);
		if (r < 0)
			cli_error("the kernel's dump of table inet %s is malformed", c->t.name);
		else
			delta_line(rep.extra, rep.u.dump.status ? 0 : rep.extra_len, c, &delta);
	}
	psep_reply_free(&rep);
	if (named)
		plan_free(&old);
	if (r < 0) {
		sb_free(&out);
		sb_free(&delta);
		return DIFF_TROUBLE;
	}
	if (!quiet && (n.added || n.removed)) {
		printf("--- kernel: table inet %s%s\n+++ %s\n", c->t.name,
		       n.kernel_table ? "" : " (does not exist)", dp->src.path);
		fputs(out.s, stdout);
		printf("%zu line%s to add, %zu to remove (%zu rules unchanged)\n", n.added,
		       n.added == 1 ? "" : "s", n.removed, n.same_rules);
	} else if (!quiet) {
		printf("no difference: table inet %s holds what %s compiles to (%zu rules)\n", c->t.name,
		       dp->src.path, n.same_rules);
	}
	if (!quiet && delta.s)
		fputs(delta.s, stdout);
	sb_free(&out);
	sb_free(&delta);
	return n.added || n.removed ? DIFF_DIFFER : DIFF_SAME;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { .since = 7 * 86400 };
	struct diff_priv dp = { .statefd = -1 };
	struct psep_setup_opts so = { .verb = "vigild diff", .mode = PSEP_MODE_READ,
				      .privileged = diff_open, .ctx = &dp };
	struct psep_ids ids;
	struct psep p;
	struct compiled c;
	char why[256] = "";
	int r = diff_parse(argc, argv, &a);

	if (r >= 0)
		return r == 100 ? EXIT_OK : r;
	if (a.flows)
		return diff_flows(&a, argv[optind]);
	dp.policy = argv[optind];
	so.user = opt_user;
	if (psep_setup(&so, &p, &ids, why, sizeof(why)) < 0) {
		if (why[0])
			cli_error("%s", why);
		policy_src_close(&dp.src);
		return DIFF_TROUBLE;
	}
	/* from here on: no capabilities; the helper only reads */
	bool compiled = policy_src_compile(&dp.src, a.table, NULL, &c) == EXIT_OK;
	r = compiled ? -1 : DIFF_TROUBLE;
	if (r < 0 && psep_set_table(&p, c.t.name, why, sizeof(why)) < 0) {
		cli_error("cannot give the helper its table: %s", why);
		r = DIFF_TROUBLE;
	}
	if (r < 0)
		r = diff_report(&p, &dp, &c, a.quiet);
	if (compiled)
		compiled_free(&c);
	policy_src_close(&dp.src);
	if (dp.statefd >= 0)
		close(dp.statefd);
	psep_stop(&p, true);
	return r;
}
