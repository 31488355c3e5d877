// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild apply / vigild remove: the verbs that change the kernel. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vigil/nftc.h"
#include "vigil/nl.h"

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

/* Sends b; prints the outcome. Returns an exit code. */
static int commit(struct batch *b, const struct policy *pol, uint32_t *genid)
{
	struct nl nl = { .fd = -1 };
	struct nl_result res = { 0 };
	int r;

	r = nl_open(&nl);
	if (r < 0) {
		cli_error("cannot open a netfilter netlink socket: %s", strerror(-r));
		return EXIT_SYSTEM;
	}
	r = nl_send_batch(&nl, b->buf, b->len, &res);
	if (r < 0) {
		if (r == -EPERM)
			cli_error("cannot send to the kernel: %s; changing the firewall needs CAP_NET_ADMIN (run as root)",
				  strerror(-r));
		else
			cli_error("cannot send the batch to the kernel: %s", strerror(-r));
		nl_close(&nl);
		return EXIT_SYSTEM;
	}
	if (res.n || res.lost) {
		print_kernel_errors(&res, b, pol);
		nl_result_free(&res);
		nl_close(&nl);
		return EXIT_SYSTEM;
	}
	if (genid && nl_get_genid(&nl, genid) < 0)
		*genid = 0;
	nl_result_free(&res);
	nl_close(&nl);
	return EXIT_OK;
}

static const char apply_usage[] =
	"Usage: vigild apply [--quiet] POLICY\n"
	"\n"
	"Compiles POLICY and replaces vigild's own nftables table with it in one\n"
	"atomic NETLINK_NETFILTER batch: the kernel takes all of it or none of it.\n"
	"Nothing is sent when the policy is invalid. Other tables are not touched.\n"
	"Needs CAP_NET_ADMIN (root).\n"
	"\n"
	"  -q, --quiet   print nothing on success\n";

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy_src src;
	struct compiled c;
	struct batch b;
	bool quiet = false;
	uint32_t genid = 0;
	double t0;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hq", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(apply_usage, stdout);
			return EXIT_OK;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "%s apply: error: unknown option '%s'\n\n%s", program_name,
				argv[optind - 1], apply_usage);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s apply: error: expected exactly one POLICY file\n\n%s", program_name,
			apply_usage);
		return EXIT_USAGE;
	}

	t0 = now_ms();
	r = policy_src_open(argv[optind], &src);
	if (r == EXIT_OK)
		r = policy_src_compile(&src, NULL, &c);
	if (r != EXIT_OK) {
		policy_src_close(&src);
		return r;
	}
	batch_init(&b, first_seq());
	nftc_build_replace(&c.t, &b);
	r = commit(&b, &c.pol, &genid);
	if (r == EXIT_OK && !quiet)
		printf("applied %s: table inet %s with %zu kernel rules, %zu sets, %zu elements in %.1f ms (generation %u)\n",
		       src.path, c.t.name, c.t.nrules, c.t.nsets, c.t.nelems, now_ms() - t0, genid);
	else if (r != EXIT_OK)
		fprintf(stderr, "%s: nothing was changed: the kernel keeps its previous ruleset\n",
			src.path);
	batch_free(&b);
	compiled_free(&c);
	policy_src_close(&src);
	return r;
}

static const char remove_usage[] =
	"Usage: vigild remove [--table NAME] [POLICY]\n"
	"\n"
	"Deletes vigild's table (inet family) and nothing else. The table is NAME,\n"
	"else the one POLICY names, else 'vigil'. Needs CAP_NET_ADMIN (root).\n"
	"\n"
	"  -t, --table NAME   the table to delete\n"
	"  -q, --quiet        print nothing on success\n";

int cmd_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "table", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *table = NULL;
	char *owned = NULL;
	bool quiet = false;
	struct batch b;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+ht:q", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(remove_usage, stdout);
			return EXIT_OK;
		case 't':
			table = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "%s remove: error: bad option '%s'\n\n%s", program_name,
				argv[optind - 1], remove_usage);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (table && argc - optind == 1)) {
		fprintf(stderr, "%s remove: error: give --table NAME or one POLICY, not both\n\n%s",
			program_name, remove_usage);
		return EXIT_USAGE;
	}
	if (argc - optind == 1) {
		struct policy_src src;
		struct compiled c;
		r = policy_src_open(argv[optind], &src);
		if (r == EXIT_OK)
			r = policy_src_compile(&src, NULL, &c);
		policy_src_close(&src);
		if (r != EXIT_OK)
			return r;
		owned = xstrdup(c.pol.table);
		table = owned;
		compiled_free(&c);
	}
	if (!table)
		table = "vigil";
	if (!valid_name(table, false)) {
		cli_error("invalid table name '%s'", table);
		free(owned);
		return EXIT_USAGE;
	}

	batch_init(&b, first_seq());
	nftc_build_delete(table, &b);
	{
		struct nl nl = { .fd = -1 };
		struct nl_result res = { 0 };
		r = nl_open(&nl);
		if (r < 0) {
			cli_error("cannot open a netfilter netlink socket: %s", strerror(-r));
			r = EXIT_SYSTEM;
		} else if ((r = nl_send_batch(&nl, b.buf, b.len, &res)) < 0) {
			cli_error("cannot send to the kernel: %s", strerror(-r));
			r = EXIT_SYSTEM;
		} else if (res.n == 1 && res.errs[0].error == -ENOENT) {
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
		nl_close(&nl);
	}
	batch_free(&b);
	free(owned);
	return r;
}
