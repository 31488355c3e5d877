/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_APPLY_DELTA_H
#define VIGIL_CLI_APPLY_DELTA_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil/delta.h"
#include "vigil/plan.h"

struct psep;

/* What an incremental apply did. */
struct apply_delta {
	struct delta_plan plan; /* the last try's */
	bool sent;              /* a batch was committed (false: nothing to send) */
	int tries;              /* dumps read (a change between dump and commit: another) */
	uint32_t genid;         /* the generation after it */
	char reason[200];       /* why a full replacement is needed instead */
};

/*
 * Applies the compiled plan incrementally (apply_delta.c) when vigild's
 * table is there with its mark. Returns 0 when the kernel holds the policy
 * (committed, or unchanged: nothing sent), 1 when a full replacement is
 * needed instead (out->reason; nothing was changed).
 */
int apply_delta(struct psep *p, struct plan *pl, uint32_t seq0, struct apply_delta *out);

/* apply's success line: incrementally (what was sent), unchanged (nothing
 * sent), or a full replacement (with the reason when the table was there). */
void apply_delta_print(const char *path, const char *sum, bool inc, const struct apply_delta *ad,
		       double ms, uint32_t genid);

#endif
