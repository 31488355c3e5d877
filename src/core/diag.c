// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "vigil/diag.h"

void diag_vadd(struct diags *d, enum diag_sev sev, struct srcloc at, const char *fmt, va_list ap)
{
	struct diag *g;

	if (sev == DIAG_ERROR)
		d->nerr++;
	else
		d->nwarn++;
	if (d->n >= DIAG_MAX_KEPT) {
		d->dropped++; /* not even formatted: cheap for hostile input */
		return;
	}
	GROW(d->v, d->cap, d->n + 1);
	g = &d->v[d->n++];
	g->sev = sev;
	g->file = xstrdup(at.file ? at.file : "vigild");
	g->line = at.line;
	g->col = at.col;
	g->msg = xvasprintf(fmt, ap);
	/*
	 * Messages quote the policy's values, which YAML escapes can fill with
	 * newlines and terminal controls: keep every message one harmless line
	 * (a "\n" could forge a diagnostic of its own). Tabs are harmless.
	 */
	for (char *p = g->msg; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			*p = '?';
	g->seq = d->n - 1;
}

void diag_add(struct diags *d, enum diag_sev sev, struct srcloc at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, sev, at, fmt, ap);
	va_end(ap);
}

void diag_format(const struct diag *g, struct strbuf *out)
{
	sb_puts(out, g->file);
	if (g->line) {
		sb_printf(out, ":%u", g->line);
		if (g->col)
			sb_printf(out, ":%u", g->col);
	}
	sb_printf(out, ": %s: %s\n", g->sev == DIAG_ERROR ? "error" : "warning", g->msg);
}

static int cmp_diag(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diags_sort(struct diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), cmp_diag);
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
