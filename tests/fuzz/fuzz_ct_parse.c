// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: conntrack events as the reader gets them, one datagram
 * of netlink messages: the datagram check (nlmsg_good_len), then every
 * whole message through ct_parse and ct_parse_stats_cpu, as ctsock does;
 * and the datagram as one message with its true length.
 */
#include "vigil/ct.h"
#include "vigil/nlmsg.h"

#include <linux/netlink.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t good = nlmsg_good_len(data, size), off = 0;
	struct ct_event ev;
	uint32_t ins;

	while (off < good) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(data + off);
		ct_parse(nlh, nlh->nlmsg_len, &ev);
		ct_parse_stats_cpu(nlh, nlh->nlmsg_len, &ins);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	ct_parse(data, size, &ev);
	ct_parse_stats_cpu(data, size, &ins);
	return 0;
}
