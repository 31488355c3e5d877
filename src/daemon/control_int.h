/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_CONTROL_INT_H
#define VIGIL_DAEMON_CONTROL_INT_H

/*
 * For the control socket's endpoints in files of their own (control_*.c):
 * a request, its query arguments and its answer. An endpoint answers
 * before it returns (or parks the request; see control.c).
 */
#include <json-c/json.h>

struct req;
struct daemon;

struct daemon *ctl_daemon(struct req *r);
/* ?key=value of the URL, or NULL */
const char *ctl_arg(struct req *r, const char *key);
/* Takes o. */
void ctl_answer_json(struct req *r, unsigned status, json_object *o);
/* {"error": "...", "status": status} */
void ctl_answer_error(struct req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* control_flows.c: GET /v1/flows */
void control_get_flows(struct req *r);

#endif
