/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NLREPLY_H
#define VIGIL_NLREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The kernel's answer to a batch. nfnetlink processes the whole batch inside
 * sendmsg() and queues one NLMSG_ERROR for every message that failed (and
 * an ack for messages that asked for one). An error-free answer means the
 * batch committed; any non-zero error means nothing was committed.
 */
struct nl_err {
	uint32_t seq;      /* of the failing message */
	int32_t error;     /* negative errno */
	uint32_t offset;   /* NLMSGERR_ATTR_OFFS: bad attribute's offset, 0 = none */
	char msg[160];     /* NLMSGERR_ATTR_MSG, may be empty */
};

struct nl_result {
	struct nl_err *errs;
	size_t n, cap;
	bool lost;         /* ENOBUFS: some replies were dropped */
	uint32_t genid;    /* generation after the batch, 0 if unknown */
};

/*
 * Parses one datagram of replies (pure; hostile input is only reported, not
 * trusted). Appends errors to res. Returns 0, or -EBADMSG when the datagram
 * is malformed (what was parsed before the bad part is kept).
 */
int nlreply_parse(const void *buf, size_t len, struct nl_result *res);
void nl_result_free(struct nl_result *res);

#endif
