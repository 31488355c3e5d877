/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NL_H
#define VIGIL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "vigil/nlreply.h"
#include "vigil/util.h"

/*
 * The only place that sends requests on NETLINK_NETFILTER: nf_tables
 * batches, and gets and dumps through one request/reply function. Every
 * request needs CAP_NET_ADMIN in the sender (the kernel checks the sending
 * process): the commit helper calls these.
 */
struct nl {
	int fd;
	uint32_t portid;
	uint32_t seq;
};

/* Opens and binds a NETLINK_NETFILTER socket with extended acks. */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
uint32_t nl_next_seq(struct nl *nl);

/*
 * Sends a whole batch in one sendmsg and collects the kernel's answer into
 * res. Returns 0 when the batch went to the kernel (res says whether it
 * committed), or a negative errno when it could not be sent at all.
 */
int nl_send_batch(struct nl *nl, const void *buf, size_t len, struct nl_result *res);

/*
 * Sends one request (its sequence number is set here; a non-dump request
 * gets NLM_F_ACK) and hands every reply message to cb until the dump ends
 * or the ack arrives. Every datagram's message lengths are checked before
 * libmnl walks it. Returns 0, the kernel's -errno, -EINTR when a dump was
 * interrupted by a change (NLM_F_DUMP_INTR: retry), or -EBADMSG.
 */
typedef int (*nl_talk_cb)(const struct nlmsghdr *nlh, void *ctx);
int nl_talk(struct nl *nl, struct nlmsghdr *req, nl_talk_cb cb, void *ctx);

/* 0 when every nlmsg_len of the datagram lies within it, else -EBADMSG. */
int nl_datagram_check(const void *buf, size_t len);

/* The ruleset generation (NFT_MSG_GETGEN). */
int nl_get_genid(struct nl *nl, uint32_t *genid);

struct nl_table_info {
	bool exists;
	uint32_t flags;        /* NFTA_TABLE_FLAGS */
	bool has_owner;        /* NFTA_TABLE_OWNER present ... */
	uint32_t owner;        /* ... the owning socket's portid */
	char comment[128];
};

/* Table inet `name`: whether it exists (0 with exists=false if not), its
 * flags, owner and comment. */
int nl_table_info(struct nl *nl, const char *name, struct nl_table_info *ti);

/*
 * Whether table inet `name` exists, and its comment: 0 with the comment
 * ("" when it has none), -ENOENT when there is no such table, or another
 * negative errno.
 */
int nl_table_comment(struct nl *nl, const char *name, char *comment, size_t len);

/*
 * Dumps table inet `table` and every object in it (chains, sets, the
 * elements of every set, rules), as the kernel's messages one after the
 * other, at one generation (returned in *genid; retried when a commit comes
 * in between). Messages naming another table are left out. At most max
 * bytes (-EFBIG). -ENOENT when the table does not exist.
 */
int nl_dump_table(struct nl *nl, const char *table, size_t max, struct strbuf *out,
		  uint32_t *genid);
/* The same without elements and rules: the table, its chains and sets. */
int nl_dump_defs(struct nl *nl, const char *table, size_t max, struct strbuf *out,
		 uint32_t *genid);

/*
 * The dynamic sets of table inet `table` (sets whose comment is
 * IR_DYNSET_MARK) and, with elements, their elements, at one generation,
 * as the kernel's messages; no other set's elements are read. At most max
 * bytes (-EFBIG). An absent table gives nothing (0).
 */
int nl_dump_dynsets(struct nl *nl, const char *table, bool elements, size_t max,
		    struct strbuf *out, uint32_t *genid);

/* Conntrack statistics summed over CPUs, and the table's fill. */
struct nl_ct_stats {
	uint64_t insert, insert_failed, drop, early_drop;
	uint64_t entries, max;
};
int nl_ct_stats(struct nl *nl, struct nl_ct_stats *st);

/* Every conntrack entry (IPCTNL_MSG_CT_GET dump), at most max bytes. */
int nl_ct_dump(struct nl *nl, size_t max, struct strbuf *out);

#endif
