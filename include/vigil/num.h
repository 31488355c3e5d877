/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NUM_H
#define VIGIL_NUM_H

#include <stdint.h>

/*
 * Checked parsing of unsigned numbers for command-line options (--retention,
 * --ct-buffer, numeric --user ids, limits): strtoull accepts a sign, leading
 * spaces and "0x", wraps "-1" to 2^64 - 1, and a unit suffix multiplied in
 * afterwards can overflow silently ("18014398509481988K" is 4096). This
 * takes decimal digits only, then at most one suffix from a table, and
 * checks every step.
 */

/* A unit suffix and what it multiplies by; tables end with { NULL, 0 }.
 * A row with suffix "" gives the unit of a bare number (else: 1). */
struct num_unit {
	const char *suffix;
	uint64_t mult;
};

/* Bytes: K, M, G (also k, m, g, KiB, MiB, GiB): powers of 1024. */
extern const struct num_unit num_size_units[];
/* Seconds: s, m (minutes), h, d; a bare number is days (--retention). */
extern const struct num_unit num_days_units[];
/* Seconds: s, m, h, d; a bare number is seconds (--confirm). */
extern const struct num_unit num_secs_units[];

/*
 * Parses s: decimal digits without a leading zero, then optionally one suffix of units
 * (exact match; units NULL: none allowed), times that unit, which must lie
 * in [min, max]. Returns 0 with *out set, -EINVAL when s is not such a
 * number (empty, a sign, a space, a leading zero, another suffix, a fraction), -ERANGE when
 * it is one but overflows 64 bits or lies outside [min, max]. *out is not
 * touched on error. Pure.
 */
int num_parse_unit(const char *s, const struct num_unit *units, uint64_t min, uint64_t max,
	      uint64_t *out);

/*
 * A duration back from now, as `vigild flows` and GET /v1/flows take it:
 * one or more NUMBER UNIT pairs, units s, m, h, d, w, the larger ones
 * first and each at most once (90s, 30m, 1h30m, 2d, 1w). Returns 0 with
 * *secs set, -EINVAL when s is not such a duration (empty, a sign, a
 * space, no unit, another unit, 1m1h, 1d1d), -ERANGE when the total
 * exceeds INT64_MAX / 4 seconds (so that now - total cannot overflow).
 * *secs is not touched on error. Pure.
 */
int num_parse_duration(const char *s, int64_t *secs);

/* t rounded down to a whole minute (also for negative t). */
int64_t num_floor_minute(int64_t t);

#endif
