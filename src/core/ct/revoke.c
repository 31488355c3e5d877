// SPDX-License-Identifier: GPL-2.0-or-later
/* Which conntrack entries a new policy no longer admits (revoke.h). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/ct.h"
#include "vigil/explain.h"
#include "vigil/ival.h"
#include "vigil/names.h"
#include "vigil/revoke.h"


/* Is the protocol one whose tuple vigild builds deletes for? */
static bool known_proto(const struct ct_event *ev)
{
	if (ct_proto_has_ports(ev->proto))
		return ev->have & CT_HAVE_PORTS;
	if ((ev->proto == IPPROTO_ICMP && ev->family == AF_INET) ||
	    (ev->proto == IPPROTO_ICMPV6 && ev->family == AF_INET6))
		return ev->have & CT_HAVE_ICMP;
	return false;
}

/* The packet that opened ev and the chain it met; false: the host's own. */
static bool packet_of(const struct ct_event *ev, const struct lockout_local *locals, size_t nl,
		      struct ir_pkt *p, enum chain_id *hook)
{
	int family = ev->family == AF_INET ? 4 : 6;
	const struct lockout_local *ls, *ld;

	memset(p, 0, sizeof(*p));
	p->family = family;
	p->saddr = be_to_u128(ev->src, family == 4 ? 4 : 16);
	p->daddr = be_to_u128(ev->dst, family == 4 ? 4 : 16);
	p->l4proto = ev->proto;
	p->ct = IR_CT_NEW;
	if (ev->have & CT_HAVE_PORTS) {
		p->sport = ev->sport;
		p->dport = ev->dport;
	} else {
		p->icmp_type = ev->icmp_type;
		p->icmp_code = ev->icmp_code;
	}
	ld = lockout_local_find(locals, nl, family, p->daddr);
	ls = lockout_local_find(locals, nl, family, p->saddr);
	if (ld && ls)
		return false;
	*hook = ld ? CH_INPUT : ls ? CH_OUTPUT : CH_FORWARD;
	if (ld)
		memcpy(p->iif, ld->ifname, sizeof(p->iif));
	if (ls)
		memcpy(p->oif, ls->ifname, sizeof(p->oif));
	return true;
}

/* Is locals[i] no new name to try: lo (it carries only the host's own
 * addresses; others there are martians), or a name seen before it? */
static bool skip_name(const struct lockout_local *locals, size_t i)
{
	if (streq(locals[i].ifname, "lo"))
		return true;
	for (size_t k = 0; k < i; k++)
		if (streq(locals[k].ifname, locals[i].ifname))
			return true;
	return false;
}

/* Would another interface name of the host let p in? 1 yes, 0 no, <0 error.
 * Input varies iif, output oif, forward both ("" included: no name). */
static int admitted_elsewhere(const struct policy *pol, const struct ir_table *t,
			      enum chain_id hook, const struct ir_pkt *p,
			      const struct lockout_local *locals, size_t nl)
{
	size_t ni = hook == CH_OUTPUT ? 1 : nl + 1, no = hook == CH_INPUT ? 1 : nl + 1;
	struct ir_outcome o;
	struct ir_pkt q;

	for (size_t i = 0; i < ni; i++) {
		if (i < nl && hook != CH_OUTPUT && skip_name(locals, i))
			continue;
		for (size_t j = 0; j < no; j++) {
			if (j < nl && hook != CH_INPUT && skip_name(locals, j))
				continue;
			q = *p;
			if (hook != CH_OUTPUT)
				snprintf(q.iif, sizeof(q.iif), "%s", i < nl ? locals[i].ifname : "");
			if (hook != CH_INPUT)
				snprintf(q.oif, sizeof(q.oif), "%s", j < nl ? locals[j].ifname : "");
			int r = ir_explain(pol, t, hook, &q, &o);
			if (r < 0)
				return r;
			if (o.verdict == IV_ACCEPT)
				return 1;
		}
	}
	return 0;
}

/* One entry: judged, and added to out when the policy refuses it. */
static int judge_one(const struct ct_event *ev, const struct policy *pol,
		     const struct ir_table *t, const struct lockout_local *locals, size_t nl,
		     struct revoke_plan *out)
{
	struct ir_outcome o;
	struct ir_pkt p;
	enum chain_id hook;
	int r;

	if ((ev->family != AF_INET && ev->family != AF_INET6) || !known_proto(ev) ||
	    ((ev->have & CT_HAVE_ZONE) && ev->zone) ||
	    ((ev->have & CT_HAVE_STATUS) && (ev->status & (IPS_DST_NAT | IPS_EXPECTED)))) {
		out->skipped++;
		return 0;
	}
	if (!packet_of(ev, locals, nl, &p, &hook)) {
		out->local++;
		return 0;
	}
	r = ir_explain(pol, t, hook, &p, &o);
	if (r < 0)
		return r;
	if (o.verdict == IV_ACCEPT) {
		out->admitted++;
		return 0;
	}
	r = admitted_elsewhere(pol, t, hook, &p, locals, nl);
	if (r < 0)
		return r;
	if (r > 0) {
		out->unsure++;
		return 0;
	}
	struct strbuf why = { 0 };
	if (o.policy)
		sb_printf(&why, "the default of chain %s", chain_name(hook));
	else if (o.origin < 0 || (size_t)o.origin >= pol->nrules)
		sb_printf(&why, "built-in rule %s", o.comment ? o.comment : "?");
	else
		sb_printf(&why, "rule %s", pol->rules[o.origin].name);
	GROW(out->v, out->cap, out->n + 1);
	struct revoke_entry *e = &out->v[out->n++];
	memset(e, 0, sizeof(*e));
	e->p = p;
	e->hook = hook;
	memcpy(e->src, ev->src, sizeof(e->src));
	memcpy(e->dst, ev->dst, sizeof(e->dst));
	e->icmp_id = ev->icmp_id;
	e->id = ev->id;
	e->verdict = o.verdict;
	e->decided = sb_take(&why);
	return 0;
}

