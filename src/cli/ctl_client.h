/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_CTL_CLIENT_H
#define VIGIL_CLI_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_answer {
	unsigned status;   /* HTTP status */
	char *body;        /* NUL-terminated */
	size_t len;
};

/* RUN_DIR/control.sock */
const char *ctl_socket_path(char *buf, size_t len);
/*
 * One request to the running vigild watch. Returns 0 with the answer, or
 * -errno: -ENOENT / -ECONNREFUSED when none runs, -EACCES when the socket
 * is not ours to use, -ETIMEDOUT.
 */
int ctl_request(const char *method, const char *path, const char *body, size_t blen,
		int timeout_ms, struct ctl_answer *a);
void ctl_answer_free(struct ctl_answer *a);
/* A connection made now (the watch reads the peer's credentials when it
 * connects: made as root, it stays root's after a drop), or -errno. */
int ctl_connect(void);
/* ctl_request on a connection from ctl_connect (closed by it). */
int ctl_request_on(int fd, const char *method, const char *path, const char *body, size_t blen,
		   int timeout_ms, struct ctl_answer *a);
/*
 * Prints an answer of the watch (its diagnostics to stderr, the summary
 * unless quiet, the error with fail_tail); the exit code it means:
 * 0, 1 (the request refused: a policy that does not compile, nothing
 * pending), 3.
 */
int ctl_print_outcome(const struct ctl_answer *a, bool quiet, const char *fail_tail);

#endif
