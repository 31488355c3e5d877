// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A time budget for a read-only handle (GET /v1/flows runs its query in
 * vigild watch's event loop: it must end soon, whatever the window).
 */
#include <time.h>
#include <sqlite3.h>

#include "vigil/flowdb.h"
#include "flowdb_int.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int over_budget(void *ctx)
{
	const uint64_t *deadline = ctx;

	return now_usec() >= *deadline; /* non-zero: SQLite interrupts the statement */
}

void flowdb_set_budget(struct flowdb *db, unsigned ms, uint64_t *deadline)
{
	*deadline = now_usec() + (uint64_t)ms * 1000u;
	sqlite3_busy_timeout(db->db, (int)(ms / 2));
	/* checked every 1000 virtual machine steps: a few microseconds */
	sqlite3_progress_handler(db->db, 1000, over_budget, deadline);
}

bool flowdb_over_budget(const uint64_t *deadline)
{
	return now_usec() >= *deadline;
}
