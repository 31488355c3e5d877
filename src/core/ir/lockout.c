// SPDX-License-Identifier: GPL-2.0-or-later
/* The sessions the lockout precheck protects (lockout.h). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/ct.h"
#include "vigil/ival.h"
#include "vigil/lockout.h"
#include "vigil/nlmsg.h"
#include "vigil/util.h"

const struct lockout_local *lockout_local_find(const struct lockout_local *l, size_t n,
					       int family, u128 a)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].family == family && l[i].addr == a)
			return &l[i];
	return NULL;
}

/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d (a dual-stack sshd says so) */
static void unmap(int *family, u128 *a)
{
	if (*family == 6 && (*a >> 32) == 0xffffu) {
		*family = 4;
		*a &= 0xffffffffu;
	}
}

static int word_addr(const char *w, int *family, u128 *a)
{
	enum addr_family f;
	struct ival iv;
	const char *why;

	if (addr_parse(w, &f, &iv, &why) < 0 || iv.lo != iv.hi || strchr(w, '/') || strchr(w, '-'))
		return -EINVAL;
	*family = f;
	*a = iv.lo;
	unmap(family, a);
	return 0;
}

int lockout_ssh_parse(const char *env, const struct lockout_local *locals, size_t nlocals,
		      struct lockout_session *s)
{
	char w[4][64];
	unsigned long port[2];
	int fam[2];
	u128 a[2];
	const char *p = env;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 4; i++) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (!len || len >= sizeof(w[i]))
			return -EINVAL;
		memcpy(w[i], p, len);
		w[i][len] = '\0';
		p += len;
	}
	if (p[strspn(p, " \t\n")])
		return -EINVAL;
	if (word_addr(w[0], &fam[0], &a[0]) < 0 || word_addr(w[2], &fam[1], &a[1]) < 0 ||
	    fam[0] != fam[1] || num_parse(w[1], 65535, &port[0]) < 0 ||
	    num_parse(w[3], 65535, &port[1]) < 0)
		return -EINVAL;
	s->p.family = fam[0];
	s->p.saddr = a[0];
	s->p.daddr = a[1];
	s->p.sport = (uint16_t)port[0];
	s->p.dport = (uint16_t)port[1];
	s->p.l4proto = IPPROTO_TCP;
	s->p.ct = IR_CT_NEW;
	const struct lockout_local *l = lockout_local_find(locals, nlocals, fam[0], a[1]);
	if (l)
		memcpy(s->p.iif, l->ifname, sizeof(s->p.iif));
	s->count = 1;
	s->ssh = true;
	return 0;
}


static void add_session(const struct ct_event *ev, const struct lockout_local *l,
			struct lockout_session **v, size_t *n, size_t *cap)
{
	int family = ev->family == AF_INET ? 4 : 6;
	u128 s = be_to_u128(ev->src, family == 4 ? 4 : 16), d = be_to_u128(ev->dst, family == 4 ? 4 : 16);

	for (size_t i = 0; i < *n; i++) {
		struct ir_pkt *p = &(*v)[i].p;
		if (!(*v)[i].ssh && p->family == family && p->saddr == s && p->daddr == d &&
		    p->dport == ev->dport) {
			(*v)[i].count++;
			p->sport = ev->sport;
			return;
		}
	}
	GROW(*v, *cap, *n + 1);
	struct lockout_session *x = &(*v)[(*n)++];
	memset(x, 0, sizeof(*x));
	x->p.family = family;
	x->p.saddr = s;
	x->p.daddr = d;
	x->p.sport = ev->sport;
	x->p.dport = ev->dport;
	x->p.l4proto = IPPROTO_TCP;
	x->p.ct = IR_CT_NEW;
	memcpy(x->p.iif, l->ifname, sizeof(x->p.iif));
	x->count = 1;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < 8)
		tb[type] = a;
	return MNL_CB_OK;
}

/*
 * The TCP state in CTA_PROTOINFO / CTA_PROTOINFO_TCP / _TCP_STATE (ct_parse
 * leaves it out: events do not need it); -1 when absent or malformed.
 * ct_parse has validated the message's outer attributes already.
 */
static int tcp_state(const struct nlmsghdr *h)
{
	const struct nlattr *top[8] = { 0 }, *pi[8] = { 0 }, *tcp[8] = { 0 };

	if (mnl_attr_parse(h, sizeof(struct nfgenmsg), attr_cb, top) != MNL_CB_OK ||
	    !top[CTA_PROTOINFO] || mnl_attr_validate(top[CTA_PROTOINFO], MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(top[CTA_PROTOINFO], attr_cb, pi) != MNL_CB_OK ||
	    !pi[CTA_PROTOINFO_TCP] || mnl_attr_validate(pi[CTA_PROTOINFO_TCP], MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(pi[CTA_PROTOINFO_TCP], attr_cb, tcp) != MNL_CB_OK ||
	    !tcp[CTA_PROTOINFO_TCP_STATE] ||
	    mnl_attr_validate(tcp[CTA_PROTOINFO_TCP_STATE], MNL_TYPE_U8) < 0)
		return -1;
	return mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
}

struct from_ct {
	const struct lockout_local *locals;
	size_t nlocals;
	struct lockout_session **v;
	size_t *n, *cap;
};

static int session_cb(const struct nlmsghdr *h, const struct ct_event *ev, void *ctx)
{
	struct from_ct *f = ctx;

	if (ev->proto != IPPROTO_TCP || !(ev->have & CT_HAVE_PORTS) ||
	    !(ev->have & CT_HAVE_STATUS) || !(ev->status & IPS_ASSURED) ||
	    (ev->family != AF_INET && ev->family != AF_INET6) ||
	    tcp_state(h) != TCP_CONNTRACK_ESTABLISHED)
		return 0;
	int family = ev->family == AF_INET ? 4 : 6;
	const struct lockout_local *l = lockout_local_find(f->locals, f->nlocals, family, be_to_u128(ev->dst, family == 4 ? 4 : 16));
	if (!l || lockout_local_find(f->locals, f->nlocals, family, be_to_u128(ev->src, family == 4 ? 4 : 16)))
		return 0; /* not to us, or from ourselves (loopback) */
	add_session(ev, l, f->v, f->n, f->cap);
	return 0;
}

int lockout_from_ct(const void *dump, size_t len, const struct lockout_local *locals,
		    size_t nlocals, struct lockout_session **v, size_t *n, size_t *cap)
{
	struct from_ct f = { locals, nlocals, v, n, cap };

	return ct_dump_each(dump, len, session_cb, &f);
}
