/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DUMP_H
#define VIGIL_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the kernel holds in vigild's table, from a dump (the helper's DUMP
 * reply: the kernel's messages one after the other). Pure and defensive:
 * the bytes come through the helper from the kernel, but are parsed as if
 * hostile.
 */

/* One rule of the dump: where it is, what it says about itself. */
struct dump_rule {
	char chain[64];
	uint64_t handle;
	char comment[128];    /* its userdata comment (the policy rule's name), "" if none */
	bool has_counter;
	uint64_t packets, bytes; /* the counter expression's values */
	bool nflog;           /* a log to an NFLOG group (refused traffic) */
	uint8_t verdict;      /* DUMP_V_* of its last verdict expression */
};

enum { DUMP_V_NONE, DUMP_V_ACCEPT, DUMP_V_DROP, DUMP_V_REJECT, DUMP_V_OTHER };

/*
 * Walks the dump and calls cb for every rule (rules in kernel order).
 * Returns the number of rules, or -EBADMSG for a malformed dump, or cb's
 * negative return.
 */
int dump_rules(const void *buf, size_t len, int (*cb)(void *ctx, const struct dump_rule *r),
	       void *ctx);

/* Counts of the dump's objects (table present, chains, sets, rules). */
struct dump_counts {
	bool table;
	size_t chains, sets, rules, elem_msgs;
};
int dump_count(const void *buf, size_t len, struct dump_counts *c);

#endif
