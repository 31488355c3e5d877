/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_SPAWNER_H
#define VIGIL_SPAWNER_H

#include <stddef.h>
#include <sys/types.h>

#include "vigil/psep.h"

/*
 * The --on-event spawner: a process forked while vigild is still root,
 * before the main process enters its seccomp filter (which kills on
 * execve). It drops to ids at once (the same drop as the main process:
 * no capabilities, no_new_privs), keeps only its socket and stdio, and
 * for each message it receives (one event's JSON) runs `/bin/sh -c cmd`
 * with the message on stdin and VIGIL_EVENT set to kind, at most
 * SPAWNER_RUNNING at a time (more are dropped and said on stderr), each
 * killed (with its process group) after SPAWNER_TIMEOUT seconds. It exits
 * when the socket's other end is closed.
 *
 * Returns the main process's end of the socket (SOCK_SEQPACKET,
 * non-blocking, close-on-exec) and *pid, or -errno (why says what).
 */
#define SPAWNER_RUNNING 4
#define SPAWNER_MSG_MAX 8192
#define SPAWNER_TIMEOUT 30
int spawner_start(const char *cmd, const struct psep_ids *ids, pid_t *pid, char *why, size_t whylen);

/* A message: "KIND\n" then the JSON. 0, -EAGAIN (the spawner is behind:
 * dropped), or -errno. */
int spawner_send(int fd, const char *kind, const char *json);

#endif
