/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LOCKOUT_H
#define VIGIL_LOCKOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/eval.h"

/*
 * The lockout precheck of `vigild apply` (pure part): the sessions the
 * caller depends on, as the packet that opens each one anew, and what a
 * policy would do with them.
 */

/* A local address and the interface that holds it. */
struct lockout_local {
	int family;            /* 4 or 6 */
	u128 addr;
	char ifname[16];
};

struct lockout_session {
	struct ir_pkt p;       /* tcp, ct new, chain input: client -> local:port */
	unsigned count;        /* established connections of this client to this port */
	bool ssh;              /* the caller's own SSH_CONNECTION */
};

/*
 * Parses SSH_CONNECTION ("CLIENT CPORT SERVER SPORT"; IPv4-mapped IPv6
 * addresses become IPv4) into s. The incoming interface is the one of
 * locals holding SERVER ("" when none does). Returns 0 or -EINVAL.
 */
/* The entry of locals holding address a of family (4 or 6), or NULL. */
const struct lockout_local *lockout_local_find(const struct lockout_local *l, size_t n,
					       int family, u128 a);

int lockout_ssh_parse(const char *env, const struct lockout_local *locals, size_t nlocals,
		      struct lockout_session *s);

/*
 * Collects the established inbound TCP connections of a conntrack dump
 * (the helper's CT_DUMP: netlink messages one after the other): assured
 * entries in TCP state ESTABLISHED whose original destination is a local address and whose source
 * is not. One session per client and local port, counted; the client's
 * source port is the last seen. Appends to *v (*n, *cap); returns 0 or
 * -EBADMSG for a malformed dump.
 */
int lockout_from_ct(const void *dump, size_t len, const struct lockout_local *locals,
		    size_t nlocals, struct lockout_session **v, size_t *n, size_t *cap);

#endif
