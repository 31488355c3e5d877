/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the batch encoder: nftc.c (table, chains, rules, the batch),
 * nftc_expr.c (a rule's expressions), nftc_set.c (sets, maps and their
 * elements). */
#ifndef VIGIL_NFTC_INT_H
#define VIGIL_NFTC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil/batch.h"
#include "vigil/ir.h"
#include "vigil/nftc.h"

/* one message: the largest is a set element message, whose element nest is
 * capped at 64 KiB by the 16-bit attribute length */
#define MSG_ROOM (128u << 10)

struct enc {
	struct batch *b;
	const struct ir_table *t;
	const struct nftc_opts *o;
};

/* Dependencies already established in the rule being built. */
struct deps {
	bool nfproto;
	bool l4proto; /* an exact meta l4proto compare */
};

/* nftc_expr.c */
/* A key's value as the kernel compares it (network byte order, its length). */
void nftc_key_bytes(enum ir_key k, u128 v, uint8_t *out);
/* "__set%d" for an anonymous set (the kernel numbers it), else its name. */
const char *nftc_set_name(const struct ir_set *s);
void nftc_encode_match(struct nftnl_rule *r, struct deps *d, const struct ir_match *m);
/* The statements after the matches: counter, ct mark, log, nat, verdict. */
void nftc_encode_stmts(struct nftnl_rule *r, const struct ir_rule *ir);
/* A rule that is one verdict-map lookup. */
void nftc_encode_vmap(struct nftnl_rule *r, const struct ir_match *m);

/* nftc_set.c */
/* A field's length in a concatenation: padded to a 32-bit register. */
uint32_t nftc_field_len(const struct ir_field *f);
/* A set and its elements (origin_rule: the rule of an anonymous set, or -1). */
void nftc_put_set(struct enc *E, const struct ir_set *s, int origin_rule);
/* A dynamic set's elements kept across a reload (E->o->keep), if any. */
void nftc_put_kept(struct enc *E, const struct ir_set *s);
/* A verdict map or a set of concatenations, and its elements. */
void nftc_put_map(struct enc *E, const struct ir_set *s);
/* A port-forward map and its elements. */
void nftc_put_natmap(struct enc *E, const struct ir_set *s);

#endif
