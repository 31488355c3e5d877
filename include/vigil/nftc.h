/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NFTC_H
#define VIGIL_NFTC_H

#include "vigil/batch.h"
#include "vigil/ir.h"

struct dynset_list;

/*
 * Appends the whole-table replacement to b (initialised by the caller with
 * its first sequence number): BEGIN, add table, delete table, add table,
 * chains, named sets and elements, then every rule after its anonymous
 * sets, END. The kernel commits all of it or none.
 */
void nftc_build_replace(const struct ir_table *t, struct batch *b);

/* BEGIN, delete table, END. */
void nftc_build_delete(const char *table, struct batch *b);

/* How the table is replaced, from what the kernel has (TABLE_INFO). */
struct nftc_opts {
	uint32_t table_flags;  /* the new table's flags: 0, or NFT_TABLE_F_OWNER|PERSIST */
	bool destroy;          /* the kernel has NFT_MSG_DESTROYTABLE: use it instead */
	bool have_genid;       /* put NFNL_BATCH_GENID = genid in the batch begin */
	uint32_t genid;
	/* the dynamic sets' elements to carry over (a reload), or NULL */
	const struct dynset_list *keep;
};
/* The replacement and the deletion with those choices (NULL = defaults:
 * NEWTABLE, DELTABLE, no flags, no generation check). */
void nftc_build_replace_opts(const struct ir_table *t, const struct nftc_opts *o, struct batch *b);
void nftc_build_delete_opts(const char *table, const struct nftc_opts *o, struct batch *b);

/* nftc_nat.c: the immediates and the nat/masq/redir expression of a NAT
 * statement, appended to r (nothing for IR_NAT_NONE). */
struct nftnl_rule;
void nftc_encode_nat(struct nftnl_rule *r, const struct ir_nat *n);
/* The over-limit statement of a rule: `limit rate over`, `ct count over`,
 * or for a per-source set the source address and a dynset holding one. */
void nftc_encode_limit(struct nftnl_rule *r, const struct ir_limit *l);

/* NFT_TABLE_F_PERSIST (kernel 6.9; Debian 12's headers lack it). */
#define VIGIL_TABLE_F_PERSIST 0x4u

#endif
