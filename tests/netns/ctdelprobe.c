// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctdelprobe: the commit helper's CT_DELETE against the real kernel
 * (revoke.sh). Starts a helper as `vigild watch` does, finds the
 * conntrack entry SRC -> DST:PORT (tcp, IPv4) in its CT_DUMP, and sends
 * it CT_DELETE requests: a flush (no tuple), a delete filtered by mark, a
 * conntrack NEW, a delete of the right tuple with a wrong id, then the
 * delete vigild builds. Then a helper of `vigild set` is asked the same.
 * One line per point: "PASS what" or "FAIL what: detail".
 *
 *   ctdelprobe SRC DST PORT
 *   ctdelprobe set      (one process can drop its privileges only once)
 *
 * Exit 0 when every point passed, 1 otherwise, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "vigil/ct.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/revoke.h"

static int failed;

static void point(bool good, const char *what, const char *detail)
{
	if (good)
		printf("PASS %s\n", what);
	else
		printf("FAIL %s: %s\n", what, detail);
	failed += !good;
	fflush(stdout);
}

/* The entry's id in a CT_DUMP, or 0 when it is not there. */
static uint32_t find(struct psep *p, const uint8_t *src, const uint8_t *dst, uint16_t port)
{
	struct psep_reply rep;
	uint32_t id = 0;
	size_t off = 0;

	psep_call(p, PSEP_REQ_CT_DUMP, NULL, 0, &rep);
	while (rep.status == 0 && rep.u.dump.status == 0 && off + NLMSG_HDRLEN <= rep.extra_len) {
		const struct nlmsghdr *h = (const void *)(rep.extra + off);
		struct ct_event ev;

		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > rep.extra_len - off)
			break;
		if (ct_parse(h, h->nlmsg_len, &ev) == 0 && ev.family == AF_INET &&
		    !memcmp(ev.src, src, 4) && !memcmp(ev.dst, dst, 4) && ev.dport == port &&
		    (ev.have & CT_HAVE_ID))
			id = ev.id;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	psep_reply_free(&rep);
	return id;
}

/* Sends one CT_DELETE request; its RESULT's status and first error. */
static int ask(struct psep *p, const void *buf, size_t len, int *first_err, char *why, size_t wl)
{
	struct psep_reply rep;
	struct nl_result res;
	int r;

	*first_err = 0;
	psep_call(p, PSEP_REQ_CT_DELETE, buf, len, &rep);
	r = psep_reply_to_result(&rep, &res, why, wl);
	if (r == 0) {
		*first_err = res.n ? res.errs[0].error : 0;
		nl_result_free(&res);
	}
	return r;
}

/* A hand-made conntrack message: type, and the delete's tuple or not. */
static size_t hand(char *buf, uint8_t type, const struct revoke_entry *e, bool tuple, bool mark)
{
	struct strbuf sb = { 0 };
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	size_t n;

	if (tuple) {
		revoke_build_delete(e, 1, &sb);
		memcpy(buf, sb.s, sb.len);
		nlh = (struct nlmsghdr *)buf;
		sb_free(&sb);
	} else {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->nfgen_family = AF_INET;
		g->version = NFNETLINK_V0;
	}
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	if (mark)
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	n = NLMSG_ALIGN(nlh->nlmsg_len);
	return n;
}

static int start(struct psep *p, enum psep_mode mode, char *why, size_t wl)
{
	struct psep_setup_opts so = { .verb = "ctdelprobe", .mode = mode, .table = "vigil" };
	struct psep_ids ids;
	int r = psep_resolve_user(NULL, &ids, why, wl);

	return r < 0 ? r : psep_setup(&so, p, &ids, why, wl);
}

