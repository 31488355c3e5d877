// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "vigil/nl.h"
#include "vigil/nlmsg.h"
#include "vigil/util.h"

#define RCVBUF (8u << 20)

int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int one = 1, fd, sz = (int)RCVBUF;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	/* extended acks: the kernel's own message and the bad attribute's
	 * offset; capped acks: errors do not echo whole messages back */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* room for an error per message of a large batch */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	nl->fd = fd;
	nl->portid = sa.nl_pid;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Reads every reply already queued (the kernel answered inside sendmsg). */
static int drain(struct nl *nl, struct nl_result *res)
{
	_cleanup_free_ uint8_t *buf = xmalloc(MNL_SOCKET_BUFFER_SIZE * 4);

	for (;;) {
		ssize_t n = recv(nl->fd, buf, MNL_SOCKET_BUFFER_SIZE * 4, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			if (errno == ENOBUFS) {
				res->lost = true;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return 0;
		if (nlreply_parse(buf, (size_t)n, res) < 0)
			return -EBADMSG;
	}
}

int nl_send_batch(struct nl *nl, const void *buf, size_t len, struct nl_result *res)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	int sz;
	ssize_t n;

	/* one datagram must fit the send buffer; growing it past rmem/wmem
	 * limits needs CAP_NET_ADMIN, which the sender must hold anyway */
	if (len > (size_t)INT32_MAX / 2 - 65536)
		return -EMSGSIZE;
	sz = (int)len + 65536;
	if (setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));

	/* stale replies from an earlier exchange must not be taken for ours */
	struct nl_result stale = { 0 };
	drain(nl, &stale);
	nl_result_free(&stale);

	do
		n = sendmsg(nl->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return drain(nl, res);
}

struct gen_ctx {
	uint32_t genid;
	bool got;
};

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gen_ctx *g = data;
	struct nftnl_gen *gen = nftnl_gen_alloc();

	if (!gen)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0 && nftnl_gen_is_set(gen, NFTNL_GEN_ID)) {
		g->genid = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
		g->got = true;
	}
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

int nl_get_genid(struct nl *nl, uint32_t *genid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL) ^ 0x5a5a0000u;
	struct nlmsghdr *nlh;
	struct gen_ctx g = { 0, false };
	struct nl_result stale = { 0 };
	ssize_t n;

	drain(nl, &stale);
	nl_result_free(&stale);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, seq);
	if (send(nl->fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		int r;
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (nlmsg_good_len(buf, (size_t)n) != (size_t)n)
			return -EBADMSG; /* before mnl_cb_run's mnl_nlmsg_ok (nlmsg.h) */
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, gen_cb, &g);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP || g.got)
			break;
	}
	if (!g.got)
		return -ENODATA;
	*genid = g.genid;
	return 0;
}

struct table_ctx {
	char *comment;
	size_t len;
	bool found;
};

static int table_udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct table_ctx *t = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t l = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT && l > 0) {
		size_t n = strnlen(v, l);
		if (n >= t->len)
			n = t->len - 1;
		memcpy(t->comment, v, n);
		t->comment[n] = '\0';
	}
	return 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_ctx *t = data;
	struct nftnl_table *tb = nftnl_table_alloc();
	const void *ud;
	uint32_t ulen = 0;

	if (!tb)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, tb) == 0) {
		t->found = true;
		ud = nftnl_table_get_data(tb, NFTNL_TABLE_USERDATA, &ulen);
		if (ud && ulen)
			nftnl_udata_parse(ud, ulen, table_udata_cb, t);
	}
	nftnl_table_free(tb);
	return MNL_CB_OK;
}

int nl_table_comment(struct nl *nl, const char *name, char *comment, size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL) ^ 0x7a7a0000u;
	struct table_ctx t = { comment, len, false };
	struct nftnl_table *tb;
	struct nlmsghdr *nlh;
	struct nl_result stale = { 0 };
	ssize_t n;
	int r;

	comment[0] = '\0';
	drain(nl, &stale);
	nl_result_free(&stale);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);
	tb = nftnl_table_alloc();
	if (!tb)
		return -ENOMEM;
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, name);
	nftnl_table_nlmsg_build_payload(nlh, tb);
	nftnl_table_free(tb);
	if (send(nl->fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (nlmsg_good_len(buf, (size_t)n) != (size_t)n)
			return -EBADMSG; /* before mnl_cb_run's mnl_nlmsg_ok (nlmsg.h) */
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, table_cb, &t);
		if (r < 0)
			return errno == ENOENT ? -ENOENT : -errno;
		if (r == MNL_CB_STOP || t.found)
			break;
	}
	return t.found ? 0 : -ENOENT;
}
