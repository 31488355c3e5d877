/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_CONTROL_H
#define VIGIL_DAEMON_CONTROL_H

#include <sys/types.h>

#include <json-c/json.h>

struct daemon;
struct daemon_outcome;
struct control;

/*
 * Binds DIR/control.sock (mode 0660, group `group`), while privileged.
 * Returns the listening fd, -EADDRINUSE when another vigild serves it, or
 * -errno (why says what).
 */
int control_bind(const char *dir, gid_t group, char *why, size_t whylen);
/* Socket activation: the unix stream socket systemd passed (vigild.socket:
 * its mode and group are the socket unit's), or -1 when none was. */
int control_inherited(void);
/* Serves it from the daemon's loop. NULL on failure. */
struct control *control_start(struct daemon *d, int fd, gid_t group);
/* The rows of the second's aggregate, before the writer takes it, to
 * GET /v1/flows/stream's followers (ctl may be NULL), under the names the
 * writer stores them with. */
struct agg;
struct flowdb_names;
void control_flows_push(struct control *ctl, const struct agg *a, const struct flowdb_names *nm);
/* Answers what waits (503) and stops serving. */
void control_stop(struct control *ctl);

/* An outcome as JSON: ok, exit_code, summary, diagnostics[]. */
json_object *daemon_outcome_json(const struct daemon_outcome *out);

#endif
