// SPDX-License-Identifier: GPL-2.0-or-later
/* The conntrack event socket, its drop counter, and conntrack settings. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>

#include "vigil/ct.h"
#include "vigil/ctsock.h"
#include "vigil/nlmsg.h"
#include "vigil/util.h"

#define NFNL_GROUP_BIT(g) (1u << ((g) - 1))

int ctsock_open(size_t rcvbuf, size_t *actual, const char **failed)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		/* NEW and DESTROY only: UPDATE is ~100x the volume and not needed */
		.nl_groups = NFNL_GROUP_BIT(NFNLGRP_CONNTRACK_NEW) |
			     NFNL_GROUP_BIT(NFNLGRP_CONNTRACK_DESTROY),
	};
	int fd, sz, got = 0;
	socklen_t len = sizeof(got);
	const char *step = "socket";

	if (failed)
		*failed = "the buffer size";
	if (rcvbuf == 0)
		rcvbuf = CTSOCK_DEFAULT_RCVBUF;
	if (rcvbuf > CTSOCK_MAX_RCVBUF)
		return -ERANGE;
	/*
	 * The kernel takes an int, caps it at INT_MAX / 2 and doubles it
	 * (sk_rcvbuf is an int): 1 GiB is asked as INT_MAX / 2, which gives
	 * the largest buffer there is. A value past INT_MAX would turn
	 * negative and give the smallest.
	 */
	sz = rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcvbuf;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
	if (fd < 0) {
		if (failed)
			*failed = step;
		return -errno;
	}
	/* FORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN */
	step = "SO_RCVBUF";
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
		goto fail;
	/* binding multicast groups needs CAP_NET_ADMIN (nfnetlink has no NONROOT_RECV) */
	step = "bind";
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (actual) {
		step = "getsockopt";
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
			goto fail;
		*actual = got > 0 ? (size_t)got : 0;
	}
	return fd;
fail:
	if (failed)
		*failed = step;
	sz = -errno;
	close(fd);
	return sz;
}

int ctsock_drops(int fd, uint32_t *drops)
{
	uint32_t mi[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mi);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0)
		return -errno;
	if (len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return -EPROTO;
	*drops = mi[SK_MEMINFO_DROPS];
	return 0;
}

struct ctsock_rx {
	struct mmsghdr msgs[CTSOCK_RX_SLOTS];
	struct iovec iov[CTSOCK_RX_SLOTS];
	struct sockaddr_nl from[CTSOCK_RX_SLOTS];
	/* 8-byte aligned slots: netlink headers and attributes are read in place */
	uint64_t buf[CTSOCK_RX_SLOTS][CTSOCK_RX_SLOT_SIZE / sizeof(uint64_t)];
};

struct ctsock_rx *ctsock_rx_new(void)
{
	return xzalloc(sizeof(struct ctsock_rx));
}

void ctsock_rx_free(struct ctsock_rx *rx)
{
	free(rx);
}

static void ctsock_rx_arm(struct ctsock_rx *rx)
{
	for (size_t i = 0; i < CTSOCK_RX_SLOTS; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = sizeof(rx->buf[i]);
		memset(&rx->msgs[i], 0, sizeof(rx->msgs[i]));
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
		rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
	}
}

