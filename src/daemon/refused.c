// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Refused traffic: the NFLOG socket is one more source of the loop. Each
 * record (the first packet of a refused connection attempt, sampled under
 * the rule's rate limit in the kernel) becomes a sample row of the current
 * aggregate, named by its prefix; sequence gaps and ENOBUFS are counted as
 * loss. Every --count-every seconds (default a minute) one dump of the
 * table gives the exact totals: the counters of the deciding rules of each
 * drop/reject rule and of the drop defaults, and of their NFLOG rules
 * (what the kernel sampled), as deltas since the dump before.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netlink.h>

#include "vigil/dump.h"
#include "vigil/log.h"
#include "vigil/nflog.h"
#include "daemon.h"
#include "events.h"

/* A rule's counter at the last dump. */
struct refused_ctr {
	uint64_t handle;
	uint64_t packets, bytes;
};

/* The row of a rule (by name) or of a chain's default. */
static bool rule_key(struct daemon *d, const char *name, int def_chain, struct agg_key *k)
{
	const struct policy *pol = d->active ? &d->active->pol : NULL;

	if (!pol)
		return false;
	if (def_chain >= 0) {
		if (def_chain >= CH_MAX || pol->defaults[def_chain] == VERDICT_ACCEPT)
			return false;
		k->rule = (uint16_t)def_chain;
		k->kind |= AGG_KIND_DEFAULT;
		return true;
	}
	for (size_t lo = 0, hi = d->nref_names; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		const struct prule *r = &pol->rules[d->ref_names[mid]];
		int c = strcmp(name, r->name);
		if (c == 0) {
			if (r->action == VERDICT_ACCEPT)
				return false;
			k->rule = (uint16_t)(r->index + 1);
			if (r->action == VERDICT_REJECT)
				k->kind |= AGG_KIND_REJECT;
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static const struct policy *sort_pol;

static int by_name(const void *a, const void *b)
{
	return strcmp(sort_pol->rules[*(const uint32_t *)a].name,
		      sort_pol->rules[*(const uint32_t *)b].name);
}

void daemon_refused_names_changed(struct daemon *d)
{
	size_t n = d->active ? d->active->pol.nrules : 0;

	free(d->ref_names);
	d->ref_names = xcalloc(n ? n : 1, sizeof(*d->ref_names));
	for (size_t i = 0; i < n; i++)
		d->ref_names[i] = (uint32_t)i;
	sort_pol = n ? &d->active->pol : NULL;
	if (n)
		qsort(d->ref_names, n, sizeof(*d->ref_names), by_name);
	d->nref_names = n;
}

static void bad_record(struct daemon *d, struct agg_obs *o, const char *what)
{
	o->nflog_bad++;
	if (!d->nfl_bad_said) {
		d->nfl_bad_said = true;
		log_warning("NFLOG: %s (counted as nflog_bad in the flows database; said once)", what);
	}
}

static void one_record(struct daemon *d, const struct nlmsghdr *nlh, struct agg_obs *o,
		       int64_t now)
{
	struct nflog_rec r;
	struct nflog_who w;
	struct agg_key k = { 0 };
	int e = nflog_parse(nlh, nlh->nlmsg_len, &r);

	if (e == -ENOMSG)
		return;
	if (e < 0) {
		bad_record(d, o, "a malformed record");
		return;
	}
	o->nflog_records++;
	if (r.has_seq) {
		if (d->nfl_have_seq && r.seq != d->nfl_seq + 1)
			o->nflog_lost += (uint32_t)(r.seq - d->nfl_seq - 1);
		d->nfl_seq = r.seq;
		d->nfl_have_seq = true;
	}
	if (nflog_prefix_parse(r.prefix, &w) < 0 || !rule_key(d, w.rule, w.def_chain, &k)) {
		bad_record(d, o, "a record whose prefix names no drop or reject rule of the policy");
		return;
	}
	k.family = r.family;
	k.proto = r.proto;
	memcpy(k.src, r.src, sizeof(k.src));
	memcpy(k.dst, r.dst, sizeof(k.dst));
	k.dport = r.ports ? r.dport : 0;
	struct agg_key c = { .rule = k.rule, .kind = (uint8_t)((k.kind & ~AGG_KIND_TYPE) | AGG_KIND_COUNT) };
	k.kind |= AGG_KIND_SAMPLE;
	agg_add_refused(d->cur, &k, &(struct agg_val){ .flows = 1 }, now);
	agg_add_refused(d->cur, &c, &(struct agg_val){ .destroys = 1 }, now);
	d->m.refused_records++;
}

static int on_nflog(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	static uint8_t buf[1 << 16];
	struct daemon *d = ctx;
	struct agg_obs o = { 0 };
	int64_t now = time(NULL);

	(void)s;
	(void)revents;
	for (int batch = 0; batch < 64; batch++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				o.nflog_enobufs++;
				continue;
			}
			break; /* EAGAIN, or an error the next wakeup sees again */
		}
		size_t off = 0;
		while (off + sizeof(struct nlmsghdr) <= (size_t)n) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
			if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > (size_t)n - off) {
				bad_record(d, &o, "a truncated datagram");
				break;
			}
			if (d->cur)
				one_record(d, nlh, &o, now);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
	}
	if (d->cur)
		agg_add_obs(d->cur, now, &o);
	if (o.nflog_lost || o.nflog_enobufs)
		daemon_event(d, LOG_LVL_WARNING, "loss",
			     "NFLOG: %" PRIu64 " records of refused traffic lost, %" PRIu64
			     " receive-buffer overruns (exact totals still come from the counters)",
			     o.nflog_lost, o.nflog_enobufs);
	return 0;
}

static int find_ctr(const struct refused_ctr *v, size_t n, uint64_t h)
{
	for (size_t lo = 0, hi = n; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		if (v[mid].handle == h)
			return (int)mid;
		if (v[mid].handle < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct dump_walk {
	struct daemon *d;
	struct refused_ctr *v;
	size_t n, cap;
	int64_t when;
};

static int on_dump_rule(void *ctx, const struct dump_rule *r)
{
	struct dump_walk *w = ctx;
	struct daemon *d = w->d;
	struct agg_key k = { .kind = AGG_KIND_COUNT };
	uint64_t dp, db;
	int def = -1, i;
	bool deciding = r->verdict == DUMP_V_DROP || r->verdict == DUMP_V_REJECT;

	if (!r->has_counter)
		return 0;
	if (streq(r->comment, IR_BUILTIN_PREFIX "default")) {
		for (int c = 0; c < CH_MAX; c++)
			if (streq(r->chain, chain_name(c)))
				def = c;
		if (def < 0)
			return 0;
		deciding = !r->nflog; /* the chain's counter rule, before its policy */
	} else if (!strncmp(r->comment, IR_BUILTIN_PREFIX, strlen(IR_BUILTIN_PREFIX))) {
		return 0;
	}
	if (!r->nflog && !deciding)
		return 0;
	if (!rule_key(d, r->comment, def, &k))
		return 0;
	GROW(w->v, w->cap, w->n + 1);
	w->v[w->n++] = (struct refused_ctr){ r->handle, r->packets, r->bytes };
	i = find_ctr(d->ref_ctr, d->nref_ctr, r->handle);
	dp = r->packets, db = r->bytes;
	if (i >= 0 && d->ref_ctr[i].packets <= r->packets) {
		dp -= d->ref_ctr[i].packets;
		db -= d->ref_ctr[i].bytes;
	}
	if (!dp)
		return 0;
	if (r->nflog)
		agg_add_refused(d->cur, &k, &(struct agg_val){ .flows = dp }, w->when);
	else
		agg_add_refused(d->cur, &k, &(struct agg_val){ .packets = dp, .bytes = db }, w->when);
	return 0;
}

static int by_handle(const void *a, const void *b)
{
	uint64_t x = ((const struct refused_ctr *)a)->handle, y = ((const struct refused_ctr *)b)->handle;
	return x < y ? -1 : x > y;
}

static void on_dump(void *ctx, struct psep_reply *rep)
{
	struct daemon *d = ctx;
	struct dump_walk w = { .d = d, .when = time(NULL) - 1 };

	d->ctr_pending = false;
	if (rep->status < 0 || rep->u.dump.status < 0 || !d->cur)
		return;
	if (dump_rules(rep->extra, rep->extra_len, on_dump_rule, &w) < 0) {
		free(w.v);
		return;
	}
	qsort(w.v, w.n, sizeof(*w.v), by_handle);
	free(d->ref_ctr);
	d->ref_ctr = w.v;
	d->nref_ctr = w.n;
}

/* Once a second (daemon_tick): the dump when it is due. */
void daemon_refused_tick(struct daemon *d)
{
	int64_t now = time(NULL);

	if (!d->io.nflog_group || d->ctr_pending || !d->active || now < d->ctr_next)
		return;
	d->ctr_next = now + (d->o.count_every ? d->o.count_every : 60);
	d->ctr_pending = true;
	psep_submit(&d->helper, PSEP_REQ_DUMP, NULL, 0, 30000, on_dump, d);
}

int daemon_refused_start(struct daemon *d)
{
	daemon_refused_names_changed(d);
	d->ctr_next = time(NULL) + (d->o.count_every ? d->o.count_every : 60);
	if (d->nflfd < 0)
		return 0;
	return sd_event_add_io(d->ev, &d->nfl_src, d->nflfd, EPOLLIN, on_nflog, d);
}

void daemon_refused_stop(struct daemon *d)
{
	d->nfl_src = sd_event_source_disable_unref(d->nfl_src);
	free(d->ref_ctr);
	d->ref_ctr = NULL;
	d->nref_ctr = 0;
	free(d->ref_names);
	d->ref_names = NULL;
	d->nref_names = 0;
}
