// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET /v1/events?since=SEQ: ndjson, one event a line, as they happen
 * (events.c keeps the last ones; a slow reader misses the oldest). A
 * stream with nothing to write is suspended until the daemon's next
 * event wakes the streams.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/util.h"
#include "control_int.h"
#include "daemon.h"
#include "events.h"

struct stream {
	struct events_hub *h;
	struct MHD_Connection *c;
	uint64_t seq;
	char *line;              /* the line being written */
	size_t off, len;
	bool suspended;
	struct stream *next;
};

struct events_hub {
	struct control *ctl;
	struct daemon *d;
	struct stream *streams;
};

struct events_hub *events_hub_new(struct control *ctl, struct daemon *d)
{
	struct events_hub *h = xzalloc(sizeof(*h));

	h->ctl = ctl;
	h->d = d;
	return h;
}

void events_hub_free(struct events_hub *h)
{
	free(h);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct events_hub *h = s->h;
	size_t n;

	(void)pos;
	if (!s->line) {
		const char *e;

		if (!h->d || h->d->state == DS_STOPPING)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (s->seq < events_oldest(h->d->events))
			s->seq = events_oldest(h->d->events); /* a slow reader misses the oldest */
		e = events_get(h->d->events, s->seq);
		if (!e) {
			/* nothing new: park until daemon_event wakes the streams */
			s->suspended = true;
			MHD_suspend_connection(s->c);
			return 0;
		}
		s->line = xasprintf("%s\n", e);
		s->len = strlen(s->line);
		s->off = 0;
		s->seq++;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->line + s->off, n);
	s->off += n;
	if (s->off == s->len) {
		free(s->line);
		s->line = NULL;
	}
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	for (struct stream **p = &s->h->streams; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s->line);
	free(s);
}

void events_hub_wake(void *ctx)
{
	struct events_hub *h = ctx;

	for (struct stream *s = h->streams; s; s = s->next)
		if (s->suspended) {
			s->suspended = false;
			ctl_resume(h->ctl, s->c);
		}
}

void control_get_events(struct req *r)
{
	struct events_hub *h = ctl_events_hub(r);
	struct stream *s = xzalloc(sizeof(*s));
	const char *since = ctl_arg(r, "since");

	s->h = h;
	s->c = ctl_connection(r);
	/* ?since=SEQ replays what is kept from SEQ on; else from now */
	s->seq = since ? strtoull(since, NULL, 10) : events_next(h->d->events);
	s->next = h->streams;
	h->streams = s;
	ctl_answer_stream(r, "application/x-ndjson", stream_read, s, stream_free);
}
