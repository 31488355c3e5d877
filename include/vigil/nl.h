/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NL_H
#define VIGIL_NL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/nlreply.h"

/* The only place that sends or receives on NETLINK_NETFILTER (nf_tables). */
struct nl {
	int fd;
	uint32_t portid;
};

/* Opens and binds a NETLINK_NETFILTER socket with extended acks. */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/*
 * Sends a whole batch in one sendmsg and collects the kernel's answer into
 * res. Returns 0 when the batch went to the kernel (res says whether it
 * committed), or a negative errno when it could not be sent at all.
 */
int nl_send_batch(struct nl *nl, const void *buf, size_t len, struct nl_result *res);

/*
 * Whether table inet `name` exists, and its comment: 0 with the comment
 * ("" when it has none), -ENOENT when there is no such table, or another
 * negative errno.
 */
int nl_table_comment(struct nl *nl, const char *name, char *comment, size_t len);

/* The ruleset generation (NFT_MSG_GETGEN). */
int nl_get_genid(struct nl *nl, uint32_t *genid);

#endif
