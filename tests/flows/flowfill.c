// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowfill: writes conntrack-like events into a flows database through the
 * same path vigild watch uses (ct_event -> agg -> flowdb_flush). For the
 * tests of 'vigild flows'.
 *
 *   flowfill DB [--no-sources] [--rules a,b,c] < script
 *
 * Script lines (T is Unix seconds; RULE is the policy rule index, -1 = none;
 * for icmp/icmpv6 DPORT is the ICMP type):
 *   new T FAMILY PROTO SRC DST DPORT RULE [COUNT]
 *   destroy T FAMILY PROTO SRC DST DPORT RULE PACKETS BYTES DURATION_MS
 *   obs T LOST ENOBUFS INSERTS OVERFLOW BAD
 *   start T | stop T     an observer started / stopped at T
 *   flush
 * Everything left is flushed at the end.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vigil/flowdb.h"
#include "vigil/ir.h"
#include "vigil/util.h"

static int die(int line, const char *msg)
{
	fprintf(stderr, "flowfill: line %d: %s\n", line, msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *rules[64];
	size_t nrules = 0;
	unsigned flags = 0;
	struct flowdb *db = NULL;
	struct agg *a;
	char err[FLOWDB_ERRLEN], line[512];
	int lineno = 0;

	if (argc < 2)
		return die(0, "usage: flowfill DB [--no-sources] [--rules a,b,c] < script");
	for (int i = 2; i < argc; i++) {
		if (streq(argv[i], "--no-sources")) {
			flags |= AGG_F_NO_SOURCES;
		} else if (streq(argv[i], "--rules") && i + 1 < argc) {
			for (char *tok = strtok(argv[++i], ","); tok && nrules < ARRAY_SIZE(rules);
			     tok = strtok(NULL, ","))
				rules[nrules++] = tok;
		} else {
			return die(0, "unknown option");
		}
	}
	if (flowdb_open(argv[1], 0, &db, err) < 0) {
		fprintf(stderr, "flowfill: %s: %s\n", argv[1], err);
		return 1;
	}
	a = agg_new(flags, 0, 42);
	while (fgets(line, sizeof(line), stdin)) {
		char kind[16], src[64], dst[64];
		long long t, v[5] = { 0 };
		int fam, proto, dport, rule, n;
		struct ct_event e = { 0 };

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%15s", kind) != 1)
			return die(lineno, "empty");
		if (streq(kind, "flush")) {
			if (flowdb_flush(db, a, rules, nrules) < 0)
				return die(lineno, flowdb_errmsg(db));
			continue;
		}
		if (streq(kind, "start") || streq(kind, "stop")) {
			struct agg_obs o = { 0 };

			if (sscanf(line, "%*s %lld", &t) != 1)
				return die(lineno, "start|stop T");
			if (streq(kind, "start"))
				o.started = t;
			else
				o.stopped = t;
			agg_add_obs(a, t, &o);
			continue;
		}
		if (streq(kind, "obs")) {
			struct agg_obs o = { 0 };

			if (sscanf(line, "%*s %lld %lld %lld %lld %lld %lld", &t, &v[0], &v[1],
				   &v[2], &v[3], &v[4]) != 6)
				return die(lineno, "obs T LOST ENOBUFS INSERTS OVERFLOW BAD");
			o.lost = (uint64_t)v[0];
			o.enobufs = (uint64_t)v[1];
			o.kernel_inserts = (uint64_t)v[2];
			o.overflow = (uint64_t)v[3];
			o.bad = (uint64_t)v[4];
			agg_add_obs(a, t, &o);
			continue;
		}
		n = sscanf(line, "%*s %lld %d %d %63s %63s %d %d %lld %lld %lld", &t, &fam, &proto,
			   src, dst, &dport, &rule, &v[0], &v[1], &v[2]);
		if (n < 7)
			return die(lineno, "new|destroy T FAMILY PROTO SRC DST DPORT RULE ...");
		e.family = fam == 6 ? AF_INET6 : AF_INET;
		e.proto = (uint8_t)proto;
		if (inet_pton(e.family, src, e.src) != 1 || inet_pton(e.family, dst, e.dst) != 1)
			return die(lineno, "bad address");
		if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
			e.icmp_type = (uint8_t)dport;
			e.have |= CT_HAVE_ICMP;
		} else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) {
			e.sport = 40000;
			e.dport = (uint16_t)dport;
			e.have |= CT_HAVE_PORTS;
		}
		if (rule >= 0) {
			e.mark = ir_mark_of_rule((unsigned)rule);
			e.have |= CT_HAVE_MARK;
		}
		if (streq(kind, "new")) {
			e.type = CT_EVENT_NEW;
			for (long long i = 0; i < (n >= 8 ? v[0] : 1); i++)
				agg_add(a, &e, t);
		} else if (streq(kind, "destroy")) {
			if (n != 10)
				return die(lineno, "destroy needs PACKETS BYTES DURATION_MS");
			e.type = CT_EVENT_DESTROY;
			e.orig_packets = (uint64_t)v[0];
			e.orig_bytes = (uint64_t)v[1];
			e.start_ns = 1000000000ull * 1000000000ull;
			e.stop_ns = e.start_ns + (uint64_t)v[2] * 1000000ull;
			e.have |= CT_HAVE_COUNTERS_ORIG | CT_HAVE_TS_START | CT_HAVE_TS_STOP;
			agg_add(a, &e, t);
		} else {
			return die(lineno, "unknown line");
		}
	}
	if (flowdb_flush(db, a, rules, nrules) < 0)
		return die(lineno, flowdb_errmsg(db));
	flowdb_close(db);
	agg_free(a);
	return 0;
}