struct judge_ctx {
	const struct policy *pol;
	const struct ir_table *t;
	const struct lockout_local *locals;
	size_t nlocals;
	struct revoke_plan *out;
};

static int judge_cb(const struct nlmsghdr *h, const struct ct_event *ev, void *ctx)
{
	struct judge_ctx *j = ctx;

	(void)h;
	j->out->seen++;
	if (!(ev->have & CT_HAVE_ID)) {
		j->out->skipped++; /* without its id a delete could hit a newer entry */
		return 0;
	}
	return judge_one(ev, j->pol, j->t, j->locals, j->nlocals, j->out);
}

int revoke_judge(const void *dump, size_t len, const struct policy *pol, const struct ir_table *t,
		 const struct lockout_local *locals, size_t nlocals, struct revoke_plan *out)
{
	struct judge_ctx j = { pol, t, locals, nlocals, out };

	memset(out, 0, sizeof(*out));
	return ct_dump_each(dump, len, judge_cb, &j);
}

void revoke_plan_free(struct revoke_plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->v[i].decided);
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

/* "tcp 192.0.2.7:51234 -> 192.0.2.1:22" */
void revoke_format_tuple(const struct revoke_entry *e, struct strbuf *sb)
{
	enum addr_family f = e->p.family == 4 ? AF_V4 : AF_V6;
	const char *pn = l4proto_name(e->p.l4proto);
	char s[64], d[64];

	addr_format(f, e->p.saddr, s, sizeof(s));
	addr_format(f, e->p.daddr, d, sizeof(d));
	if (pn)
		sb_printf(sb, "%s ", pn);
	else
		sb_printf(sb, "protocol %u ", e->p.l4proto);
	if (e->p.l4proto == IPPROTO_ICMP || e->p.l4proto == IPPROTO_ICMPV6) {
		const char *tn = icmp_type_name(e->p.l4proto == IPPROTO_ICMPV6, e->p.icmp_type);
		sb_printf(sb, "%s -> %s type %s", s, d, tn ? tn : "?");
	} else if (f == AF_V6) {
		sb_printf(sb, "[%s]:%u -> [%s]:%u", s, e->p.sport, d, e->p.dport);
	} else {
		sb_printf(sb, "%s:%u -> %s:%u", s, e->p.sport, d, e->p.dport);
	}
}

struct tally {
	const char *decided;
	size_t n;
};

static void count(struct tally **v, size_t *n, const char *decided)
{
	for (size_t i = 0; i < *n; i++)
		if (streq((*v)[i].decided, decided)) {
			(*v)[i].n++;
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = (struct tally){ decided, 1 };
}

void revoke_summary(const struct revoke_plan *pl, const uint8_t *st, bool dry, struct strbuf *sb)
{
	struct tally *t = NULL;
	size_t nt = 0, cut = 0, gone = 0, failed = 0;

	for (size_t i = 0; i < pl->n; i++) {
		uint8_t s = st ? st[i] : REVOKE_CUT;
		gone += s == REVOKE_GONE;
		failed += s == REVOKE_FAILED;
		if (s == REVOKE_CUT) {
			count(&t, &nt, pl->v[i].decided);
			cut++;
		}
	}
	sb_printf(sb, "%s %zu connection%s", dry ? "would revoke" : "revoked", cut, cut == 1 ? "" : "s");
	for (size_t i = 0; i < nt; i++)
		sb_printf(sb, "%s %s: %zu", i ? "," : ":", t[i].decided, t[i].n);
	sb_printf(sb, " (%zu of %zu conntrack entries still admitted", pl->admitted, pl->seen);
	if (pl->local + pl->skipped)
		sb_printf(sb, ", %zu not judged", pl->local + pl->skipped);
	if (pl->unsure)
		sb_printf(sb, ", %zu kept: admitted on another interface", pl->unsure);
	if (gone)
		sb_printf(sb, ", %zu gone already", gone);
	if (failed)
		sb_printf(sb, ", %zu could not be cut", failed);
	sb_puts(sb, ")");
	free(t);
}

int revoke_build_delete(const struct revoke_entry *e, uint32_t seq, struct strbuf *sb)
{
	char buf[MNL_ALIGN(REVOKE_MSG_MAX)];
	const struct ir_pkt *p = &e->p;
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	struct nlattr *tu, *ip, *pr;
	bool v4 = p->family == 4;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = v4 ? AF_INET : AF_INET6;
	g->version = NFNETLINK_V0;
	tu = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? 4 : 16, e->src);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? 4 : 16, e->dst);
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, p->l4proto);
	if (ct_proto_has_ports(p->l4proto)) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(p->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(p->dport));
	} else if ((p->l4proto == IPPROTO_ICMP && v4) || (p->l4proto == IPPROTO_ICMPV6 && !v4)) {
		mnl_attr_put_u16(nlh, v4 ? CTA_PROTO_ICMP_ID : CTA_PROTO_ICMPV6_ID, htons(e->icmp_id));
		mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE, p->icmp_type);
		mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_CODE : CTA_PROTO_ICMPV6_CODE, p->icmp_code);
	} else {
		return -EINVAL;
	}
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, tu);
	mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	sb_putn(sb, buf, NLMSG_ALIGN(nlh->nlmsg_len));
	return 0;
}
