/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TESTS_ORACLE_H
#define VIGIL_TESTS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is every message of the batch within what vigild may send for table t?
 * (Not the verifier: a second, independent statement of its guarantee.) */
bool oracle(const uint8_t *buf, size_t len, const char *t);
/* After a refusal: which message ("message N, type T"). */
extern char oracle_why[64];

#endif
