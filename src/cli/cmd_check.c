// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild check / vigild show: no privileges, no sockets. */
#include <getopt.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "vigil/psep.h"
#include "vigil/render.h"
#include "vigil/sandbox.h"

/*
 * check and show read set files as the service does: started as root, they
 * drop to the unprivileged user (vigil, else nobody) once the policy file
 * is open, so a set file naming /etc/shadow is read with no more rights
 * than the service has, and what passes here passes there.
 */
int cli_drop_if_root(void)
{
	struct psep_ids ids;
	char why[256] = "";

	if (geteuid() != 0)
		return EXIT_OK;
	if (psep_resolve_user(NULL, &ids, why, sizeof(why)) < 0 || psep_drop(&ids, why, sizeof(why)) < 0) {
		cli_error("cannot drop privileges before reading set files: %s", why);
		return EXIT_SYSTEM;
	}
	/* check and show write no file */
	int r = sandbox_landlock(NULL, 0, why, sizeof(why));
	if (r < 0) {
		cli_error("cannot confine file access: %s", why);
		return EXIT_SYSTEM;
	}
	if (sandbox_main() < 0) {
		cli_error("cannot install the seccomp filter");
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

static int one_policy_arg(int argc, char **argv, const char *verb, const char *usage_text,
			  const char **path, const char **table)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "table", required_argument, NULL, 't' },
		{ "watch", no_argument, NULL, 'w' },
		LIMIT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ht:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK + 100;
		case 't':
			if (table_name_problem(optarg)) {
				cli_error("invalid table name '%s': %s", optarg,
					  table_name_problem(optarg));
				return EXIT_USAGE;
			}
			*table = optarg;
			break;
		case 'w':
			/* as vigild watch compiles it: NFLOG rules of refused traffic */
			opt_limits.nflog_group = IR_NFLOG_GROUP;
			break;
		case OPT_MAX_RULES:
		case OPT_MAX_ELEMS:
			if (cli_limit_option(c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		default:
			return cli_bad_option(verb, c, argv, usage_text);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s %s: error: expected exactly one POLICY file\n\n%s", program_name,
			verb, usage_text);
		return EXIT_USAGE;
	}
	*path = argv[optind];
	return -1;
}

static const char check_usage[] =
	"Usage: vigild check [--table NAME] [--max-rules N] [--max-elements N] POLICY\n"
	"\n"
	"Validates and compiles POLICY without touching the kernel and without\n"
	"privileges. Prints 'OK: N rules, M sets -> K kernel rules, worst path:\n"
	"W kernel rules (CHAIN)' (W: the most rules one packet can walk), or\n"
	"every problem as FILE:LINE:COL: error: MESSAGE and exits 1.\n"
	"\n"
	"  -t, --table NAME  check as 'vigild apply --table NAME' would (default\n"
	"                    vigil): a policy naming another table is an error\n"
	LIMIT_USAGE;

int cmd_check(int argc, char **argv)
{
	struct policy_src src;
	struct compiled c;
	const char *path, *table = NULL;
	int r;

	r = one_policy_arg(argc, argv, "check", check_usage, &path, &table);
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	r = policy_src_open(path, &src);
	if (r == EXIT_OK)
		r = cli_drop_if_root();
	if (r == EXIT_OK)
		r = policy_src_compile(&src, table, NULL, &c);
	if (r == EXIT_OK) {
		int w = CH_INPUT;
		for (int k = 0; k < CH_MAX; k++)
			if (c.t.worst[k] > c.t.worst[w])
				w = k;
		printf("OK: %zu rules, %zu sets -> %zu kernel rules, worst path: %zu kernel rules (%s)\n",
		       c.pol.nrules, c.pol.nsets, c.t.nrules, c.t.worst[w], chain_name(w));
		compiled_free(&c);
	}
	policy_src_close(&src);
	return r;
}

static const char show_usage[] =
	"Usage: vigild show [--table NAME] [--watch] [--max-rules N] [--max-elements N] POLICY\n"
	"\n"
	"Prints the ruleset POLICY compiles to, in nft syntax, rendered from\n"
	"vigild's own representation. The output is an 'nft -f' script that\n"
	"performs the same atomic replacement as 'vigild apply'.\n"
	"\n"
	"  -t, --table NAME  as for 'vigild apply --table NAME'\n"
	"      --watch       as 'vigild watch' commits it: with the NFLOG rules that\n"
	"                    record refused traffic (group 6613)\n"
	LIMIT_USAGE;

int cmd_show(int argc, char **argv)
{
	struct policy_src src;
	struct compiled c;
	struct strbuf sb = { 0 };
	const char *path, *table = NULL;
	int r;

	r = one_policy_arg(argc, argv, "show", show_usage, &path, &table);
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	r = policy_src_open(path, &src);
	if (r == EXIT_OK)
		r = cli_drop_if_root();
	if (r == EXIT_OK)
		r = policy_src_compile(&src, table, NULL, &c);
	if (r == EXIT_OK) {
		render_table(&sb, &c.t, &c.pol);
		fwrite(sb.s, 1, sb.len, stdout);
		sb_free(&sb);
		compiled_free(&c);
	}
	policy_src_close(&src);
	return r;
}
