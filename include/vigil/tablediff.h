/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TABLEDIFF_H
#define VIGIL_TABLEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/util.h"

/*
 * What applying a policy would change in vigild's table (vigild diff),
 * object by object: chains, named sets and their elements, rules chain by
 * chain in order. Both sides are streams of nf_tables netlink messages:
 * the kernel's dump of the table (the helper's DUMP), and the batch the
 * policy compiles to (nftc), read the same way (libnftnl), so a rule is
 * the same rule when its expressions, its comment and its anonymous sets'
 * elements are; handles, counters and the kernel's own names for anonymous
 * sets do not count.
 *
 * Rules are shown in nft syntax where a side can say it: rule_text[i] is
 * the i-th NEWRULE of that side's stream as `vigild show` prints it (may
 * be NULL: the low-level expressions are shown). A third stream, `names`
 * (typically the last policy applied), lends its texts to the kernel's
 * rules that it holds.
 */
struct tablediff_side {
	const void *buf;
	size_t len;
	char **rule_text;
	size_t ntext;
	bool elems_only;        /* named sets: elements sorted, not formatted (delta.h) */
};

struct tablediff_counts {
	bool kernel_table;      /* the kernel has the table at all */
	size_t added, removed;  /* lines of each sign */
	size_t same_rules;      /* rules on both sides */
};

/*
 * Appends the differences to out ("+"/"-" lines, "chain NAME:" headers).
 * Returns 0, or -EBADMSG when a stream is malformed.
 */
int tablediff(const struct tablediff_side *kernel, const struct tablediff_side *policy,
	      const struct tablediff_side *names, struct strbuf *out, struct tablediff_counts *c);

struct ir_table;

/*
 * The kernel's dump (len 0: no table) against the compiled table t, whose
 * batch and rule texts are made here; names (may be NULL): the table the
 * kernel's rules are named after (the last policy applied).
 */
int tablediff_tables(const void *dump, size_t len, const struct ir_table *t,
		     const struct ir_table *names, struct strbuf *out, struct tablediff_counts *c);

/* The NFLOG group the dump's rules log refused traffic to (a table that
 * vigild watch made), or 0 (one that vigild apply made). */
uint16_t tablediff_nflog_group(const void *dump, size_t len);

#endif
