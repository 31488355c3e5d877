/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to privilege separation (psep.c: the main process's side,
 * helper.c: the helper). */
#ifndef VIGIL_PSEP_INT_H
#define VIGIL_PSEP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/psep.h"

/* The helper's end of the socketpair, after the exec. */
#define PSEP_HELPER_FD 3

/* Helper flags (argv[6]). */
enum {
	PSEP_HF_FORCE = 1u << 0, /* replace or delete a table vigild did not make */
};

int psep_write_full(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; -EPIPE on end of file. */
int psep_read_full(int fd, void *buf, size_t len);
/* Header + a + b, one message. */
int psep_send_msg(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen);

/*
 * Leaves the calling process with only `keep` (-1: nothing) in its
 * effective and permitted sets, as ids, no ambient capabilities, an empty
 * bounding set when it may clear it, and no_new_privs.
 */
int psep_drop_to(int keep, const struct psep_ids *ids, char *why, size_t whylen);

#endif
