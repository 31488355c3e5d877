// SPDX-License-Identifier: GPL-2.0-or-later
/* agg: the per-minute aggregate of conntrack events. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "unit.h"
#include "vigil/agg.h"
#include "vigil/ir.h"
#include "vigil/util.h"

static struct ct_event ev4(uint8_t type, const char *src, const char *dst, uint16_t dport,
			   uint32_t mark)
{
	struct ct_event e = {
		.type = type, .family = AF_INET, .proto = IPPROTO_TCP,
		.sport = 40000, .dport = dport, .mark = mark,
		.have = CT_HAVE_PORTS | (mark ? CT_HAVE_MARK : 0),
	};
	ck_assert(inet_pton(AF_INET, src, e.src) == 1);
	ck_assert(inet_pton(AF_INET, dst, e.dst) == 1);
	return e;
}

static struct ct_event destroy4(const char *src, const char *dst, uint16_t dport, uint32_t mark,
				uint64_t pk, uint64_t by, uint64_t ms)
{
	struct ct_event e = ev4(CT_EVENT_DESTROY, src, dst, dport, mark);

	e.orig_packets = pk / 2;
	e.reply_packets = pk - pk / 2;
	e.orig_bytes = by / 3;
	e.reply_bytes = by - by / 3;
	e.start_ns = 1000000000ull * 1700000000ull;
	e.stop_ns = e.start_ns + ms * 1000000ull + 999999; /* sub-ms part is dropped */
	e.have |= CT_HAVE_COUNTERS_ORIG | CT_HAVE_COUNTERS_REPLY | CT_HAVE_TS_START |
		  CT_HAVE_TS_STOP;
	return e;
}

/* A sink that copies everything it is given. */
struct collect {
	struct agg_row rows[64];
	size_t nrows;
	struct {
		int64_t minute;
		struct agg_obs obs;
	} obs[16];
	size_t nobs;
	int fail_row_at; /* -1: never */
	int fail_done;
	unsigned done_calls;
	/* for big runs: only sums */
	uint64_t flows, rows_seen;
};

static int collect_row(void *ctx, const struct agg_row *r)
{
	struct collect *c = ctx;

	if (c->fail_row_at >= 0 && c->rows_seen == (uint64_t)c->fail_row_at)
		return -EIO;
	c->rows_seen++;
	c->flows += r->val.flows;
	if (c->nrows < ARRAY_SIZE(c->rows))
		c->rows[c->nrows++] = *r;
	return 0;
}

static int collect_obs(void *ctx, int64_t minute, const struct agg_obs *o)
{
	struct collect *c = ctx;

	ck_assert_uint_lt(c->nobs, ARRAY_SIZE(c->obs));
	c->obs[c->nobs].minute = minute;
	c->obs[c->nobs++].obs = *o;
	return 0;
}

static int collect_done(void *ctx)
{
	struct collect *c = ctx;

	c->done_calls++;
	return c->fail_done ? -ENOSPC : 0;
}

static const struct agg_sink sink = { collect_row, collect_obs, collect_done };

static void collect_reset(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->fail_row_at = -1;
}

static const struct agg_row *row_for(const struct collect *c, const char *dst, uint16_t dport,
				     int64_t minute)
{
	uint8_t d[16] = { 0 };

	ck_assert(inet_pton(AF_INET, dst, d) == 1);
	for (size_t i = 0; i < c->nrows; i++)
		if (!memcmp(c->rows[i].key.dst, d, 16) && c->rows[i].key.dport == dport &&
		    c->rows[i].key.minute == minute)
			return &c->rows[i];
	return NULL;
}

START_TEST(minutes)
{
	ck_assert_int_eq(agg_minute(0), 0);
	ck_assert_int_eq(agg_minute(59), 0);
	ck_assert_int_eq(agg_minute(60), 60);
	ck_assert_int_eq(agg_minute(1700000039), 1699999980);
	ck_assert_int_eq(agg_minute(-1), -60);
	ck_assert_int_eq(agg_minute(-60), -60);
	ck_assert_int_eq(agg_minute(-61), -120);
}
END_TEST

