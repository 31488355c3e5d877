// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recording flows: the event loop drains the conntrack event socket into
 * the current per-minute aggregate (parsing in place, no allocation per
 * event); once a second the aggregate, with the second's loss figures and
 * the conntrack table's statistics, goes to the writer thread, attributed
 * with the rule names of the policy in force.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/ct.h"
#include "vigil/ctsock.h"
#include "vigil/log.h"
#include "vigil/natattr.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "writer.h"

#define TICK_US 1000000
#define RETENTION_EVERY 3600
#define CT_BATCHES 16 /* recvmmsg calls per wakeup: others get their turn */

struct ct_read {
	struct daemon *d;
	int64_t now;
	uint64_t bad;
};

static int on_ct_msg(void *ctx, const struct nlmsghdr *nlh)
{
	struct ct_read *r = ctx;
	struct ct_event ev;
	int e = ct_parse(nlh, nlh->nlmsg_len, &ev);

	if (e == -EBADMSG)
		r->bad++;
	else if (e == 0 && ev.type != CT_EVENT_UPDATE) {
		struct nat_attr na = { -1, -1 };

		/* through NAT: the policy's entry that made the translation */
		if (ev.nat && r->d->active)
			nat_attribute(&r->d->active->pol, &ev, &na);
		/* past the cap: counted as overflow */
		agg_add_nat(r->d->cur, &ev, na.dnat, na.snat, r->now);
		r->d->m.ct_events++;
		if (ev.type == CT_EVENT_NEW)
			rule_conns_count(r->d, ev.mark);
	}
	return 0;
}

static int on_ct(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	static struct ctsock_rx *rx;
	static struct ctsock_stats st;
	struct daemon *d = ctx;
	struct ct_read r = { d, time(NULL), 0 };
	int n;

	(void)s;
	(void)revents;
	if (!rx)
		rx = ctsock_rx_new();
	n = ctsock_recv(fd, rx, CT_BATCHES, on_ct_msg, &r, &st);
	d->bad += r.bad + st.malformed + st.truncated;
	st.malformed = st.truncated = 0;
	d->enobufs = st.enobufs;
	if (n < 0 && n != -EAGAIN && n != -EINTR) {
		log_error("reading conntrack events failed: %s", strerror(-n));
		d->exit_code = 3;
		sd_event_exit(d->ev, 3);
	}
	return 0;
}

static void on_ct_stats(void *ctx, struct psep_reply *rep)
{
	struct daemon *d = ctx;
	const struct psep_ct_stats *st = &rep->u.ct;
	struct agg_obs o = { 0 };

	d->ct_pending = false;
	if (rep->status < 0 || st->status < 0)
		return;
	if (d->have_ct) {
		o.kernel_inserts = st->inserts - d->last_ct.inserts;
		o.ct_early_drop = st->early_drop - d->last_ct.early_drop;
		o.ct_insert_failed = st->insert_failed - d->last_ct.insert_failed;
		o.ct_drop = st->drop - d->last_ct.drop;
	}
	o.ct_max = st->max;
	o.ct_entries = st->count;
	d->m.ct_full += o.ct_early_drop + o.ct_drop;
	if (o.ct_early_drop || o.ct_drop)
		daemon_event(d, LOG_LVL_WARNING, "loss",
			     "the conntrack table is full: %" PRIu64 " connections evicted early, %" PRIu64 " packets dropped",
			     o.ct_early_drop, o.ct_drop);
	if (o.ct_early_drop || o.ct_drop)
		log_warning("the kernel's conntrack table is full (%" PRIu64 " of %" PRIu64
			    " entries): %" PRIu64 " connections evicted early, %" PRIu64
			    " packets dropped for want of an entry this second (raise net.netfilter.nf_conntrack_max)",
			    st->count, st->max, o.ct_early_drop, o.ct_drop);
	d->last_ct = *st;
	d->have_ct = true;
	if (d->cur)
		agg_add_obs(d->cur, time(NULL), &o);
}

void daemon_flows_names_changed(struct daemon *d)
{
	size_t n = d->active ? d->active->pol.nrules : 0;
	size_t nn = d->active ? d->active->pol.nnats : 0;
	const char **v = xcalloc(n ? n : 1, sizeof(*v)), **nv = xcalloc(nn ? nn : 1, sizeof(*nv));

	for (size_t i = 0; i < n; i++)
		v[i] = d->active->pol.rules[i].name;
	for (size_t i = 0; i < nn; i++)
		nv[i] = d->active->pol.nats[i].m.name;
	rule_conns_rebase(d);
	names_unref(d->names);
	d->names = names_new(v, n);
	names_set_nat(d->names, nv, nn);
	free(v);
	free(nv);
	daemon_refused_names_changed(d);
}

