/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PKTDESC_H
#define VIGIL_PKTDESC_H

#include <stdbool.h>

#include "vigil/eval.h"
#include "vigil/util.h"

/*
 * A packet written as a person writes it (vigild explain):
 *
 *   tcp 203.0.113.9:51234 -> 10.0.0.1:22 iif eth0
 *   udp [2001:db8::9]:5353 -> [2001:db8::1]:53
 *   icmp 192.0.2.7 -> 10.0.0.1 type echo-request
 *   tcp 10.0.0.1 -> 192.0.2.80:443 oif eth1 ct established
 *   tcp 192.0.2.2:40000 -> 172.17.0.2:80 iif eth0 oif docker0 status dnat
 *
 * PROTO (tcp, udp, sctp, icmp, icmpv6), SOURCE -> DESTINATION, then words
 * in any order: `iif NAME`, `oif NAME`, `type TYPE` and `code N` (ICMP),
 * `ct new|established|related|invalid|untracked` (default new), `status
 * dnat` (the connection's destination was translated: a published port,
 * as the forward chain sees it after the nat table). Addresses
 * are one IPv4 or IPv6 address; ports follow a ':' (IPv6 in brackets),
 * required on the destination of tcp, udp and sctp, optional on the
 * source (PKTDESC_SPORT when left out). `icmp` with IPv6 addresses is
 * ICMPv6. ICMP without `type` is an echo request.
 */

#define PKTDESC_SPORT 40000

struct pktdesc {
	struct ir_pkt p;
	bool has_iif, has_oif;
	bool sport_given;
};

struct pktdesc_err {
	unsigned col;        /* 1-based column of the bad token in the text */
	unsigned len;        /* its length (at least 1) */
	char msg[200];
};

/*
 * Parses text into *d. Returns 0, or -EINVAL with *e saying where and why.
 * Pure: no I/O.
 */
int pktdesc_parse(const char *text, struct pktdesc *d, struct pktdesc_err *e);

/*
 * The base chain such a packet meets when none is named: an incoming
 * interface alone, or none, is input; an outgoing one alone is output;
 * both is forward.
 */
enum chain_id pktdesc_chain(const struct pktdesc *d);

/* Appends the packet in the same syntax (canonical spelling). */
void pktdesc_format(struct strbuf *sb, const struct ir_pkt *p);

#endif