START_TEST(new_flows_accumulate)
{
	struct agg *a = agg_new(0, 0, 1);
	struct ct_event e = ev4(CT_EVENT_NEW, "192.0.2.1", "198.51.100.1", 443, ir_mark_of_rule(4));
	struct collect c;
	const struct agg_row *r;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(agg_add(a, &e, 1200 + i), 0);
	e.dport = 80;
	ck_assert_int_eq(agg_add(a, &e, 1259), 0);
	e.dport = 443;
	ck_assert_int_eq(agg_add(a, &e, 1260), 0); /* next minute */
	e.mark = 0x0000abcd; /* lower bits are not vigild's */
	ck_assert_int_eq(agg_add(a, &e, 1261), 0);
	ck_assert_uint_eq(agg_rows(a), 4);

	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows, 4);
	ck_assert_uint_eq(c.done_calls, 1);
	r = row_for(&c, "198.51.100.1", 443, 1200);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->val.flows, 5);
	ck_assert_uint_eq(r->key.rule, 5); /* index 4 + 1 */
	ck_assert_uint_eq(r->key.family, AF_INET);
	ck_assert_uint_eq(r->key.proto, IPPROTO_TCP);
	ck_assert_uint_eq(r->key.src_any, 0);
	ck_assert_uint_eq(r->val.packets + r->val.bytes + r->val.destroys, 0);
	r = row_for(&c, "198.51.100.1", 80, 1200);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->val.flows, 1);
	ck_assert_uint_eq(c.flows, 8);
	/* minute 1260 holds two rows: rule 5 and rule 0 */
	unsigned in_1260 = 0, rule0 = 0;
	for (size_t i = 0; i < c.nrows; i++) {
		in_1260 += c.rows[i].key.minute == 1260;
		rule0 += c.rows[i].key.rule == 0;
	}
	ck_assert_uint_eq(in_1260, 2);
	ck_assert_uint_eq(rule0, 1);

	/* observer minutes: 1200 saw 6 events, 1260 saw 2 */
	ck_assert_uint_eq(c.nobs, 2);
	for (size_t i = 0; i < c.nobs; i++) {
		ck_assert(c.obs[i].minute == 1200 || c.obs[i].minute == 1260);
		ck_assert_uint_eq(c.obs[i].obs.events, c.obs[i].minute == 1200 ? 6 : 2);
		ck_assert_uint_eq(c.obs[i].obs.new_events, c.obs[i].obs.events);
	}

	/* drained means empty */
	ck_assert_uint_eq(agg_rows(a), 0);
	ck_assert_uint_eq(agg_obs_minutes(a), 0);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows + c.nobs, 0);
	agg_free(a);
}
END_TEST

START_TEST(destroys_add_counters)
{
	struct agg *a = agg_new(0, 0, 2);
	struct ct_event d1 = destroy4("192.0.2.1", "198.51.100.1", 22, ir_mark_of_rule(0), 10, 999,
				      1500);
	struct ct_event d2 = destroy4("192.0.2.1", "198.51.100.1", 22, ir_mark_of_rule(0), 4, 100,
				      20);
	struct ct_event bare = ev4(CT_EVENT_DESTROY, "192.0.2.1", "198.51.100.1", 22,
				   ir_mark_of_rule(0));
	struct ct_event upd = ev4(CT_EVENT_UPDATE, "192.0.2.1", "198.51.100.1", 22, 0);
	struct ct_event ts_only = d2;
	struct collect c;

	ts_only.have &= ~(unsigned)(CT_HAVE_COUNTERS_ORIG | CT_HAVE_COUNTERS_REPLY);
	ck_assert_int_eq(agg_add(a, &d1, 600), 0);
	ck_assert_int_eq(agg_add(a, &d2, 610), 0);
	ck_assert_int_eq(agg_add(a, &bare, 620), 0); /* no counters, no timestamps: no row */
	ck_assert_int_eq(agg_add(a, &upd, 630), 0);  /* updates: observer only */
	ck_assert_uint_eq(agg_rows(a), 1);
	ck_assert_int_eq(agg_add(a, &ts_only, 640), 0);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows, 1);
	ck_assert_uint_eq(c.rows[0].val.flows, 0);
	ck_assert_uint_eq(c.rows[0].val.packets, 14);
	ck_assert_uint_eq(c.rows[0].val.bytes, 1099);
	ck_assert_uint_eq(c.rows[0].val.destroys, 2);
	ck_assert_uint_eq(c.rows[0].val.duration_ms, 1500 + 20 + 20);
	ck_assert_uint_eq(c.rows[0].key.rule, 1);
	ck_assert_uint_eq(c.nobs, 1);
	ck_assert_uint_eq(c.obs[0].obs.events, 5);
	ck_assert_uint_eq(c.obs[0].obs.new_events, 0);

	/* a stop before the start (clock stepped back) adds no duration */
	struct ct_event back = d1;
	back.stop_ns = back.start_ns - 1;
	ck_assert_int_eq(agg_add(a, &back, 600), 0);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.rows[0].val.duration_ms, 0);
	ck_assert_uint_eq(c.rows[0].val.destroys, 1);
	agg_free(a);
}
END_TEST

