// SPDX-License-Identifier: GPL-2.0-or-later
/* `vigild flows --follow`'s lines, for the watch and the CLI alike (flowdb_follow.h). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "vigil/flowdb_follow.h"
#include "vigil/flowdb_json.h"
#include "vigil/policy.h"
#include "vigil/util.h"
#include "flowdb_int.h"

int flowdb_follow_fmt_parse(const char *s, enum flowdb_follow_fmt *f)
{
	if (streq(s, "ndjson"))
		*f = FLOWDB_FOLLOW_NDJSON;
	else if (streq(s, "ecs"))
		*f = FLOWDB_FOLLOW_ECS;
	else
		return -EINVAL;
	return 0;
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *ecs_observer(void)
{
	json_object *obs = json_object_new_object();

	add_str(obs, "vendor", "vigil");
	add_str(obs, "product", "vigild");
	add_str(obs, "type", "firewall");
	return obs;
}

static json_object *ecs_network(const struct flowdb_row *r)
{
	json_object *net = json_object_new_object();
	char buf[32];

	if (r->proto >= 0) {
		add_str(net, "transport",
			r->proto == IPPROTO_ICMPV6 ? "ipv6-icmp" : flowdb_proto_name(r->proto, buf, sizeof(buf)));
		snprintf(buf, sizeof(buf), "%d", r->proto);
		add_str(net, "iana_number", buf);
	}
	if (r->family)
		add_str(net, "type", r->family == 6 ? "ipv6" : "ipv4");
	return net;
}

/* ECS source.nat.ip, destination.nat.ip and .port; the nat entry (no ECS
 * field) as vigil.nat. */
static void ecs_nat(json_object *o, json_object *src, json_object *dst, const struct flowdb_row *r)
{
	json_object *n;

	if (r->nat_dst) {
		n = json_object_new_object();
		add_str(n, "ip", r->nat_dst);
		if (r->nat_dport >= 0 && r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6)
			json_object_object_add(n, "port", json_object_new_int(r->nat_dport));
		json_object_object_add(dst, "nat", n);
	}
	if (r->nat_src) {
		n = json_object_new_object();
		add_str(n, "ip", r->nat_src);
		json_object_object_add(src, "nat", n);
	}
	if (r->nat) {
		n = json_object_new_object();
		add_str(n, "nat", r->nat);
		json_object_object_add(o, "vigil", n);
	}
}

/* Elastic Common Schema: an event of category network, type connection */
static json_object *ecs_event(const struct flowdb_row *r)
{
	json_object *o = json_object_new_object(), *ev = json_object_new_object();
	json_object *src = json_object_new_object(), *dst = json_object_new_object();
	json_object *rule = json_object_new_object(), *type = json_object_new_array();
	json_object *cat = json_object_new_array();
	bool accepted = r->verdict && streq(r->verdict, "accept");
	char buf[32];

	flowdb_utc(r->minute, FLOWDB_T_ISO, buf, sizeof(buf));
	add_str(o, "@timestamp", buf);
	add_str(ev, "kind", "event");
	json_object_array_add(cat, json_object_new_string("network"));
	json_object_object_add(ev, "category", cat);
	json_object_array_add(type, json_object_new_string("connection"));
	json_object_array_add(type, json_object_new_string(accepted ? "allowed" : "denied"));
	json_object_object_add(ev, "type", type);
	add_str(ev, "action", r->verdict ? r->verdict : "unknown");
	add_str(ev, "outcome", accepted ? "success" : "failure");
	json_object_object_add(ev, "count", json_object_new_uint64(r->flows));
	json_object_object_add(o, "event", ev);
	if (r->src)
		add_str(src, "ip", r->src);
	json_object_object_add(o, "source", src);
	if (r->dst)
		add_str(dst, "ip", r->dst);
	if (r->dport >= 0 && r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6)
		json_object_object_add(dst, "port", json_object_new_int(r->dport));
	ecs_nat(o, src, dst, r);
	json_object_object_add(o, "destination", dst);
	json_object_object_add(o, "network", ecs_network(r));
	add_str(rule, "name", r->rule ? r->rule : "");
	json_object_object_add(o, "rule", rule);
	json_object_object_add(o, "observer", ecs_observer());
	return o;
}

json_object *flowdb_follow_json(const struct flowdb_row *r, enum flowdb_follow_fmt fmt)
{
	return fmt == FLOWDB_FOLLOW_ECS ? ecs_event(r) : flowdb_row_json(r, FLOWDB_BY_NONE);
}

