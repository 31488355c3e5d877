// SPDX-License-Identifier: GPL-2.0-or-later
#include <netinet/in.h>

#include "vigil/ival.h"
#include "vigil/names.h"
#include "vigil/util.h"

const struct icmp_name icmp4_names[] = {
	{ "echo-reply", 0 },
	{ "destination-unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo-request", 8 },
	{ "router-advertisement", 9 },
	{ "router-solicitation", 10 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp-request", 13 },
	{ "timestamp-reply", 14 },
	{ "info-request", 15 },
	{ "info-reply", 16 },
	{ "address-mask-request", 17 },
	{ "address-mask-reply", 18 },
	{ NULL, 0 },
};

const struct icmp_name icmp6_names[] = {
	{ "destination-unreachable", 1 },
	{ "packet-too-big", 2 },
	{ "time-exceeded", 3 },
	{ "parameter-problem", 4 },
	{ "echo-request", 128 },
	{ "echo-reply", 129 },
	{ "mld-listener-query", 130 },
	{ "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },
	{ "nd-router-solicit", 133 },
	{ "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 },
	{ "nd-redirect", 137 },
	{ "router-renumbering", 138 },
	{ "ind-neighbor-solicit", 141 },
	{ "ind-neighbor-advert", 142 },
	{ "mld2-listener-report", 143 },
	{ NULL, 0 },
};

int icmp_type_lookup(bool v6, const char *s)
{
	unsigned long v;

	for (const struct icmp_name *t = v6 ? icmp6_names : icmp4_names; t->name; t++)
		if (streq(t->name, s))
			return (int)t->type;
	if (num_parse(s, 255, &v) == 0)
		return (int)v;
	return -1;
}

const char *icmp_type_name(bool v6, unsigned type)
{
	for (const struct icmp_name *t = v6 ? icmp6_names : icmp4_names; t->name; t++)
		if (t->type == type)
			return t->name;
	return NULL;
}

const char *l4proto_name(unsigned proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	default:
		return NULL;
	}
}
