/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NFTC_H
#define VIGIL_NFTC_H

#include "vigil/batch.h"
#include "vigil/ir.h"

/*
 * Appends the whole-table replacement to b (initialised by the caller with
 * its first sequence number): BEGIN, add table, delete table, add table,
 * chains, named sets and elements, then every rule after its anonymous
 * sets, END. The kernel commits all of it or none.
 */
void nftc_build_replace(const struct ir_table *t, struct batch *b);

/* BEGIN, delete table, END. */
void nftc_build_delete(const char *table, struct batch *b);

#endif