void daemon_flows_flush(struct daemon *d)
{
	struct agg_obs o = { 0 };
	uint32_t drops;
	int64_t now = time(NULL);

	if (!d->cur || !d->w)
		return;
	/* loss is never silent: the socket's exact drop count, ENOBUFS
	 * episodes, unparsable messages */
	if (ctsock_drops(d->ctfd, &drops) == 0) {
		o.lost = (uint32_t)(drops - d->last_drops); /* the counter wraps at 32 bits */
		d->last_drops = drops;
	}
	o.enobufs = d->enobufs - d->last_enobufs;
	d->last_enobufs = d->enobufs;
	o.bad = d->bad - d->last_bad;
	d->last_bad = d->bad;
	o.incomplete = d->incomplete | (d->table_absent ? AGG_INC_TABLE_ABSENT : 0) |
		       (d->drift_active ? AGG_INC_TABLE_CHANGED | AGG_INC_ATTRIBUTION : 0);
	d->incomplete = 0;
	agg_add_obs(d->cur, now, &o);
	d->m.ct_lost += o.lost;
	d->m.flushes++;
	if (o.lost)
		daemon_event(d, LOG_LVL_WARNING, "loss", "the kernel dropped %" PRIu64 " conntrack events",
			     (uint64_t)o.lost);
	if (o.lost)
		log_warning("the kernel dropped %" PRIu64
			    " conntrack events (receive buffer full; raise --ct-buffer); the database records the loss",
			    (uint64_t)o.lost);
	/* the followers get the second's rows as the writer does */
	if (d->names) {
		const struct flowdb_names nm = { (const char *const *)d->names->v, d->names->n,
						 (const char *const *)d->names->nat, d->names->nnat };

		control_flows_push(d->ctl, d->cur, &nm);
	}
	writer_flush(d->w, d->cur, d->names);
	d->cur = writer_new_agg(d->w);
	agg_set_cap(d->cur, d->cap);
}

/* the kernel's conntrack statistics, one request at a time */
static void request_ct_stats(struct daemon *d)
{
	if (d->ct_pending)
		return;
	d->ct_pending = true;
	psep_submit(&d->helper, PSEP_REQ_CT_STATS, NULL, 0, 10000, on_ct_stats, d);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct daemon *d = ctx;

	daemon_flows_flush(d);
	request_ct_stats(d);
	if (++d->since_retention >= RETENTION_EVERY) {
		d->since_retention = 0;
		writer_retention(d->w, time(NULL) - d->o.retention);
	}
	writer_drain_messages(d->w);
	daemon_tick(d);
	/* a time source fires once: arm it for the next second */
	sd_event_source_set_time(s, usec + TICK_US);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static int on_writer(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	struct daemon *d = ctx;

	(void)s;
	(void)fd;
	(void)revents;
	writer_drain_messages(d->w);
	return 0;
}

int daemon_flows_start(struct daemon *d, int64_t t_start)
{
	int r;

	d->cur = writer_new_agg(d->w);
	uint64_t seed;
	if (getentropy(&seed, sizeof(seed)) < 0)
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	d->cap = agg_cap_new(d->o.row_cap, seed); /* keys come from the network: a secret hash */
	agg_set_cap(d->cur, d->cap);
	/* the start minute is observed only from here: flows must know */
	agg_add_obs(d->cur, t_start, &(struct agg_obs){ .started = t_start });
	ctsock_drops(d->ctfd, &d->last_drops);
	daemon_flows_names_changed(d);
	r = sd_event_add_io(d->ev, &d->ct_src, d->ctfd, EPOLLIN, on_ct, d);
	if (r >= 0)
		r = sd_event_add_io(d->ev, NULL, writer_fd(d->w), EPOLLIN, on_writer, d);
	if (r >= 0)
		r = sd_event_add_time_relative(d->ev, &d->tick, CLOCK_MONOTONIC, TICK_US, 100000,
					       on_tick, d);
	/* the start at once: a watcher killed in its first second is noticed */
	daemon_flows_flush(d);
	/* and the conntrack statistics' baseline at once, not a second later:
	 * what the kernel evicts or drops from now on is the DB's to count */
	if (r >= 0)
		request_ct_stats(d);
	return r;
}

void daemon_flows_stop(struct daemon *d)
{
	int64_t t = time(NULL);

	if (!d->cur)
		return;
	agg_add_obs(d->cur, t, &(struct agg_obs){ .stopped = t });
	daemon_flows_flush(d);
}
