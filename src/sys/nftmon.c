// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "vigil/nftmon.h"
#include "vigil/nftmon_sock.h"
#include "vigil/nl.h"
#include "vigil/util.h"

int nftmon_open(size_t rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, grp = NFTMON_GROUP, sz = (int)rcvbuf, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    /* joining the group needs CAP_NET_ADMIN now; receiving later does not */
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* only the kernel's messages count */
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &(int){ 0 }, sizeof(int));
	(void)one;
	return fd;
}

int nftmon_recv(int fd, void *buf, size_t len, int (*cb)(void *ctx, const struct nftmon_event *ev),
		void *ctx, struct nftmon_stats *st)
{
	int count = 0;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return count;
			if (errno == ENOBUFS) {
				st->enobufs++;
				continue;
			}
			return -errno;
		}
		if (from.nl_pid != 0) {
			st->foreign++;
			continue;
		}
		if (nl_datagram_check(buf, (size_t)n) < 0) {
			st->malformed++;
			continue;
		}
		while (off < (size_t)n) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)((char *)buf + off);
			struct nftmon_event ev;
			int r = nftmon_parse(nlh, (size_t)n - off, &ev);

			off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (r == -EBADMSG)
				st->malformed++;
			if (r < 0)
				continue;
			count++;
			r = cb(ctx, &ev);
			if (r < 0)
				return r;
		}
	}
}
