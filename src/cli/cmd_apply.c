// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild apply / vigild remove: the verbs that change the kernel.
 *
 * Order matters: open what needs privilege (the policy file), fork the
 * commit helper, drop every capability, and only then read YAML.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vigil/nftc.h"
#include "vigil/psep.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t first_seq(void)
{
	/* unique, non-zero: replies to an earlier batch cannot match ours */
	return (uint32_t)time(NULL) << 8 | 1u;
}

/* Checks privileges, forks the helper and drops ours. Returns an exit code. */
static int privsep_begin(const char *verb, const char *table, bool force, struct psep *p)
{
	struct psep_ids ids;
	char why[256] = "";
	int r;

	if (!psep_can_admin()) {
		cli_error("%s changes the firewall and needs CAP_NET_ADMIN: run it as root", verb);
		return EXIT_SYSTEM;
	}
	r = psep_resolve_user(opt_user, &ids, why, sizeof(why));
	if (r < 0) {
		cli_error("%s", why);
		return EXIT_SYSTEM;
	}
	r = psep_start(p, table, force, &ids, why, sizeof(why));
	if (r < 0) {
		cli_error("cannot start the commit helper: %s", why);
		return EXIT_SYSTEM;
	}
	r = psep_drop(&ids, why, sizeof(why));
	if (r < 0) {
		cli_error("cannot drop privileges: %s", why);
		psep_stop(p, true);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* Sends b through the helper; prints what went wrong. Returns an exit code. */
int commit_batch(struct psep *p, struct batch *b, const struct policy *pol, bool validate_only,
		 uint32_t *genid)
{
	struct nl_result res = { 0 };
	char why[256] = "";
	int r;

	r = psep_commit(p, b->buf, b->len, validate_only, &res, why, sizeof(why));
	if (r == -EPERM) {
		cli_error("the commit helper refused the batch: %s", why);
		return EXIT_SYSTEM;
	}
	if (r < 0) {
		cli_error("%s", why);
		return EXIT_SYSTEM;
	}
	if (res.n || res.lost) {
		print_kernel_errors(&res, b, pol);
		nl_result_free(&res);
		return EXIT_SYSTEM;
	}
	if (genid)
		*genid = res.genid;
	nl_result_free(&res);
	return EXIT_OK;
}

static const char apply_usage[] =
	"Usage: vigild apply [OPTIONS] POLICY\n"
	"\n"
	"Compiles POLICY and replaces vigild's own nftables table with it in one\n"
	"atomic NETLINK_NETFILTER batch: the kernel takes all of it or none of it.\n"
	"Nothing is sent when the policy is invalid. Other tables are not touched.\n"
	"Needs root (CAP_NET_ADMIN): a helper keeps only CAP_NET_ADMIN to commit,\n"
	"the policy is read by a process without any capability.\n"
	"\n"
	"  -t, --table NAME  the table vigild manages (default: vigil); a policy\n"
	"                    naming another table is refused\n"
	"  -u, --user NAME   unprivileged user to run as (default: vigil, else nobody)\n"
	"  -n, --dry-run     let the kernel check the batch, but commit nothing\n"
	"  -f, --force       replace the table even if vigild did not make it\n"
	"  -q, --quiet       print nothing on success\n"
	LIMIT_USAGE;

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		LIMIT_OPTIONS, /* issue 14: amplification caps */
		{ NULL, 0, NULL, 0 },
	};
	const char *table = "vigil";
	bool force = false;
	struct policy_src src;
	struct compiled c;
	struct psep p;
	struct batch b;
	bool quiet = false, dry = false;
	uint32_t genid = 0;
	double t0;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hqnft:u:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(apply_usage, stdout);
			return EXIT_OK;
		case 'f':
			force = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'n':
			dry = true;
			break;
		case 't':
			table = optarg;
			break;
		case 'u':
			if (!*optarg) {
				cli_error("--user needs a user name or id");
				return EXIT_USAGE;
			}
			opt_user = optarg;
			break;
		case OPT_MAX_RULES: /* issue 14: amplification caps */
		case OPT_MAX_ELEMS:
			if (cli_limit_option(ch, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		default:
			return cli_bad_option("apply", ch, argv, apply_usage);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s apply: error: expected exactly one POLICY file\n\n%s", program_name,
			apply_usage);
		return EXIT_USAGE;
	}
	if (table_name_problem(table)) {
		cli_error("invalid table name '%s': %s", table, table_name_problem(table));
		return EXIT_USAGE;
	}

	t0 = now_ms();
	r = policy_src_open(argv[optind], &src);
	if (r != EXIT_OK) {
		policy_src_close(&src);
		return r;
	}
	r = privsep_begin("vigild apply", table, force, &p);
	if (r != EXIT_OK) {
		policy_src_close(&src);
		return r;
	}
	/* from here on: no capabilities */
	r = policy_src_compile(&src, table, NULL, &c);
	if (r != EXIT_OK) {
		policy_src_close(&src);
		psep_stop(&p, true);
		return r;
	}
	batch_init(&b, first_seq());
	nftc_build_replace(&c.t, &b);
	r = commit_batch(&p, &b, &c.pol, dry, &genid);
	if (r == EXIT_OK && !quiet && dry)
		printf("checked %s: the kernel accepts table inet %s with %zu kernel rules, %zu sets, %zu elements (nothing was committed)\n",
		       src.path, c.t.name, c.t.nrules, c.t.nsets, c.t.nelems);
	else if (r == EXIT_OK && !quiet)
		printf("applied %s: table inet %s with %zu kernel rules, %zu sets, %zu elements in %.1f ms (generation %u)\n",
		       src.path, c.t.name, c.t.nrules, c.t.nsets, c.t.nelems, now_ms() - t0, genid);
	else if (r != EXIT_OK && !dry)
		fprintf(stderr, "%s: nothing was changed: the kernel keeps its previous ruleset\n",
			src.path);
	batch_free(&b);
	compiled_free(&c);
	policy_src_close(&src);
	psep_stop(&p, true);
	return r;
}

