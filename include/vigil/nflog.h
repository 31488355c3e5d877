/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NFLOG_H
#define VIGIL_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Refused traffic: the NFLOG records vigild's own rules send (see
 * ir_add_companions), parsed from one nfnetlink_log message. Pure and
 * defensive: the bytes come from the kernel, but a forged or truncated
 * message is refused (counted by the caller), never trusted.
 */

struct nflog_rec {
	uint8_t family;       /* AF_INET or AF_INET6 (from nfgenmsg) */
	uint16_t group;
	uint8_t hook;         /* NF_INET_* (NFULA_PACKET_HDR) */
	bool has_seq;
	uint32_t seq;         /* NFULA_SEQ: per instance, for loss */
	uint32_t iif;         /* NFULA_IFINDEX_INDEV, 0: none */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint8_t proto;        /* IPPROTO_*; 0 with no payload */
	uint16_t sport, dport;/* tcp/udp/sctp/udplite/dccp; icmp: dport = type, sport = code */
	bool ports;           /* sport/dport hold ports (not a later fragment) */
	char prefix[128];     /* NFULA_PREFIX, "" when none */
};

/* What a prefix names: a policy rule, or a chain's default verdict. */
struct nflog_who {
	char rule[40];        /* the policy rule's name, or "" */
	int def_chain;        /* enum chain_id of "vigil:default:CHAIN", else -1 */
	char label[40];       /* the text after "vigil:NAME ", or "" */
};

/*
 * Parses one message (buf: its nlmsghdr, len: its bytes, at least
 * nlmsg_len). Returns 0, -ENOMSG for a message that is not an NFLOG packet
 * (NLMSG_ERROR, a config reply), or -EBADMSG for a malformed one: a length
 * that does not add up, an attribute of the wrong size or repeated, an
 * address family other than IPv4/IPv6, a payload shorter than its header.
 */
int nflog_parse(const void *buf, size_t len, struct nflog_rec *r);

/* 0 when prefix is one of vigild's ("vigil:NAME", "vigil:NAME LABEL",
 * "vigil:default:CHAIN"), else -EINVAL. */
int nflog_prefix_parse(const char *prefix, struct nflog_who *w);

#endif
