// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the commit helper's verifier on arbitrary bytes. It
 * must never read outside them (ASan), and a batch it accepts must be one
 * the independent oracle (tests/unit/oracle.c) also finds within vigild's
 * vocabulary: an accepted batch the oracle refuses is a crash here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "oracle.h"
#include "vigil/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch_refusal r;

	if (batch_verify(data, size, "vigil", &r) == 0 && !oracle(data, size, "vigil")) {
		fprintf(stderr, "accepted, but outside the vocabulary: %s\n", oracle_why);
		abort();
	}
	return 0;
}
