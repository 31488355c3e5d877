/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NFTMON_SOCK_H
#define VIGIL_NFTMON_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/nftmon.h"

/*
 * The monitor socket: a NETLINK_NETFILTER socket in group NFNLGRP_NFTABLES,
 * non-blocking. Joining needs CAP_NET_ADMIN: open it before the drop.
 * Returns the fd or -errno.
 */
int nftmon_open(size_t rcvbuf);

struct nftmon_stats {
	uint64_t enobufs;    /* overruns: events were lost */
	uint64_t foreign;    /* datagrams not from the kernel: ignored */
	uint64_t malformed;
};

/*
 * Reads what is queued and hands every nf_tables event to cb (a cb < 0
 * stops and is returned). Returns the number of events, or -errno.
 */
int nftmon_recv(int fd, void *buf, size_t len, int (*cb)(void *ctx, const struct nftmon_event *ev),
		void *ctx, struct nftmon_stats *st);

#endif
