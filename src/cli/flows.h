/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigild flows: the parts of the verb (cmd_flows.c options and the query,
 * flows_time.c times, flows_out.c output, flows_follow.c --follow). */
#ifndef VIGIL_CLI_FLOWS_H
#define VIGIL_CLI_FLOWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/flowdb.h"
#include "vigil/flowdb_follow.h"
#include "vigil/flowdb_json.h"
#include "vigil/num.h" /* num_floor_minute: the start of a minute */

/* ---- flows_time.c ---- */
/* A time argument (see flows_time_forms); 0 or -EINVAL. */
int flows_time(const char *s, int64_t now, int64_t *out);
/* The accepted forms, for errors and --help. */
extern const char flows_time_forms[];

/* ---- flows_out.c ---- */
struct frow {
	struct flowdb_row r;
	char *src, *dst, *rule, *nat_dst, *nat_src, *nat;
	const char *verdict;  /* static */
};

struct frows {
	struct frow *v;
	size_t n, cap;
	/* the window's observed minutes and their completeness (--json) */
	struct flowdb_mins mins;
};
int flows_collect(void *ctx, const struct flowdb_row *row);
void frows_free(struct frows *rows);

void flows_print_json(const struct frows *rows, enum flowdb_by by);
/* verdict: show the verdict column */
void flows_print_table(const struct frows *rows, enum flowdb_by by, bool verdict);
bool flows_loss_report(FILE *f, const struct flowdb_loss *l, int64_t since, int64_t until,
		       int64_t now, bool warn);

/* ---- flows_follow.c ---- */
enum flows_format { FMT_TABLE, FMT_NDJSON, FMT_ECS };
/* Prints the rows of q recorded from now on, one JSON object a line, until
 * interrupted (SIGINT, SIGTERM) or stdout closes: through the watch's
 * control socket when a watch records the database, else by reading path.
 * path_given: --db named it (the watch must record that one). Returns an
 * exit code. */
int flows_follow(const char *path, bool path_given, const struct flowdb_query *q,
		 enum flowdb_follow_fmt fmt);
/* A signal ended following. */
bool flows_follow_stopped(void);
/* Waits up to ms (-1: no bound) for fd (-1: none) to be readable or a
 * signal to end following: 1 readable, 0 not yet, -EINTR ended. */
int flows_follow_wait(int fd, int ms);
/* s to stdout, flushed; false when stdout is gone or following ended. */
bool flows_follow_put(const char *s, size_t n);

/* ---- flows_stream.c ---- */
#define FLOWS_STREAM_NONE (-1)
/* Follows through the control socket (db: the --db the watch must record,
 * or NULL for the watch's own). Returns an exit code, or FLOWS_STREAM_NONE
 * when no watch streams them (said on stderr, at info). */
int flows_stream(const char *db, const struct flowdb_query *q, enum flowdb_follow_fmt fmt);

#endif
