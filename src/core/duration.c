// SPDX-License-Identifier: GPL-2.0-or-later
/* Durations in journalctl's compact form and whole minutes (num.h). */
#include <errno.h>
#include <stdint.h>

#include "vigil/num.h"

int num_parse_duration(const char *s, int64_t *secs)
{
	int64_t total = 0, last = INT64_MAX;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		int64_t n = 0, unit;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			if (n > INT64_MAX / 10 - 9)
				return -ERANGE;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -EINVAL;
		}
		if (unit >= last)
			return -EINVAL; /* 1d1d, 1m1h */
		last = unit;
		if (n > (INT64_MAX / 4 - total) / unit)
			return -ERANGE;
		total += n * unit;
	}
	*secs = total;
	return 0;
}

int64_t num_floor_minute(int64_t t)
{
	return t - ((t % 60) + 60) % 60;
}
