// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the daemon says about itself: the status snapshot (JSON, the same
 * for `vigild status` and GET /v1/status; written to the run directory each
 * second, for readers when the control socket is not theirs) and the
 * Prometheus metrics (GET /metrics, --metrics-file).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vigil/dump.h"
#include "vigil/state.h"
#include "daemon.h"
#include "events.h"

const char *daemon_state_name(enum daemon_state s)
{
	switch (s) {
	case DS_STARTING:
		return "starting";
	case DS_ACTIVE:
		return "active";
	case DS_DEGRADED:
		return "degraded";
	case DS_STOPPING:
		return "stopping";
	}
	return "?";
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *jtime(int64_t t)
{
	char buf[32];

	if (!t)
		return NULL;
	iso8601(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

json_object *daemon_status_json(struct daemon *d)
{
	json_object *o = json_object_new_object(), *run, *pol, *last, *w, *h, *fl, *loss;
	int64_t now = time(NULL);

	json_object_object_add(o, "state", jstr(d->confirm_deadline ? "pending-confirm" :
							  daemon_state_name(d->state)));
	if (d->confirm_deadline) {
		json_object *pe = json_object_new_object();
		json_object_object_add(pe, "policy", jstr(d->confirm_policy));
		json_object_object_add(pe, "deadline", jtime(d->confirm_deadline));
		json_object_object_add(pe, "seconds_left", json_object_new_int64(d->confirm_deadline - now));
		json_object_object_add(o, "pending", pe);
	}
	json_object_object_add(o, "reason", d->reason[0] ? jstr(d->reason) : NULL);
	json_object_object_add(o, "table", jstr(d->table));
	json_object_object_add(o, "netns", json_object_new_int64((int64_t)state_netns_id()));
	json_object_object_add(o, "table_present", json_object_new_boolean(d->active && !d->table_absent));
	json_object_object_add(o, "kernel_matches",
			       json_object_new_boolean(d->active && !d->table_absent && !d->drift_active));
	json_object_object_add(o, "owned", json_object_new_boolean(d->owned));
	json_object_object_add(o, "reassert", json_object_new_boolean(d->o.reassert));

	run = json_object_new_object();
	json_object_object_add(run, "source", jstr(daemon_source_name(d->source)));
	if (d->active) {
		json_object_object_add(run, "path", jstr(d->active->input.source));
		const struct bundle_part *bp = bundle_policy(&d->active->input);
		char ph[65] = "";

		if (bp)
			bundle_sha256_hex(bp->data, bp->len, ph);
		/* the policy text's own hash (what sha256sum of the file says),
		 * and the hash of all the input (set files included) */
		json_object_object_add(run, "policy_sha256", ph[0] ? jstr(ph) : NULL);
		json_object_object_add(run, "input_sha256", jstr(d->active->input.hash));
		json_object_object_add(run, "rules", json_object_new_uint64(d->active->pol.nrules));
		json_object_object_add(run, "kernel_rules", json_object_new_uint64(d->active->t.nrules));
		json_object_object_add(run, "generation", json_object_new_uint64(d->own_genid));
	}
	json_object_object_add(run, "applied_at", jtime(d->applied_at));
	json_object_object_add(o, "running", run);

	pol = json_object_new_object();
	json_object_object_add(pol, "path", jstr(d->o.policy));
	json_object_object_add(pol, "sha256", d->policy_hash[0] ? jstr(d->policy_hash) : NULL);
	if (d->active && d->source == SRC_POLICY && d->policy_hash[0]) {
		const struct bundle_part *bp = bundle_policy(&d->active->input);
		char ph[65] = "";

		if (bp)
			bundle_sha256_hex(bp->data, bp->len, ph);
		json_object_object_add(pol, "changed_since_applied",
				       json_object_new_boolean(!streq(ph, d->policy_hash)));
	}
	json_object_object_add(o, "policy", pol);

	last = json_object_new_object();
	json_object_object_add(last, "time", jtime(d->last_apply_at));
	json_object_object_add(last, "result", jstr(d->last_apply_result[0] ? d->last_apply_result : NULL));
	json_object_object_add(last, "error", d->last_error[0] ? jstr(d->last_error) : NULL);
	json_object_object_add(o, "last_apply", last);

	w = json_object_new_object();
	json_object_object_add(w, "pid", json_object_new_int(getpid()));
	json_object_object_add(w, "started_at", jtime(d->t_start));
	json_object_object_add(w, "uptime_seconds", json_object_new_int64(now - d->t_start));
	json_object_object_add(o, "watch", w);

	h = json_object_new_object();
	json_object_object_add(h, "pid", json_object_new_int(d->helper.pid));
	json_object_object_add(h, "alive", json_object_new_boolean(d->helper.fd >= 0 && d->state != DS_STOPPING));
	json_object_object_add(o, "helper", h);

	fl = json_object_new_object();
	json_object_object_add(fl, "db", jstr(d->db_path));
	json_object_object_add(fl, "recording", json_object_new_boolean(d->w && d->cur));
	json_object_object_add(o, "flows", fl);

	loss = json_object_new_object();
	json_object_object_add(loss, "conntrack_events", json_object_new_uint64(d->m.ct_events));
	json_object_object_add(loss, "conntrack_lost", json_object_new_uint64(d->m.ct_lost));
	json_object_object_add(loss, "enobufs", json_object_new_uint64(d->enobufs));
	json_object_object_add(loss, "unparsable", json_object_new_uint64(d->bad));
	json_object_object_add(loss, "conntrack_full_drops", json_object_new_uint64(d->m.ct_full));
	json_object_object_add(o, "loss", loss);
	return o;
}

void daemon_write_status(struct daemon *d)
{
	json_object *o;
	const char *s;
	char name[128];

	if (d->runfd < 0)
		return;
	o = daemon_status_json(d);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	state_key(name, sizeof(name), "status", d->table ? d->table : "vigil");
	/* 0640 in a 0750 directory: root and group vigil */
	if (state_write(d->runfd, name, s, strlen(s), 0640) < 0) {
		/* the next second tries again; the control socket has it anyway */
	}
	json_object_put(o);
}

/* ---- metrics (Prometheus text format 0.0.4) ---- */

static void label_value(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sb_putc(sb, '\\');
		if (*s == '\n') {
			sb_puts(sb, "\\n");
			continue;
		}
		sb_putc(sb, *s);
	}
}

static void metric(struct strbuf *sb, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

struct rule_sum {
	char chain[64];
	char name[128];
	uint64_t packets, bytes;
};

struct rule_sums {
	struct rule_sum *v;
	size_t n, cap;
};

static int add_rule(void *ctx, const struct dump_rule *r)
{
	struct rule_sums *rs = ctx;

	if (!r->has_counter || !r->comment[0])
		return 0;
	/* one policy rule is several kernel rules (families, sets, twins),
	 * and a merged rule's own chain: the policy rule is the label */
	/* built-in rules (vigil:*) are in every chain: one series each */
	bool builtin = strncmp(r->comment, IR_BUILTIN_PREFIX, strlen(IR_BUILTIN_PREFIX)) == 0;

	for (size_t i = 0; i < rs->n; i++)
		if (streq(rs->v[i].name, r->comment) && (!builtin || streq(rs->v[i].chain, r->chain))) {
			rs->v[i].packets += r->packets;
			rs->v[i].bytes += r->bytes;
			return 0;
		}
	GROW(rs->v, rs->cap, rs->n + 1);
	memset(&rs->v[rs->n], 0, sizeof(rs->v[0]));
	snprintf(rs->v[rs->n].chain, sizeof(rs->v[0].chain), "%s", r->chain);
	snprintf(rs->v[rs->n].name, sizeof(rs->v[0].name), "%s", r->comment);
	rs->v[rs->n].packets = r->packets;
	rs->v[rs->n].bytes = r->bytes;
	rs->n++;
	return 0;
}

/* The chain a policy rule belongs to (a merged rule's chain is rule.NAME). */
static const char *rule_chain(const struct daemon *d, const struct rule_sum *s)
{
	if (d->active)
		for (size_t i = 0; i < d->active->pol.nrules; i++)
			if (streq(d->active->pol.rules[i].name, s->name))
				return chain_name(d->active->pol.rules[i].chain);
	return s->chain;
}

void daemon_metrics(struct daemon *d, const void *dump, size_t len, struct strbuf *sb)
{
	struct rule_sums rs = { 0 };
	static const char *const states[] = { "active", "degraded", "starting", "stopping" };

	sb_printf(sb, "# HELP vigil_up 1 while vigild watch runs.\n# TYPE vigil_up gauge\nvigil_up 1\n");
	sb_printf(sb, "# HELP vigil_state The daemon's state (1 for the current one).\n# TYPE vigil_state gauge\n");
	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		sb_printf(sb, "vigil_state{state=\"%s\"} %d\n", states[i],
			  streq(states[i], daemon_state_name(d->state)));
	metric(sb, "vigil_degraded", "gauge", "1 when Degraded (the last-known-good or the fallback runs, or the kernel differs).",
	       d->state == DS_DEGRADED);
	sb_printf(sb, "# HELP vigil_applies_total Commits of a policy, by result.\n# TYPE vigil_applies_total counter\n"
		      "vigil_applies_total{result=\"ok\"} %" PRIu64 "\nvigil_applies_total{result=\"failed\"} %" PRIu64 "\n",
		  d->m.applies_ok, d->m.applies_failed);
	metric(sb, "vigil_last_apply_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful commit.", (uint64_t)d->applied_at);
	metric(sb, "vigil_drift_events_total", "counter",
	       "Changes to vigild's table that vigild did not make.", d->m.drift);
	metric(sb, "vigil_reasserts_total", "counter", "Commits that reverted such a change.",
	       d->m.reasserts);
	metric(sb, "vigil_conntrack_events_total", "counter", "Conntrack events received.",
	       d->m.ct_events);
	metric(sb, "vigil_conntrack_events_lost_total", "counter",
	       "Conntrack events the kernel could not deliver (receive buffer full).", d->m.ct_lost);
	metric(sb, "vigil_conntrack_table_full_drops_total", "counter",
	       "Connections the kernel evicted early or could not track (conntrack table full).",
	       d->m.ct_full);
	metric(sb, "vigil_db_flushes_total", "counter", "Aggregates handed to the database writer.",
	       d->m.flushes);
	rule_conns_metrics(d, sb);
	if (dump && dump_rules(dump, len, add_rule, &rs) >= 0 && rs.n) {
		sb_puts(sb, "# HELP vigil_rule_packets_total Packets counted by the kernel rules of a policy rule (or built-in rule).\n"
			    "# TYPE vigil_rule_packets_total counter\n");
		for (size_t i = 0; i < rs.n; i++) {
			sb_puts(sb, "vigil_rule_packets_total{rule=\"");
			label_value(sb, rs.v[i].name);
			sb_puts(sb, "\",chain=\"");
			label_value(sb, rule_chain(d, &rs.v[i]));
			sb_printf(sb, "\"} %" PRIu64 "\n", rs.v[i].packets);
		}
		sb_puts(sb, "# HELP vigil_rule_bytes_total Bytes counted by the kernel rules of a policy rule (or built-in rule).\n"
			    "# TYPE vigil_rule_bytes_total counter\n");
		for (size_t i = 0; i < rs.n; i++) {
			sb_puts(sb, "vigil_rule_bytes_total{rule=\"");
			label_value(sb, rs.v[i].name);
			sb_puts(sb, "\",chain=\"");
			label_value(sb, rule_chain(d, &rs.v[i]));
			sb_printf(sb, "\"} %" PRIu64 "\n", rs.v[i].bytes);
		}
	}
	free(rs.v);
}
