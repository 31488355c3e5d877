// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket: HTTP/1.1 on a unix socket (RUN_DIR/control.sock,
 * 0660, group vigil), served by libmicrohttpd from the daemon's own event
 * loop (MHD's epoll descriptor is one more source; nothing blocks: a reload
 * or a metrics scrape that needs the helper suspends its connection and
 * resumes it with the answer). Access by the peer's credentials
 * (SO_PEERCRED): uid 0 may change things, members of the socket's group
 * (and vigild's own user) may read. This file is the server: requests,
 * answers, routes, connections and the loop; the endpoints are in
 * control_*.c (control_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "vigil/log.h"
#include "vigil/state.h"
#include "control.h"
#include "control_int.h"
#include "daemon.h"
#include "events.h"

#define BODY_MAX CTL_BODY_MAX    /* a policy sent with POST /v1/reload, /v1/apply */
#define CONN_TIMEOUT 10          /* seconds a silent client keeps its connection */
#define CONN_LIMIT 64

enum access {
	ACC_NONE,
	ACC_READ,
	ACC_ADMIN,
};

struct control;
struct ticket;

struct req {
	struct control *ctl;
	struct MHD_Connection *c;
	const struct route *route;
	enum access access;
	struct strbuf body;
	bool too_big;
	bool suspended;
	bool started;
	bool in_call;            /* inside the route's function: no park/wake yet */
	/* the answer, once there is one */
	bool done;
	unsigned status;
	char *resp;
	const char *ctype;
	struct req *next_pending; /* requests waiting for the daemon */
	struct ticket *t;        /* the callback's handle, while one is due */
	/* a stream's answer (ctl_answer_stream) instead of resp */
	MHD_ContentReaderCallback rd;
	MHD_ContentReaderFreeCallback rd_free;
	void *rd_cls;
};

/* What a request hands to the daemon or the helper as the callback's
 * context: the request may be gone when the callback comes (vigild
 * stops: it was answered 503 and freed, and the helper's requests fail
 * later), so the callback takes the request back through it. */
struct ticket {
	struct req *r;
};

struct control {
	struct daemon *d;
	int fd;
	struct MHD_Daemon *mhd;
	sd_event_source *io, *timer;
	gid_t group;
	struct events_hub *events; /* GET /v1/events (control_events.c) */
	struct req *pending;     /* suspended requests (so a stop can end them) */
	struct follow_hub *follow; /* GET /v1/flows/stream (control_follow.c) */
};

typedef void (*route_fn)(struct req *r);

struct route {
	const char *method;
	const char *path;
	enum access need;
	route_fn fn;
};

/* ---- answers ---- */

static void answer(struct req *r, unsigned status, char *body, const char *ctype)
{
	r->status = status;
	free(r->resp);
	r->resp = body;
	r->ctype = ctype;
	r->done = true;
}

static void answer_json(struct req *r, unsigned status, json_object *o)
{
	char *s = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								       JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	answer(r, status, s, "application/json");
}

__attribute__((format(printf, 3, 0)))
static void answer_verror(struct req *r, unsigned status, const char *fmt, va_list ap)
{
	json_object *o = json_object_new_object();
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	answer_json(r, status, o);
}

static void answer_error(struct req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void answer_error(struct req *r, unsigned status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	answer_verror(r, status, fmt, ap);
	va_end(ap);
}

/* control_int.h: for the endpoints in other files */
struct daemon *ctl_daemon(struct req *r)
{
	return r->ctl->d;
}

void ctl_answer_json(struct req *r, unsigned status, json_object *o)
{
	answer_json(r, status, o);
}

void ctl_answer_error(struct req *r, unsigned status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	answer_verror(r, status, fmt, ap);
	va_end(ap);
}

void ctl_answer_stream(struct req *r, const char *ctype, MHD_ContentReaderCallback rd, void *cls,
		       MHD_ContentReaderFreeCallback fr)
{
	answer(r, 200, NULL, ctype);
	r->rd = rd;
	r->rd_cls = cls;
	r->rd_free = fr;
}

struct MHD_Connection *ctl_connection(struct req *r)
{
	return r->c;
}

struct follow_hub *ctl_follow_hub(struct req *r)
{
	return r->ctl->follow;
}

struct events_hub *ctl_events_hub(struct req *r)
{
	return r->ctl->events;
}

/* A resumed connection is processed by the next MHD_run, and MHD's epoll
 * set does not say so (checked with 0.9.75): run it at once. */
static void kick(struct control *ctl)
{
	sd_event_source_set_time_relative(ctl->timer, 0);
	sd_event_source_set_enabled(ctl->timer, SD_EVENT_ONESHOT);
}

/* Resumes a suspended request whose answer is ready (an answer given
 * while the route's function still runs needs no resume). */
void ctl_wake(struct req *r)
{
	struct control *ctl = r->ctl;

	if (r->in_call)
		return;
	for (struct req **p = &ctl->pending; *p; p = &(*p)->next_pending)
		if (*p == r) {
			*p = r->next_pending;
			break;
		}
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->c);
		kick(ctl);
	}
}

void ctl_resume(struct control *ctl, struct MHD_Connection *c)
{
	MHD_resume_connection(c);
	kick(ctl);
}

static void park(struct req *r)
{
	r->suspended = true;
	r->next_pending = r->ctl->pending;
	r->ctl->pending = r;
	MHD_suspend_connection(r->c);
}

void *ctl_ticket(struct req *r)
{
	r->t = xzalloc(sizeof(*r->t));
	r->t->r = r;
	return r->t;
}

/* The request, or NULL when it is gone; frees the ticket. */
struct req *ctl_ticket_take(void *ctx)
{
	struct ticket *t = ctx;
	struct req *r = t->r;

	if (r)
		r->t = NULL;
	free(t);
	return r;
}

/* ---- the endpoints' side (control_int.h) ---- */

/* ?table=NAME, when given, must be this watch's table (404 otherwise:
 * the client then looks for a change made without a watch). */
bool ctl_table_check(struct req *r, const char *want, const char *netns)
{
	struct daemon *d = r->ctl->d;
	uint64_t ours = state_netns_id();

	/* the socket is the run directory's, shared by network namespaces */
	if (netns && strtoull(netns, NULL, 10) != ours) {
		answer_error(r, 404, "this vigild watch runs in another network namespace (%" PRIu64 ", not %s)",
			     ours, netns);
		return false;
	}
	if (!want || streq(want, d->table))
		return true;
	answer_error(r, 404, "this vigild watch manages table inet %s, not %s", d->table, want);
	return false;
}

const char *ctl_arg(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, key);
}

