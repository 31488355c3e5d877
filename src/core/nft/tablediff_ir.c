// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild diff with compiled tables (tablediff.h): the batch each table
 * compiles to, and its rules in `vigild show` syntax, for tablediff.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/batch.h"
#include "vigil/nftc.h"
#include "vigil/render.h"
#include "vigil/tablediff.h"

struct side {
	struct batch b;
	char **text;
	size_t n;
};

static void side_of(const struct ir_table *t, struct side *s)
{
	struct strbuf sb = { 0 };

	memset(s, 0, sizeof(*s));
	batch_init(&s->b, 1);
	nftc_build_replace(t, &s->b);
	/* nftc sends rules chain by chain, in order */
	for (size_t c = 0; c < t->nchains; c++)
		for (size_t i = 0; i < t->chains[c].n; i++) {
			render_rule(&sb, &t->chains[c].rules[i]);
			s->text = xreallocarray(s->text, s->n + 1, sizeof(*s->text));
			s->text[s->n++] = sb_take(&sb);
		}
}

static void side_free(struct side *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->text[i]);
	free(s->text);
	batch_free(&s->b);
}

int tablediff_tables(const void *dump, size_t len, const struct ir_table *t,
		     const struct ir_table *names, struct strbuf *out, struct tablediff_counts *c)
{
	struct side p, n;
	int r;

	side_of(t, &p);
	if (names)
		side_of(names, &n);
	struct tablediff_side k = { dump, len, NULL, 0 }, ps = { p.b.buf, p.b.len, p.text, p.n };
	struct tablediff_side ns = { names ? n.b.buf : NULL, names ? n.b.len : 0, names ? n.text : NULL,
				     names ? n.n : 0 };
	r = tablediff(&k, &ps, names ? &ns : NULL, out, c);
	side_free(&p);
	if (names)
		side_free(&n);
	return r;
}
