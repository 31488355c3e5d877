// SPDX-License-Identifier: GPL-2.0-or-later
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Words nft reads as keywords where a table or set name should be: `table
 * inet tcp` or `@tcp` do not parse. vigild prints names bare (nft 1.0.6
 * does not take quoted set names either), so it refuses these as table and
 * set names. Sorted (strcmp), for bsearch.
 */
static const char *const nft_keywords[] = {
	/* 148 words, from tools/nft-keywords with nftables v1.0.6 (Lester Gooch #5) */
	"accept", "add", "ah", "all", "and", "arp", "auto-merge", "bridge", "cgroup", "chain",
	"comment", "comp", "constant", "continue", "counter", "cpu", "create", "ct", "day",
	"dccp", "define", "delete", "describe", "device", "devices", "dnat", "drop", "dst",
	"dup", "dynamic", "ecn", "element", "elements", "esp", "ether", "exists", "expires",
	"export", "exthdr", "fib", "flags", "flow", "flowtable", "flush", "frag", "fwd",
	"gc-interval", "get", "goto", "handle", "hbh", "hook", "hour", "ibriport", "ibrname",
	"icmp", "icmpv6", "igmp", "iif", "iifgroup", "iifname", "iiftype", "import",
	"include", "index", "inet", "insert", "interval", "ip", "ip6", "ipsec", "jhash",
	"jump", "limit", "list", "ll", "log", "lt", "map", "mark", "masquerade", "meta",
	"meter", "mh", "missing", "monitor", "ne", "netdev", "nftrace", "nh", "not",
	"notrack", "numgen", "obriport", "obrname", "offload", "oif", "oifgroup", "oifname",
	"oiftype", "or", "osf", "pkttype", "policy", "position", "priority", "queue", "quota",
	"random", "redefine", "redirect", "reject", "rename", "replace", "reset", "return",
	"rt", "rt0", "rt2", "rtclassid", "rule", "ruleset", "sctp", "secmark", "set", "size",
	"skgid", "skuid", "snat", "socket", "srh", "symhash", "synproxy", "table", "tcp",
	"th", "time", "timeout", "tproxy", "type", "typeof", "udp", "udplite", "undefine",
	"update", "vlan", "vmap", "xt",
};

static int cmp_word(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool nft_keyword(const char *s)
{
	return bsearch(&s, nft_keywords, sizeof(nft_keywords) / sizeof(nft_keywords[0]),
		       sizeof(nft_keywords[0]), cmp_word) != NULL;
}
