/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NLMSG_H
#define VIGIL_NLMSG_H

#include <stddef.h>

/*
 * The first check of every datagram of netlink messages, before libmnl
 * walks it: mnl_nlmsg_ok() compares (int)nlmsg_len against a signed int,
 * so a length with the top bit set passes as a negative number and
 * mnl_nlmsg_next() then steps outside the buffer.
 *
 * Returns how many bytes from the start are whole messages: each header
 * fits, 16 <= nlmsg_len <= the bytes left (so never the top bit, the
 * datagram being at most INT32_MAX bytes), each message padded to 4 bytes
 * except possibly the last. Equal to len when the datagram is sound; less
 * means the rest is malformed (walk only the good part, count the rest).
 * Pure; meant for hostile input.
 */
size_t nlmsg_good_len(const void *buf, size_t len);

#endif
