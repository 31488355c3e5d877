/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_POLICY_YAML_H
#define VIGIL_POLICY_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/diag.h"

/*
 * The libyaml event pass. libcyaml keeps no source positions, stops at the
 * first error, and has no way to express the policy's "scalar or list"
 * fields or its name-keyed `sets:` mapping. So this pass:
 *   - reports YAML syntax errors with their position;
 *   - builds a tree of positions (struct ynode) mirroring the document, used
 *     by policy_check to put a line:col on every semantic error;
 *   - checks the document's shape against the policy schema (unknown keys,
 *     wrong node kinds, missing required keys, duplicates, aliases) and
 *     reports every problem;
 *   - emits a canonical document (every list-capable field a sequence, sets
 *     as a sequence of mappings with a `name`, only well-formed parts) that
 *     libcyaml then loads with a fixed schema into C structs.
 * Items of canonical sequences correspond one to one, by index, to the items
 * of the original document, so positions can be looked up by index.
 */

enum ynode_kind {
	YN_SCALAR,
	YN_SEQ,
	YN_MAP,
};

struct ynode {
	uint8_t kind;
	bool bad;   /* a problem was already reported here: stay quiet */
	bool null;  /* an empty, `~` or `null` plain scalar */
	uint32_t line, col; /* 1-based */
	uint32_t n;         /* SEQ: items; MAP: key/value pairs */
	uint32_t len;       /* SCALAR: value length */
	union {
		struct ynode *kids; /* SEQ: n items; MAP: 2n nodes, key then value */
		char *val;          /* SCALAR: value (NUL-terminated, may hold NULs) */
	};
};

struct ydoc {
	const char *file;   /* borrowed */
	struct ynode root;
	char *canon;        /* canonical YAML text for libcyaml */
	size_t canon_len;
};

/* Limits that keep a hostile document from exhausting memory or stack. */
#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 4000000u

/*
 * Parses buf (len bytes, need not be NUL-terminated). Returns 0 when a tree
 * and canonical text were produced (errors in d may still make the policy
 * invalid), -EINVAL when the document could not be read at all (syntax
 * error: nothing else is usable). doc must be zeroed; free with ydoc_free.
 */
int policy_yaml_parse(const char *file, const char *buf, size_t len, struct ydoc *doc,
		      struct diags *d);
void ydoc_free(struct ydoc *doc);

/* Runs of at least n plain list lines skip libyaml's scanner (see
 * policy_yaml.c); SIZE_MAX turns that off. For tests; the default is 64. */
void policy_yaml_set_fast_min(size_t n);
/* How many parses the fast path answered (the rest fell back). For tests. */
size_t policy_yaml_fast_hits(void);

/* MAP lookup: the value node of key, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* MAP lookup: the key node of key, or NULL. */
const struct ynode *ynode_key(const struct ynode *map, const char *key);
/* SEQ item i, MAP value i; NULL when out of range or n is not a collection. */
const struct ynode *ynode_item(const struct ynode *n, size_t i);
/* SL fields: item i of a sequence, or the scalar itself for i == 0. */
const struct ynode *ynode_elem(const struct ynode *n, size_t i);

static inline struct srcloc ynode_loc(const char *file, const struct ynode *n)
{
	struct srcloc l = { file, n ? n->line : 0, n ? n->col : 0 };
	return l;
}

#endif
