/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the flows database (flowdb.c writes, flowdb_query.c reads). */
#ifndef VIGIL_FLOWDB_INT_H
#define VIGIL_FLOWDB_INT_H

#include <stdbool.h>
#include <sqlite3.h>

#include "vigil/flowdb.h"

struct flowdb {
	sqlite3 *db;
	bool rdonly;
	sqlite3_stmt *begin, *commit, *rollback, *up_flow, *up_obs;
	/* during a flush */
	const char *const *rules;
	size_t nrules;
	char err[FLOWDB_ERRLEN];
};

/* Records the failure of rc while doing what in db->err; returns -errno. */
int flowdb_fail(struct flowdb *db, int rc, const char *what);

#endif
