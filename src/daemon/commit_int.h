/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's commit (commit.c), its incremental path (commit_delta.c)
 * and what starts one (reload.c). */
#ifndef VIGIL_DAEMON_COMMIT_INT_H
#define VIGIL_DAEMON_COMMIT_INT_H

#include "vigil/delta.h"
#include "vigil/psep.h"
#include "daemon.h"

#define COMMIT_TIMEOUT_MS 120000 /* a million set elements take seconds */
#define GENID_TRIES 4

struct commit_op {
	struct daemon *d;
	struct plan *pl;
	bool owned;             /* pl is ours (not the active one being re-asserted) */
	enum daemon_source source;
	int tries;
	int owned_waits;        /* the table still owned by a helper that is going away */
	sd_event_source *retry;
	daemon_done_fn done;
	void *ctx;
	struct daemon_outcome out;
	bool first;             /* the start's apply: on failure, the next candidate */
	unsigned flags;         /* DAEMON_COMMIT_* */
	struct nftc_opts o;     /* how to build, from TABLE_INFO */
	uint64_t t_dump;        /* when the dynamic sets were asked for (ms) */
	/* incremental (commit_delta.c) */
	bool no_delta;          /* a replacement from here on */
	bool inc;               /* committed incrementally (or nothing to send) */
	bool inc_sent;          /* ... and a batch was sent */
	uint32_t delta_begin;   /* the delta batch's BEGIN seq */
	struct delta_plan dp;
	char full_reason[128];  /* why a replacement over the existing table */
};

/* commit.c: the steps a delta falls back on or ends in */
/* The replacement, from TABLE_INFO on (op->o set): the dynamic sets read
 * when the table exists, then the batch. */
void op_replace(struct commit_op *op, bool exists);
/* TABLE_INFO again (a change between read and commit). */
void op_send_info(struct commit_op *op);
/* The commit landed (op->pl->genid set). */
void op_installed(struct commit_op *op);
void op_finish(struct commit_op *op);
uint32_t commit_next_seq(void);
/* Starts committing pl (owned: it becomes the active plan on success);
 * -EBUSY while another commit runs. */
int op_start(struct daemon *d, struct plan *pl, bool owned, enum daemon_source src,
	     bool first, daemon_done_fn done, void *ctx);
/* the plan's diagnostics into the outcome, logged at errlvl and below */
void take_diags(struct daemon_outcome *out, struct plan *pl);
void log_diags(const struct diags *d, enum log_level errlvl);
/* a failed commit: counted, the state degraded, the journal told */
void note_failure(struct daemon *d, const struct daemon_outcome *out, const char *result);

/* commit_delta.c: starts the commit as an incremental one when the table
 * allows it (exists, vigild's mark, the flags a replacement would give);
 * false: it does not, go on with op_replace. */
bool op_try_delta(struct commit_op *op, const struct psep_table_info *ti);

#endif
