// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vigil/fileio.h"
#include "vigil/kerr.h"
#include "vigil/num.h"

const char *program_name = "vigild";
const char *opt_user;
struct ir_opts opt_limits;

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_bad_option(const char *verb, int ch, char *const *argv, const char *usage)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	bool is_long = arg && arg[0] == '-' && arg[1] == '-';
	char name[64];

	/* a long option is named by what was written, up to any '=';
	 * a short one by its letter, which may sit inside a group */
	if (is_long)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt > 0 && optopt < 128)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%s", arg);
	if (ch == ':')
		fprintf(stderr, "%s %s: error: option '%s' needs an argument\n\n%s", program_name,
			verb, name, usage);
	else if (is_long && optopt > 0)
		fprintf(stderr, "%s %s: error: option '%s' takes no argument\n\n%s", program_name,
			verb, name, usage);
	else
		fprintf(stderr, "%s %s: error: unknown option '%s'\n\n%s", program_name, verb,
			name, usage);
	return EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool is_help(const char *arg)
{
	return streq(arg, "--help") || streq(arg, "-h");
}

int cli_limit_option(int ch, const char *arg)
{
	const char *name = ch == OPT_MAX_RULES ? "--max-rules" : "--max-elements";
	uint64_t v;
	int r = num_parse_unit(arg, NULL, 1, UINT32_MAX, &v);

	if (r < 0) {
		cli_error("%s wants a number from 1 to %u, not '%s'%s", name, UINT32_MAX, arg,
			  r == -ERANGE ? " (out of range)" : "");
		return EXIT_USAGE;
	}
	if (ch == OPT_MAX_RULES)
		opt_limits.max_rules = (size_t)v;
	else
		opt_limits.max_elems = (size_t)v;
	return EXIT_OK;
}

/* The absolute path of dir (as given when that fails), for messages. */
static char *abs_dir(const char *dir)
{
	char *r = realpath(dir, NULL);
	return r ? r : xstrdup(dir);
}

int policy_src_open(const char *path, struct policy_src *src)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *dir;

	memset(src, 0, sizeof(*src));
	src->fd = src->dirfd = -1;
	if (streq(path, "-")) {
		/* set files are then relative to the working directory */
		src->from_stdin = true;
		src->path = xstrdup("<stdin>");
		src->fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (src->fd < 0) {
			fprintf(stderr, "%s: error: cannot read the policy from stdin: %s\n",
				program_name, strerror(errno));
			return EXIT_INVALID;
		}
		dir = ".";
	} else {
		src->path = xstrdup(path);
		src->fd = open_input_at(AT_FDCWD, path);
		if (src->fd < 0) {
			fprintf(stderr, "%s: error: cannot open the policy: %s\n", path,
				strerror(-src->fd));
			return EXIT_INVALID;
		}
		dir = dirname(copy);
	}
	src->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (src->dirfd < 0) {
		fprintf(stderr, "%s: error: cannot open the policy's directory %s: %s\n", src->path,
			dir, strerror(errno));
		return EXIT_INVALID;
	}
	src->dir = abs_dir(dir);
	return EXIT_OK;
}

void policy_src_close(struct policy_src *src)
{
	if (src->fd >= 0)
		close(src->fd);
	if (src->dirfd >= 0)
		close(src->dirfd);
	free(src->path);
	free(src->dir);
	memset(src, 0, sizeof(*src));
	src->fd = src->dirfd = -1;
}

/* Set files are data beside the policy: regular files only (read_file_at's
 * -ENODEV is POLICY_READ_NOT_REGULAR). */
int cli_read_set_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	const struct policy_src *src = ctx;
	return read_file_at(src->dirfd, path, max, buf, len);
}

/*
 * At most DIAG_PRINT_MAX diagnostics are printed (a set file of the wrong
 * kind or a pasted blob can make thousands), errors before warnings when
 * there are more, each group in file order; then one line says how many
 * were left out. The exit status does not depend on it.
 */
#define DIAG_PRINT_MAX 50

void cli_print_diags(struct diags *d)
{
	struct strbuf sb = { 0 };
	size_t shown_err = 0, shown_warn = 0, room_warn;

	diags_sort(d);
	room_warn = d->nerr >= DIAG_PRINT_MAX ? 0 : DIAG_PRINT_MAX - d->nerr;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (g->sev == DIAG_ERROR ? shown_err >= DIAG_PRINT_MAX : shown_warn >= room_warn)
			continue;
		if (g->sev == DIAG_ERROR)
			shown_err++;
		else
			shown_warn++;
		diag_format(g, &sb);
	}
	if (shown_err < d->nerr || shown_warn < d->nwarn) {
		size_t me = d->nerr - shown_err, mw = d->nwarn - shown_warn;
		sb_printf(&sb, "%s: and", program_name);
		if (me)
			sb_printf(&sb, " %zu more %s", me, me == 1 ? "error" : "errors");
		if (mw)
			sb_printf(&sb, "%s %zu more %s", me ? " and" : "", mw,
				  mw == 1 ? "warning" : "warnings");
		sb_printf(&sb, " (only the first %d are printed)\n", DIAG_PRINT_MAX);
	}
	if (sb.len)
		fputs(sb.s, stderr);
	sb_free(&sb);
}

int policy_src_compile(struct policy_src *src, const char *table, const struct ir_opts *io,
		       struct compiled *c)
{
	struct policy_opts po = { .table = table, .read_file = cli_read_set_file, .read_ctx = src,
				  .set_dir = src->dir, .set_dir_is_cwd = src->from_stdin };
	struct passwd *pw = geteuid() ? getpwuid(geteuid()) : NULL;

	if (pw)
		po.as_user = pw->pw_name; /* privileges dropped: say who reads */
	struct diags d = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	memset(c, 0, sizeof(*c));
	r = read_fd(src->fd, POLICY_MAX_FILE, &buf, &len);
	if (r == -EFBIG) {
		fprintf(stderr, "%s:1:1: error: the policy is larger than the limit of %u MiB (load large lists from a set file)\n",
			src->path, POLICY_MAX_FILE >> 20);
		return EXIT_INVALID;
	}
	if (r < 0) {
		fprintf(stderr, "%s: error: cannot read the policy: %s\n", src->path, strerror(-r));
		return EXIT_INVALID;
	}
	r = policy_compile_buffer(src->path, buf, len, &po, &c->pol, &d);
	if (r == 0) {
		struct ir_opts o = io ? *io : opt_limits;
		r = ir_compile(&c->pol, &o, &c->t);
		if (r < 0)
			ir_over_diag(&c->t, &c->pol, &d);
	}
	cli_print_diags(&d);
	diags_free(&d);
	if (r < 0) {
		compiled_free(c);
		return EXIT_INVALID;
	}
	cli_print_diags(&c->t.warnings);
	return EXIT_OK;
}

void compiled_free(struct compiled *c)
{
	ir_table_free(&c->t);
	policy_free(&c->pol);
}

void print_kernel_errors(const struct nl_result *res, const struct batch *b,
			 const struct policy *pol)
{
	struct strbuf sb = { 0 };

	kerr_format(&sb, res, b, pol, program_name);
	if (sb.len)
		fputs(sb.s, stderr);
	sb_free(&sb);
}