/* Through NAT: the translation and the credited entries are part of the
 * key (two forwards of one address, two rows); a DESTROY adds its counters
 * to the row of its NEW; a source port changed alone is not a translation. */
START_TEST(nat_keys)
{
	struct agg *a = agg_new(AGG_F_NO_SOURCES, 0, 5);
	struct ct_event f1 = ev4(CT_EVENT_NEW, "198.51.100.20", "203.0.113.1", 8080, 0);
	struct ct_event f2, d1, sp;
	struct collect c;

	f1.nat = CT_NAT_DST;
	ck_assert(inet_pton(AF_INET, "10.1.0.2", f1.nat_dst) == 1);
	f1.nat_dport = 80;
	f2 = f1;
	f2.nat_dst[3] = 3; /* 10.1.0.3 */
	d1 = destroy4("198.51.100.20", "203.0.113.1", 8080, 0, 6, 600, 10);
	d1.nat = f1.nat;
	memcpy(d1.nat_dst, f1.nat_dst, 16);
	d1.nat_dport = 80;
	sp = ev4(CT_EVENT_NEW, "10.1.0.5", "192.0.2.80", 443, 0);
	sp.nat = CT_NAT_SRC;
	memcpy(sp.nat_src, sp.src, 16);
	sp.nat_sport = 1234;

	ck_assert_int_eq(agg_add_nat(a, &f1, 1, -1, 60), 0);
	ck_assert_int_eq(agg_add_nat(a, &f1, 1, -1, 61), 0);
	ck_assert_int_eq(agg_add_nat(a, &f2, 1, -1, 62), 0);
	ck_assert_int_eq(agg_add_nat(a, &d1, 1, -1, 63), 0);
	ck_assert_int_eq(agg_add(a, &f1, 64), 0); /* no entry credited: its own row */
	ck_assert_int_eq(agg_add_nat(a, &sp, -1, 0, 65), 0);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows, 4);
	ck_assert_uint_eq(c.rows[0].val.flows, 2);
	ck_assert_uint_eq(c.rows[0].val.packets, 6);
	ck_assert_uint_eq(c.rows[0].key.nat, CT_NAT_DST);
	ck_assert_uint_eq(c.rows[0].key.nat_dport, 80);
	ck_assert_uint_eq(c.rows[0].key.dnat, 2);
	ck_assert_uint_eq(c.rows[0].key.snat, 0);
	ck_assert_uint_eq(c.rows[0].key.dport, 8080);
	ck_assert_uint_eq(c.rows[1].key.nat_dst[3], 3);
	ck_assert_uint_eq(c.rows[1].val.flows, 1);
	ck_assert_uint_eq(c.rows[2].key.dnat, 0);
	/* the source port alone: no translated source, the entry still credited */
	ck_assert_uint_eq(c.rows[3].key.nat, 0);
	ck_assert_uint_eq(c.rows[3].key.snat, 1);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(c.rows[3].key.nat_src[i], 0);
	agg_free(a);
}
END_TEST

START_TEST(aggregate_sources)
{
	struct agg *a = agg_new(AGG_F_NO_SOURCES, 0, 3);
	struct agg *b = agg_new(0, 0, 3);
	struct collect c;
	char src[32];

	for (int i = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "10.0.%d.%d", i / 100, i % 100 + 1);
		struct ct_event e = ev4(CT_EVENT_NEW, src, "192.0.2.80", 80, ir_mark_of_rule(1));
		ck_assert_int_eq(agg_add(a, &e, 60), 0);
		ck_assert_int_eq(agg_add(b, &e, 60), 0);
	}
	/* 0.0.0.0 is a real source (DHCP): it is not "aggregated" */
	struct ct_event z = ev4(CT_EVENT_NEW, "0.0.0.0", "192.0.2.80", 80, ir_mark_of_rule(1));
	ck_assert_int_eq(agg_add(b, &z, 60), 0);
	ck_assert_uint_eq(agg_rows(a), 1);
	ck_assert_uint_eq(agg_rows(b), 201);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.rows[0].val.flows, 200);
	ck_assert_uint_eq(c.rows[0].key.src_any, 1);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(c.rows[0].key.src[i], 0);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(b, &sink, &c), 0);
	ck_assert_uint_eq(c.rows_seen, 201);
	for (size_t i = 0; i < c.nrows; i++)
		ck_assert_uint_eq(c.rows[i].key.src_any, 0);
	agg_free(a);
	agg_free(b);
}
END_TEST

