/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigild flows: the parts of the verb (cmd_flows.c options and the query,
 * flows_time.c times, flows_out.c output, flows_follow.c --follow). */
#ifndef VIGIL_CLI_FLOWS_H
#define VIGIL_CLI_FLOWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/flowdb.h"
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

const char *flows_proto(int proto, char *buf, size_t len);
void flows_minute(int64_t t, bool iso, char *buf, size_t len);
void flows_print_json(const struct frows *rows, enum flowdb_by by);
/* verdict: show the verdict column */
void flows_print_table(const struct frows *rows, enum flowdb_by by, bool verdict);
bool flows_loss_report(FILE *f, const struct flowdb_loss *l, int64_t since, int64_t until,
		       int64_t now, bool warn);

/* ---- flows_follow.c ---- */
enum flows_format { FMT_TABLE, FMT_NDJSON, FMT_ECS };
/* Prints the rows of q recorded from now on, one JSON object a line, until
 * interrupted or stdout closes. Returns an exit code. */
int flows_follow(const char *path, const struct flowdb_query *q, enum flows_format fmt);

#endif
