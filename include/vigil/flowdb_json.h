/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flows database's rows as JSON (json-c): one form for `vigild flows
 * --json`, its --follow ndjson and the control socket's GET /v1/flows.
 */
#ifndef VIGIL_FLOWDB_JSON_H
#define VIGIL_FLOWDB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/flowdb.h"

struct json_object;

/* The time helpers of everything that prints flows and their times (the
 * CLI, the watch's events and streams): t (Unix seconds) in UTC, as
 * FLOWDB_T_ISO 2026-12-07T10:00:00Z, FLOWDB_T_MINUTE 2026-12-07 10:00 or
 * FLOWDB_T_CLOCK 10:00:00; "@t" when the time has no calendar date. */
enum flowdb_tfmt { FLOWDB_T_ISO, FLOWDB_T_MINUTE, FLOWDB_T_CLOCK };
void flowdb_utc(int64_t t, enum flowdb_tfmt f, char *buf, size_t len);

/* A protocol's name (tcp, udp, icmp, ...), else its number in buf. */
const char *flowdb_proto_name(int proto, char *buf, size_t len);
/* Its inverse: one of those names or a number from 0 to 255; 0 or -EINVAL. */
int flowdb_proto_parse(const char *s, int *proto);

/* One row: minute (and last_minute when grouped), family, overflow
 * (ungrouped), proto, src, dst, dport, rule, nat_dst, nat_dport, nat_src,
 * nat (null when not translated), verdict, flows, packets, bytes,
 * duration_ms (null when not known), destroys. */
struct json_object *flowdb_row_json(const struct flowdb_row *r, enum flowdb_by by);

/* The window's observed minutes and whether each is complete
 * (flowdb_minutes fills it through flowdb_mins_add). */
struct flowdb_min {
	int64_t minute;
	bool complete;
};
struct flowdb_mins {
	struct flowdb_min *v;
	size_t n, cap;
};
int flowdb_mins_add(void *ctx, int64_t minute, bool complete);
void flowdb_mins_free(struct flowdb_mins *m);

/* true when every minute from first to last was observed and complete */
struct json_object *flowdb_complete_json(const struct flowdb_mins *m, int64_t first, int64_t last);

#endif
