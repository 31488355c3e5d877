/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_FOREIGN_H
#define VIGIL_FOREIGN_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/*
 * Other tables' filter base chains at the hooks vigild filters too
 * (input, forward), read from a dump of chains and rules (foreign.c,
 * pure: the caller dumps). An accept in another table does not end a
 * packet's path through the hook: vigild's chain still sees it, and its
 * default drop drops it. That is how a forward: drop policy cuts off a
 * docker host's containers.
 */
struct foreign_chain {
	uint8_t family;        /* NFPROTO_* */
	char table[64], chain[64];
	uint32_t hook;         /* NF_INET_LOCAL_IN or NF_INET_FORWARD */
	uint32_t policy;       /* NF_ACCEPT, NF_DROP */
	unsigned accepts;      /* accept verdicts in the rules of its table */
};

struct foreign_view {
	struct foreign_chain *v;
	size_t n, cap;
	/* accept verdicts per table, counted from the rules */
	struct foreign_table {
		uint8_t family;
		char name[64];
		unsigned accepts;
	} *t;
	size_t nt, capt;
};

/* One NEWCHAIN message of a GETCHAIN dump. */
void foreign_add_chain(struct foreign_view *f, const struct nlmsghdr *nlh);
/* One NEWRULE message of a GETRULE dump (after the chains). */
void foreign_add_rule(struct foreign_view *f, const struct nlmsghdr *nlh);
/* Fills each chain's accept count from its table's. */
void foreign_done(struct foreign_view *f);
void foreign_free(struct foreign_view *f);

#endif
