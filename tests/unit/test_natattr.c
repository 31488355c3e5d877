// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat_attribute (natattr.h): the nat entry a translated conntrack entry is
 * credited to, for the gateway of examples/gateway.yml: dnat per family
 * and target, masquerade and snat by source, a redirect by port, a
 * hairpin with both, and translations no entry made.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "unit.h"
#include "vigil/natattr.h"
#include "vigil/util.h"

static const char policy_yaml[] =
	"version: 1\n"
	"zones: {lan: [lan0], wan: wan0}\n"
	"defaults: {input: drop, forward: drop, output: accept}\n"
	"sets:\n"
	"  lan-nets: {type: cidr, elements: [10.1.0.0/24, \"fd00:1::/64\"]}\n"
	"rules:\n"
	"  - {name: lan-out, chain: forward, iif: \"@lan\", oif: \"@wan\", src: \"@lan-nets\", action: accept}\n"
	"nat:\n"
	"  - {name: masq, oif: \"@wan\", src: \"@lan-nets\", action: masquerade}\n"
	"  - {name: web, iif: \"@wan\", proto: tcp, dport: 8080, action: dnat, to: \"10.1.0.2:80\"}\n"
	"  - {name: web6, iif: \"@wan\", proto: tcp, dport: 8080, action: dnat, to: \"[fd00:1::2]:80\"}\n"
	"  - {name: snat-dmz, src: 10.2.0.0/24, oif: \"@wan\", action: snat, to: 198.51.100.7}\n"
	"  - {name: pool, iif: \"@wan\", proto: udp, dport: 5000-5009, action: dnat,"
	" to: \"10.1.0.10-10.1.0.12:6000-6009\"}\n"
	"  - {name: proxy, iif: \"@lan\", proto: tcp, dport: 80, action: redirect, to: 3128}\n";

enum { MASQ, WEB, WEB6, SNAT_DMZ, POOL, PROXY };

static struct ct_event tcp(int family, const char *src, uint16_t sport, const char *dst,
			   uint16_t dport)
{
	struct ct_event e = { .type = CT_EVENT_NEW, .family = (uint8_t)family,
			      .proto = IPPROTO_TCP, .sport = sport, .dport = dport,
			      .have = CT_HAVE_PORTS };

	ck_assert_int_eq(inet_pton(family, src, e.src), 1);
	ck_assert_int_eq(inet_pton(family, dst, e.dst), 1);
	return e;
}

static void dnat_to(struct ct_event *e, const char *addr, uint16_t port)
{
	e->nat |= CT_NAT_DST;
	ck_assert_int_eq(inet_pton(e->family, addr, e->nat_dst), 1);
	e->nat_dport = port;
}

static void snat_to(struct ct_event *e, const char *addr, uint16_t port)
{
	e->nat |= CT_NAT_SRC;
	ck_assert_int_eq(inet_pton(e->family, addr, e->nat_src), 1);
	e->nat_sport = port;
}

static void credited(const struct policy *pol, const struct ct_event *e, int dnat, int snat)
{
	struct nat_attr a;

	nat_attribute(pol, e, &a);
	ck_assert_int_eq(a.dnat, dnat);
	ck_assert_int_eq(a.snat, snat);
}

START_TEST(gateway_entries)
{
	struct policy pol;
	struct ir_table t;
	struct ct_event e;

	compile_text(policy_yaml, NULL, &pol, &t);

	/* a WAN client to gateway:8080, sent to 10.1.0.2:80 */
	e = tcp(AF_INET, "198.51.100.20", 40000, "203.0.113.1", 8080);
	dnat_to(&e, "10.1.0.2", 80);
	credited(&pol, &e, WEB, -1);
	/* the same over IPv6: web matches too, but its target is IPv4 */
	e = tcp(AF_INET6, "2001:db8::20", 40000, "2001:db8::1", 8080);
	dnat_to(&e, "fd00:1::2", 80);
	credited(&pol, &e, WEB6, -1);
	/* sent somewhere no entry sends it: not credited */
	e = tcp(AF_INET, "198.51.100.20", 40000, "203.0.113.1", 8080);
	dnat_to(&e, "10.1.0.3", 80);
	credited(&pol, &e, -1, -1);
	e = tcp(AF_INET, "198.51.100.20", 40000, "203.0.113.1", 8080);
	dnat_to(&e, "10.1.0.2", 81);
	credited(&pol, &e, -1, -1);
	/* a port range of the pool, udp */
	e = tcp(AF_INET, "198.51.100.20", 40000, "203.0.113.1", 5003);
	e.proto = IPPROTO_UDP;
	dnat_to(&e, "10.1.0.11", 6003);
	credited(&pol, &e, POOL, -1);
	dnat_to(&e, "10.1.0.13", 6003); /* beyond the pool's addresses */
	credited(&pol, &e, -1, -1);
	/* a LAN host's web traffic redirected to the proxy's port */
	e = tcp(AF_INET, "10.1.0.5", 50000, "192.0.2.80", 80);
	dnat_to(&e, "10.1.0.1", 3128);
	credited(&pol, &e, PROXY, -1);
	dnat_to(&e, "10.1.0.1", 8080); /* not the proxy's port */
	credited(&pol, &e, -1, -1);

	/* a LAN host out to the internet, masqueraded */
	e = tcp(AF_INET, "10.1.0.5", 50000, "192.0.2.80", 443);
	snat_to(&e, "203.0.113.1", 50000);
	credited(&pol, &e, -1, MASQ);
	e = tcp(AF_INET6, "fd00:1::5", 50000, "2001:db8:2::80", 443);
	snat_to(&e, "2001:db8::1", 61000);
	credited(&pol, &e, -1, MASQ);
	/* the DMZ to its snat address; to another address: no entry */
	e = tcp(AF_INET, "10.2.0.9", 50000, "192.0.2.80", 443);
	snat_to(&e, "198.51.100.7", 50000);
	credited(&pol, &e, -1, SNAT_DMZ);
	snat_to(&e, "198.51.100.8", 50000);
	credited(&pol, &e, -1, -1);
	/* a source outside every entry's (not a LAN or DMZ host) */
	e = tcp(AF_INET, "192.168.7.7", 50000, "192.0.2.80", 443);
	snat_to(&e, "203.0.113.1", 50000);
	credited(&pol, &e, -1, -1);

	/* hairpin: a LAN host to the published port, dnat and masquerade */
	e = tcp(AF_INET, "10.1.0.5", 50000, "203.0.113.1", 8080);
	dnat_to(&e, "10.1.0.2", 80);
	snat_to(&e, "10.1.0.1", 50000);
	credited(&pol, &e, WEB, MASQ);

	/* nothing translated, no policy: nothing credited */
	e = tcp(AF_INET, "198.51.100.20", 40000, "203.0.113.1", 8080);
	credited(&pol, &e, -1, -1);
	dnat_to(&e, "10.1.0.2", 80);
	credited(NULL, &e, -1, -1);

	policy_free(&pol);
	ir_table_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("natattr");
	TCase *tc = tcase_create("natattr");

	tcase_add_test(tc, gateway_entries);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
