// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one place that talks NETLINK_NETFILTER requests: batches (nf_tables
 * transactions), and every get and dump (nf_tables objects of vigild's
 * table, the generation, conntrack statistics and entries) through one
 * request/reply function, nl_talk(). Every request needs CAP_NET_ADMIN in
 * the sending process: these run in the commit helper.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "vigil/ct.h"
#include "vigil/dynset.h"
#include "vigil/nl.h"
#include "vigil/nlmsg.h"
#include "vigil/util.h"

#define RCVBUF (8u << 20)
/* a dump's datagrams are as large as the reader's buffer, up to 32 KiB
 * (netlink's max_recvmsg_len): fewer of them, and fewer restarts of the
 * kernel's walk of a large set, which skips what it sent before */
#define RXBUF (64u << 10)

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
	nl->seq = (uint32_t)time(NULL) << 8;
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
	_cleanup_free_ uint8_t *buf = xmalloc(RXBUF);

	for (;;) {
		ssize_t n = recv(nl->fd, buf, RXBUF, MSG_DONTWAIT);
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

static void drain_stale(struct nl *nl)
{
	struct nl_result stale = { 0 };

	drain(nl, &stale);
	nl_result_free(&stale);
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
	drain_stale(nl);
	do
		n = sendmsg(nl->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return drain(nl, res);
}

uint32_t nl_next_seq(struct nl *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

struct talk {
	nl_talk_cb cb;
	void *ctx;
	bool intr;
};

static int talk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		t->intr = true;
	return t->cb ? t->cb(nlh, t->ctx) : MNL_CB_OK;
}

int nl_talk(struct nl *nl, struct nlmsghdr *req, nl_talk_cb cb, void *ctx)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct talk t = { cb, ctx, false };
	uint32_t seq;

	drain_stale(nl);
	seq = req->nlmsg_seq = nl_next_seq(nl);
	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;
	if (send(nl->fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	buf = xmalloc(RXBUF);
	for (;;) {
		ssize_t n = recv(nl->fd, buf, RXBUF, 0);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno; /* ENOBUFS: the dump lost messages */
		}
		/* nlmsg_len is checked against the datagram before libmnl's
		 * (signed) walk sees it */
		if (nl_datagram_check(buf, (size_t)n) < 0)
			return -EBADMSG;
		errno = 0;
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, talk_cb, &t);
		if (r < 0)
			return errno ? -errno : -EBADMSG;
		if (r == MNL_CB_STOP)
			break;
	}
	return t.intr ? -EINTR : 0;
}

int nl_datagram_check(const void *buf, size_t len)
{
	return nlmsg_good_len(buf, len) == len ? 0 : -EBADMSG;
}

/* ---- generation ---- */

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	uint32_t *genid = data;
	struct nftnl_gen *gen = nftnl_gen_alloc();

	if (!gen)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0 && nftnl_gen_is_set(gen, NFTNL_GEN_ID))
		*genid = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

int nl_get_genid(struct nl *nl, uint32_t *genid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t g = 0;
	int r;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, 0);
	r = nl_talk(nl, nlh, gen_cb, &g);
	if (r < 0)
		return r;
	*genid = g;
	return 0;
}

/* ---- vigild's table ---- */

static int table_udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct nl_table_info *ti = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t l = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT && l > 0) {
		size_t n = strnlen(v, l);
		if (n >= sizeof(ti->comment))
			n = sizeof(ti->comment) - 1;
		memcpy(ti->comment, v, n);
		ti->comment[n] = '\0';
	}
	return 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_table_info *ti = data;
	struct nftnl_table *tb = nftnl_table_alloc();
	const void *ud;
	uint32_t ulen = 0;

	if (!tb)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, tb) == 0) {
		ti->exists = true;
		ti->flags = nftnl_table_get_u32(tb, NFTNL_TABLE_FLAGS);
		ud = nftnl_table_get_data(tb, NFTNL_TABLE_USERDATA, &ulen);
		if (ud && ulen)
			nftnl_udata_parse(ud, ulen, table_udata_cb, ti);
	}
	nftnl_table_free(tb);
	/* NFTA_TABLE_OWNER: libnftnl 1.2.4 parses it but offers no getter */
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_TABLE_OWNER &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ti->has_owner = true;
			ti->owner = ntohl(mnl_attr_get_u32(a));
		}
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *table_req(char *buf, uint16_t type, uint16_t flags, const char *name)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, 0);
	struct nftnl_table *tb = nftnl_table_alloc();

	if (!tb)
		return NULL;
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, name);
	nftnl_table_nlmsg_build_payload(nlh, tb);
	nftnl_table_free(tb);
	return nlh;
}