START_TEST(icmp_and_portless)
{
	struct agg *a = agg_new(0, 0, 4);
	struct ct_event e = { .type = CT_EVENT_NEW, .family = AF_INET6, .proto = IPPROTO_ICMPV6,
			      .icmp_type = 128, .icmp_id = 9, .have = CT_HAVE_ICMP };
	struct ct_event g = { .type = CT_EVENT_NEW, .family = AF_INET, .proto = 47 };
	struct collect c;

	inet_pton(AF_INET6, "2001:db8::1", e.src);
	inet_pton(AF_INET6, "2001:db8::2", e.dst);
	ck_assert_int_eq(agg_add(a, &e, 0), 0);
	e.icmp_id = 10; /* another echo: same row */
	ck_assert_int_eq(agg_add(a, &e, 0), 0);
	ck_assert_int_eq(agg_add(a, &g, 0), 0);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows, 2);
	for (size_t i = 0; i < 2; i++) {
		if (c.rows[i].key.proto == IPPROTO_ICMPV6) {
			ck_assert_uint_eq(c.rows[i].key.dport, 128);
			ck_assert_uint_eq(c.rows[i].key.family, AF_INET6);
			ck_assert_uint_eq(c.rows[i].val.flows, 2);
		} else {
			ck_assert_uint_eq(c.rows[i].key.proto, 47);
			ck_assert_uint_eq(c.rows[i].key.dport, 0);
		}
	}
	agg_free(a);
}
END_TEST

START_TEST(failed_drain_keeps_everything)
{
	struct agg *a = agg_new(0, 0, 5);
	struct collect c;
	char dst[32];

	for (int i = 0; i < 10; i++) {
		snprintf(dst, sizeof(dst), "198.51.100.%d", i + 1);
		struct ct_event e = ev4(CT_EVENT_NEW, "192.0.2.1", dst, 443, 0);
		agg_add(a, &e, 0);
		agg_add(a, &e, 0);
	}
	struct agg_obs d = { .lost = 3, .enobufs = 1 };
	agg_add_obs(a, 30, &d);

	collect_reset(&c);
	c.fail_row_at = 4;
	ck_assert_int_eq(agg_drain(a, &sink, &c), -EIO);
	ck_assert_uint_eq(c.done_calls, 0);
	ck_assert_uint_eq(agg_rows(a), 10);

	collect_reset(&c);
	c.fail_done = 1;
	ck_assert_int_eq(agg_drain(a, &sink, &c), -ENOSPC);
	ck_assert_uint_eq(c.done_calls, 1);
	ck_assert_uint_eq(agg_rows(a), 10);
	ck_assert_uint_eq(agg_obs_minutes(a), 1);

	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows, 10);
	ck_assert_uint_eq(c.flows, 20);
	ck_assert_uint_eq(c.nobs, 1);
	ck_assert_uint_eq(c.obs[0].obs.events, 20);
	ck_assert_uint_eq(c.obs[0].obs.lost, 3);
	ck_assert_uint_eq(c.obs[0].obs.enobufs, 1);
	ck_assert_uint_eq(agg_rows(a), 0);

	/* a NULL sink just empties */
	agg_add(a, &(struct ct_event){ .type = CT_EVENT_NEW, .family = AF_INET }, 0);
	ck_assert_int_eq(agg_drain(a, NULL, NULL), 0);
	ck_assert_uint_eq(agg_rows(a) + agg_obs_minutes(a), 0);
	agg_free(a);
}
END_TEST

START_TEST(observer_rows)
{
	struct agg *a = agg_new(0, 0, 6);
	struct agg_obs d = { .lost = 7, .enobufs = 2, .kernel_inserts = 100, .bad = 1 };
	struct collect c;

	agg_add_obs(a, 125, NULL); /* the observer ran in minute 120, saw nothing */
	agg_add_obs(a, 185, &d);
	agg_add_obs(a, 239, &d);
	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.nrows, 0);
	ck_assert_uint_eq(c.nobs, 2);
	for (size_t i = 0; i < 2; i++) {
		if (c.obs[i].minute == 120) {
			ck_assert_uint_eq(c.obs[i].obs.events + c.obs[i].obs.lost, 0);
		} else {
			ck_assert_int_eq(c.obs[i].minute, 180);
			ck_assert_uint_eq(c.obs[i].obs.lost, 14);
			ck_assert_uint_eq(c.obs[i].obs.enobufs, 4);
			ck_assert_uint_eq(c.obs[i].obs.kernel_inserts, 200);
			ck_assert_uint_eq(c.obs[i].obs.bad, 2);
		}
	}
	agg_free(a);
}
END_TEST

