// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: NFLOG records as the watch reads them, one datagram of
 * netlink messages: every whole message through nflog_parse and its
 * prefix through nflog_prefix_parse, as src/daemon/refused.c does; and the
 * datagram as one message with its true length.
 */
#include "vigil/nflog.h"
#include "vigil/nlmsg.h"

#include <linux/netlink.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t good = nlmsg_good_len(data, size), off = 0;
	struct nflog_rec r;
	struct nflog_who w;

	while (off < good) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(data + off);
		if (nflog_parse(nlh, nlh->nlmsg_len, &r) == 0)
			nflog_prefix_parse(r.prefix, &w);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (nflog_parse(data, size, &r) == 0)
		nflog_prefix_parse(r.prefix, &w);
	return 0;
}
