// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flows database's writer: the only part of vigild watch that may
 * block (SQLite on a slow or full disk) runs here, on a thread of its own,
 * fed an aggregate each second by the event loop. A flush that fails keeps
 * its rows in memory, up to a bound (the oldest are dropped beyond it, and
 * counted), and is retried each second; the event loop is told, through an
 * eventfd, when writing fails, resumes, and how much was lost, and logs it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vigil/flowdb.h"
#include "vigil/flowdb_json.h"
#include "vigil/log.h"
#include "vigil/util.h"
#include "writer.h"

enum job_kind {
	J_FLUSH,
	J_RETENTION,
	J_META,
	J_UNCLEAN,
};

struct job {
	struct job *next;
	enum job_kind kind;
	struct agg *agg;
	struct names *names;
	int64_t cutoff;
	char *key, *value;
};

struct wmsg {
	struct wmsg *next;
	enum log_level level;
	char *text;
};

struct pending {
	struct agg *agg;
	struct names *names;
};

struct writer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	bool stop, started;
	int efd;
	struct wmsg *msgs, *msgs_tail;
	struct agg *spares[4];
	size_t nspares;
	/* the writer thread's own */
	struct flowdb *db;
	struct pending *pend;
	size_t npend, pend_cap, pend_rows, max_rows;
	bool failing;
	uint64_t lost_flows, lost_minutes;      /* since writing last failed */
	uint64_t total_lost_flows, total_lost_minutes;
	uint64_t written_rows;  /* these four: written by the thread, read by writer_stats */
	uint64_t failed_writes, stat_lost_flows, stat_pend_rows;
	unsigned agg_flags;
	uint64_t seed;
	uint64_t max_size;      /* --db-max-size, 0: none */
	unsigned flushes;       /* the size is looked at every SIZE_EVERY flushes */
	bool expired_said;
};

#define SIZE_EVERY 60

/* ---- names ---- */

struct names *names_new(const char *const *v, size_t n)
{
	struct names *nm = xzalloc(sizeof(*nm));

	nm->refs = 1;
	nm->n = n;
	nm->v = xcalloc(n ? n : 1, sizeof(*nm->v));
	for (size_t i = 0; i < n; i++)
		nm->v[i] = xstrdup(v[i] ? v[i] : "");
	return nm;
}

static char **names_dup(const char *const *v, size_t n)
{
	char **d = xcalloc(n ? n : 1, sizeof(*d));

	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i] ? v[i] : "");
	return d;
}

void names_set_nat(struct names *nm, const char *const *v, size_t n)
{
	for (size_t i = 0; i < nm->nnat; i++)
		free(nm->nat[i]);
	free(nm->nat);
	nm->nat = names_dup(v, n);
	nm->nnat = n;
}

struct names *names_ref(struct names *nm)
{
	if (nm)
		__atomic_add_fetch(&nm->refs, 1, __ATOMIC_RELAXED);
	return nm;
}

