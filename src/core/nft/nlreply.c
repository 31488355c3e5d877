// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "vigil/nlmsg.h"
#include "vigil/nlreply.h"
#include "vigil/util.h"

static void ext_ack(const struct nlmsghdr *nlh, const struct nlmsgerr *e, size_t payload,
		    struct nl_err *out)
{
	size_t off = sizeof(*e);

	/* without NETLINK_CAP_ACK the failing message follows the header */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len > sizeof(e->msg) ? e->msg.nlmsg_len - sizeof(e->msg) : 0;
	off = MNL_ALIGN(off);
	while (off + sizeof(struct nlattr) <= payload) {
		const struct nlattr *a = (const struct nlattr *)((const char *)e + off);
		size_t alen = a->nla_len;

		if (alen < sizeof(*a) || off + alen > payload)
			return;
		const char *data = (const char *)a + MNL_ATTR_HDRLEN;
		size_t dlen = alen - MNL_ATTR_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG: {
			size_t n = strnlen(data, dlen);
			if (n >= sizeof(out->msg))
				n = sizeof(out->msg) - 1;
			memcpy(out->msg, data, n);
			out->msg[n] = '\0';
			/* keep it printable */
			for (size_t i = 0; i < n; i++)
				if ((unsigned char)out->msg[i] < 0x20 || (unsigned char)out->msg[i] >= 0x7f)
					out->msg[i] = '?';
			break;
		}
		case NLMSGERR_ATTR_OFFS:
			if (dlen >= 4)
				memcpy(&out->offset, data, 4);
			break;
		default:
			break;
		}
		off += MNL_ALIGN(alen);
	}
}

int nlreply_parse(const void *buf, size_t len, struct nl_result *res)
{
	const struct nlmsghdr *nlh = buf;
	/* only whole messages reach mnl_nlmsg_ok (signed lengths: nlmsg.h) */
	size_t good = nlmsg_good_len(buf, len);
	int left = (int)good;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			size_t payload = mnl_nlmsg_get_payload_len(nlh);
			struct nl_err *o;

			if (payload < sizeof(*e))
				return -EBADMSG;
			if (e->error == 0) {
				nlh = mnl_nlmsg_next(nlh, &left);
				continue; /* an ack */
			}
			GROW(res->errs, res->cap, res->n + 1);
			o = &res->errs[res->n++];
			memset(o, 0, sizeof(*o));
			o->seq = e->msg.nlmsg_seq;
			/* a negative errno; anything else is not one, but still a failure */
			if (e->error < 0 && e->error >= -4095)
				o->error = e->error;
			else if (e->error > 0 && e->error <= 4095)
				o->error = -e->error;
			else
				o->error = -EPROTO;
			if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
				ext_ack(nlh, e, payload, o);
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return left == 0 && good == len ? 0 : -EBADMSG;
}

void nl_result_free(struct nl_result *res)
{
	free(res->errs);
	memset(res, 0, sizeof(*res));
}
