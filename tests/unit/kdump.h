/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TEST_KDUMP_H
#define VIGIL_TEST_KDUMP_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/batch.h"

/*
 * The dump the kernel gives of the table a compiled batch makes, for
 * tests without a kernel (test_rebuild: apply --confirm's rollback is
 * rebuilt from such a dump): the batch's NEWTABLE (once), NEWCHAIN,
 * NEWSET, NEWSETELEM and NEWRULE messages as nf_tables' dump has them.
 * What the dump differs in (kernel 6.18; nat as `nft --debug=netlink list
 * table` shows it, the rest from nf_tables_api.c's fill functions):
 * handles and use counts; no set ids (lookups and dynsets name the set);
 * anonymous sets named __setN; set flags 0 left out; an empty set
 * description; a lookup's flags 0; a counter's values; a rule's position;
 * a base chain's flags; a load's 32-bit register on a 16-byte boundary
 * named as the 128-bit one (the port after an IPv6 address: reg 2);
 * nat's highest registers equal to its lowest and its flags with MAP_IPS
 * and PROTO_SPECIFIED ORed in; masq's and redir's highest port register
 * equal to the lowest.
 */
struct kdump {
	struct batch out; /* the dump's messages (batch_msg bookkeeping only) */
	struct {
		uint32_t id;
		char name[NFT_SET_MAXNAMELEN];
	} sets[256];
	size_t nsets;
	uint64_t handle;
	char last_chain[NFT_CHAIN_MAXNAMELEN];
	uint64_t last_rule;
};

void kdump_of(const struct batch *b, struct kdump *k);
void kdump_free(struct kdump *k);

/* walking nf_tables messages and attributes */
uint16_t kd_type(const struct nlmsghdr *m);       /* NFT_MSG_* */
bool kd_nft(const struct nlmsghdr *m);            /* of subsystem nftables */
const struct nlattr *kd_find(const struct nlattr *nest, uint16_t type);
#define KD_EACH_MSG(m, buf, len)                                                         \
	for (const struct nlmsghdr *m = (const void *)(buf);                             \
	     (const uint8_t *)m < (const uint8_t *)(buf) + (len);                        \
	     m = (const void *)((const uint8_t *)m + NLMSG_ALIGN(m->nlmsg_len)))
#define KD_EACH_ATTR(a, m) mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))

#endif
