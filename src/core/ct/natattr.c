// SPDX-License-Identifier: GPL-2.0-or-later
/* Which nat: entry translated a conntrack entry (natattr.h). */
#include <netinet/in.h>
#include <string.h>

#include "vigil/eval.h"
#include "vigil/ival.h"
#include "vigil/natattr.h"

/* An snat or masquerade entry's matches, interfaces left out (an event
 * has none). */
static bool entry_matches(const struct pnat *n, const struct ir_pkt *p)
{
	struct prule m = n->m;

	m.iif.present = false;
	m.oif.present = false;
	return ir_eval_prule_matches(&m, CH_FORWARD, p);
}

static bool addr_fits(const struct pnat *n, int family, u128 a)
{
	if (n->fam == AF_NONE)
		return true;
	if ((n->fam == AF_V4) != (family == 4))
		return false;
	return a >= n->addr_lo && a <= n->addr_hi;
}

static bool port_fits(const struct pnat *n, uint16_t port)
{
	return !n->has_port || (port >= n->port_lo && port <= n->port_hi);
}

/* Does n's target agree with where conntrack says the connection went? */
static bool dst_target_fits(const struct pnat *n, const struct ct_event *ev, int family,
			    bool ports)
{
	if (n->action == NAT_DNAT && !addr_fits(n, family, be_to_u128(ev->nat_dst, family == 4 ? 4 : 16)))
		return false;
	if (!ports)
		return !n->has_port;
	/* without a port, dnat and redirect keep the destination port */
	return n->has_port ? port_fits(n, ev->nat_dport) : ev->nat_dport == ev->dport;
}

static bool src_target_fits(const struct pnat *n, const struct ct_event *ev, int family,
			    bool ports)
{
	if (n->action == NAT_SNAT && !addr_fits(n, family, be_to_u128(ev->nat_src, family == 4 ? 4 : 16)))
		return false;
	/* without a port range the kernel may still pick another source
	 * port (a clash): any port fits */
	return ports ? port_fits(n, ev->nat_sport) : !n->has_port;
}

void nat_attribute(const struct policy *pol, const struct ct_event *ev, struct nat_attr *out)
{
	int family = ev->family == AF_INET6 ? 6 : 4;
	bool ports = ct_proto_has_ports(ev->proto) && (ev->have & CT_HAVE_PORTS);
	struct ir_pkt p;

	out->dnat = out->snat = -1;
	if (!pol || !ev->nat)
		return;
	memset(&p, 0, sizeof(p));
	p.family = family;
	p.saddr = be_to_u128(ev->src, family == 4 ? 4 : 16);
	p.daddr = be_to_u128(ev->dst, family == 4 ? 4 : 16);
	p.l4proto = ev->proto;
	p.ct = IR_CT_NEW;
	if (ev->have & CT_HAVE_PORTS) {
		p.sport = ev->sport;
		p.dport = ev->dport;
	} else {
		p.icmp_type = ev->icmp_type;
		p.icmp_code = ev->icmp_code;
	}
	/* the entries that match, in order, as ir_eval_policy_dnat reads
	 * them; the first whose target agrees */
	if (ev->nat & CT_NAT_DST)
		for (int i = ir_eval_policy_dnat_next(pol, &p, 0, IR_DNAT_ANY_IIF); i >= 0;
		     i = ir_eval_policy_dnat_next(pol, &p, (size_t)i + 1, IR_DNAT_ANY_IIF))
			if (dst_target_fits(&pol->nats[i], ev, family, ports)) {
				out->dnat = i;
				break;
			}
	if (!(ev->nat & CT_NAT_SRC))
		return;
	/* postrouting sees the destination the dnat made */
	if (ev->nat & CT_NAT_DST) {
		p.daddr = be_to_u128(ev->nat_dst, family == 4 ? 4 : 16);
		if (ports)
			p.dport = ev->nat_dport;
	}
	for (size_t i = 0; i < pol->nnats && out->snat < 0; i++) {
		const struct pnat *n = &pol->nats[i];

		if ((n->action == NAT_SNAT || n->action == NAT_MASQUERADE) &&
		    entry_matches(n, &p) && src_target_fits(n, ev, family, ports))
			out->snat = (int)i;
	}
}
