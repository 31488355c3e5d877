/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_DIFF_H
#define VIGIL_CLI_DIFF_H

#include "vigil/batch.h"
#include "vigil/ir.h"
#include "vigil/tablediff.h"

/* Every rule of t in `vigild show` syntax, in the order nftc sends them. */
struct diff_texts {
	char **v;
	size_t n;
};
void diff_texts(const struct ir_table *t, struct diff_texts *dt);
void diff_texts_free(struct diff_texts *dt);

/*
 * The kernel's dump (may be empty: no table) against the compiled table t;
 * oldb/oldt (may be NULL): the last policy applied, for names. Appends the
 * lines to out; returns tablediff's result.
 */
int diff_against(const void *dump, size_t dlen, const struct ir_table *t, const struct batch *oldb,
		 const struct diff_texts *oldt, struct strbuf *out, struct tablediff_counts *c);

#endif