START_TEST(cap_counts_overflow)
{
	struct agg *a = agg_new(0, 100, 7);
	struct collect c;
	char dst[32];
	int enospc = 0;

	for (int i = 0; i < 150; i++) {
		snprintf(dst, sizeof(dst), "198.51.%d.%d", i / 200, i % 200 + 1);
		struct ct_event e = ev4(CT_EVENT_NEW, "192.0.2.1", dst, 443, 0);
		if (agg_add(a, &e, 0) == -ENOSPC)
			enospc++;
	}
	ck_assert_int_eq(enospc, 50);
	ck_assert_uint_eq(agg_rows(a), 100);
	/* rows that exist still count at the cap */
	struct ct_event first = ev4(CT_EVENT_NEW, "192.0.2.1", "198.51.0.1", 443, 0);
	ck_assert_int_eq(agg_add(a, &first, 0), 0);

	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.rows_seen, 100);
	ck_assert_uint_eq(c.flows, 101);
	ck_assert_uint_eq(c.nobs, 1);
	ck_assert_uint_eq(c.obs[0].obs.events, 151);
	ck_assert_uint_eq(c.obs[0].obs.new_events, 151);
	ck_assert_uint_eq(c.obs[0].obs.overflow, 50);
	/* after a drain there is room again */
	struct ct_event e = ev4(CT_EVENT_NEW, "192.0.2.1", "198.51.0.150", 443, 0);
	ck_assert_int_eq(agg_add(a, &e, 0), 0);
	agg_free(a);
}
END_TEST

/* Many distinct keys: growth keeps every row findable, with its own count. */
START_TEST(growth)
{
	const unsigned n = 100000;
	struct agg *a = agg_new(0, 0, (uint64_t)_i * 0x1234567ull);
	size_t mem0 = agg_memory(a);
	struct collect c;

	for (unsigned pass = 1; pass <= 3; pass++)
		for (unsigned i = 0; i < n; i++) {
			struct ct_event e = { .type = CT_EVENT_NEW, .family = AF_INET6,
					      .proto = IPPROTO_UDP, .have = CT_HAVE_PORTS };
			/* keys that differ in one byte of a long, mostly equal address */
			memset(e.src, 0x20, 16);
			memcpy(e.src + 12, &i, 4);
			memset(e.dst, 0x20, 16);
			e.dport = 53;
			/* key i gets (i % 3) + 1 flows: passes 1..(i%3+1) add it */
			if (pass <= i % 3 + 1)
				ck_assert_int_eq(agg_add(a, &e, 42), 0);
		}
	ck_assert_uint_eq(agg_rows(a), n);
	ck_assert_uint_gt(agg_memory(a), mem0 + n * sizeof(struct agg_row));
	ck_assert_uint_lt(agg_memory(a), 2 * n * sizeof(struct agg_row) + 16 * n + 65536);

	collect_reset(&c);
	ck_assert_int_eq(agg_drain(a, &sink, &c), 0);
	ck_assert_uint_eq(c.rows_seen, n);
	/* sum of (i % 3) + 1 over i < n */
	uint64_t want = 0;
	for (unsigned i = 0; i < n; i++)
		want += i % 3 + 1;
	ck_assert_uint_eq(c.flows, want);
	/* rows come in first-seen order: row i is key i */
	for (size_t i = 0; i < c.nrows; i++) {
		unsigned k;
		memcpy(&k, c.rows[i].key.src + 12, 4);
		ck_assert_uint_eq(k, i);
		ck_assert_uint_eq(c.rows[i].val.flows, i % 3 + 1);
	}
	agg_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agg");
	TCase *tc = tcase_create("agg");

	tcase_add_test(tc, minutes);
	tcase_add_test(tc, new_flows_accumulate);
	tcase_add_test(tc, destroys_add_counters);
	tcase_add_test(tc, nat_keys);
	tcase_add_test(tc, aggregate_sources);
	tcase_add_test(tc, icmp_and_portless);
	tcase_add_test(tc, failed_drain_keeps_everything);
	tcase_add_test(tc, observer_rows);
	tcase_add_test(tc, cap_counts_overflow);
	tcase_add_loop_test(tc, growth, 0, 2);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
