// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The helper's CT_DELETE (vigild apply --revoke, a watch's reload with
 * revoke: true): conntrack entries deleted one by one, by original tuple,
 * each message checked by revoke_verify first (no flush, no filter, no
 * other conntrack message). The answer is a RESULT whose errors name the
 * failed messages by their number (1 = the first), -ENOENT for an entry
 * that was gone already.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include "vigil/psep_proto.h"
#include "vigil/revoke.h"
#include "vigil/util.h"
#include "psep_int.h"

_Static_assert(PSEP_MAX_CT_DELETE >= REVOKE_MAX_PER_REQUEST * REVOKE_MSG_MAX,
	       "a full CT_DELETE request fits the protocol's bound");

int serve_ct_delete(struct helper *H, uint32_t len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct nl_err *errs = NULL;
	struct psep_result out;
	size_t off = 0, nerr = 0;
	uint32_t i = 0;
	int n, r;

	r = helper_read_body(H, len, &buf);
	if (r < 0)
		return r;
	memset(&out, 0, sizeof(out));
	n = revoke_verify(buf, len, out.why, sizeof(out.why));
	if (n < 0) {
		hlog("refused a conntrack delete: %s", out.why);
		out.status = -EPERM;
		return psep_send_msg(H->fd, PSEP_REP_RESULT, &out, sizeof(out), NULL, 0);
	}
	errs = xreallocarray(NULL, (size_t)n, sizeof(*errs));
	while (off < len) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);

		off += NLMSG_ALIGN(nlh->nlmsg_len);
		i++;
		/* nl_talk numbers it and waits for the ack (NLM_F_ACK is set) */
		r = nl_talk(&H->nl, nlh, NULL, NULL);
		if (r < 0) {
			memset(&errs[nerr], 0, sizeof(errs[nerr]));
			errs[nerr].seq = i;
			errs[nerr].error = r;
			nerr++;
		}
	}
	out.nerr = (uint32_t)nerr;
	r = psep_send_msg(H->fd, PSEP_REP_RESULT, &out, sizeof(out), errs, nerr * sizeof(*errs));
	free(errs);
	return r;
}
