// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tamper detection: the nf_tables monitor tells of every committed change;
 * one to vigild's table that vigild's helper did not make is logged at
 * warning priority, naming what changed and who did it (the NEWGEN that
 * ends the transaction carries the committing process's pid and name),
 * the minute is marked incomplete, and (unless --no-reassert) the policy
 * is committed again at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>

#include "vigil/log.h"
#include "daemon.h"
#include "events.h"

#define REASSERT_DELAY_US 50000  /* coalesce a burst of transactions */
#define REASSERTS_PER_MINUTE 10  /* beyond: a fight, not a slip */
#define FIGHT_DELAY_US 10000000  /* a fight's pace */

static int on_reassert_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct daemon *d = ctx;

	(void)s;
	(void)usec;
	daemon_reassert(d);
	return 0;
}

/*
 * A slip is put right at once. A fight (more than REASSERTS_PER_MINUTE
 * changes in a minute) is said once a minute at error priority and put
 * right every FIGHT_DELAY_US only, so that two programs do not flood the
 * kernel with commits; but a deleted table is always put back at once:
 * without it the host is open.
 */
static void schedule_reassert(struct daemon *d, const char *who)
{
	int64_t minute = time(NULL) / 60;
	uint64_t delay = REASSERT_DELAY_US;

	if (minute != d->reassert_minute) {
		d->reassert_minute = minute;
		d->reasserts = 0;
	}
	if (++d->reasserts > REASSERTS_PER_MINUTE) {
		if (d->reasserts == REASSERTS_PER_MINUTE + 1) {
			log_error("table inet %s was changed %d times this minute by %s: from now on re-asserted every %d s (at once when it is deleted)",
				  d->table, REASSERTS_PER_MINUTE, who, FIGHT_DELAY_US / 1000000);
			daemon_set_state(d, DS_DEGRADED, "another program keeps changing table inet %s (%s)",
					 d->table, who);
		}
		if (!d->table_absent) {
			uint64_t now = 0, next = 0;

			/* a re-assert already waits: the fight's pace holds */
			if (d->reassert_timer && sd_event_source_get_enabled(d->reassert_timer, NULL) > 0 &&
			    sd_event_now(d->ev, CLOCK_MONOTONIC, &now) >= 0 &&
			    sd_event_source_get_time(d->reassert_timer, &next) >= 0 && next > now)
				return;
			delay = FIGHT_DELAY_US;
		}
	}
	if (!d->reassert_timer)
		sd_event_add_time_relative(d->ev, &d->reassert_timer, CLOCK_MONOTONIC, delay, 10000,
					   on_reassert_timer, d);
	sd_event_source_set_time_relative(d->reassert_timer, delay);
	sd_event_source_set_enabled(d->reassert_timer, SD_EVENT_ONESHOT);
}

static void drift_detected(struct daemon *d, const struct nftmon_event *gen)
{
	char who[96];

	if (gen && gen->pid)
		snprintf(who, sizeof(who), "%s (pid %u)", gen->comm[0] ? gen->comm : "?", gen->pid);
	else if (gen && gen->comm[0])
		snprintf(who, sizeof(who), "%s", gen->comm);
	else
		snprintf(who, sizeof(who), "another process");
	d->drift_active = true;
	/* the minute keeps the mark even when the re-assert comes before the
	 * next flush */
	d->incomplete |= AGG_INC_TABLE_CHANGED | AGG_INC_ATTRIBUTION |
			 (d->table_absent ? AGG_INC_TABLE_ABSENT : 0);
	d->m.drift++;
	/* in a fight, one line a minute says it (schedule_reassert) */
	if (d->reassert_minute != time(NULL) / 60 || d->reasserts < REASSERTS_PER_MINUTE)
		log_warning("table inet %s was changed by %s, not by vigild: %s%s", d->table, who, d->drift,
			    d->o.reassert ? "; re-asserting the policy" : "; re-assert is off (--no-reassert)");
	daemon_event(d, LOG_LVL_WARNING, "drift", "table inet %s was changed by %s: %s", d->table, who,
		     d->drift);
	if (d->o.reassert) {
		schedule_reassert(d, who);
	} else {
		daemon_set_state(d, DS_DEGRADED, "table inet %s was changed by %s%s", d->table, who,
				 d->table_absent ? " (deleted)" : "");
	}
	d->drift[0] = '\0';
	d->drift_seen = false;
}

