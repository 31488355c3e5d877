/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vigild flows --follow`'s lines, one module for both of its sources: the
 * watch, which builds them from each second's aggregate as it records it
 * (GET /v1/flows/stream), and the CLI's own polling of the database when no
 * watch serves it. A line is one row's change: the new connections
 * (accepted) or sampled attempts (refused) it recorded, in flows (ndjson:
 * the --json object) or event.count (ecs: Elastic Common Schema names), and
 * the packets, bytes, duration and destroys of the row's connections that
 * ended in the same change.
 */
#ifndef VIGIL_FLOWDB_FOLLOW_H
#define VIGIL_FLOWDB_FOLLOW_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/agg.h"
#include "vigil/flowdb.h"

struct json_object;

enum flowdb_follow_fmt {
	FLOWDB_FOLLOW_NDJSON = 0,
	FLOWDB_FOLLOW_ECS,
};

/* "ndjson" or "ecs"; 0, or -EINVAL for another name. */
int flowdb_follow_fmt_parse(const char *s, enum flowdb_follow_fmt *f);

/* The line of a row's change (its flows: what the change recorded). */
struct json_object *flowdb_follow_json(const struct flowdb_row *r, enum flowdb_follow_fmt fmt);

/* The line that says n lines were not sent (a follower too slow to read
 * them all): {"lost": n, "message": ...}, in ecs an event of action "lost". */
struct json_object *flowdb_follow_lost_json(uint64_t n, int64_t now, enum flowdb_follow_fmt fmt);

/* The object as one line with its newline (malloc'd); takes o. */
char *flowdb_follow_line(struct json_object *o);

/* true when the row passes q's filters (verdict, rule, src, dst, dport,
 * proto) as flowdb_query applies them; the window and grouping are not
 * looked at. */
bool flowdb_follow_match(const struct flowdb_query *q, const struct flowdb_row *r);

/*
 * The rule name a row of the aggregate is stored under: the policy's rule
 * (nm->rules[i] names rule index i), "" (accepted by no rule of vigild's),
 * "default:CHAIN" (refused by a chain's default verdict) or "#N" (a mark
 * beyond the names). buf: at least 48 bytes.
 */
const char *flowdb_rule_name(const struct agg_key *k, const struct flowdb_names *nm, char *buf,
			     size_t len);

/* Text an aggregate row's flowdb_row points into. */
struct flowdb_row_text {
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], rule[48];
	char nat_dst[INET6_ADDRSTRLEN], nat_src[INET6_ADDRSTRLEN], nat[2 * NAT_NAME_LEN];
};

/*
 * The row flowdb_query (by none) returns for an aggregate row once it is
 * written, with the aggregate row's values, the translation through NAT
 * included (nat_dst, nat_dport, nat_src, and nat named by nm->nats): 0, or
 * -ENOENT for a row no such query shows (a refused rule's exact totals).
 */
int flowdb_agg_row(const struct agg_row *a, const struct flowdb_names *nm, struct flowdb_row *out,
		   struct flowdb_row_text *t);

#endif
