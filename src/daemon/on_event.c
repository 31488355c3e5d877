// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --on-event CMD: the transitions an operator pages on (degraded,
 * recovered, drift, loss) go to the spawner (vigil/spawner.h), which runs
 * CMD as the unprivileged user with the event's JSON on stdin. The main
 * process cannot run anything itself: its seccomp filter kills on execve.
 * At most EV_PER_MINUTE events a minute are passed on; the others are
 * counted and said once the minute is over.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vigil/log.h"
#include "vigil/spawner.h"
#include "daemon.h"
#include "events.h"

#define EV_PER_MINUTE 10

static bool wanted(const char *kind)
{
	static const char *const kinds[] = { "degraded", "recovered", "drift", "loss" };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(kinds[i], kind))
			return true;
	return false;
}

static void hook(void *ctx, const char *kind, const char *json)
{
	struct daemon *d = ctx;
	int64_t minute = (int64_t)time(NULL) / 60;
	int r;

	if (d->evfd < 0 || !wanted(kind))
		return;
	if (minute != d->ev_minute) {
		if (d->ev_dropped)
			log_warning("--on-event: %u events of the last minute were not passed on (at most %d a minute)",
				    d->ev_dropped, EV_PER_MINUTE);
		d->ev_minute = minute;
		d->ev_sent = d->ev_dropped = 0;
	}
	if (d->ev_sent >= EV_PER_MINUTE) {
		d->ev_dropped++;
		return;
	}
	r = spawner_send(d->evfd, kind, json);
	if (r == 0)
		d->ev_sent++;
	else if (r == -EAGAIN)
		d->ev_dropped++;
	else {
		log_warning("--on-event: the spawner is gone (%s): no more commands are run", strerror(-r));
		close(d->evfd);
		d->evfd = -1;
	}
}

int daemon_on_event_start(struct daemon *d, const struct psep_ids *ids, char *why, size_t whylen)
{
	int fd = spawner_start(d->o.on_event, ids, &d->evpid, why, whylen);

	if (fd < 0)
		return fd;
	d->evfd = fd;
	events_on_hook(d->events, hook, d);
	return 0;
}

void daemon_on_event_stop(struct daemon *d)
{
	if (d->events)
		events_on_hook(d->events, NULL, NULL);
	if (d->evfd >= 0)
		close(d->evfd); /* the spawner sees the end and exits */
	d->evfd = -1;
	if (d->evpid > 0)
		waitpid(d->evpid, NULL, 0);
	d->evpid = 0;
}
