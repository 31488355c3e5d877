// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's events: every transition an operator may want to act on
 * (applied, refused, drift, reverted, degraded, recovered, loss, confirm
 * pending/expired/confirmed, rollback), as one JSON object each, kept in a
 * ring of the last EVENTS_KEEP and streamed to the control socket's
 * /v1/events readers (ndjson) and to --on-event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "vigil/flowdb_json.h"
#include "vigil/log.h"
#include "daemon.h"
#include "events.h"

#define EVENTS_KEEP 256

struct events {
	char *ring[EVENTS_KEEP];
	uint64_t next;          /* sequence number of the next event */
	void (*notify)(void *ctx);
	void *notify_ctx;
	void (*hook)(void *ctx, const char *kind, const char *json);
	void *hook_ctx;
};

struct events *events_new(void)
{
	return xzalloc(sizeof(struct events));
}

void events_free(struct events *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < EVENTS_KEEP; i++)
		free(e->ring[i]);
	free(e);
}

void events_on_new(struct events *e, void (*fn)(void *ctx), void *ctx)
{
	e->notify = fn;
	e->notify_ctx = ctx;
}

void events_on_hook(struct events *e, void (*fn)(void *ctx, const char *kind, const char *json),
		    void *ctx)
{
	e->hook = fn;
	e->hook_ctx = ctx;
}

uint64_t events_next(const struct events *e)
{
	return e->next;
}

const char *events_get(const struct events *e, uint64_t seq)
{
	if (seq >= e->next || e->next - seq > EVENTS_KEEP)
		return NULL;
	return e->ring[seq % EVENTS_KEEP];
}

uint64_t events_oldest(const struct events *e)
{
	return e->next > EVENTS_KEEP ? e->next - EVENTS_KEEP : 0;
}

void iso8601(int64_t t, char *buf, size_t len)
{
	flowdb_utc(t, FLOWDB_T_ISO, buf, len);
}

void daemon_event(struct daemon *d, enum log_level lvl, const char *kind, const char *fmt, ...)
{
	struct events *e = d->events;
	json_object *o;
	char msg[1024], when[32];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	iso8601(time(NULL), when, sizeof(when));
	o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "level", json_object_new_string(*log_level_word(lvl) ? log_level_word(lvl) : "info"));
	json_object_object_add(o, "event", json_object_new_string(kind));
	json_object_object_add(o, "table", json_object_new_string(d->table ? d->table : ""));
	json_object_object_add(o, "state", json_object_new_string(daemon_state_name(d->state)));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "seq", json_object_new_uint64(e->next));
	free(e->ring[e->next % EVENTS_KEEP]);
	e->ring[e->next % EVENTS_KEEP] = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	e->next++;
	if (e->hook)
		e->hook(e->hook_ctx, kind, e->ring[(e->next - 1) % EVENTS_KEEP]);
	if (e->notify)
		e->notify(e->notify_ctx);
}
