/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_FOREIGN_H
#define VIGIL_FOREIGN_H

#include <stdbool.h>
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
	size_t tab;            /* its table in foreign_view.t (foreign_done) */
};

/* An accept rule of another table, for defer-to's coverage: the
 * interface names it requires (`iifname "docker0"`, `oifname "br-*"`:
 * compares for equality; '*' for a prefix compare), and whose chain or
 * table it is by name (DOCKER*, NETAVARK*, CNI-*, LIBVIRT_*, tables
 * netavark and libvirt_network: enum defer_id, or -1). */
#define FOREIGN_RULE_IFS 4
struct foreign_accept {
	char ifs[FOREIGN_RULE_IFS][17];
	uint8_t nifs;
	bool ifs_unknown;      /* an interface looked up in a set: names unknown */
	int8_t owner;
};

struct foreign_view {
	struct foreign_chain *v;
	size_t n, cap;
	/* accept verdicts per table, counted from the rules */
	struct foreign_table {
		uint8_t family;
		char name[64];
		unsigned accepts;
		struct foreign_accept *acc; /* one per rule with an accept */
		size_t nacc, capacc;
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

/*
 * Does defer-to (bits 1 << enum defer_id) cover every accept rule of table
 * t? A rule is covered when one of the interfaces it requires is a bridge
 * of a manager named (defer_pattern_covers), or, naming none, when its
 * chain or table is that manager's (podman's netavark accepts by address
 * only). The first rule that is not: its interfaces into why ("" when it
 * names none), its owner into *owner (-1 if none is recognised).
 */
bool foreign_covered(const struct foreign_table *t, unsigned defer, char *why, size_t len,
		     int *owner);

#endif
