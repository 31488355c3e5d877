/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TESTS_UNIT_H
#define VIGIL_TESTS_UNIT_H

#include <check.h>
#include <stddef.h>

#include "vigil/diag.h"
#include "vigil/ir.h"
#include "vigil/policy.h"

/*
 * Runs the suite and prints one TAP line per test on stdout ("-" is Check's
 * name for stdout), with the plan at the end. Every test runs in a child
 * process (CK_FORK), so a crash or a sanitizer report fails that test only.
 * Returns the process exit status.
 */
int unit_run(Suite *s);

/*
 * For hot loops: Check's ck_assert_* record a checkpoint through a pipe on
 * every call, even when they pass; this reports only failures.
 */
#define expect(cond, ...)                          \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* A set file the fake reader serves; err != 0 makes the read fail with it. */
struct fake_file {
	const char *path;
	const char *data;
	size_t len;        /* 0: strlen(data) */
	int err;           /* negative errno to return instead */
};

struct fake_fs {
	const struct fake_file *files;
	size_t n;
	unsigned calls;
	char last_path[256];
	size_t last_max;
};

/* policy_read_fn over a fake_fs: ENOENT for anything it does not hold. */
int fake_read(void *ctx, const char *path, size_t max, char **buf, size_t *len);

/* All diagnostics, sorted, formatted as vigild prints them. Caller frees. */
char *diags_text(struct diags *d);

/*
 * The whole front end (parse, load, check) on text, with set files from fs
 * (may be NULL). Returns policy_compile_buffer's result; *out gets every
 * diagnostic as text (caller frees). pol must be freed with policy_free.
 */
int check_text(const char *file, const char *yaml, struct fake_fs *fs, struct policy *pol,
	       char **out);

/* Errors only from checking `yaml` (must fail); caller frees. */
char *errors_of(const char *yaml);

/* Checks that `yaml` is valid (fails the test otherwise) and compiles it. */
void compile_text(const char *yaml, struct fake_fs *fs, struct policy *pol, struct ir_table *t);

/* s with its first `from` replaced by `to` (fails the test if there is none);
 * caller frees. */
char *text_replace(const char *s, const char *from, const char *to);

/* Fails the test unless got == want, naming `what` and the first line that
 * differs. */
void text_is(const char *what, const char *got, const char *want);

/* Reads a whole file of the source tree (path relative to $VIGIL_SRCDIR). */
char *read_src_file(const char *rel, size_t *len);

#endif
