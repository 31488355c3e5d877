// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the kernel's answer to a batch (nlreply_parse), one
 * datagram of acks and errors with extended-ack attributes.
 */
#include "vigil/nlreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_result res = { 0 };

	nlreply_parse(data, size, &res);
	nl_result_free(&res);
	return 0;
}