/* Elements of a dynamic set belong to the running system (vigild set, a
 * detector): their changes are not drift. */
static bool dynamic_set(const struct daemon *d, const char *name)
{
	for (size_t i = 0; d->active && i < d->active->t.nsets; i++)
		if (d->active->t.sets[i]->dynamic && streq(d->active->t.sets[i]->name, name))
			return true;
	return false;
}

static int on_event(void *ctx, const struct nftmon_event *ev)
{
	struct daemon *d = ctx;
	char what[160];
	size_t n;

	if (ev->kind == NFTMON_GEN) {
		if (d->drift_seen)
			drift_detected(d, ev);
		return 0;
	}
	if (ev->family != NFPROTO_INET || !d->table || strcmp(ev->table, d->table) != 0)
		return 0; /* another table: none of vigild's business */
	if (ev->portid == d->helper.portid && ev->portid != 0)
		return 0; /* our own commit */
	if (ev->kind == NFTMON_SETELEM && dynamic_set(d, ev->name))
		return 0;
	d->drift_seen = true;
	if (ev->kind == NFTMON_TABLE && ev->del) {
		/* everything in it went with it: that is the one thing to say */
		d->table_absent = true;
		snprintf(d->drift, sizeof(d->drift), "table deleted (with everything in it)");
		return 0;
	}
	if (ev->kind == NFTMON_TABLE && !ev->del && d->table_absent)
		d->table_absent = false;
	if (strstr(d->drift, "table deleted"))
		return 0;
	/* anonymous sets come and go with their rules */
	if ((ev->kind == NFTMON_SET || ev->kind == NFTMON_SETELEM) && strncmp(ev->name, "__", 2) == 0)
		return 0;
	nftmon_describe(ev, what, sizeof(what));
	n = strlen(d->drift);
	if (n + strlen(what) + 3 < sizeof(d->drift)) {
		/* one line per kind of change: a flush of 1,000 rules says it once */
		if (!strstr(d->drift, what))
			snprintf(d->drift + n, sizeof(d->drift) - n, "%s%s", n ? "; " : "", what);
	} else if (n + 5 < sizeof(d->drift) && !strstr(d->drift, "...")) {
		snprintf(d->drift + n, sizeof(d->drift) - n, "; ...");
	}
	return 0;
}

static void on_gen_after_loss(void *ctx, struct psep_reply *rep)
{
	struct daemon *d = ctx;

	if (rep->status < 0 || rep->u.gen.status < 0)
		return;
	if (rep->u.gen.genid != d->own_genid) {
		log_warning("the nf_tables monitor lost events (receive buffer full) and the ruleset changed since vigild's last commit: re-asserting table inet %s to be sure",
			    d->table);
		d->drift_active = true;
		if (d->o.reassert)
			schedule_reassert(d, "an unknown process");
	}
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	static char buf[1 << 16];
	struct daemon *d = ctx;
	uint64_t lost = d->monst.enobufs;
	int r;

	(void)s;
	(void)revents;
	r = nftmon_recv(fd, buf, sizeof(buf), on_event, d, &d->monst);
	if (r < 0)
		log_error("reading the nf_tables monitor failed: %s", strerror(-r));
	if (d->monst.enobufs != lost)
		psep_submit(&d->helper, PSEP_REQ_GETGEN, NULL, 0, 10000, on_gen_after_loss, d);
	return 0;
}

int daemon_drift_start(struct daemon *d)
{
	if (d->monfd < 0)
		return 0;
	return sd_event_add_io(d->ev, &d->mon_src, d->monfd, EPOLLIN, on_monitor, d);
}

void daemon_drift_committed(struct daemon *d, uint32_t genid)
{
	d->own_genid = genid;
	d->drift_active = false;
	d->table_absent = false;
}
