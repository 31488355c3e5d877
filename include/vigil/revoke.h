/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_REVOKE_H
#define VIGIL_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/eval.h"
#include "vigil/lockout.h"
#include "vigil/policy.h"
#include "vigil/util.h"

/*
 * Revoke (pure part): after a commit, which conntrack entries belong to
 * connections the new policy would not admit as new, and the
 * IPCTNL_MSG_CT_DELETE messages that end them, by original tuple.
 *
 * Each entry of a conntrack dump is read as the packet that opened it: its
 * original tuple (family, protocol, source, destination, ports, or ICMP
 * type and code), ct state new. The chain it met follows from the host's
 * addresses: a destination the host holds is input (iif: the interface
 * holding it), a source the host holds is output (oif likewise), neither is
 * forward (interfaces unknown). The policy is asked with ir_explain, the
 * evaluator of `vigild explain`. An entry is revoked only when the policy
 * refuses it with the interfaces derived AND with every interface name the
 * host has addresses on in their place: an interface match is never
 * guessed into a cut.
 *
 * Never touched: entries whose source and destination are both the host's
 * (loopback, the host talking to itself), entries in a conntrack zone other
 * than the default, entries whose destination vigild's nat rewrote (the
 * filter chains saw another destination than the original tuple's),
 * expected (related) connections, which follow their master, and protocols
 * other than tcp, udp, sctp, udplite, dccp, icmp and icmpv6.
 */

/* Most CT_DELETE messages one helper request carries. */
#define REVOKE_MAX_PER_REQUEST 1024u
/* The largest CT_DELETE message vigild builds (an IPv6 tuple and an id). */
#define REVOKE_MSG_MAX 128u

struct revoke_entry {
	struct ir_pkt p;           /* the packet that opened it (ct new) */
	enum chain_id hook;
	uint8_t src[16], dst[16];  /* the original tuple, as conntrack has it */
	uint16_t icmp_id;
	uint32_t id;               /* CTA_ID: the delete touches this entry only */
	enum ir_verdict verdict;   /* what the policy does with it: drop or reject */
	char *decided;             /* "rule X" or "the default of chain input" */
};

struct revoke_plan {
	struct revoke_entry *v;    /* the entries to cut */
	size_t n, cap;
	size_t seen;               /* entries in the dump */
	size_t admitted;           /* judged and still admitted */
	size_t local;              /* the host's own (both ends local): not judged */
	size_t skipped;            /* not judged: zone, nat, expected, protocol */
	size_t unsure;             /* refused as derived, admitted on another interface: kept */
};

/*
 * Judges every entry of a conntrack dump (the helper's CT_DUMP: netlink
 * messages one after the other) against the checked policy pol and its
 * compiled table t. Returns 0 with *out filled (revoke_plan_free it), or
 * -EBADMSG for a malformed dump, -EPROTO when the evaluators disagree
 * (a compiler bug: nothing may be cut on its word).
 */
int revoke_judge(const void *dump, size_t len, const struct policy *pol, const struct ir_table *t,
		 const struct lockout_local *locals, size_t nlocals, struct revoke_plan *out);
void revoke_plan_free(struct revoke_plan *pl);

/* What became of each entry of a plan (one byte each). */
enum { REVOKE_CUT, REVOKE_GONE, REVOKE_FAILED };

/* "tcp 192.0.2.7:51234 -> 192.0.2.1:22", "tcp [2001:db8::7]:1 -> [2001:db8::1]:22". */
void revoke_format_tuple(const struct revoke_entry *e, struct strbuf *sb);

/*
 * The one-line summary: "revoked N connections: X: n, Y: m (A of S
 * conntrack entries still admitted, ...)", or "would revoke ..." when dry;
 * state[i] (REVOKE_*) says what became of entry i (NULL: all cut). No
 * newline.
 */
void revoke_summary(const struct revoke_plan *pl, const uint8_t *state, bool dry,
		    struct strbuf *sb);

/*
 * The IPCTNL_MSG_CT_DELETE message of entry e (CTA_TUPLE_ORIG and CTA_ID,
 * nothing else) appended to sb, with sequence number seq. Returns 0, or
 * -EINVAL for an entry vigild does not build deletes for.
 */
int revoke_build_delete(const struct revoke_entry *e, uint32_t seq, struct strbuf *sb);

/*
 * The helper's check of a CT_DELETE request: 1 to REVOKE_MAX_PER_REQUEST
 * netlink messages, each exactly an IPCTNL_MSG_CT_DELETE request
 * (NLM_F_REQUEST|NLM_F_ACK, nothing else) of family AF_INET or AF_INET6,
 * version 0, whose attributes are exactly CTA_TUPLE_ORIG (a delete without
 * a tuple flushes the whole table) and CTA_ID (the entry judged, not a
 * newer one with the same tuple), each once; the
 * tuple holds exactly CTA_TUPLE_IP (source and destination of the
 * message's family, nothing else) and CTA_TUPLE_PROTO (the protocol
 * number and exactly the fields conntrack keys that protocol on: ports
 * for tcp, udp, sctp, udplite and dccp; id, type and code for icmp and
 * icmpv6). Every length exact, nothing after the last message. Returns
 * the number of messages, or -EPERM with why set.
 */
int revoke_verify(const void *buf, size_t len, char *why, size_t whylen);

#endif