static void hostile(struct psep *p, const struct revoke_entry *e, const uint8_t *s,
		    const uint8_t *d, uint16_t port)
{
	char buf[512], why[256] = "", detail[300];
	int err, r;

	memset(buf, 0, sizeof(buf));
	r = ask(p, buf, hand(buf, IPCTNL_MSG_CT_DELETE, e, false, false), &err, why, sizeof(why));
	snprintf(detail, sizeof(detail), "status %d (%s)", r, why);
	point(r == -EPERM && find(p, s, d, port) == e->id,
	      "a CT_DELETE without a tuple (a flush) is refused, the entry stays", detail);
	memset(buf, 0, sizeof(buf));
	r = ask(p, buf, hand(buf, IPCTNL_MSG_CT_DELETE, e, true, true), &err, why, sizeof(why));
	snprintf(detail, sizeof(detail), "status %d (%s)", r, why);
	point(r == -EPERM, "a delete with a mark filter is refused", detail);
	memset(buf, 0, sizeof(buf));
	r = ask(p, buf, hand(buf, IPCTNL_MSG_CT_NEW, e, true, false), &err, why, sizeof(why));
	snprintf(detail, sizeof(detail), "status %d (%s)", r, why);
	point(r == -EPERM, "a conntrack NEW in a CT_DELETE request is refused", detail);
	struct revoke_entry wrong = *e;
	wrong.id = e->id + 1;
	memset(buf, 0, sizeof(buf));
	r = ask(p, buf, hand(buf, IPCTNL_MSG_CT_DELETE, &wrong, true, false), &err, why, sizeof(why));
	snprintf(detail, sizeof(detail), "status %d, error %d", r, err);
	point(r == 0 && err == -ENOENT && find(p, s, d, port) == e->id,
	      "the right tuple with another id: the kernel deletes nothing (ENOENT)", detail);
}

/* vigild set's helper serves no conntrack request at all */
static int set_mode(void)
{
	struct revoke_entry e = { .p = { .family = 4, .l4proto = IPPROTO_TCP, .sport = 1, .dport = 2 },
				  .id = 1 };
	char buf[512], why[256] = "", detail[300];
	struct psep p;
	int err, r = start(&p, PSEP_MODE_SET, why, sizeof(why));

	if (r < 0) {
		point(false, "the helper of vigild set starts", why);
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	r = ask(&p, buf, hand(buf, IPCTNL_MSG_CT_DELETE, &e, true, false), &err, why, sizeof(why));
	int st = psep_stop(&p, true);
	snprintf(detail, sizeof(detail), "request %d (%s), exit status %d", r, why, st);
	point(r < 0 && st == 3, "the helper of vigild set ends at a CT_DELETE (unpermitted)", detail);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct revoke_entry e;
	struct psep p;
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	char buf[512], why[256] = "", detail[300];
	int err, r;

	if (argc >= 2 && strcmp(argv[1], PSEP_HELPER_ARGV) == 0)
		return psep_helper_main(argc, argv);
	if (argc == 2 && strcmp(argv[1], "set") == 0)
		return set_mode();
	if (argc != 4 || inet_pton(AF_INET, argv[1], s) != 1 || inet_pton(AF_INET, argv[2], d) != 1) {
		fprintf(stderr, "usage: ctdelprobe SRC DST PORT\n");
		return 2;
	}
	uint16_t port = (uint16_t)atoi(argv[3]);
	r = start(&p, PSEP_MODE_WATCH, why, sizeof(why));
	point(r == 0, "a watch's helper starts", why);
	if (r < 0)
		return 1;
	memset(&e, 0, sizeof(e));
	e.p.family = 4;
	e.p.l4proto = IPPROTO_TCP;
	e.p.dport = port;
	memcpy(e.src, s, 4);
	memcpy(e.dst, d, 4);
	e.id = find(&p, s, d, port);
	snprintf(detail, sizeof(detail), "no entry %s -> %s:%u", argv[1], argv[2], port);
	point(e.id != 0, "the entry is in the helper's CT_DUMP", detail);
	/* the source port: the one conntrack -I was given (revoke.sh: 1234) */
	e.p.sport = 1234;
	hostile(&p, &e, s, d, port);
	memset(buf, 0, sizeof(buf));
	r = ask(&p, buf, hand(buf, IPCTNL_MSG_CT_DELETE, &e, true, false), &err, why, sizeof(why));
	snprintf(detail, sizeof(detail), "status %d, error %d", r, err);
	point(r == 0 && err == 0 && find(&p, s, d, port) == 0,
	      "vigild's delete (tuple and id) ends the entry", detail);
	psep_stop(&p, true);
	return failed ? 1 : 0;
}