int nl_table_info(struct nl *nl, const char *name, struct nl_table_info *ti)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	memset(ti, 0, sizeof(*ti));
	nlh = table_req(buf, NFT_MSG_GETTABLE, 0, name);
	if (!nlh)
		return -ENOMEM;
	r = nl_talk(nl, nlh, table_cb, ti);
	if (r == -ENOENT) {
		ti->exists = false;
		return 0;
	}
	return r;
}

int nl_table_comment(struct nl *nl, const char *name, char *comment, size_t len)
{
	struct nl_table_info ti;
	int r = nl_table_info(nl, name, &ti);

	if (r < 0)
		return r;
	if (!ti.exists)
		return -ENOENT;
	snprintf(comment, len, "%s", ti.comment);
	return 0;
}

/* ---- dumps ---- */

struct collect {
	struct strbuf *out;
	const char *table;   /* keep only messages naming this table (NULL: all) */
	uint16_t table_attr;
	size_t max;
	int err;
	/* sets seen, for their elements */
	char **sets;
	size_t nsets, cap;
};

static bool names_table(const struct nlmsghdr *nlh, uint16_t attr, const char *table)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != attr)
			continue;
		return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
		       streq(mnl_attr_get_str(a), table);
	}
	return false;
}

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;

	if (c->table && !names_table(nlh, c->table_attr, c->table))
		return MNL_CB_OK; /* not ours: never handed to the main process */
	if (c->out->len + NLMSG_ALIGN(nlh->nlmsg_len) > c->max) {
		c->err = -EFBIG;
		return MNL_CB_ERROR;
	}
	sb_putn(c->out, (const char *)nlh, nlh->nlmsg_len);
	while (c->out->len % NLMSG_ALIGNTO)
		sb_putc(c->out, '\0');
	if (c->table_attr == NFTA_SET_TABLE && (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSET) {
		const struct nlattr *a;
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
			if (mnl_attr_get_type(a) == NFTA_SET_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
				GROW(c->sets, c->cap, c->nsets + 1);
				c->sets[c->nsets++] = xstrdup(mnl_attr_get_str(a));
			}
	}
	return MNL_CB_OK;
}

static int dump_objects(struct nl *nl, struct collect *c, uint16_t type, uint16_t table_attr,
			const char *set)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, NLM_F_DUMP, 0);
	int r;

	mnl_attr_put_strz(nlh, table_attr, c->table);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	c->table_attr = table_attr;
	r = nl_talk(nl, nlh, collect_cb, c);
	if (c->err)
		return c->err;
	return r;
}

static int dump_once(struct nl *nl, const char *table, bool defs_only, size_t max,
		     struct strbuf *out)
{
	struct collect c = { .out = out, .table = table, .max = max };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	nlh = table_req(buf, NFT_MSG_GETTABLE, 0, table);
	if (!nlh)
		return -ENOMEM;
	c.table_attr = NFTA_TABLE_NAME;
	r = nl_talk(nl, nlh, collect_cb, &c);
	if (r == -ENOENT)
		return -ENOENT;
	if (r == 0)
		r = dump_objects(nl, &c, NFT_MSG_GETCHAIN, NFTA_CHAIN_TABLE, NULL);
	if (r == 0)
		r = dump_objects(nl, &c, NFT_MSG_GETSET, NFTA_SET_TABLE, NULL);
	for (size_t i = 0; r == 0 && !defs_only && i < c.nsets; i++)
		r = dump_objects(nl, &c, NFT_MSG_GETSETELEM, NFTA_SET_ELEM_LIST_TABLE, c.sets[i]);
	if (r == 0 && !defs_only)
		r = dump_objects(nl, &c, NFT_MSG_GETRULE, NFTA_RULE_TABLE, NULL);
	for (size_t i = 0; i < c.nsets; i++)
		free(c.sets[i]);
	free(c.sets);
	return r;
}