bool ctl_table_is_ours(struct req *r)
{
	return ctl_table_check(r, ctl_arg(r, "table"), ctl_arg(r, "netns"));
}

const struct strbuf *ctl_body(struct req *r)
{
	return &r->body;
}

void ctl_answer_text(struct req *r, unsigned status, char *body, const char *ctype)
{
	answer(r, status, body, ctype);
}

static const struct route routes[] = {
	{ "GET", "/v1/status", ACC_READ, control_get_status },
	{ "GET", "/v1/policy", ACC_READ, control_get_policy },
	{ "POST", "/v1/reload", ACC_ADMIN, control_post_reload },
	{ "POST", "/v1/apply", ACC_ADMIN, control_post_apply },
	{ "POST", "/v1/confirm", ACC_ADMIN, control_post_confirm },
	{ "POST", "/v1/rollback", ACC_ADMIN, control_post_rollback },
	{ "POST", "/v1/setelem", ACC_ADMIN, control_post_setelem },
	{ "GET", "/v1/events", ACC_READ, control_get_events },
	{ "GET", "/v1/flows", ACC_READ, control_get_flows },
	{ "GET", "/v1/flows/stream", ACC_READ, control_flows_stream },
	{ "GET", "/metrics", ACC_READ, control_get_metrics },
	{ "GET", "/v1/diff", ACC_READ, control_get_diff },
	{ NULL, NULL, ACC_NONE, NULL },
};

/* ---- connections ---- */

static enum access peer_access(struct control *ctl, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cr;
	socklen_t l = sizeof(cr);
	gid_t groups[256];
	socklen_t gl = sizeof(groups);

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
		return ACC_NONE;
	if (cr.uid == 0)
		return ACC_ADMIN;
	if (cr.uid == getuid() || cr.gid == ctl->group)
		return ACC_READ;
	if (getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERGROUPS, groups, &gl) == 0)
		for (size_t i = 0; i < gl / sizeof(gid_t); i++)
			if (groups[i] == ctl->group)
				return ACC_READ;
	return ACC_NONE;
}

static enum MHD_Result queue(struct MHD_Connection *c, struct req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result x;

	if (r->rd) {
		/* the stream's reader owns rd_cls from here: MHD frees it */
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, r->rd, r->rd_cls,
							 r->rd_free);
		r->rd = NULL;
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", r->ctype);
		x = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		return x;
	}
	resp = MHD_create_response_from_buffer(strlen(r->resp), r->resp, MHD_RESPMEM_MUST_COPY);

	MHD_add_response_header(resp, "Content-Type", r->ctype);
	if (r->status == 405)
		MHD_add_response_header(resp, "Allow", r->route ? r->route->method : "GET");
	x = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return x;
}

static const struct route *find_route(const char *method, const char *url, bool *path_known)
{
	*path_known = false;
	for (const struct route *rt = routes; rt->path; rt++)
		if (streq(rt->path, url)) {
			*path_known = true;
			if (streq(rt->method, method))
				return rt;
		}
	return NULL;
}

