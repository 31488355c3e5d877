/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_CTL_CLIENT_H
#define VIGIL_CLI_CTL_CLIENT_H

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

#endif
