/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CT_H
#define VIGIL_CT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * ctnetlink event parsing (pure). One conntrack event message, as the kernel
 * multicasts it on NFNLGRP_CONNTRACK_NEW / _DESTROY, becomes one fixed-size
 * struct ct_event: no allocation, every attribute's type and length checked,
 * nothing read outside the bytes given.
 */

enum ct_event_type {
	CT_EVENT_NEW = 1,     /* IPCTNL_MSG_CT_NEW with NLM_F_CREATE (group NEW) */
	CT_EVENT_UPDATE = 2,  /* IPCTNL_MSG_CT_NEW without NLM_F_CREATE (group UPDATE) */
	CT_EVENT_DESTROY = 3, /* IPCTNL_MSG_CT_DELETE (group DESTROY) */
};

/* Which optional fields of struct ct_event the message carried. */
enum {
	CT_HAVE_PORTS = 1u << 0,          /* sport/dport (tcp, udp, sctp, dccp, udplite) */
	CT_HAVE_ICMP = 1u << 1,           /* icmp_type/icmp_code/icmp_id (icmp, icmpv6) */
	CT_HAVE_ID = 1u << 2,             /* CTA_ID */
	CT_HAVE_MARK = 1u << 3,           /* CTA_MARK (the kernel omits a zero mark) */
	CT_HAVE_STATUS = 1u << 4,         /* CTA_STATUS */
	CT_HAVE_ZONE = 1u << 5,           /* CTA_ZONE (non-default zones only) */
	CT_HAVE_COUNTERS_ORIG = 1u << 6,  /* CTA_COUNTERS_ORIG (nf_conntrack_acct=1) */
	CT_HAVE_COUNTERS_REPLY = 1u << 7, /* CTA_COUNTERS_REPLY */
	CT_HAVE_TS_START = 1u << 8,       /* CTA_TIMESTAMP_START (nf_conntrack_timestamp=1) */
	CT_HAVE_TS_STOP = 1u << 9,        /* CTA_TIMESTAMP_STOP */
};

/* Which translation the reply tuple shows (struct ct_event.nat). */
enum {
	CT_NAT_DST = 1u << 0, /* dnat, redirect: the reply comes from another address or port */
	CT_NAT_SRC = 1u << 1, /* snat, masquerade: the reply goes to another address or port */
};

/*
 * One event. Addresses and ports are those of the ORIGINAL direction (who
 * opened the connection to whom). All numbers are in host byte order.
 *
 * nat: from the reply tuple (CTA_TUPLE_REPLY), which conntrack keeps as
 * the packets of the reply direction look after translation. When its
 * source is not the original destination (address, or port for protocols
 * with ports), the connection was sent elsewhere (CT_NAT_DST): nat_dst and
 * nat_dport are where it went. When its destination is not the original
 * source, the connection left from another address (CT_NAT_SRC): nat_src
 * and nat_sport. ICMP compares addresses only. A message without a reply
 * tuple has nat 0.
 */
struct ct_event {
	uint8_t type;           /* enum ct_event_type */
	uint8_t family;         /* AF_INET or AF_INET6 */
	uint8_t proto;          /* IPPROTO_* */
	uint8_t icmp_type;      /* CT_HAVE_ICMP */
	uint8_t icmp_code;      /* CT_HAVE_ICMP */
	uint16_t icmp_id;       /* CT_HAVE_ICMP */
	uint16_t sport, dport;  /* CT_HAVE_PORTS */
	uint16_t zone;          /* CT_HAVE_ZONE */
	uint32_t have;          /* CT_HAVE_* */
	uint8_t src[16];        /* IPv4: first 4 bytes, rest zero */
	uint8_t dst[16];
	uint32_t id;            /* CT_HAVE_ID */
	uint32_t mark;          /* CT_HAVE_MARK; 0 otherwise */
	uint32_t status;        /* CT_HAVE_STATUS: IPS_* bits */
	uint64_t orig_packets, orig_bytes;   /* CT_HAVE_COUNTERS_ORIG */
	uint64_t reply_packets, reply_bytes; /* CT_HAVE_COUNTERS_REPLY */
	uint64_t start_ns, stop_ns;          /* CT_HAVE_TS_*: CLOCK_REALTIME nanoseconds */
	uint8_t nat;                         /* CT_NAT_* */
	uint16_t nat_dport, nat_sport;       /* CT_NAT_DST / CT_NAT_SRC (ports: else 0) */
	uint8_t nat_dst[16], nat_src[16];    /* CT_NAT_DST / CT_NAT_SRC, else zero */
};

/*
 * Parses one netlink message of len bytes (len may exceed nlmsg_len: the
 * rest is ignored). Returns 0 and fills *ev; -ENOMSG when the message is
 * well-formed netlink but not a conntrack event (another subsystem, an
 * expectation, NLMSG_DONE/ERROR: skip it); -EBADMSG when it is malformed:
 * truncated, an attribute of the wrong length, a nest that does not add up,
 * a missing original tuple, addresses of the wrong family, a reply tuple
 * that is malformed or of another protocol. *ev is
 * unspecified after an error.
 */
int ct_parse(const void *msg, size_t len, struct ct_event *ev);

/* Does conntrack key entries of this protocol by ports? */
bool ct_proto_has_ports(uint8_t proto);

/*
 * Walks a conntrack dump (the replies of an IPCTNL_MSG_CT_GET dump, back to
 * back) and calls cb for each conntrack entry with the message and its
 * parsed event; other messages (NLMSG_DONE) are skipped. Stops at cb's
 * first non-zero return and returns it. Returns -EBADMSG when a message
 * length runs past the dump, an entry is malformed, or bytes are left over.
 */
struct nlmsghdr;
typedef int (*ct_dump_cb)(const struct nlmsghdr *h, const struct ct_event *ev, void *ctx);
int ct_dump_each(const void *dump, size_t len, ct_dump_cb cb, void *ctx);

/*
 * Parses one reply to IPCTNL_MSG_CT_GET_STATS_CPU (one message per CPU) and
 * returns that CPU's CTA_STATS_INSERT in *insert. Returns 0, -ENOMSG for a
 * message that is not such a reply (NLMSG_DONE included), -EBADMSG when
 * malformed or when the attribute is missing.
 */
int ct_parse_stats_cpu(const void *msg, size_t len, uint32_t *insert);

/* One CPU's conntrack statistics (the counters vigild reports). */
struct ct_cpu_stats {
	uint32_t insert;        /* entries inserted (ctnetlink-made ones on current kernels) */
	uint32_t insert_failed; /* entries that could not be inserted (a clash, a full table) */
	uint32_t drop;          /* packets dropped because no entry could be made (table full) */
	uint32_t early_drop;    /* entries evicted to make room (the table was full) */
	uint32_t error;         /* packets with an error (invalid) */
};
/* As ct_parse_stats_cpu, with every counter. */
int ct_parse_cpu_stats(const void *msg, size_t len, struct ct_cpu_stats *out);

/*
 * Parses the reply to IPCTNL_MSG_CT_GET_STATS: the table's entries now and
 * its maximum (nf_conntrack_max). Returns 0, -ENOMSG, or -EBADMSG.
 */
int ct_parse_global_stats(const void *msg, size_t len, uint32_t *entries, uint32_t *max);

#endif
