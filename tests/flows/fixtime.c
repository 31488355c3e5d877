// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for the tests of 'vigild flows': time() returns $FIXTIME
 * (Unix seconds), so that "now" can be the first second of a minute.
 */
#include <stdlib.h>
#include <time.h>

time_t time(time_t *t)
{
	const char *s = getenv("FIXTIME");
	time_t v = s ? (time_t)strtoll(s, NULL, 10) : 0;

	if (t)
		*t = v;
	return v;
}
