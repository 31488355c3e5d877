/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the main process's side of privilege separation (psep.c:
 * replies and blocking calls, psep_start.c, psep_async.c). */
#ifndef VIGIL_PSEP_CLIENT_H
#define VIGIL_PSEP_CLIENT_H

#include <stdint.h>

#include "vigil/psep.h"
#include "vigil/psep_proto.h"

/* The reply type each request is answered with (0: not a request). */
extern const uint16_t psep_reply_of[PSEP_REQ_MAX_];

/*
 * A complete message (header + payload) as a reply of the expected type:
 * the fixed part copied, the variable part exactly as long as the fixed
 * part says. Returns 0 or -EPROTO (rep->why says why).
 */
int psep_parse_reply(const struct psep_hdr *h, const uint8_t *payload, uint16_t expect,
		     struct psep_reply *rep);

/* Waits for the reply of `type`; returns 0, with rep->status < 0 and
 * rep->why when the helper is gone or the reply is malformed. */
int psep_read_reply(struct psep *p, uint16_t type, struct psep_reply *rep);

#endif
