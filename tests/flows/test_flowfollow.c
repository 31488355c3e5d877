// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowdb_follow: the line the watch streams for an aggregate row
 * (flowdb_agg_row) is the line of the row flowdb_query returns once the
 * writer has stored it, every key included (rule, verdict, counters, and
 * through NAT nat_dst, nat_dport, nat_src, nat); ECS carries the
 * translation as destination.nat.*, source.nat.ip and vigil.nat.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>

#include "unit.h"
#include "vigil/flowdb.h"
#include "vigil/flowdb_follow.h"
#include "vigil/ir.h"
#include "vigil/util.h"

static const char *const rules[] = { "ssh", "web", "telnet" };
static const char *const nats[] = { "masq", "web", "web6" };

struct lines {
	char *v[32];
	size_t n;
};

static void lines_add(struct lines *l, json_object *o)
{
	ck_assert_uint_lt(l->n, ARRAY_SIZE(l->v));
	l->v[l->n++] = flowdb_follow_line(o);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
}

static int on_query_row(void *ctx, const struct flowdb_row *r)
{
	lines_add(ctx, flowdb_follow_json(r, FLOWDB_FOLLOW_NDJSON));
	return 0;
}

static struct ct_event conn(uint8_t type, int family, const char *src, const char *dst,
			    uint16_t dport, int rule_index)
{
	struct ct_event e = { .type = type, .family = (uint8_t)family, .proto = IPPROTO_TCP,
			      .sport = 40000, .dport = dport, .have = CT_HAVE_PORTS };

	ck_assert_int_eq(inet_pton(family, src, e.src), 1);
	ck_assert_int_eq(inet_pton(family, dst, e.dst), 1);
	if (rule_index >= 0) {
		e.mark = ir_mark_of_rule((unsigned)rule_index);
		e.have |= CT_HAVE_MARK;
	}
	return e;
}

static void nat_to(struct ct_event *e, const char *dst, uint16_t dport, const char *src)
{
	if (dst) {
		e->nat |= CT_NAT_DST;
		ck_assert_int_eq(inet_pton(e->family, dst, e->nat_dst), 1);
		e->nat_dport = dport;
	}
	if (src) {
		e->nat |= CT_NAT_SRC;
		ck_assert_int_eq(inet_pton(e->family, src, e->nat_src), 1);
		e->nat_sport = e->sport;
	}
}

/* accepted rows with and without a translation, a refused sample and a
 * refused rule's totals (no line: flowdb_query by none has no such row) */
static struct agg *fill(void)
{
	struct agg *a = agg_new(0, 0, 7);
	struct ct_event plain = conn(CT_EVENT_NEW, AF_INET, "198.51.100.7", "203.0.113.1", 22, 0);
	struct ct_event dn = conn(CT_EVENT_NEW, AF_INET, "198.51.100.20", "203.0.113.1", 8080, 1);
	struct ct_event m = conn(CT_EVENT_NEW, AF_INET, "10.1.0.5", "192.0.2.80", 443, -1);
	struct ct_event v6 = conn(CT_EVENT_NEW, AF_INET6, "2001:db8::20", "2001:db8::1", 8080, -1);
	struct ct_event hp = conn(CT_EVENT_NEW, AF_INET, "10.1.0.5", "203.0.113.1", 8080, 1);
	struct agg_key k = { .family = AF_INET, .proto = IPPROTO_TCP, .dport = 23, .rule = 3,
			     .kind = AGG_KIND_SAMPLE };
	struct agg_key c = { .rule = 3, .kind = AGG_KIND_COUNT };
	struct agg_val one = { .flows = 1 }, tot = { .packets = 4, .bytes = 240, .flows = 2 };

	ck_assert_int_eq(agg_add(a, &plain, 60), 0);
	nat_to(&dn, "10.1.0.2", 80, NULL);
	ck_assert_int_eq(agg_add_nat(a, &dn, 1, -1, 61), 0);
	ck_assert_int_eq(agg_add_nat(a, &dn, 1, -1, 62), 0);
	/* one of them ends, with counters: packets and bytes are known */
	dn.type = CT_EVENT_DESTROY;
	dn.have |= CT_HAVE_COUNTERS_ORIG | CT_HAVE_COUNTERS_REPLY;
	dn.orig_packets = 3, dn.orig_bytes = 180, dn.reply_packets = 2, dn.reply_bytes = 900;
	ck_assert_int_eq(agg_add_nat(a, &dn, 1, -1, 63), 0);
	nat_to(&m, NULL, 0, "203.0.113.1");
	ck_assert_int_eq(agg_add_nat(a, &m, -1, 0, 64), 0);
	nat_to(&v6, "fd00:1::2", 80, NULL);
	ck_assert_int_eq(agg_add_nat(a, &v6, 2, -1, 65), 0);
	nat_to(&hp, "10.1.0.2", 80, "10.1.0.1");
	ck_assert_int_eq(agg_add_nat(a, &hp, 1, 0, 66), 0);
	/* a dnat no entry is known for (entry 9: beyond the names) */
	struct ct_event far = conn(CT_EVENT_NEW, AF_INET, "198.51.100.21", "203.0.113.1", 8081, -1);
	nat_to(&far, "10.1.0.3", 8081, NULL);
	ck_assert_int_eq(agg_add_nat(a, &far, 8, -1, 67), 0);
	k.src[0] = 10, k.src[3] = 7, k.dst[0] = 10, k.dst[3] = 1, k.minute = 60;
	ck_assert_int_eq(agg_add_refused(a, &k, &one, 68), 0);
	ck_assert_int_eq(agg_add_refused(a, &c, &tot, 69), 0);
	return a;
}

