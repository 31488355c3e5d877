// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdint.h>
#include <linux/netlink.h>

#include "vigil/nlmsg.h"

size_t nlmsg_good_len(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t off = 0;

	if (!buf || len > INT32_MAX)
		return 0;
	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);
		size_t left = len - off, n = nlh->nlmsg_len;

		if (n < NLMSG_HDRLEN || n > left)
			break;
		/* the next one starts after the padding; the last may lack it */
		off += NLMSG_ALIGN(n) <= left ? NLMSG_ALIGN(n) : left;
	}
	return off;
}
