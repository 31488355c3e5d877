// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "vigil/num.h"

const struct num_unit num_size_units[] = {
	{ "K", 1ull << 10 }, { "M", 1ull << 20 }, { "G", 1ull << 30 },
	{ "k", 1ull << 10 }, { "m", 1ull << 20 }, { "g", 1ull << 30 },
	{ "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
	{ NULL, 0 },
};

const struct num_unit num_days_units[] = {
	{ "", 86400 }, { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 },
	{ NULL, 0 },
};

int num_parse_unit(const char *s, const struct num_unit *units, uint64_t min, uint64_t max,
	      uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	bool big = false;
	size_t i = 0;

	if (!s || s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -EINVAL; /* no sign, no space, no leading zero */
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			big = true; /* keep reading: a bad suffix is -EINVAL all the same */
		else
			v = v * 10 + d;
	}
	if (units) {
		const struct num_unit *u, *found = NULL;
		for (u = units; u->suffix; u++) {
			if (!strcmp(u->suffix, s + i))
				found = u;
			if (!u->suffix[0])
				mult = u->mult; /* a bare number's unit */
		}
		if (!found && s[i])
			return -EINVAL;
		if (found)
			mult = found->mult;
	} else if (s[i]) {
		return -EINVAL;
	}
	if (big || (mult && v > UINT64_MAX / mult))
		return -ERANGE;
	v *= mult;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
