/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PSEP_H
#define VIGIL_PSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/nlreply.h"

/*
 * Privilege separation. The process that reads untrusted input (YAML, set
 * files, conntrack events) holds no capabilities; a forked commit helper
 * keeps only CAP_NET_ADMIN, runs as the same unprivileged user under
 * no_new_privs and a seccomp allow-list, and sends to the kernel only
 * batches that batch_verify() confines to vigild's own table.
 */

struct psep_ids {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/*
 * Resolves the unprivileged user: `name` if given (error if unknown), else
 * "vigil", else "nobody". When we are not root, the current ids are kept.
 */
int psep_resolve_user(const char *name, struct psep_ids *ids, char *why, size_t whylen);

/* True when the process can run the privileged verbs (CAP_NET_ADMIN). */
bool psep_can_admin(void);

struct psep {
	pid_t pid;
	int fd;
};

/*
 * Forks the commit helper for table `table` and waits until it runs with
 * only CAP_NET_ADMIN under seccomp. Call before reading anything untrusted
 * and before starting threads. The helper replaces or deletes an existing
 * table only when it carries vigild's mark (IR_TABLE_MARK), unless `force`.
 * Returns 0, or a negative errno with why.
 */
int psep_start(struct psep *p, const char *table, bool force, const struct psep_ids *ids,
	       char *why, size_t whylen);

/*
 * Drops every capability of the calling (main) process, switches to ids,
 * sets no_new_privs. Exits nothing: returns 0 or a negative errno, with the
 * reason in why. Call once psep_start returned and privileged files are open.
 */
int psep_drop(const struct psep_ids *ids, char *why, size_t whylen);

/*
 * Asks the helper to commit (or, validate_only, to let the kernel check
 * without committing) a batch. Returns 0 when the batch reached the kernel
 * (res holds its answer), -EPERM when the helper refused it (why says why),
 * other negative errnos for failures (why says what).
 */
int psep_commit(struct psep *p, const void *batch, size_t len, bool validate_only,
		struct nl_result *res, char *why, size_t whylen);

/* The ruleset generation, read by the helper. */
int psep_getgen(struct psep *p, uint32_t *genid);

/* The kernel's conntrack "insert" statistic (summed over CPUs), read by the
 * helper: the request needs CAP_NET_ADMIN in the sending process. */
int psep_ct_inserts(struct psep *p, uint64_t *inserts);

/*
 * Closes the channel and reaps the helper. Returns its exit status or -1.
 * With !wait, returns at once (init reaps the helper): releasing its
 * nf_tables socket makes the kernel first finish freeing the previous
 * ruleset (NETLINK_URELEASE flushes the deferred destroy work), up to a
 * second or so, which a stopping watcher need not wait for. apply and
 * remove wait, so the helper's CPU time counts in theirs.
 */
int psep_stop(struct psep *p, bool wait);

#endif