json_object *flowdb_follow_lost_json(uint64_t n, int64_t now, enum flowdb_follow_fmt fmt)
{
	json_object *o = json_object_new_object(), *ev;
	char msg[160], buf[32];

	snprintf(msg, sizeof(msg),
		 "%" PRIu64 " lines were not sent: this follower read more slowly than flows were recorded (the database has them)",
		 n);
	if (fmt != FLOWDB_FOLLOW_ECS) {
		json_object_object_add(o, "lost", json_object_new_uint64(n));
		add_str(o, "message", msg);
		return o;
	}
	ev = json_object_new_object();
	flowdb_utc(now, FLOWDB_T_ISO, buf, sizeof(buf));
	add_str(o, "@timestamp", buf);
	add_str(ev, "kind", "event");
	add_str(ev, "action", "lost");
	json_object_object_add(ev, "count", json_object_new_uint64(n));
	json_object_object_add(o, "event", ev);
	add_str(o, "message", msg);
	json_object_object_add(o, "observer", ecs_observer());
	return o;
}

char *flowdb_follow_line(json_object *o)
{
	char *s = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
									 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

bool flowdb_follow_match(const struct flowdb_query *q, const struct flowdb_row *r)
{
	bool accepted = r->verdict && streq(r->verdict, "accept");

	if ((q->verdict == FLOWDB_V_ACCEPTED && !accepted) || (q->verdict == FLOWDB_V_REFUSED && accepted))
		return false;
	if (q->rule && !(*q->rule ? r->rule && streq(r->rule, q->rule) : !r->rule))
		return false;
	if (q->src && !(r->src && flowdb_addr_in(r->src, q->src)))
		return false;
	if (q->dst && !(r->dst && flowdb_addr_in(r->dst, q->dst)))
		return false;
	if (q->dport_set && r->dport != q->dport)
		return false;
	if (q->proto_set && r->proto != q->proto)
		return false;
	return true;
}

const char *flowdb_rule_name(const struct agg_key *k, const struct flowdb_names *nm, char *buf,
			     size_t len)
{
	bool refused = k->kind != AGG_KIND_ACCEPTED;

	if (refused && (k->kind & AGG_KIND_DEFAULT)) {
		snprintf(buf, len, "default:%s", k->rule < CH_MAX ? chain_name(k->rule) : "?");
		return buf;
	}
	if (!refused && !k->rule)
		return "";
	if (k->rule && (size_t)k->rule - 1 < nm->nrules && nm->rules[k->rule - 1])
		return nm->rules[k->rule - 1];
	/* #N: N is the rule number the mark names, counting from 1 */
	snprintf(buf, len, "#%u", (unsigned)k->rule);
	return buf;
}

static const char *addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int flowdb_agg_row(const struct agg_row *a, const struct flowdb_names *nm, struct flowdb_row *out,
		   struct flowdb_row_text *t)
{
	const struct agg_key *k = &a->key;
	int fam = k->family == AF_INET6 ? AF_INET6 : AF_INET;
	bool accepted = k->kind == AGG_KIND_ACCEPTED;
	const char *rule;

	if (!accepted && (k->kind & AGG_KIND_TYPE) != AGG_KIND_SAMPLE)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->minute = out->last_minute = k->minute;
	/* family 0: the rule's overflow row of the minute (agg_cap) */
	out->family = !k->family ? 0 : fam == AF_INET6 ? 6 : 4;
	out->proto = k->proto;
	out->src = k->family && !k->src_any ? addr_text(fam, k->src, t->src, sizeof(t->src)) : NULL;
	out->dst = k->family ? addr_text(fam, k->dst, t->dst, sizeof(t->dst)) : NULL;
	out->dport = k->dport;
	rule = flowdb_rule_name(k, nm, t->rule, sizeof(t->rule));
	out->rule = *rule ? rule : NULL; /* '' is "none", as the query says */
	out->verdict = accepted ? "accept" : (k->kind & AGG_KIND_REJECT) ? "reject" : "drop";
	out->flows = a->val.flows;
	out->nat_dport = -1; /* refused: never translated */
	if (accepted) {
		flowdb_agg_nat(k, nm, out, t);
		out->packets = a->val.packets;
		out->bytes = a->val.bytes;
		out->duration_ms = a->val.duration_ms;
		out->destroys = a->val.destroys;
		out->counted = a->val.destroys > 0;
	}
	return 0;
}
