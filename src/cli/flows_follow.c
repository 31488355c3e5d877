// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild flows --follow: the rows the watch records from now on, as they
 * are written, one JSON object a line (ndjson: the --json objects; ecs:
 * Elastic Common Schema names, for Vector, Fluent Bit and Filebeat). Reads
 * the current and the last minute once a second and prints what grew:
 * a row's new connections (accepted) or sampled attempts (refused) since
 * the last look, in `flows` (ndjson) or event.count (ecs).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "flows.h"
#include "vigil/util.h"

struct seen {
	char *key;
	uint64_t flows;
	int64_t minute;
};

struct follow {
	struct seen *v;
	size_t n, cap;
	enum flows_format fmt;
	bool first;   /* the first look: what is there already is not printed */
	bool broken;  /* stdout is gone */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ECS source.nat.ip, destination.nat.ip and .port; the nat entry (no ECS
 * field) as vigil.nat. */
static void ecs_nat(json_object *o, json_object *src, json_object *dst, const struct flowdb_row *r)
{
	json_object *n;

	if (r->nat_dst) {
		n = json_object_new_object();
		json_object_object_add(n, "ip", json_object_new_string(r->nat_dst));
		if (r->nat_dport >= 0 && r->proto != 1 && r->proto != 58)
			json_object_object_add(n, "port", json_object_new_int(r->nat_dport));
		json_object_object_add(dst, "nat", n);
	}
	if (r->nat_src) {
		n = json_object_new_object();
		json_object_object_add(n, "ip", json_object_new_string(r->nat_src));
		json_object_object_add(src, "nat", n);
	}
	if (r->nat) {
		n = json_object_new_object();
		json_object_object_add(n, "nat", json_object_new_string(r->nat));
		json_object_object_add(o, "vigil", n);
	}
}

static json_object *ecs_event(const struct flowdb_row *r, uint64_t count)
{
	json_object *o = json_object_new_object(), *ev = json_object_new_object();
	json_object *src = json_object_new_object(), *dst = json_object_new_object();
	json_object *net = json_object_new_object(), *rule = json_object_new_object();
	json_object *obs = json_object_new_object(), *type = json_object_new_array();
	json_object *cat = json_object_new_array();
	bool accepted = r->verdict && streq(r->verdict, "accept");
	char buf[32];

	flows_minute(r->minute, true, buf, sizeof(buf));
	json_object_object_add(o, "@timestamp", json_object_new_string(buf));
	json_object_object_add(ev, "kind", json_object_new_string("event"));
	json_object_array_add(cat, json_object_new_string("network"));
	json_object_object_add(ev, "category", cat);
	json_object_array_add(type, json_object_new_string("connection"));
	json_object_array_add(type, json_object_new_string(accepted ? "allowed" : "denied"));
	json_object_object_add(ev, "type", type);
	json_object_object_add(ev, "action", json_object_new_string(r->verdict ? r->verdict : "unknown"));
	json_object_object_add(ev, "outcome", json_object_new_string(accepted ? "success" : "failure"));
	json_object_object_add(ev, "count", json_object_new_uint64(count));
	json_object_object_add(o, "event", ev);
	if (r->src)
		json_object_object_add(src, "ip", json_object_new_string(r->src));
	json_object_object_add(o, "source", src);
	if (r->dst)
		json_object_object_add(dst, "ip", json_object_new_string(r->dst));
	if (r->dport >= 0 && r->proto != 1 && r->proto != 58)
		json_object_object_add(dst, "port", json_object_new_int(r->dport));
	ecs_nat(o, src, dst, r);
	json_object_object_add(o, "destination", dst);
	if (r->proto >= 0) {
		json_object_object_add(net, "transport",
				       json_object_new_string(r->proto == 58 ? "ipv6-icmp" :
							      flows_proto(r->proto, buf, sizeof(buf))));
		snprintf(buf, sizeof(buf), "%d", r->proto);
		json_object_object_add(net, "iana_number", json_object_new_string(buf));
	}
	if (r->family)
		json_object_object_add(net, "type", json_object_new_string(r->family == 6 ? "ipv6" : "ipv4"));
	json_object_object_add(o, "network", net);
	json_object_object_add(rule, "name", json_object_new_string(r->rule ? r->rule : ""));
	json_object_object_add(o, "rule", rule);
	json_object_object_add(obs, "vendor", json_object_new_string("vigil"));
	json_object_object_add(obs, "product", json_object_new_string("vigild"));
	json_object_object_add(obs, "type", json_object_new_string("firewall"));
	json_object_object_add(o, "observer", obs);
	return o;
}

static int on_row(void *ctx, const struct flowdb_row *r)
{
	struct follow *f = ctx;
	_cleanup_free_ char *key = xasprintf("%lld|%s|%d|%d|%s|%s|%d|%s|%s|%d|%s|%s",
					     (long long)r->minute, r->verdict ? r->verdict : "",
					     r->family, r->proto, r->src ? r->src : "",
					     r->dst ? r->dst : "", r->dport, r->rule ? r->rule : "",
					     r->nat_dst ? r->nat_dst : "", r->nat_dport,
					     r->nat_src ? r->nat_src : "", r->nat ? r->nat : "");
	struct seen *s = NULL;
	uint64_t grew;

	for (size_t i = 0; i < f->n && !s; i++)
		if (streq(f->v[i].key, key))
			s = &f->v[i];
	if (!s) {
		GROW(f->v, f->cap, f->n + 1);
		s = &f->v[f->n++];
		*s = (struct seen){ xstrdup(key), 0, r->minute };
	}
	grew = r->flows - s->flows;
	if (r->flows <= s->flows)
		return 0;
	s->flows = r->flows;
	if (f->first || f->broken)
		return 0;
	json_object *o;
	if (f->fmt == FMT_ECS) {
		o = ecs_event(r, grew);
	} else {
		struct flowdb_row d = *r;
		d.flows = grew;
		o = flowdb_row_json(&d, FLOWDB_BY_NONE);
	}
	if (puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(stdout) == EOF)
		f->broken = true;
	json_object_put(o);
	return 0;
}

/* Forgets rows of minutes before keep. */
static void follow_forget(struct follow *f, int64_t keep)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].minute >= keep)
			f->v[k++] = f->v[i];
		else
			free(f->v[i].key);
	}
	f->n = k;
}

int flows_follow(const char *path, const struct flowdb_query *q0, enum flows_format fmt)
{
	struct follow f = { .fmt = fmt, .first = true };
	struct flowdb_query q = *q0;
	struct flowdb *db = NULL;
	char err[FLOWDB_ERRLEN];
	int r;

	r = flowdb_open(path, FLOWDB_RDONLY, &db, err);
	if (r < 0) {
		fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, err);
		return EXIT_SYSTEM;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	q.by = FLOWDB_BY_NONE;
	q.top = 0;
	while (!stop && !f.broken) {
		int64_t now = (int64_t)time(NULL);

		q.since = num_floor_minute(now) - 60;
		q.until = num_floor_minute(now) + 60;
		r = flowdb_query(db, &q, on_row, &f);
		if (r < 0) {
			fprintf(stderr, "%s flows: error: %s: %s\n", program_name, path, flowdb_errmsg(db));
			break;
		}
		f.first = false;
		follow_forget(&f, q.since);
		sleep(1);
	}
	follow_forget(&f, INT64_MAX);
	free(f.v);
	flowdb_close(db);
	return r < 0 ? EXIT_SYSTEM : EXIT_OK;
}