static int dump_at_one_gen(struct nl *nl, const char *table, bool defs_only, size_t max,
			   struct strbuf *out, uint32_t *genid)
{
	/* a consistent view: the generation is the same before and after (a
	 * commit in between, or an interrupted dump, means try again) */
	for (int tries = 0; tries < 8; tries++) {
		uint32_t g0 = 0, g1 = 0;
		int r;

		sb_free(out);
		r = nl_get_genid(nl, &g0);
		if (r == 0)
			r = dump_once(nl, table, defs_only, max, out);
		if (r == 0)
			r = nl_get_genid(nl, &g1);
		if (r == -EINTR || (r == 0 && g0 != g1))
			continue;
		if (r < 0) {
			sb_free(out);
			return r;
		}
		*genid = g0;
		return 0;
	}
	sb_free(out);
	return -EAGAIN;
}

int nl_dump_table(struct nl *nl, const char *table, size_t max, struct strbuf *out,
		  uint32_t *genid)
{
	return dump_at_one_gen(nl, table, false, max, out, genid);
}

int nl_dump_defs(struct nl *nl, const char *table, size_t max, struct strbuf *out,
		 uint32_t *genid)
{
	return dump_at_one_gen(nl, table, true, max, out, genid);
}

static int dyn_once(struct nl *nl, const char *table, bool elements, size_t max,
		    struct strbuf *out)
{
	struct collect c = { .out = out, .table = table, .max = max };
	struct dynset_list l = { 0 };
	int r = dump_objects(nl, &c, NFT_MSG_GETSET, NFTA_SET_TABLE, NULL);

	for (size_t i = 0; i < c.nsets; i++)
		free(c.sets[i]);
	free(c.sets);
	c.sets = NULL;
	c.nsets = c.cap = 0;
	if (r == -ENOENT) {
		sb_free(out);
		return 0;
	}
	if (r == 0 && elements)
		r = dynset_parse(out->s, out->len, false, &l);
	for (size_t i = 0; r == 0 && i < l.n; i++)
		r = dump_objects(nl, &c, NFT_MSG_GETSETELEM, NFTA_SET_ELEM_LIST_TABLE, l.v[i].name);
	dynset_list_free(&l);
	return r;
}

int nl_dump_dynsets(struct nl *nl, const char *table, bool elements, size_t max,
		    struct strbuf *out, uint32_t *genid)
{
	for (int tries = 0; tries < 8; tries++) {
		uint32_t g0 = 0, g1 = 0;
		int r;

		sb_free(out);
		r = nl_get_genid(nl, &g0);
		if (r == 0)
			r = dyn_once(nl, table, elements, max, out);
		if (r == 0)
			r = nl_get_genid(nl, &g1);
		if (r == -EINTR || (r == 0 && g0 != g1))
			continue;
		if (r < 0) {
			sb_free(out);
			return r;
		}
		*genid = g0;
		return 0;
	}
	sb_free(out);
	return -EAGAIN;
}

/* ---- conntrack ---- */

static struct nlmsghdr *ct_req(char *buf, uint8_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	return nlh;
}

static int cpu_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ct_stats *st = data;
	struct ct_cpu_stats c;
	int r = ct_parse_cpu_stats(nlh, nlh->nlmsg_len, &c);

	if (r == -EBADMSG)
		return MNL_CB_ERROR;
	if (r == 0) {
		st->insert += c.insert;
		st->insert_failed += c.insert_failed;
		st->drop += c.drop;
		st->early_drop += c.early_drop;
	}
	return MNL_CB_OK;
}

static int global_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ct_stats *st = data;
	uint32_t entries, max;

	if (ct_parse_global_stats(nlh, nlh->nlmsg_len, &entries, &max) == 0) {
		st->entries = entries;
		st->max = max;
	}
	return MNL_CB_OK;
}

int nl_ct_stats(struct nl *nl, struct nl_ct_stats *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int r;

	memset(st, 0, sizeof(*st));
	r = nl_talk(nl, ct_req(buf, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP), cpu_stats_cb, st);
	if (r < 0)
		return r;
	/* the global figures are a plain get; a kernel without them answers
	 * with an error, which leaves entries and max at 0 */
	nl_talk(nl, ct_req(buf, IPCTNL_MSG_CT_GET_STATS, 0), global_stats_cb, st);
	return 0;
}

int nl_ct_dump(struct nl *nl, size_t max, struct strbuf *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct collect c = { .out = out, .max = max };
	int r = nl_talk(nl, ct_req(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP), collect_cb, &c);

	return c.err ? c.err : r;
}
