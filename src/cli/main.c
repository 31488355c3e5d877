// SPDX-License-Identifier: GPL-2.0-or-later
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "vigil/psep.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "unknown"
#endif

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "check", cmd_check, "validate and compile a policy (no privileges needed)" },
	{ "show", cmd_show, "print the compiled ruleset in nft syntax" },
	{ "diff", cmd_diff, "what applying a policy would change in vigild's table now" },
	{ "apply", cmd_apply, "replace vigild's table with the policy, atomically" },
	{ "remove", cmd_remove, "delete vigild's table (and nothing else)" },
	{ "watch", cmd_watch, "apply and keep the policy, record conntrack flows per rule in SQLite" },
	{ "reload", cmd_reload, "make the running watch apply its policy again; wait for the outcome" },
	{ "status", cmd_status, "what the running watch says: state, table, policy, loss" },
	{ "confirm", cmd_confirm, "keep the change 'apply --confirm' made" },
	{ "rollback", cmd_rollback, "undo the change 'apply --confirm' made, now" },
	{ "set", cmd_set, "add, delete or list the elements of a dynamic set (bans)" },
	{ "explain", cmd_explain, "which rule of a policy decides a packet, with its file:line" },
	{ "flows", cmd_flows, "query the flows vigild watch recorded (read-only)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s VERB [OPTIONS] [ARGS]\n\nVerbs:\n", program_name);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\n'%s VERB --help' (or '%s help VERB') describes a verb, '%s version'\n"
		"prints the version; man vigild(8), vigil-policy(5) and vigil-flows(5)\n"
		"describe the rest.\n",
		program_name, program_name, program_name);
}

static int version_usage(void)
{
	printf("Usage: %s version\n\nPrints the version of vigild (also: %s --version, %s -V).\n",
	       program_name, program_name, program_name);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	/* the commit helper is an exec of this binary (src/sys/helper.c) */
	if (argc >= 2 && streq(argv[1], PSEP_HELPER_ARGV))
		return psep_helper_main(argc, argv);
	/* before reading anything: a process holding privileges is not
	 * dumpable, so no core file and no ptrace or /proc/PID/mem of the user
	 * it becomes can show what it read as root (issue 14 point 8) */
	if (geteuid() == 0 || psep_can_admin())
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setlocale(LC_ALL, "C");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1]) || streq(argv[1], "help")) {
		/* help, help --help, help help: the general usage */
		if (argc == 2 ||
		    (argc == 3 && (is_help(argv[2]) || streq(argv[2], "help")))) {
			usage(stdout);
			return EXIT_OK;
		}
		if (argc == 3 && streq(argv[2], "version"))
			return version_usage();
		/* help VERB: the verb's own --help */
		for (size_t i = 0; argc == 3 && i < ARRAY_SIZE(verbs); i++)
			if (streq(argv[2], verbs[i].name)) {
				char *args[] = { argv[2], (char *)"--help", NULL };
				return verbs[i].fn(2, args);
			}
		fprintf(stderr, "%s: error: '%s %s' wants a verb, not '%s'\n\n", program_name,
			program_name, argv[1], argv[2]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (streq(argv[1], "--version") || streq(argv[1], "-V") || streq(argv[1], "version")) {
		if (argc == 3 && is_help(argv[2]))
			return version_usage();
		if (argc > 2) {
			fprintf(stderr, "%s: error: '%s' takes no arguments\n", program_name, argv[1]);
			return EXIT_USAGE;
		}
		printf("vigild %s\n", VIGIL_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (streq(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: error: unknown verb '%s'\n\n", program_name, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
