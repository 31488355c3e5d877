// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the helper's wire vocabulary, read as the helper and
 * the main process read it: a stream of headers, each checked as a request
 * (then its payload: a batch goes to the verifier, a table name to its
 * check) and as every kind of reply (then the fixed part, and a result's
 * size from its error count).
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/batch.h"
#include "vigil/policy.h"
#include "vigil/psep_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t replies[] = { PSEP_REP_READY, PSEP_REP_RESULT, PSEP_REP_GEN,
				    PSEP_REP_CT_STATS, PSEP_REP_TABLE_INFO, PSEP_REP_DUMP,
				    PSEP_REP_OK };

static void payload(const struct psep_hdr *h, const uint8_t *p)
{
	struct batch_refusal r;
	struct psep_set_table st;
	uint8_t *copy;

	switch (h->type) {
	case PSEP_REQ_COMMIT:
	case PSEP_REQ_VALIDATE:
		/* the helper verifies its own copy, of exactly h->len bytes */
		copy = malloc(h->len);
		if (!copy)
			return;
		memcpy(copy, p, h->len);
		batch_verify(copy, h->len, "vigil", &r);
		free(copy);
		break;
	case PSEP_REQ_SET_TABLE:
		memcpy(&st, p, sizeof(st));
		st.name[sizeof(st.name) - 1] = '\0';
		table_name_problem(st.name);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (size - off >= sizeof(struct psep_hdr)) {
		struct psep_hdr h;
		const char *why;

		memcpy(&h, data + off, sizeof(h));
		off += sizeof(h);
		psep_type_name(h.type);
		for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
			if (psep_check_reply(&h, replies[i], &why) < 0)
				continue;
			if (h.type == PSEP_REP_RESULT && size - off >= sizeof(struct psep_result)) {
				struct psep_result res;
				memcpy(&res, data + off, sizeof(res));
				psep_result_size(&res);
			}
			psep_reply_fixed(h.type);
		}
		if (psep_check_request(&h, &why) < 0)
			continue; /* the helper would end here; go on reading headers */
		if (h.len > size - off)
			break;
		payload(&h, data + off);
		off += h.len;
	}
	return 0;
}
