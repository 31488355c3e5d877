// SPDX-License-Identifier: GPL-2.0-or-later
/* The NFLOG socket (nflogsock.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "vigil/nflogsock.h"
#include "vigil/util.h"

/* One config message with its attribute; waits for the kernel's answer. */
static int config(int fd, uint16_t group, uint16_t type, const void *data, size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	static uint32_t seq = 1;
	uint32_t my = ++seq;

	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = my;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	mnl_attr_put(nlh, type, len, data);
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	for (int tries = 0; tries < 8; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, (int)n);
		     h = mnl_nlmsg_next(h, (int *)&n)) {
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == my &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return ((struct nlmsgerr *)mnl_nlmsg_get_payload(h))->error;
		}
	}
	return -EPROTO;
}

/* The netlink port id that holds group in this network namespace, or 0. */
static unsigned holder(uint16_t group)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_log", "re");
	unsigned g, portid, found = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u", &g, &portid) == 2 && g == group)
			found = portid;
	fclose(f);
	return found;
}

int nflogsock_open(uint16_t group, char *why, size_t whylen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nfulnl_msg_config_cmd bind_cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(NFLOGSOCK_COPY_RANGE),
					       .copy_mode = NFULNL_COPY_PACKET };
	uint16_t flags = htons(NFULNL_CFG_F_SEQ);
	uint32_t timeout = htonl(NFLOGSOCK_TIMEOUT), qthresh = htonl(NFLOGSOCK_QTHRESH);
	int sz = NFLOGSOCK_RCVBUF, fd, r;
	const char *step = "socket";

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
	if (fd < 0)
		goto fail;
	step = "bind";
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	r = config(fd, group, NFULA_CFG_CMD, &bind_cmd, sizeof(bind_cmd));
	/* the kernel answers EPERM to a config of a group another socket
	 * holds, EBUSY to a second BIND of it */
	unsigned who = (r == -EPERM || r == -EBUSY) ? holder(group) : 0;
	if (who) {
		snprintf(why, whylen,
			 "NFLOG group %u is bound by another program in this network namespace (netlink port id %u: another vigild, ulogd2?): refused traffic is not recorded (give --nflog-group another group); the counters of the drop rules still count",
			 group, who);
		close(fd);
		return -EBUSY;
	}
	if (r == 0)
		r = config(fd, group, NFULA_CFG_MODE, &mode, sizeof(mode));
	if (r == 0)
		r = config(fd, group, NFULA_CFG_FLAGS, &flags, sizeof(flags));
	if (r == 0)
		r = config(fd, group, NFULA_CFG_TIMEOUT, &timeout, sizeof(timeout));
	if (r == 0)
		r = config(fd, group, NFULA_CFG_QTHRESH, &qthresh, sizeof(qthresh));
	if (r < 0) {
		snprintf(why, whylen, "cannot bind NFLOG group %u: %s", group, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
fail:
	r = -errno;
	snprintf(why, whylen, "cannot open the NFLOG socket (%s): %s", step, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}
