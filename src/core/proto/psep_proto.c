// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "vigil/psep_proto.h"

int psep_check_request(const struct psep_hdr *h, const char **why)
{
	if (h->magic != PSEP_MAGIC || h->zero) {
		*why = "bad magic";
		return -EPROTO;
	}
	switch (h->type) {
	case PSEP_REQ_COMMIT:
	case PSEP_REQ_VALIDATE:
		if (h->len == 0 || h->len > PSEP_MAX_BATCH) {
			*why = "batch size out of range";
			return -EPROTO;
		}
		return 0;
	case PSEP_REQ_GETGEN:
	case PSEP_REQ_CT_STATS:
		if (h->len != 0) {
			*why = "request takes no payload";
			return -EPROTO;
		}
		return 0;
	default:
		*why = "unknown request type";
		return -EPROTO;
	}
}

size_t psep_result_size(const struct psep_result *r)
{
	if (r->nerr > PSEP_MAX_ERRORS)
		return 0;
	return sizeof(*r) + (size_t)r->nerr * sizeof(struct nl_err);
}

int psep_check_reply(const struct psep_hdr *h, uint16_t expect, const char **why)
{
	size_t want;

	if (h->magic != PSEP_MAGIC || h->zero) {
		*why = "bad magic";
		return -EPROTO;
	}
	if (h->type != expect) {
		*why = "unexpected reply type";
		return -EPROTO;
	}
	switch (h->type) {
	case PSEP_REP_RESULT:
		/* at least the fixed part; the exact size is checked once read */
		if (h->len < sizeof(struct psep_result) ||
		    h->len > sizeof(struct psep_result) + PSEP_MAX_ERRORS * sizeof(struct nl_err)) {
			*why = "wrong size for a result";
			return -EPROTO;
		}
		return 0;
	case PSEP_REP_READY:
		want = sizeof(struct psep_ready);
		break;
	case PSEP_REP_GEN:
		want = sizeof(struct psep_gen);
		break;
	case PSEP_REP_CT_STATS:
		want = sizeof(struct psep_ct_stats);
		break;
	default:
		*why = "unknown reply type";
		return -EPROTO;
	}
	if (h->len != want) {
		*why = "wrong reply size";
		return -EPROTO;
	}
	return 0;
}
