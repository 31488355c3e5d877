/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_RENDER_H
#define VIGIL_RENDER_H

#include "vigil/ir.h"
#include "vigil/util.h"

/*
 * Appends the compiled table as an nft script: `table`, `delete table`, then
 * the full table, i.e. the same atomic replacement `apply` performs. pol (may
 * be NULL) adds the source file name and the rules' comments.
 */
void render_table(struct strbuf *sb, const struct ir_table *t, const struct policy *pol);
/* One rule's statement list, without indentation or newline. */
void render_rule(struct strbuf *sb, const struct ir_rule *r);
/* render_nat.c: " dnat ip to 10.1.0.2:80" and the like (nothing for
 * IR_NAT_NONE); "dnat" and the other names of ct status bits. */
void render_nat(struct strbuf *sb, const struct ir_nat *n);
void render_ct_status(struct strbuf *sb, uint32_t bits);
/* "limit rate over 10/second burst 20 packets " and the like, with a
 * trailing blank (nothing for IR_LIM_NONE). */
void render_limit(struct strbuf *sb, const struct ir_limit *l);

#endif
