/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_EVENTS_H
#define VIGIL_DAEMON_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/log.h"

struct daemon;
struct events;

struct events *events_new(void);
void events_free(struct events *e);
/* fn runs after every new event (the control socket wakes its streams). */
void events_on_new(struct events *e, void (*fn)(void *ctx), void *ctx);
/* fn gets every event's kind and JSON (--on-event). */
void events_on_hook(struct events *e, void (*fn)(void *ctx, const char *kind, const char *json),
		    void *ctx);
/* Sequence numbers: events [oldest, next) are kept. */
uint64_t events_next(const struct events *e);
uint64_t events_oldest(const struct events *e);
/* The JSON of event seq (one line, no newline), or NULL when gone. */
const char *events_get(const struct events *e, uint64_t seq);

/* Records an event of the daemon (does not log it: the caller does). */
void daemon_event(struct daemon *d, enum log_level lvl, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "2026-12-07T10:00:00Z" */
void iso8601(int64_t t, char *buf, size_t len);

#endif
