/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PLAN_H
#define VIGIL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/batch.h"
#include "vigil/bundle.h"
#include "vigil/diag.h"
#include "vigil/ir.h"
#include "vigil/nftc.h"
#include "vigil/nlreply.h"
#include "vigil/policy.h"

/*
 * One change of the firewall, from policy text to the kernel's answer, as
 * data: every diagnostic (the checker's errors and warnings, the kernel's
 * errors mapped back to the policy) is collected here and nothing is
 * printed, so the terminal, the journal and the control socket show the
 * same lines. Pure: reading files and talking to the helper are the
 * caller's.
 */
struct plan {
	struct policy pol;
	struct ir_table t;
	bool compiled;         /* pol and t are valid */
	struct diags d;
	struct bundle input;   /* the policy text and every set file it read */
	struct batch b;        /* the batch, once built */
	bool built;
	uint32_t genid;        /* the generation after a successful commit */
};

/*
 * Checks and compiles the policy text (set files are read through
 * po->read_file, and recorded into pl->input). Returns 0, or -EINVAL when
 * the policy is invalid (pl->d says why). table: what vigild runs for.
 */
int plan_compile(struct plan *pl, const char *path, const char *text, size_t len,
		 const struct policy_opts *po, const struct ir_opts *io);

/* Compiles a stored bundle (its set files served from it). */
int plan_compile_bundle(struct plan *pl, const struct bundle *bu, const char *table,
			const struct ir_opts *io);

/* Builds the replacement batch (sequence numbers from seq0). */
void plan_build(struct plan *pl, const struct nftc_opts *o, uint32_t seq0);

/*
 * A reload over a table that has dynamic sets (old, as the helper dumped
 * them): checks that the plan keeps every one whose elements it would
 * otherwise drop (located errors into pl->d, unless full: warnings), and
 * sets o to carry their elements over, guarded by the dump's generation.
 * Returns 0 or -EINVAL.
 */
struct dynset_list;
int plan_keep_dynsets(struct plan *pl, const struct dynset_list *old, uint32_t genid, bool full,
		      struct nftc_opts *o);

/*
 * Records the kernel's answer: 0 when the batch committed; else -EIO with
 * the kernel's errors as diagnostics (prog names unlocated ones).
 */
int plan_kernel_answer(struct plan *pl, const struct nl_result *res, const char *prog);

/* True when the kernel refused the batch only for its generation check
 * (ERESTART on the batch begin): the table changed meanwhile; rebuild. */
bool plan_genid_refused(const struct plan *pl, const struct nl_result *res);

/* One line: "table inet vigil with 30 kernel rules, 2 sets, 4 elements". */
void plan_summary(const struct plan *pl, char *buf, size_t len);

void plan_free(struct plan *pl);

#endif
