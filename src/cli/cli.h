/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vigil/batch.h"
#include "vigil/ir.h"
#include "vigil/nlreply.h"
#include "vigil/policy.h"

/* Exit codes (vigild(8)). */
enum {
	EXIT_OK = 0,
	EXIT_INVALID = 1, /* the policy is invalid */
	EXIT_USAGE = 2,
	EXIT_SYSTEM = 3,  /* system or kernel failure */
};

extern const char *program_name;

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * For getopt_long's ':' (missing argument; the option string must start
 * with ':') and '?' (unknown option): prints which option and why, then the
 * verb's usage, and returns EXIT_USAGE. Right for grouped short options
 * ("-qx") and long ones ("--tabel").
 */
int cli_bad_option(const char *verb, int ch, char *const *argv, const char *usage);

/* A policy file opened (while privileged, if we are) but not yet read. */
struct policy_src {
	char *path;  /* as given, for messages ("<stdin>" for "-") */
	int fd;      /* the policy file */
	int dirfd;   /* its directory: set files are relative to it */
	char *dir;   /* that directory's absolute path, for messages */
	bool from_stdin; /* "-": read from stdin, set files relative to the
			  * working directory; it cannot be read again */
};

/* Opens path and its directory ("-": stdin and the working directory).
 * Prints and returns an exit code. */
int policy_src_open(const char *path, struct policy_src *src);
void policy_src_close(struct policy_src *src);

/* forwarding.c: the kernel's forwarding switches (1 on, 0 off, -1 not
 * readable), and a warning for each family the policy forwards or NATs
 * while it is off. */
struct cli_forwarding {
	int v4, v6;
};
void cli_forwarding_read(struct cli_forwarding *f);
void cli_forwarding_warn(const struct cli_forwarding *f, const struct policy *pol);

/* foreign_warn.c: other tables' filter chains at input and forward, read
 * while privileged; a warning for each that accepts traffic where the
 * policy's default is drop (own: vigild's table, left out). */
#include "vigil/foreign.h"
struct cli_foreign {
	struct foreign_view v;
	bool read;
};
void cli_foreign_read(struct cli_foreign *f);
void cli_foreign_warn(const struct cli_foreign *f, const struct policy *pol, const char *own);
void cli_foreign_free(struct cli_foreign *f);

struct compiled {
	struct policy pol;
	struct ir_table t;
};

/*
 * Reads, checks and compiles the policy; prints every diagnostic (errors and
 * warnings) to stderr. table: the table vigild runs for (NULL: the policy's
 * own). Returns EXIT_OK or EXIT_INVALID.
 */
int policy_src_compile(struct policy_src *src, const char *table, const struct ir_opts *io,
		       struct compiled *c);
void compiled_free(struct compiled *c);

/* Prints the kernel's answer to a batch, mapped back to the policy. */
void print_kernel_errors(const struct nl_result *res, const struct batch *b,
			 const struct policy *pol);

/* Common option handling. */
bool is_help(const char *arg);

/*
 * --max-rules N and --max-elements N, for the verbs that compile a policy:
 * put LIMIT_OPTIONS in the getopt table, LIMIT_USAGE in the usage, and hand
 * those options to cli_limit_option (EXIT_OK, or EXIT_USAGE printed).
 * policy_src_compile applies them (ir_opts max_rules, max_elems).
 */
enum { OPT_MAX_RULES = 0x100, OPT_MAX_ELEMS };
#define LIMIT_OPTIONS                                                          \
	{ "max-rules", required_argument, NULL, OPT_MAX_RULES },               \
	{ "max-elements", required_argument, NULL, OPT_MAX_ELEMS }
#define LIMIT_USAGE                                                            \
	"      --max-rules N     refuse a policy that becomes more than N kernel\n" \
	"                        rules (default 100000)\n"                       \
	"      --max-elements N  refuse more than N set elements (default 1000000)\n"
int cli_limit_option(int ch, const char *arg);
extern struct ir_opts opt_limits;

int cmd_check(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Started as root: drops to the service user under the seccomp filter
 * before set files are read (check, show, explain). An exit code. */
int cli_drop_if_root(void);

/* Privileged verbs: the unprivileged user to run as (--user). */
extern const char *opt_user;

/* Prints diagnostics, sorted by place, to stderr. */
void cli_print_diags(struct diags *d);
/* Reads set files relative to the policy's directory (src). */
int cli_read_set_file(void *ctx, const char *path, size_t max, char **buf, size_t *len);

#endif
