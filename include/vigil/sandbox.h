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

#endif