void names_unref(struct names *nm)
{
	if (!nm || __atomic_sub_fetch(&nm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	for (size_t i = 0; i < nm->nnat; i++)
		free(nm->nat[i]);
	free(nm->nat);
	free(nm);
}

/* ---- messages to the event loop ---- */

static void say(struct writer *w, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct writer *w, enum log_level lvl, const char *fmt, ...)
{
	struct wmsg *m = xzalloc(sizeof(*m));
	uint64_t one = 1;
	va_list ap;

	m->level = lvl;
	va_start(ap, fmt);
	m->text = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&w->mu);
	if (w->msgs_tail)
		w->msgs_tail->next = m;
	else
		w->msgs = m;
	w->msgs_tail = m;
	pthread_mutex_unlock(&w->mu);
	if (write(w->efd, &one, sizeof(one)) < 0) {
		/* the loop reads the queue at its next tick anyway */
	}
}

void writer_drain_messages(struct writer *w)
{
	struct wmsg *m;
	uint64_t v;

	if (read(w->efd, &v, sizeof(v)) < 0) {
		/* nothing queued */
	}
	pthread_mutex_lock(&w->mu);
	m = w->msgs;
	w->msgs = w->msgs_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (m) {
		struct wmsg *next = m->next;
		log_msg(m->level, "%s", m->text);
		free(m->text);
		free(m);
		m = next;
	}
}

int writer_fd(const struct writer *w)
{
	return w->efd;
}

/* ---- the thread ---- */

static void spare(struct writer *w, struct agg *a)
{
	pthread_mutex_lock(&w->mu);
	if (w->nspares < ARRAY_SIZE(w->spares)) {
		w->spares[w->nspares++] = a;
		a = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	agg_free(a);
}

/* Writes what failed before, oldest first. Returns 0 when all is written. */
static int write_pending(struct writer *w)
{
	while (w->npend) {
		struct pending *p = &w->pend[0];
		size_t rows = agg_rows(p->agg);

		if (flowdb_flush_nat(w->db, p->agg, (const char *const *)p->names->v, p->names->n,
				     (const char *const *)p->names->nat, p->names->nnat) < 0)
			return -EIO;
		__atomic_add_fetch(&w->written_rows, rows, __ATOMIC_RELAXED);
		w->pend_rows -= rows;
		__atomic_store_n(&w->stat_pend_rows, w->pend_rows, __ATOMIC_RELAXED);
		names_unref(p->names);
		spare(w, p->agg);
		memmove(w->pend, w->pend + 1, --w->npend * sizeof(*w->pend));
	}
	return 0;
}

/* Keeps a failed aggregate; beyond the bound, the oldest rows are lost
 * (counted), their observer minutes moved to the newest aggregate. */
static void keep(struct writer *w, struct agg *a, struct names *nm)
{
	GROW(w->pend, w->pend_cap, w->npend + 1);
	w->pend[w->npend++] = (struct pending){ a, nm };
	w->pend_rows += agg_rows(a);
	while (w->pend_rows > w->max_rows && w->npend > 1) {
		struct pending *old = &w->pend[0];
		uint64_t flows = agg_flows_total(old->agg);
		size_t minutes = agg_row_minutes(old->agg), rows = agg_rows(old->agg);

		w->lost_flows += flows;
		w->lost_minutes += minutes;
		w->total_lost_flows += flows;
		w->total_lost_minutes += minutes;
		__atomic_store_n(&w->stat_lost_flows, w->total_lost_flows, __ATOMIC_RELAXED);
		agg_drop_rows(old->agg, w->pend[w->npend - 1].agg);
		w->pend_rows -= rows;
		names_unref(old->names);
		spare(w, old->agg);
		memmove(w->pend, w->pend + 1, --w->npend * sizeof(*w->pend));
	}
}

/* The loss while writing failed goes into the minute writing resumed. */
static void record_loss(struct writer *w)
{
	struct agg_obs o = { .db_lost_flows = w->lost_flows, .db_lost_minutes = w->lost_minutes };
	struct agg *a = agg_new(w->agg_flags, 16, w->seed);

	agg_add_obs(a, time(NULL), &o);
	if (flowdb_flush(w->db, a, NULL, 0) == 0)
		w->lost_flows = w->lost_minutes = 0;
	agg_free(a);
}

static void do_flush(struct writer *w, struct job *j)
{
	int r;

	keep(w, j->agg, j->names);
	r = write_pending(w);
	__atomic_store_n(&w->stat_pend_rows, w->pend_rows, __ATOMIC_RELAXED);
	if (r < 0)
		__atomic_add_fetch(&w->failed_writes, 1, __ATOMIC_RELAXED);
	if (r < 0 && !w->failing) {
		w->failing = true;
		say(w, LOG_LVL_ERR,
		    "cannot write the flows database: %s; keeping up to %zu rows in memory and retrying every second",
		    flowdb_errmsg(w->db), w->max_rows);
	} else if (r == 0 && w->failing) {
		uint64_t flows = w->lost_flows, minutes = w->lost_minutes;

		w->failing = false;
		record_loss(w);
		if (flows || minutes)
			say(w, LOG_LVL_WARNING,
			    "writing the flows database resumed; %" PRIu64 " flows of %" PRIu64
			    " minutes could not be kept in memory meanwhile and are lost (recorded in the database)",
			    flows, minutes);
		else
			say(w, LOG_LVL_NOTICE, "writing the flows database resumed; nothing was lost");
	}
}

/* --db-max-size: the oldest minutes go early, said once. */
static void check_size(struct writer *w)
{
	int64_t cut = 0, now = (int64_t)time(NULL);

	if (!w->max_size || ++w->flushes % SIZE_EVERY != 1)
		return;
	/* the last ten minutes always stay */
	int r = flowdb_expire_to_size(w->db, w->max_size, now - now % 60 - 600, &cut);
	if (r < 0) {
		say(w, LOG_LVL_WARNING, "cannot keep the flows database within --db-max-size: %s",
		    flowdb_errmsg(w->db));
	} else if (r == 1 && !w->expired_said) {
		char buf[32];

		w->expired_said = true;
		flowdb_utc(cut, FLOWDB_T_MINUTE, buf, sizeof(buf));
		say(w, LOG_LVL_WARNING,
		    "the flows database reached --db-max-size (%" PRIu64 " bytes): minutes before %s UTC were deleted early (recorded in the database; said once)",
		    w->max_size, buf);
	}
}

static void do_job(struct writer *w, struct job *j)
{
	uint64_t gone = 0;
	int64_t minute = 0;

	switch (j->kind) {
	case J_FLUSH:
		do_flush(w, j);
		if (!w->failing)
			check_size(w);
		j->agg = NULL;
		j->names = NULL;
		break;
	case J_RETENTION:
		if (flowdb_retention(w->db, j->cutoff, &gone) < 0)
			say(w, LOG_LVL_WARNING, "retention failed: %s", flowdb_errmsg(w->db));
		break;
	case J_META:
		if (flowdb_meta_set(w->db, j->key, j->value) < 0)
			say(w, LOG_LVL_WARNING, "cannot record %s in the flows database: %s", j->key,
			    flowdb_errmsg(w->db));
		break;
	case J_UNCLEAN:
		if (flowdb_mark_unclean_stop(w->db, &minute) == 1) {
			char buf[32];

			flowdb_utc(minute, FLOWDB_T_MINUTE, buf, sizeof(buf));
			say(w, LOG_LVL_NOTICE,
			    "the last watcher of this database did not stop cleanly (killed?): its last minute, %s UTC, is marked as observed only in part",
			    buf);
		}
		break;
	}
}

static void job_free(struct job *j)
{
	agg_free(j->agg);
	names_unref(j->names);
	free(j->key);
	free(j->value);
	free(j);
}

static void *run(void *arg)
{
	struct writer *w = arg;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		j = w->head;
		if (j) {
			w->head = j->next;
			if (!w->head)
				w->tail = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		if (!j)
			break; /* stop, and nothing left */
		do_job(w, j);
		job_free(j);
	}
	return NULL;
}

static void push(struct writer *w, struct job *j)
{
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

struct writer *writer_start(struct flowdb *db, size_t max_rows, unsigned agg_flags, uint64_t seed,
			    uint64_t max_size)
{
	struct writer *w = xzalloc(sizeof(*w));

	w->db = db;
	w->max_rows = max_rows;
	w->agg_flags = agg_flags;
	w->seed = seed;
	w->max_size = max_size;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (w->efd < 0 || pthread_create(&w->th, NULL, run, w) != 0) {
		if (w->efd >= 0)
			close(w->efd);
		free(w);
		return NULL;
	}
	w->started = true;
	return w;
}

struct agg *writer_new_agg(struct writer *w)
{
	struct agg *a = NULL;

	pthread_mutex_lock(&w->mu);
	if (w->nspares)
		a = w->spares[--w->nspares];
	pthread_mutex_unlock(&w->mu);
	return a ? a : agg_new(w->agg_flags, 0, w->seed);
}

void writer_flush(struct writer *w, struct agg *a, struct names *nm)
{
	struct job *j = xzalloc(sizeof(*j));

	j->kind = J_FLUSH;
	j->agg = a;
	j->names = names_ref(nm);
	push(w, j);
}

void writer_retention(struct writer *w, int64_t cutoff)
{
	struct job *j = xzalloc(sizeof(*j));

	j->kind = J_RETENTION;
	j->cutoff = cutoff;
	push(w, j);
}

void writer_meta(struct writer *w, const char *key, const char *value)
{
	struct job *j = xzalloc(sizeof(*j));

	j->kind = J_META;
	j->key = xstrdup(key);
	j->value = xstrdup(value);
	push(w, j);
}

void writer_mark_unclean(struct writer *w)
{
	struct job *j = xzalloc(sizeof(*j));

	j->kind = J_UNCLEAN;
	push(w, j);
}

int writer_stop(struct writer *w, struct flowdb **db, uint64_t *lost_flows, uint64_t *lost_minutes,
		size_t *unwritten_rows)
{
	int r = 0;

	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	/* one more try for what is still in memory */
	if (w->npend && write_pending(w) < 0)
		r = -EIO;
	*lost_flows = w->total_lost_flows;
	*lost_minutes = w->total_lost_minutes;
	*unwritten_rows = 0;
	for (size_t i = 0; i < w->npend; i++) {
		*lost_flows += agg_flows_total(w->pend[i].agg);
		*lost_minutes += agg_row_minutes(w->pend[i].agg);
		*unwritten_rows += agg_rows(w->pend[i].agg);
		agg_free(w->pend[i].agg);
		names_unref(w->pend[i].names);
	}
	if (*lost_flows || *lost_minutes) {
		char v[64];
		snprintf(v, sizeof(v), "%" PRIu64 " flows, %" PRIu64 " minutes", *lost_flows,
			 *lost_minutes);
		/* where the disk has room again, say it in the database too */
		flowdb_meta_set(w->db, "db_lost_at_stop", v);
	}
	free(w->pend);
	for (size_t i = 0; i < w->nspares; i++)
		agg_free(w->spares[i]);
	while (w->msgs) {
		struct wmsg *m = w->msgs;
		w->msgs = m->next;
		log_msg(m->level, "%s", m->text);
		free(m->text);
		free(m);
	}
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	*db = w->db;
	free(w);
	return r;
}

void writer_stats(struct writer *w, struct writer_stats *st)
{
	st->rows_written = __atomic_load_n(&w->written_rows, __ATOMIC_RELAXED);
	st->failed_writes = __atomic_load_n(&w->failed_writes, __ATOMIC_RELAXED);
	st->lost_flows = __atomic_load_n(&w->stat_lost_flows, __ATOMIC_RELAXED);
	st->rows_pending = __atomic_load_n(&w->stat_pend_rows, __ATOMIC_RELAXED);
}
