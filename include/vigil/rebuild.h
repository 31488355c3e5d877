/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_REBUILD_H
#define VIGIL_REBUILD_H

#include <stddef.h>

#include "vigil/batch.h"
#include "vigil/nftc.h"

/*
 * The batch that makes table inet `table` again as the dump shows it
 * (BEGIN, the table's replacement as nftc makes it, then its chains, sets,
 * elements and rules as they were, END), into b (batch_init'ed). A dump
 * without the table gives its deletion: there was none. Only attributes
 * vigild's compiler emits are carried over; counters start at 0. The
 * result still has to pass batch_verify like any batch. Returns 0 or
 * -EBADMSG for a malformed dump.
 */
int rebuild_replace(const void *dump, size_t len, const char *table, const struct nftc_opts *o,
		    struct batch *b);

#endif
