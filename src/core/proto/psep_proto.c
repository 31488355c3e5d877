// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "vigil/psep_proto.h"

/* Requests: [min, max] payload bytes. */
static const struct {
	uint16_t type;
	const char *name;
	uint32_t min, max;
} requests[] = {
	{ PSEP_REQ_COMMIT, "COMMIT", 1, PSEP_MAX_BATCH },
	{ PSEP_REQ_VALIDATE, "VALIDATE", 1, PSEP_MAX_BATCH },
	{ PSEP_REQ_GETGEN, "GETGEN", 0, 0 },
	{ PSEP_REQ_CT_STATS, "CT_STATS", 0, 0 },
	{ PSEP_REQ_TABLE_INFO, "TABLE_INFO", 0, 0 },
	{ PSEP_REQ_DUMP, "DUMP", 0, 0 },
	{ PSEP_REQ_SET_TABLE, "SET_TABLE", sizeof(struct psep_set_table), sizeof(struct psep_set_table) },
	{ PSEP_REQ_CT_DUMP, "CT_DUMP", 0, 0 },
	{ PSEP_REQ_ARM, "ARM", sizeof(struct psep_arm) + 1, sizeof(struct psep_arm) + PSEP_MAX_BATCH },
	{ PSEP_REQ_DISARM, "DISARM", 0, 0 },
	{ PSEP_REQ_DYN_DUMP, "DYN_DUMP", 0, 0 },
	{ PSEP_REQ_SETELEM, "SETELEM", 1, PSEP_MAX_BATCH },
	{ PSEP_REQ_CT_DELETE, "CT_DELETE", 1, PSEP_MAX_CT_DELETE },
};

/* Replies: the fixed part; variable ones may carry more (checked later). */
static const struct {
	uint16_t type;
	uint32_t fixed;
	uint32_t max_extra;
} replies[] = {
	{ PSEP_REP_READY, sizeof(struct psep_ready), 0 },
	{ PSEP_REP_RESULT, sizeof(struct psep_result), PSEP_MAX_ERRORS * sizeof(struct nl_err) },
	{ PSEP_REP_GEN, sizeof(struct psep_gen), 0 },
	{ PSEP_REP_CT_STATS, sizeof(struct psep_ct_stats), 0 },
	{ PSEP_REP_TABLE_INFO, sizeof(struct psep_table_info), 0 },
	{ PSEP_REP_DUMP, sizeof(struct psep_dump), PSEP_MAX_DUMP },
	{ PSEP_REP_OK, sizeof(struct psep_ok), 0 },
};

const char *psep_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].type == type)
			return requests[i].name;
	return "?";
}

int psep_check_request(const struct psep_hdr *h, const char **why)
{
	if (h->magic != PSEP_MAGIC || h->zero) {
		*why = "bad magic";
		return -EPROTO;
	}
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (requests[i].type != h->type)
			continue;
		if (requests[i].max == 0 && h->len != 0) {
			*why = "request takes no payload";
			return -EPROTO;
		}
		if (h->len < requests[i].min || h->len > requests[i].max) {
			*why = requests[i].min == requests[i].max ? "wrong request size"
								  : "batch size out of range";
			return -EPROTO;
		}
		return 0;
	}
	*why = "unknown request type";
	return -EPROTO;
}

size_t psep_result_size(const struct psep_result *r)
{
	if (r->nerr > PSEP_MAX_ERRORS)
		return 0;
	return sizeof(*r) + (size_t)r->nerr * sizeof(struct nl_err);
}

size_t psep_reply_fixed(uint16_t type)
{
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		if (replies[i].type == type)
			return replies[i].fixed;
	return 0;
}

int psep_check_reply(const struct psep_hdr *h, uint16_t expect, const char **why)
{
	if (h->magic != PSEP_MAGIC || h->zero) {
		*why = "bad magic";
		return -EPROTO;
	}
	if (h->type != expect) {
		*why = "unexpected reply type";
		return -EPROTO;
	}
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		if (replies[i].type != h->type)
			continue;
		if (h->len < replies[i].fixed || h->len - replies[i].fixed > replies[i].max_extra) {
			*why = replies[i].max_extra ? "wrong size for a result" : "wrong reply size";
			return -EPROTO;
		}
		return 0;
	}
	*why = "unknown reply type";
	return -EPROTO;
}