static const char remove_usage[] =
	"Usage: vigild remove [OPTIONS]\n"
	"\n"
	"Deletes vigild's table (family inet) and nothing else. Needs root\n"
	"(CAP_NET_ADMIN).\n"
	"\n"
	"  -t, --table NAME  the table to delete (default: vigil)\n"
	"  -f, --force       delete the table even if vigild did not make it\n"
	"  -u, --user NAME   unprivileged user to run as (default: vigil, else nobody)\n"
	"  -q, --quiet       print nothing on success\n";

int cmd_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *table = "vigil";
	bool force = false;
	struct nl_result res = { 0 };
	char why[256] = "";
	bool quiet = false;
	struct psep p;
	struct batch b;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:u:qf", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(remove_usage, stdout);
			return EXIT_OK;
		case 'f':
			force = true;
			break;
		case 't':
			table = optarg;
			break;
		case 'u':
			if (!*optarg) {
				cli_error("--user needs a user name or id");
				return EXIT_USAGE;
			}
			opt_user = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return cli_bad_option("remove", ch, argv, remove_usage);
		}
	}
	if (argc != optind) {
		fprintf(stderr, "%s remove: error: unexpected argument '%s'\n\n%s", program_name,
			argv[optind], remove_usage);
		return EXIT_USAGE;
	}
	if (table_name_problem(table)) {
		cli_error("invalid table name '%s': %s", table, table_name_problem(table));
		return EXIT_USAGE;
	}
	r = privsep_begin("vigild remove", table, force, &p);
	if (r != EXIT_OK)
		return r;

	batch_init(&b, first_seq());
	nftc_build_delete(table, &b);
	r = psep_commit(&p, b.buf, b.len, false, &res, why, sizeof(why));
	if (r < 0) {
		cli_error("%s%s", r == -EPERM ? "the commit helper refused the batch: " : "", why);
		r = EXIT_SYSTEM;
	} else if (res.n == 1 && res.errs[0].error == -ENOENT && !res.lost) {
		if (!quiet)
			printf("table inet %s does not exist: nothing to remove\n", table);
		r = EXIT_OK;
	} else if (res.n || res.lost) {
		print_kernel_errors(&res, &b, NULL);
		r = EXIT_SYSTEM;
	} else {
		if (!quiet)
			printf("removed table inet %s\n", table);
		r = EXIT_OK;
	}
	nl_result_free(&res);
	batch_free(&b);
	psep_stop(&p, true);
	return r;
}
