/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tablediff's model of one stream (tablediff_model.c). */
#ifndef VIGIL_TABLEDIFF_INT_H
#define VIGIL_TABLEDIFF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/tablediff.h"

/* An element; its bytes are the stream's (which outlives the model). */
struct td_elem {
	const uint8_t *key, *end;   /* end: NULL without a key end */
	uint32_t klen, elen;        /* at most 64 each */
	uint32_t flags;
	uint32_t dlen;              /* dval's bytes, 0: none */
	bool verdict;               /* a map's element: code and chain */
	int32_t code;
	const char *chain;          /* NULL: none */
	const uint8_t *dval;        /* ... or a value: a port-forward map's
				     * address . port (the stream's bytes) */
	const void *raw;            /* the element's nest in the stream (struct nlattr) */
};
/* A map element's verdict as nft writes it: "goto CHAIN" ("" when none). */
void td_elem_verdict(const struct td_elem *e, char *buf, size_t len);

struct td_set {
	char *name;             /* as the stream names it ("__set%d", "__set3") */
	uint32_t id;
	bool anon;
	uint32_t flags, keytype, keylen;
	uint32_t datatype, datalen; /* a map to values (not verdicts): its data's */
	uint8_t udata[256];     /* NFTA_SET_USERDATA (vigild's dynamic mark) */
	uint32_t udlen;
	uint64_t timeout;       /* NFTA_SET_TIMEOUT, 0: none */
	const void *msg;        /* its NEWSET in the stream (struct nlmsghdr) */
	const void **emsg;      /* its NEWSETELEM messages in the stream */
	size_t nemsg;
	struct td_elem *e;
	size_t ne, cap;
	char *items;            /* the elements, sorted, ", "-joined (td_set_items) */
	char **item;            /* the same one by one */
	size_t nitem;
	bool sorted;            /* e is sorted (td_set_sort) */
};

struct td_rule {
	char *chain;
	char *key;              /* expressions and comment, set references resolved */
	const char *text;       /* nft syntax, borrowed; NULL: show key */
	uint64_t handle;        /* the kernel's (0 in a batch) */
	const void *msg;        /* its NEWRULE in the stream (struct nlmsghdr) */
	size_t *anon;           /* indices of the anonymous sets it looks up */
	size_t nanon;
};

struct td_model {
	bool table;
	char **chains;          /* "NAME DEFINITION" */
	const void **chain_msg; /* their NEWCHAIN in the stream */
	size_t nchains, ccap;
	struct td_set *sets;
	size_t nsets, scap;
	struct td_rule *rules;
	size_t nrules, rcap;
};

int td_model_load(const struct tablediff_side *s, struct td_model *m);
void td_model_free(struct td_model *m);
/* Computes s->items and s->item from s->e (idempotent; sorts e). */
void td_set_items(struct td_set *s);
/* Sorts s->e in td_elem_cmp's order. */
void td_set_sort(struct td_set *s);
/* A total order of elements: by key, an interval's end before a start at
 * the same key, then by key end, verdict (code, chain) and data value (a
 * port-forward map's address . port); 0 only for the same element. */
int td_elem_cmp(const struct td_elem *x, const struct td_elem *y);
/* nft's name of a set key type vigild uses, or NULL */
const char *td_type_name(uint32_t type);
/* A type as nft names it, concatenations included ("ipv4_addr .
 * inet_service"); the number when it is none vigild uses. */
void td_type_text(struct strbuf *sb, uint32_t type);

#endif
