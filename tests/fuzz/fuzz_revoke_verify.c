// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the commit helper's check of a CT_DELETE request
 * (revoke_verify), on hostile bytes. What it passes must be what it
 * promises: whole messages, each a conntrack delete request of IPv4 or
 * IPv6 whose first attribute area holds an original tuple and an id
 * (checked again here, independently); anything else is refused.
 */
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "vigil/revoke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	uint8_t *copy;
	int n;

	/* the helper checks its own aligned copy */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = revoke_verify(copy, size, why, sizeof(why));
	if (n > 0) {
		size_t off = 0;
		int seen = 0;
		if (n > (int)REVOKE_MAX_PER_REQUEST)
			abort();
		while (off < size) {
			const struct nlmsghdr *h = (const void *)(copy + off);
			const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
			const struct nlattr *a;
			bool tuple = false, id = false;

			if (h->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE) ||
			    h->nlmsg_flags != (NLM_F_REQUEST | NLM_F_ACK) ||
			    (g->nfgen_family != AF_INET && g->nfgen_family != AF_INET6))
				abort();
			mnl_attr_for_each(a, h, sizeof(*g)) {
				tuple |= mnl_attr_get_type(a) == CTA_TUPLE_ORIG;
				id |= mnl_attr_get_type(a) == CTA_ID;
				if (mnl_attr_get_type(a) != CTA_TUPLE_ORIG && mnl_attr_get_type(a) != CTA_ID)
					abort();
			}
			if (!tuple || !id)
				abort();
			off += NLMSG_ALIGN(h->nlmsg_len);
			seen++;
		}
		if (seen != n || off != size)
			abort();
	}
	free(copy);
	return 0;
}
