/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_WRITER_H
#define VIGIL_DAEMON_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/agg.h"
#include "vigil/flowdb.h"

/* Rule names of one policy, shared (reference counted) by the flushes
 * queued while it was in force, and the names of its nat entries. */
struct names {
	int refs;
	char **v;
	size_t n;
	char **nat;
	size_t nnat;
};
struct names *names_new(const char *const *v, size_t n);
/* Sets the nat entry names of a new nm (before it is shared). */
void names_set_nat(struct names *nm, const char *const *v, size_t n);
struct names *names_ref(struct names *nm);
void names_unref(struct names *nm);

struct writer;

/*
 * Starts the writer thread, which owns db from now on. max_rows bounds the
 * rows kept in memory while writing fails. Returns NULL on failure.
 */
/* max_size: --db-max-size in bytes (the oldest minutes are deleted early
 * beyond it, checked once a minute), 0: none. */
struct writer *writer_start(struct flowdb *db, size_t max_rows, unsigned agg_flags, uint64_t seed,
			    uint64_t max_size);
/* An empty aggregate (a reused one when there is). */
struct agg *writer_new_agg(struct writer *w);
/* Queues the aggregate (the writer owns it now) with its rule names. */
void writer_flush(struct writer *w, struct agg *a, struct names *nm);
void writer_retention(struct writer *w, int64_t cutoff);
void writer_meta(struct writer *w, const char *key, const char *value);
void writer_mark_unclean(struct writer *w);
/* An eventfd that becomes readable when the writer has something to say;
 * writer_drain_messages logs it. */
int writer_fd(const struct writer *w);
void writer_drain_messages(struct writer *w);
/*
 * Stops the thread after the queue is written (or failed), gives the
 * database back, and says what could not be written in all (and records
 * it in the database when it can). Returns 0, or -EIO when rows remain
 * unwritten.
 */
/* For the metrics, from the loop while the thread runs. */
struct writer_stats {
	uint64_t rows_written;   /* rows committed to the database */
	uint64_t failed_writes;  /* flushes that could not be written (retried) */
	uint64_t lost_flows;     /* flows dropped from memory while writing failed */
	uint64_t rows_pending;   /* rows kept in memory, not written yet */
};
void writer_stats(struct writer *w, struct writer_stats *st);

int writer_stop(struct writer *w, struct flowdb **db, uint64_t *lost_flows, uint64_t *lost_minutes,
		size_t *unwritten_rows);

#endif
