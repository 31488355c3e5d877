/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_CONFIRM_H
#define VIGIL_CLI_CONFIRM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/pending.h"

struct psep;

/*
 * Before the commit: dumps the table, makes the batch that restores it,
 * has the helper verify it and become its guard for `seconds`, records the
 * pending change. Prints what went wrong; an exit code.
 */
int confirm_arm(struct psep *p, int runfd, const char *table, const char *policy, unsigned seconds);
/* The commit failed: no rollback. */
void confirm_disarm(struct psep *p);
/* vigild confirm / rollback without a watch: signals the guard, waits for
 * its outcome. An exit code (1: nothing pending). */
int confirm_signal(int runfd, const char *table, bool rollback);

/*
 * apply --confirm when a vigild watch runs here: hands the change to it
 * (it reads the policy itself, as its user). -1 when no watch of this
 * table answers; else an exit code, everything printed.
 */
int confirm_via_watch(const char *policy, const char *table, unsigned seconds, bool quiet);

#endif
