/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NFLOGSOCK_H
#define VIGIL_NFLOGSOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * The NFLOG socket of vigild watch (refused traffic): NETLINK_NETFILTER,
 * bound to one nfnetlink_log group with NFULNL_CFG_CMD_BIND (no PF_BIND:
 * `log group N` rules name their logger, so the namespace's default
 * logger is left alone), copy mode packet with a small range (headers
 * only), per-instance sequence numbers, a short flush timeout. Opened
 * while privileged (nfnetlink wants CAP_NET_ADMIN for the config); read
 * without any capability.
 */

#define NFLOGSOCK_RCVBUF (4u << 20)
#define NFLOGSOCK_COPY_RANGE 96    /* IPv6 header + TCP ports, with room */
#define NFLOGSOCK_TIMEOUT 20       /* flush after 0.2 s (1/100 s) */
#define NFLOGSOCK_QTHRESH 64       /* or after this many records */

/*
 * Returns the socket (non-blocking, close-on-exec), or a negative errno:
 * -EBUSY when another socket holds the group in this network namespace
 * (why says so, with the holder's port id when /proc says it), -EPERM
 * without CAP_NET_ADMIN. why gets a message for people on failure.
 */
int nflogsock_open(uint16_t group, char *why, size_t whylen);

#endif
