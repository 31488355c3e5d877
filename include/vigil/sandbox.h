/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_SANDBOX_H
#define VIGIL_SANDBOX_H

/*
 * Confines the calling (unprivileged main) process with a seccomp
 * allow-list (src/sys/sandbox.c lists it; docs/SECURITY.md explains it).
 * Needs no_new_privs (psep_drop sets it). Applies to every thread started
 * afterwards. Returns 0 or a negative errno.
 */
int sandbox_main(void);

#include <stdbool.h>
#include <stddef.h>

/* The commit helper's descriptors its seccomp filter ties calls to. */
struct sandbox_helper_fds {
	int peer;  /* the socketpair to the main process: read, write */
	int nl;    /* its NETLINK_NETFILTER socket: sendto, recvfrom, sendmsg,
		    * setsockopt(SOL_SOCKET, SO_SNDBUF[FORCE]) */
	int runfd; /* a rollback guard's run directory, or -1 */
	int logfd; /* a rollback guard's journal stream (dup2'd to stderr), or -1 */
};
/*
 * The commit helper's seccomp allow-list (src/sys/helper_seccomp.c; the
 * table is in docs/SECURITY.md), default kill: calls tied to the
 * descriptors in f; guard (apply's helper with a run directory) adds what
 * a rollback guard does, and lets it write to any of its descriptors.
 * Needs no_new_privs. Returns 0 or a negative errno.
 */
int sandbox_helper(const struct sandbox_helper_fds *f, bool guard);

/* how many directories a verb may name as writable (psep_setup_opts) */
#define SANDBOX_MAX_RW_DIRS 8

/*
 * Landlock: from now on this process and its threads may write, create,
 * rename, remove (and never execute) files only beneath rw_dirs (n of
 * them, NULL entries and missing directories skipped). Reading is not
 * limited here (sandbox_landlock_reads). Sets no_new_privs. Returns 0, 1 when the kernel has no Landlock
 * (why says so: log it at info and go on), or a negative errno (why says
 * what failed).
 */
int sandbox_landlock(const char *const *rw_dirs, size_t n, char *why, size_t whylen);
/*
 * Landlock, stacked on the above: from now on this process and its threads
 * may read files and list directories only beneath dirs (n of them, NULL
 * entries and missing directories skipped), /proc, and /dev/urandom.
 * Needs no_new_privs (psep_drop sets it). Returns 0, 1 when the kernel has
 * no Landlock (why says so), or a negative errno (why says what failed).
 */
int sandbox_landlock_reads(const char *const *dirs, size_t n, char *why, size_t whylen);
/* The kernel's Landlock ABI version, or a negative errno. */
int sandbox_landlock_abi(void);
/* The test hook VIGIL_SANDBOX_PROBE (src/sys/landlock.c). */
void sandbox_probe(void);
/* ... and VIGIL_SANDBOX_READ_PROBE, the same for reading. */
void sandbox_probe_reads(void);

#endif
