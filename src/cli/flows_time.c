// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild flows: time arguments, journalctl-style (flows.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flows.h"
#include "vigil/num.h"
#include "vigil/util.h"

const char flows_time_forms[] =
	"a duration back from now (90s, 30m, 1h, 2d, 1w, 1h30m, or -1h as journalctl "
	"writes it), 'now', 'today', 'yesterday', 'tomorrow' (midnight UTC), a time "
	"today (10:30, 10:30:20), a date and time (2026-12-01, '2026-12-01 10:00', "
	"2026-12-01T10:00:00Z, +02:00 for another zone; UTC unless a zone is given) "
	"or Unix seconds (1700000000, @1700000000)";

/* YYYY-MM-DD[(T| )HH:MM[:SS]][Z|(+|-)HH[:]MM]; no zone = UTC. */
static int flows_iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, zh, zm;
	int64_t off = 0;
	struct tm tm = { 0 }, chk;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	s += n;
	if (*s == 'T' || *s == ' ') {
		n = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -EINVAL;
		s += 1 + n;
		if (*s == ':') {
			n = 0;
			if (sscanf(s + 1, "%2d%n", &sec, &n) != 1 || n != 2)
				return -EINVAL;
			s += 1 + n;
		}
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;

		n = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &zh, &zm, &n) == 2 && n == 5)
			s += 1 + n;
		else if (n = 0, sscanf(s + 1, "%2d%2d%n", &zh, &zm, &n) == 2 && n == 4)
			s += 1 + n;
		else
			return -EINVAL;
		if (zh > 23 || zm > 59)
			return -EINVAL;
		off = sign * (zh * 3600 + zm * 60);
	}
	if (*s)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalises 2024-02-31 to March: refuse dates that moved */
	if (!gmtime_r(&t, &chk) || chk.tm_mday != d || chk.tm_mon != mo - 1)
		return -EINVAL;
	*out = (int64_t)t - off;
	return 0;
}

int flows_time(const char *s, int64_t now, int64_t *out)
{
	int64_t v;
	char *end;

	if (streq(s, "now")) {
		*out = now;
		return 0;
	}
	/* journalctl: today, yesterday, tomorrow are midnights (UTC here) */
	if (streq(s, "today") || streq(s, "yesterday") || streq(s, "tomorrow")) {
		int64_t day = now - ((now % 86400) + 86400) % 86400;
		*out = day + (streq(s, "yesterday") ? -86400 : streq(s, "tomorrow") ? 86400 : 0);
		return 0;
	}
	/* journalctl's -1h: the same as 1h */
	if (*s == '-' && s[1] >= '0' && s[1] <= '9' && num_parse_duration(s + 1, &v) == 0) {
		*out = now - v;
		return 0;
	}
	if (*s == '@' || (*s >= '0' && *s <= '9' && strspn(s, "0123456789") == strlen(s))) {
		const char *num = *s == '@' ? s + 1 : s;

		if (*num < '0' || *num > '9')
			return -EINVAL;
		errno = 0;
		v = strtoll(num, &end, 10);
		if (errno || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (strlen(s) >= 10 && s[4] == '-')
		return flows_iso8601(s, out);
	/* HH:MM[:SS]: that time today (UTC) */
	if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
	    strlen(s) <= 8 && !strpbrk(s, "Z+-")) {
		char day[32], iso[48];
		time_t tt = (time_t)now;
		struct tm tm;

		if (!gmtime_r(&tt, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
			return -EINVAL;
		snprintf(iso, sizeof(iso), "%sT%s", day, s);
		return flows_iso8601(iso, out);
	}
	if (num_parse_duration(s, &v) < 0)
		return -EINVAL;
	*out = now - v;
	return 0;
}

