/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_CONTROL_INT_H
#define VIGIL_DAEMON_CONTROL_INT_H

/*
 * For the control socket's endpoints in files of their own (control_*.c):
 * a request, its query arguments and its answer. An endpoint answers
 * before it returns (or parks the request; see control.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <microhttpd.h>

struct agg;
struct req;
struct daemon;
struct control;
struct follow_hub;

struct daemon *ctl_daemon(struct req *r);
/* ?key=value of the URL, or NULL */
const char *ctl_arg(struct req *r, const char *key);
/* Takes o. */
void ctl_answer_json(struct req *r, unsigned status, json_object *o);
/* {"error": "...", "status": status} */
void ctl_answer_error(struct req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Answers 200 with a stream: MHD's reader rd(cls) gives the body (it may
 * suspend the connection; ctl_resume resumes it), fr(cls) runs at the end. */
void ctl_answer_stream(struct req *r, const char *ctype, MHD_ContentReaderCallback rd, void *cls,
		       MHD_ContentReaderFreeCallback fr);
struct MHD_Connection *ctl_connection(struct req *r);
/* ?table= and ?netns=, when given, name this watch's table (else a 404
 * is answered and false returned) */
bool ctl_table_is_ours(struct req *r);
/* The same for a table and a netns (either may be NULL) read elsewhere. */
bool ctl_table_check(struct req *r, const char *table, const char *netns);
struct strbuf;
const struct strbuf *ctl_body(struct req *r);
/* An answer that comes later (a helper's reply): ctl_ticket before
 * submitting, ctl_ticket_take in the callback (NULL: the request is gone,
 * vigild stops), ctl_wake after answering. */
void *ctl_ticket(struct req *r);
struct req *ctl_ticket_take(void *ctx);
void ctl_wake(struct req *r);

/* Takes body. */
void ctl_answer_text(struct req *r, unsigned status, char *body, const char *ctype);

/* control_policy.c: what the daemon's commit path answers */
void control_get_status(struct req *r);    /* GET /v1/status */
void control_get_policy(struct req *r);    /* GET /v1/policy */
void control_post_reload(struct req *r);   /* POST /v1/reload */
void control_post_apply(struct req *r);    /* POST /v1/apply: vigild apply --confirm */
void control_post_confirm(struct req *r);  /* POST /v1/confirm */
void control_post_rollback(struct req *r); /* POST /v1/rollback */

/* control_events.c: GET /v1/events, its streams */
struct events_hub;
struct events_hub *events_hub_new(struct control *ctl, struct daemon *d);
/* Resumes the streams waiting for an event (events_on_new's callback;
 * ctx is the hub). */
void events_hub_wake(void *ctx);
/* After MHD has freed the streams (MHD_stop_daemon). */
void events_hub_free(struct events_hub *h);
struct events_hub *ctl_events_hub(struct req *r);
void control_get_events(struct req *r);

/* control_helper.c: what the watch's helper answers */
void control_post_setelem(struct req *r); /* POST /v1/setelem: vigild set */
void control_get_metrics(struct req *r);  /* GET /metrics */
void control_get_diff(struct req *r);     /* GET /v1/diff */
/* Resumes a suspended connection and runs it at once. */
void ctl_resume(struct control *ctl, struct MHD_Connection *c);

/* control_flows.c: GET /v1/flows */
void control_get_flows(struct req *r);

/* control_follow.c: GET /v1/flows/stream, the followers of the flows */
struct follow_hub *follow_hub_new(struct control *ctl, struct daemon *d);
/* Each row of the second's aggregate, to the followers it matches. */
struct flowdb_names;
void follow_hub_push(struct follow_hub *h, const struct agg *a, const struct flowdb_names *nm);
/* vigild stops: the streams end once their queues are written. */
void follow_hub_end(struct follow_hub *h);
void follow_hub_free(struct follow_hub *h);
struct follow_hub *ctl_follow_hub(struct req *r);
void control_flows_stream(struct req *r);

#endif
