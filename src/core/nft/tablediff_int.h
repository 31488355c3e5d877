/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tablediff's model of one stream (tablediff_model.c). */
#ifndef VIGIL_TABLEDIFF_INT_H
#define VIGIL_TABLEDIFF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/tablediff.h"

struct td_elem {
	uint8_t key[64], end[64];
	uint32_t klen, elen;
	uint32_t flags;
	char data[80];          /* a map's verdict: "goto CHAIN", or "" */
	uint8_t dval[64];       /* ... or its value (a port-forward map's
				 * address . port), dlen bytes */
	uint32_t dlen;
};

struct td_set {
	char *name;             /* as the stream names it ("__set%d", "__set3") */
	uint32_t id;
	bool anon;
	uint32_t flags, keytype, keylen;
	uint32_t datatype, datalen; /* a map to values (not verdicts): its data's */
	struct td_elem *e;
	size_t ne, cap;
	char *items;            /* the elements, sorted, ", "-joined (td_set_items) */
	char **item;            /* the same one by one */
	size_t nitem;
};

struct td_rule {
	char *chain;
	char *key;              /* expressions and comment, set references resolved */
	const char *text;       /* nft syntax, borrowed; NULL: show key */
	uint64_t handle;        /* the kernel's (0 in a batch) */
};

struct td_model {
	bool table;
	char **chains;          /* "NAME DEFINITION" */
	size_t nchains, ccap;
	struct td_set *sets;
	size_t nsets, scap;
	struct td_rule *rules;
	size_t nrules, rcap;
};

int td_model_load(const struct tablediff_side *s, struct td_model *m);
void td_model_free(struct td_model *m);
/* Computes s->items and s->item from s->e (idempotent). */
void td_set_items(struct td_set *s);
/* nft's name of a set key type vigild uses, or NULL */
const char *td_type_name(uint32_t type);
/* A type as nft names it, concatenations included ("ipv4_addr .
 * inet_service"); the number when it is none vigild uses. */
void td_type_text(struct strbuf *sb, uint32_t type);

#endif