/* Hands the messages of one datagram to cb. */
static int ctsock_dgram(const void *buf, size_t len, int (*cb)(void *, const struct nlmsghdr *),
			void *ctx, struct ctsock_stats *st, int *count)
{
	const struct nlmsghdr *nlh = buf;
	/* only whole messages reach mnl_nlmsg_ok (signed lengths: nlmsg.h) */
	size_t good = nlmsg_good_len(buf, len);
	int left = (int)good, r;

	while (mnl_nlmsg_ok(nlh, left)) {
		st->messages++;
		(*count)++;
		r = cb(ctx, nlh);
		if (r < 0)
			return r;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (left > 0 || good != len)
		st->malformed++;
	return 0;
}

int ctsock_recv(int fd, struct ctsock_rx *rx, unsigned max_batches,
		int (*cb)(void *ctx, const struct nlmsghdr *nlh), void *ctx,
		struct ctsock_stats *st)
{
	int count = 0, n, r;

	for (unsigned b = 0; max_batches == 0 || b < max_batches; b++) {
		ctsock_rx_arm(rx);
		n = recvmmsg(fd, rx->msgs, CTSOCK_RX_SLOTS, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/*
				 * The kernel dropped events (counted exactly in
				 * SK_MEMINFO_DROPS); it says so once per episode.
				 * The socket is fine: keep reading.
				 */
				st->enobufs++;
				continue;
			}
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			const struct msghdr *mh = &rx->msgs[i].msg_hdr;

			st->datagrams++;
			/* only the kernel multicasts events; a user socket could unicast to us */
			if (mh->msg_namelen < sizeof(struct sockaddr_nl) ||
			    rx->from[i].nl_pid != 0) {
				st->foreign++;
				continue;
			}
			if (mh->msg_flags & MSG_TRUNC) {
				st->truncated++;
				continue;
			}
			r = ctsock_dgram(rx->buf[i], rx->msgs[i].msg_len, cb, ctx, st, &count);
			if (r < 0)
				return r;
		}
		if (n < CTSOCK_RX_SLOTS)
			break; /* the queue is empty for now */
	}
	return count;
}

/* ---- conntrack statistics (needs CAP_NET_ADMIN in this process) ---- */

int ctsock_insert_count(uint64_t *inserts)
{
	_cleanup_close_ int fd = -1;
	uint64_t buf[MNL_SOCKET_BUFFER_SIZE / sizeof(uint64_t)];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq = (uint32_t)time(NULL), portid;
	uint64_t sum = 0;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	salen = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
		return -errno;
	portid = sa.nl_pid;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		int left;

		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (from.nl_pid != 0)
			continue;
		nlh = (struct nlmsghdr *)buf;
		if (nlmsg_good_len(buf, (size_t)n) != (size_t)n)
			return -EBADMSG; /* before mnl_nlmsg_ok (nlmsg.h) */
		left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			uint32_t ins;
			int r;

			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue; /* not the answer to this request */
			if (nlh->nlmsg_type == NLMSG_DONE) {
				*inserts = sum;
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -EBADMSG;
				return e->error < 0 ? e->error : -EPROTO;
			}
			r = ct_parse_stats_cpu(nlh, nlh->nlmsg_len, &ins);
			if (r == -EBADMSG)
				return r;
			if (r == 0)
				sum += ins;
		}
		if (left != 0)
			return -EBADMSG;
	}
}

/* ---- sysctls ---- */

static const char *const ctsock_sysctl_path[] = {
	[CTSOCK_SYSCTL_ACCT] = "/proc/sys/net/netfilter/nf_conntrack_acct",
	[CTSOCK_SYSCTL_TIMESTAMP] = "/proc/sys/net/netfilter/nf_conntrack_timestamp",
	[CTSOCK_SYSCTL_EVENTS] = "/proc/sys/net/netfilter/nf_conntrack_events",
};

int ctsock_sysctl_get(enum ctsock_sysctl which, int *value)
{
	_cleanup_close_ int fd = -1;
	char buf[32], *end;
	ssize_t n;
	long v;

	if ((unsigned)which >= ARRAY_SIZE(ctsock_sysctl_path))
		return -EINVAL;
	fd = open(ctsock_sysctl_path[which], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n') || v < INT32_MIN || v > INT32_MAX)
		return -EBADMSG;
	*value = (int)v;
	return 0;
}

int ctsock_sysctl_set(enum ctsock_sysctl which, int value)
{
	_cleanup_close_ int fd = -1;
	char buf[16];
	int len;

	if ((unsigned)which >= ARRAY_SIZE(ctsock_sysctl_path))
		return -EINVAL;
	fd = open(ctsock_sysctl_path[which], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	errno = 0;
	if (write(fd, buf, (size_t)len) != len)
		return errno ? -errno : -EIO;
	return 0;
}