/* A Content-Length over the cap is refused before the body is read. */
static bool declared_too_big(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > BODY_MAX;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct control *ctl = cls;
	struct req *r = *con_cls;
	bool known;

	(void)version;
	if (!r) {
		r = xzalloc(sizeof(*r));
		r->ctl = ctl;
		r->c = c;
		*con_cls = r;
		r->access = peer_access(ctl, c);
		r->route = find_route(method, url, &known);
		if (r->access == ACC_NONE)
			answer_error(r, 403, "not allowed: root may change, members of group %s read",
				     ctl->d->group_name[0] ? ctl->d->group_name : "vigil");
		else if (!r->route && known)
			answer_error(r, 405, "%s is not allowed on %s", method, url);
		else if (!r->route)
			answer_error(r, 404, "no such endpoint: %s (see vigild(8), CONTROL SOCKET)", url);
		else if (r->access < r->route->need)
			answer_error(r, 403, "%s %s changes the firewall: root only", method, url);
		else if (declared_too_big(c))
			answer_error(r, 413, "the request body is larger than %u MiB", BODY_MAX >> 20);
		if (r->done)
			return queue(c, r);
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > BODY_MAX)
			r->too_big = true;
		else
			sb_putn(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->done)
		return queue(c, r);
	if (r->started)
		return MHD_YES; /* still waiting for the daemon */
	r->started = true;
	if (r->too_big) {
		answer_error(r, 413, "the request body is larger than %u MiB", BODY_MAX >> 20);
		return queue(c, r);
	}
	r->in_call = true;
	r->route->fn(r);
	r->in_call = false;
	if (r->done)
		return queue(c, r);
	park(r); /* the answer comes from the loop: wake() resumes */
	return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	if (r->t)
		r->t->r = NULL; /* a callback still due finds nobody */
	for (struct req **p = &r->ctl->pending; *p; p = &(*p)->next_pending)
		if (*p == r) {
			*p = r->next_pending;
			break;
		}
	sb_free(&r->body);
	free(r->resp);
	free(r);
	*con_cls = NULL;
}

/* ---- the loop's side ---- */

static void arm_timer(struct control *ctl)
{
	MHD_UNSIGNED_LONG_LONG t = 0;

	if (MHD_get_timeout(ctl->mhd, &t) == MHD_YES) {
		sd_event_source_set_time_relative(ctl->timer, (uint64_t)t * 1000u);
		sd_event_source_set_enabled(ctl->timer, SD_EVENT_ONESHOT);
	} else {
		sd_event_source_set_enabled(ctl->timer, SD_EVENT_OFF);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	struct control *ctl = ctx;

	(void)s;
	(void)fd;
	(void)revents;
	MHD_run(ctl->mhd);
	arm_timer(ctl);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct control *ctl = ctx;

	(void)s;
	(void)usec;
	MHD_run(ctl->mhd);
	arm_timer(ctl);
	return 0;
}

int control_bind(const char *dir, gid_t group, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control.sock", dir);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path)) {
		snprintf(why, whylen, "the control socket's path is too long");
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* in use by another vigild? then it stays theirs */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(fd);
		snprintf(why, whylen, "%s is in use by another vigild", sa.sun_path);
		return -EADDRINUSE;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, 0660) < 0 ||
	    (chown(sa.sun_path, (uid_t)-1, group) < 0 && errno != EPERM) || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot make the control socket %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

struct control *control_start(struct daemon *d, int fd, gid_t group)
{
	struct control *ctl = xzalloc(sizeof(*ctl));
	const union MHD_DaemonInfo *di;

	ctl->d = d;
	ctl->fd = fd;
	ctl->group = group;
	ctl->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, handle, ctl,
				    MHD_OPTION_LISTEN_SOCKET, fd,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64u << 10),
				    MHD_OPTION_NOTIFY_COMPLETED, completed, ctl, MHD_OPTION_END);
	if (!ctl->mhd) {
		free(ctl);
		return NULL;
	}
	di = MHD_get_daemon_info(ctl->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	/* MHD's epoll set is level-checked here, never waited on: waiting
	 * would take its edge-triggered events away from it */
	if (!di || sd_event_add_io(d->ev, &ctl->io, di->epoll_fd, EPOLLIN, on_io, ctl) < 0 ||
	    sd_event_add_time_relative(d->ev, &ctl->timer, CLOCK_MONOTONIC, 1000000, 10000, on_timer,
				       ctl) < 0) {
		MHD_stop_daemon(ctl->mhd);
		free(ctl);
		return NULL;
	}
	ctl->events = events_hub_new(ctl, d);
	events_on_new(d->events, events_hub_wake, ctl->events);
	ctl->follow = follow_hub_new(ctl, d);
	arm_timer(ctl);
	return ctl;
}

void control_flows_push(struct control *ctl, const struct agg *a, const struct flowdb_names *nm)
{
	if (ctl)
		follow_hub_push(ctl->follow, a, nm);
}

void control_stop(struct control *ctl)
{
	if (!ctl)
		return;
	/* requests still waiting for the daemon get their answer now */
	while (ctl->pending) {
		struct req *r = ctl->pending;
		answer_error(r, 503, "vigild is stopping");
		ctl_wake(r);
	}
	events_hub_wake(ctl->events);
	follow_hub_end(ctl->follow);
	MHD_run(ctl->mhd);
	events_on_new(ctl->d->events, NULL, NULL);
	sd_event_source_unref(ctl->io);
	sd_event_source_unref(ctl->timer);
	MHD_stop_daemon(ctl->mhd); /* closes the listening socket */
	follow_hub_free(ctl->follow);
	events_hub_free(ctl->events);
	free(ctl);
}
