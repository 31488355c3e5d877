// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sendbatch FILE: sends the batch in FILE straight to the kernel, as root,
 * without the commit helper's verifier (netns tests: what would the kernel
 * have done with a batch the helper refused?). A generation id in the
 * batch begin (NFNL_BATCH_GENID, from the namespace the batch was made
 * for) is taken out, so that another namespace judges the rest. Prints
 * every error the kernel answers. Exit 0 committed, 1 the kernel refused
 * it, 2 local error.
 */
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>

#include "vigil/fileio.h"
#include "vigil/nl.h"

int main(int argc, char **argv)
{
	struct nl nl = { .fd = -1 };
	struct nl_result res = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: sendbatch FILE\n");
		return 2;
	}
	r = read_file_at(AT_FDCWD, argv[1], 1u << 30, &buf, &len);
	if (r == 0 && len >= 20 && ((struct nlmsghdr *)buf)->nlmsg_type == NFNL_MSG_BATCH_BEGIN &&
	    ((struct nlmsghdr *)buf)->nlmsg_len > 20 && ((struct nlmsghdr *)buf)->nlmsg_len <= len) {
		size_t extra = ((struct nlmsghdr *)buf)->nlmsg_len - 20;
		memmove(buf + 20, buf + 20 + extra, len - 20 - extra);
		len -= extra;
		((struct nlmsghdr *)buf)->nlmsg_len = 20;
	}
	if (r < 0 || (r = nl_open(&nl)) < 0 || (r = nl_send_batch(&nl, buf, len, &res)) < 0) {
		fprintf(stderr, "sendbatch: %s\n", strerror(-r));
		return 2;
	}
	for (size_t i = 0; i < res.n; i++)
		printf("seq %u: %s%s%s\n", res.errs[i].seq, strerror(-res.errs[i].error),
		       res.errs[i].msg[0] ? ": " : "", res.errs[i].msg);
	return res.n || res.lost ? 1 : 0;
}