START_TEST(stream_line_is_query_line)
{
	const struct flowdb_names nm = { rules, ARRAY_SIZE(rules), nats, ARRAY_SIZE(nats) };
	char dir[] = "/tmp/vigil-flowfollow-XXXXXX", path[64], err[FLOWDB_ERRLEN];
	struct lines streamed = { 0 }, stored = { 0 };
	struct flowdb_query q = { .since = 0, .until = 1000000 };
	struct agg *a = fill();
	const struct agg_row *ar;
	struct flowdb *db;
	size_t none = 0;

	for (size_t i = 0; (ar = agg_row_at(a, i)); i++) {
		struct flowdb_row_text t;
		struct flowdb_row r;

		if (flowdb_agg_row(ar, &nm, &r, &t) < 0) {
			none++;
			continue;
		}
		lines_add(&streamed, flowdb_follow_json(&r, FLOWDB_FOLLOW_NDJSON));
	}
	ck_assert_uint_eq(none, 1); /* the refused totals */
	ck_assert_uint_eq(streamed.n, 7);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/flows.db", dir);
	ck_assert_msg(flowdb_open(path, 0, &db, err) == 0, "%s", err);
	ck_assert_int_eq(flowdb_flush_nat(db, a, rules, ARRAY_SIZE(rules), nats, ARRAY_SIZE(nats)), 0);
	flowdb_close(db);
	ck_assert_msg(flowdb_open(path, FLOWDB_RDONLY, &db, err) == 0, "%s", err);
	ck_assert_int_eq(flowdb_query(db, &q, on_query_row, &stored), 7);
	flowdb_close(db);

	qsort(streamed.v, streamed.n, sizeof(char *), cmp_str);
	qsort(stored.v, stored.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < stored.n; i++)
		ck_assert_str_eq(streamed.v[i], stored.v[i]);
	/* and the lines do say it: the counted dnat, the hairpin, entry #9 */
	size_t seen = 0;
	for (size_t i = 0; i < stored.n; i++) {
		const char *s = stored.v[i];

		seen += strstr(s, "\"nat_dst\":\"10.1.0.2\",\"nat_dport\":80,\"nat_src\":null,"
				  "\"nat\":\"web\",\"verdict\":\"accept\",\"flows\":2,\"packets\":5,"
				  "\"bytes\":1080") != NULL;
		seen += strstr(s, "\"nat_dst\":\"10.1.0.2\",\"nat_dport\":80,"
				  "\"nat_src\":\"10.1.0.1\",\"nat\":\"web,masq\"") != NULL;
		seen += strstr(s, "\"nat_dst\":\"10.1.0.3\",\"nat_dport\":8081,\"nat_src\":null,"
				  "\"nat\":\"#9\"") != NULL;
		seen += strstr(s, "\"dport\":22,\"rule\":\"ssh\",\"nat_dst\":null,\"nat_dport\":null,"
				  "\"nat_src\":null,\"nat\":null") != NULL;
	}
	ck_assert_uint_eq(seen, 4);
	lines_free(&streamed);
	lines_free(&stored);
	agg_free(a);
	for (size_t i = 0; i < 3; i++) {
		char p[80];

		snprintf(p, sizeof(p), "%s%s", path, (const char *const[]){ "", "-wal", "-shm" }[i]);
		unlink(p);
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(ecs_carries_the_translation)
{
	const struct flowdb_names nm = { rules, ARRAY_SIZE(rules), nats, ARRAY_SIZE(nats) };
	struct agg *a = fill();
	const struct agg_row *ar;
	size_t hairpin = 0, plain = 0;

	for (size_t i = 0; (ar = agg_row_at(a, i)); i++) {
		struct flowdb_row_text t;
		struct flowdb_row r;
		json_object *o, *d, *s, *v, *x;

		if (flowdb_agg_row(ar, &nm, &r, &t) < 0)
			continue;
		o = flowdb_follow_json(&r, FLOWDB_FOLLOW_ECS);
		ck_assert(json_object_object_get_ex(o, "destination", &d));
		ck_assert(json_object_object_get_ex(o, "source", &s));
		if (r.nat_dst && r.nat_src) {
			ck_assert(json_object_object_get_ex(d, "nat", &x));
			ck_assert_str_eq(json_object_get_string(json_object_object_get(x, "ip")), "10.1.0.2");
			ck_assert_int_eq(json_object_get_int(json_object_object_get(x, "port")), 80);
			ck_assert(json_object_object_get_ex(s, "nat", &x));
			ck_assert_str_eq(json_object_get_string(json_object_object_get(x, "ip")), "10.1.0.1");
			ck_assert(json_object_object_get_ex(o, "vigil", &v));
			ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "nat")), "web,masq");
			hairpin++;
		} else if (!r.nat_dst && !r.nat_src) {
			ck_assert(!json_object_object_get_ex(d, "nat", NULL));
			ck_assert(!json_object_object_get_ex(s, "nat", NULL));
			ck_assert(!json_object_object_get_ex(o, "vigil", NULL));
			plain++;
		}
		json_object_put(o);
	}
	ck_assert_uint_eq(hairpin, 1);
	ck_assert_uint_eq(plain, 2); /* ssh, and the refused sample */
	agg_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowfollow");
	TCase *tc = tcase_create("flowfollow");

	tcase_add_test(tc, stream_line_is_query_line);
	tcase_add_test(tc, ecs_carries_the_translation);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
