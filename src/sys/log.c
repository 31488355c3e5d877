// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "vigil/log.h"

static char ident[48] = "vigild";
static bool journal;
static enum log_level max_level = LOG_LVL_INFO;

/* $JOURNAL_STREAM is "DEVICE:INODE" of the stream journald gave us; it is
 * inherited, so it counts only when stderr still is that stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *name)
{
	snprintf(ident, sizeof(ident), "%s", name);
	journal = stderr_is_journal();
}

void log_set_max_level(enum log_level max)
{
	max_level = max;
}

bool log_to_journal(void)
{
	return journal;
}

const char *log_level_word(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR:
		return "error";
	case LOG_LVL_WARNING:
		return "warning";
	case LOG_LVL_NOTICE:
		return "note";
	default:
		return "";
	}
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[2048];
	const char *word = log_level_word(lvl);
	size_t n;
	int k;

	if (lvl > max_level)
		return;
	if (journal)
		/* SD_ERR, SD_WARNING, ...: "<N>" */
		k = snprintf(buf, sizeof(buf), "<%d>", (int)lvl);
	else
		k = snprintf(buf, sizeof(buf), "%s: %s%s", ident, word, *word ? ": " : "");
	n = k < 0 ? 0 : (size_t)k;
	k = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (k > 0)
		n += (size_t)k < sizeof(buf) - n - 1 ? (size_t)k : sizeof(buf) - n - 2;
	/* one line: no embedded newlines reach the journal as extra records */
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere else to say it */
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
