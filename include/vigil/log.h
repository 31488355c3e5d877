/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/*
 * The daemon's log: one line per event on stderr. When stderr is the
 * journal (systemd sets $JOURNAL_STREAM to its device:inode), each line
 * starts with its syslog priority as sd-daemon(3) defines it ("<3>" error,
 * "<4>" warning, "<6>" info), which journald stores as the line's
 * priority; on a terminal the line reads "vigild watch: warning: ...".
 * Lines are written with one write(2) each, so two processes (main and
 * helper) never interleave within a line.
 */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Names the process in terminal lines ("vigild watch"); call once. Also
 * decides, from $JOURNAL_STREAM, whether stderr is the journal. */
void log_init(const char *ident);
/* Lines below this level are not written (default: info). */
void log_set_max_level(enum log_level max);
bool log_to_journal(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#define log_error(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)

/* The word for a level in terminal lines: "error", "warning", "" ... */
const char *log_level_word(enum log_level lvl);

#endif
