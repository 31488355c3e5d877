/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DIAG_H
#define VIGIL_DIAG_H

#include <stddef.h>

#include "vigil/util.h"

/*
 * Diagnostics: pure code never prints; it appends located messages here and
 * the command decides what to print. Every message is one line of the form
 * FILE:LINE:COL: error: MESSAGE (LINE and COL are 1-based; 0 means unknown
 * and is left out).
 */
enum diag_sev {
	DIAG_ERROR,
	DIAG_WARNING,
};

struct diag {
	enum diag_sev sev;
	char *file;
	unsigned line, col;
	char *msg;
	size_t seq; /* insertion order, keeps the sort stable */
};

/*
 * At most DIAG_MAX_KEPT diagnostics are kept: a hostile policy or set file
 * can have millions of errors. The rest are counted (in nerr/nwarn as
 * well, and in dropped), not stored; whoever prints them says how many
 * were left out.
 */
#define DIAG_MAX_KEPT 10000

struct diags {
	struct diag *v;
	size_t n, cap;
	size_t nerr, nwarn;   /* all of them, kept or not */
	size_t dropped;       /* past DIAG_MAX_KEPT: counted, not kept */
};

/* A place in a source file; file is borrowed, never freed through this. */
struct srcloc {
	const char *file;
	unsigned line, col;
};

void diag_add(struct diags *d, enum diag_sev sev, struct srcloc at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_vadd(struct diags *d, enum diag_sev sev, struct srcloc at, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
#define diag_err(d, at, ...) diag_add((d), DIAG_ERROR, (at), __VA_ARGS__)
#define diag_warn(d, at, ...) diag_add((d), DIAG_WARNING, (at), __VA_ARGS__)

/* Appends one formatted line (with trailing newline) for diagnostic i. */
void diag_format(const struct diag *g, struct strbuf *out);
/* Sort by file, line, column (stable), so the output reads top to bottom. */
void diags_sort(struct diags *d);
void diags_free(struct diags *d);

#endif
