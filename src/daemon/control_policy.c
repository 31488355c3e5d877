// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket's endpoints that the daemon's commit path answers:
 * GET /v1/status and /v1/policy, POST /v1/reload, /v1/apply (with a
 * confirm window), /v1/confirm and /v1/rollback. A reload, apply or
 * rollback answers later, from the outcome's callback (a ticket).
 */
#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "vigil/render.h"
#include "vigil/util.h"
#include "control.h"
#include "control_int.h"
#include "daemon.h"

void control_get_status(struct req *r)
{
	ctl_answer_json(r, 200, daemon_status_json(ctl_daemon(r)));
}

void control_get_policy(struct req *r)
{
	struct daemon *d = ctl_daemon(r);
	json_object *o = json_object_new_object();
	struct strbuf sb = { 0 };

	json_object_object_add(o, "source", json_object_new_string(daemon_source_name(d->source)));
	if (d->active) {
		json_object_object_add(o, "path", json_object_new_string(d->active->input.source));
		json_object_object_add(o, "hash", json_object_new_string(d->active->input.hash));
		render_table(&sb, &d->active->t, &d->active->pol);
		json_object_object_add(o, "ruleset", json_object_new_string(sb.s ? sb.s : ""));
		sb_free(&sb);
	}
	ctl_answer_json(r, 200, o);
}

json_object *daemon_outcome_json(const struct daemon_outcome *out)
{
	json_object *o = json_object_new_object(), *diags = json_object_new_array();

	json_object_object_add(o, "ok", json_object_new_boolean(out->code == 0));
	json_object_object_add(o, "exit_code", json_object_new_int(out->code));
	json_object_object_add(o, "summary", out->summary[0] ? json_object_new_string(out->summary) : NULL);
	for (size_t i = 0; i < out->d.n; i++) {
		const struct diag *g = &out->d.v[i];
		json_object *j = json_object_new_object();
		struct strbuf sb = { 0 };

		diag_format(g, &sb);
		if (sb.len && sb.s[sb.len - 1] == '\n')
			sb.s[--sb.len] = '\0';
		json_object_object_add(j, "severity", json_object_new_string(g->sev == DIAG_ERROR ? "error" : "warning"));
		json_object_object_add(j, "file", json_object_new_string(g->file));
		json_object_object_add(j, "line", json_object_new_int((int)g->line));
		json_object_object_add(j, "column", json_object_new_int((int)g->col));
		json_object_object_add(j, "message", json_object_new_string(g->msg));
		json_object_object_add(j, "text", json_object_new_string(sb.s ? sb.s : ""));
		json_object_array_add(diags, j);
		sb_free(&sb);
	}
	json_object_object_add(o, "diagnostics", diags);
	return o;
}

static void reload_done(void *ctx, const struct daemon_outcome *out)
{
	struct req *r = ctl_ticket_take(ctx);

	if (!r)
		return;

	/* 422: the request was understood, the policy is refused */
	ctl_answer_json(r, out->code == 0 ? 200 : out->code == 1 ? 422 :
			out->code == DAEMON_BUSY || out->code == DAEMON_CONFLICT ? 409 : 500,
			daemon_outcome_json(out));
	ctl_wake(r);
}

void control_post_reload(struct req *r)
{
	struct daemon *d = ctl_daemon(r);
	const struct strbuf *body = ctl_body(r);

	if (body->len)
		daemon_reload_text(d, "(POST /v1/reload)", body->s, body->len, reload_done, ctl_ticket(r));
	else
		daemon_reload(d, reload_done, ctl_ticket(r));
}

/* {"path": "/ABSOLUTE/policy.yaml", "policy": "TEXT", "confirm": SECONDS,
 *  "table": "NAME"}: the text is the file's, read by the client; the path
 * names it and is where its set files are read */
void control_post_apply(struct req *r)
{
	const struct strbuf *body = ctl_body(r);
	json_object *o = body->len ? json_tokener_parse(body->s) : NULL, *v;
	const char *path = NULL, *table = NULL, *netns = NULL, *text = NULL;
	size_t tlen = 0;
	int64_t n = 0;

	if (o && json_object_object_get_ex(o, "path", &v) && json_object_is_type(v, json_type_string))
		path = json_object_get_string(v);
	if (o && json_object_object_get_ex(o, "policy", &v) && json_object_is_type(v, json_type_string)) {
		text = json_object_get_string(v);
		tlen = (size_t)json_object_get_string_len(v);
	}
	if (o && json_object_object_get_ex(o, "confirm", &v) && json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	if (o && json_object_object_get_ex(o, "table", &v) && json_object_is_type(v, json_type_string))
		table = json_object_get_string(v);
	if (o && json_object_object_get_ex(o, "netns", &v) && json_object_is_type(v, json_type_string))
		netns = json_object_get_string(v);
	if (!path || path[0] != '/' || !text || n < 1 || n > 86400)
		ctl_answer_error(r, 400, "POST /v1/apply wants the JSON object {\"path\": \"/ABSOLUTE/PATH\", \"policy\": \"ITS TEXT\", \"confirm\": SECONDS (1 to 86400)}");
	else if (ctl_table_check(r, table, netns))
		daemon_apply_confirm(ctl_daemon(r), path, text, tlen, (unsigned)n, reload_done,
				     ctl_ticket(r));
	json_object_put(o);
}

void control_post_confirm(struct req *r)
{
	json_object *o;
	char msg[600];
	int e;

	if (!ctl_table_is_ours(r))
		return;
	e = daemon_confirm(ctl_daemon(r), msg, sizeof(msg));
	o = json_object_new_object();
	json_object_object_add(o, e == 0 ? "summary" : "error", json_object_new_string(msg));
	ctl_answer_json(r, e == 0 ? 200 : 409, o);
}

void control_post_rollback(struct req *r)
{
	if (ctl_table_is_ours(r))
		daemon_rollback(ctl_daemon(r), reload_done, ctl_ticket(r));
}

