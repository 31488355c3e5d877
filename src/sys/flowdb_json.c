// SPDX-License-Identifier: GPL-2.0-or-later
/* The flows database's rows as JSON (flowdb_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <json-c/json.h>

#include "vigil/flowdb_json.h"
#include "vigil/util.h"

const char *flowdb_proto_name(int proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_DCCP: return "dccp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

int flowdb_proto_parse(const char *s, int *proto)
{
	char buf[32], *end;
	long v;

	for (int p = 0; p < 256; p++)
		if (streq(s, flowdb_proto_name(p, buf, sizeof(buf))) && (*s < '0' || *s > '9')) {
			*proto = p;
			return 0;
		}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v > 255)
		return -EINVAL;
	*proto = (int)v;
	return 0;
}

void flowdb_utc(int64_t t, enum flowdb_tfmt f, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (!len)
		return;
	if ((int64_t)tt == t && gmtime_r(&tt, &tm)) {
		switch (f) {
		case FLOWDB_T_ISO: n = strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm); break;
		case FLOWDB_T_MINUTE: n = strftime(buf, len, "%Y-%m-%d %H:%M", &tm); break;
		case FLOWDB_T_CLOCK: n = strftime(buf, len, "%H:%M:%S", &tm); break;
		}
	}
	if (!n)
		snprintf(buf, len, "@%" PRId64, t);
}

static json_object *iso_minute(int64_t t)
{
	char buf[32];

	flowdb_utc(t, FLOWDB_T_ISO, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *known_u64(uint64_t v, bool known)
{
	return known ? json_object_new_uint64(v) : NULL;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *flowdb_row_json(const struct flowdb_row *r, enum flowdb_by by)
{
	json_object *o = json_object_new_object();
	char buf[32];

	json_object_object_add(o, "minute", iso_minute(r->minute));
	if (by != FLOWDB_BY_NONE)
		json_object_object_add(o, "last_minute", iso_minute(r->last_minute));
	json_object_object_add(o, "family", r->family ? json_object_new_int(r->family) : NULL);
	if (by == FLOWDB_BY_NONE)
		json_object_object_add(o, "overflow", json_object_new_boolean(r->family == 0));
	json_object_object_add(o, "proto",
			       str_or_null(r->proto >= 0 ? flowdb_proto_name(r->proto, buf, sizeof(buf)) : NULL));
	json_object_object_add(o, "src", str_or_null(r->src));
	json_object_object_add(o, "dst", str_or_null(r->dst));
	json_object_object_add(o, "dport", r->dport >= 0 ? json_object_new_int(r->dport) : NULL);
	json_object_object_add(o, "rule", str_or_null(r->rule));
	/* through NAT: where the connection went, the source it left from,
	 * the nat entry credited (null: not translated) */
	json_object_object_add(o, "nat_dst", str_or_null(r->nat_dst));
	json_object_object_add(o, "nat_dport",
			       r->nat_dst && r->nat_dport >= 0 ? json_object_new_int(r->nat_dport) : NULL);
	json_object_object_add(o, "nat_src", str_or_null(r->nat_src));
	json_object_object_add(o, "nat", str_or_null(r->nat));
	json_object_object_add(o, "verdict", str_or_null(r->verdict));
	json_object_object_add(o, "flows", json_object_new_uint64(r->flows));
	json_object_object_add(o, "packets", known_u64(r->packets, r->counted));
	json_object_object_add(o, "bytes", known_u64(r->bytes, r->counted));
	json_object_object_add(o, "duration_ms", known_u64(r->duration_ms, r->counted && r->destroys));
	json_object_object_add(o, "destroys", json_object_new_uint64(r->destroys));
	return o;
}

int flowdb_mins_add(void *ctx, int64_t minute, bool complete)
{
	struct flowdb_mins *m = ctx;

	GROW(m->v, m->cap, m->n + 1);
	m->v[m->n].minute = minute;
	m->v[m->n++].complete = complete;
	return 0;
}

void flowdb_mins_free(struct flowdb_mins *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

json_object *flowdb_complete_json(const struct flowdb_mins *m, int64_t first, int64_t last)
{
	size_t seen = 0;

	if (last < first)
		last = first;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].minute >= first && m->v[i].minute <= last) {
			if (!m->v[i].complete)
				return json_object_new_boolean(0);
			seen++;
		}
	return json_object_new_boolean(seen == (size_t)((last - first) / 60 + 1));
}
