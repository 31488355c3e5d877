/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup attribute helpers (systemd style). Destructors accept NULL. */
#define _cleanup_(f) __attribute__((cleanup(f)))
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _tp = (p);                                       \
		(p) = NULL;                                                    \
		_tp;                                                           \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

void closep(int *fd);
#define _cleanup_close_ _cleanup_(closep)

/*
 * Allocation failure is not recoverable in any useful way for a one-shot
 * compiler: these print one line and exit(3) ("system failure") before
 * anything is sent to the kernel. This is the only output core code makes.
 */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow *arr (holding *n elements) to hold at least need elements. */
void grow(void **arr, size_t *cap, size_t need, size_t elsize);
#define GROW(arr, cap, need) grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* A growable string buffer. */
struct strbuf {
	char *s;
	size_t len, cap;
};
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putn(struct strbuf *sb, const char *s, size_t n);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (owned by the caller) and resets the buffer. */
char *sb_take(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/*
 * Edits between two words (optimal string alignment: a swap of neighbours
 * counts as one, so "dprot" is one edit from "dport"); 99 for words of 63
 * characters or more. For did-you-mean suggestions.
 */
unsigned edit_distance(const char *a, const char *b);

/*
 * Did-you-mean: collects the candidates closest to what was typed, and only
 * those close enough to be a likely typo: at most max(1, n / 3) edits for
 * words of up to n characters (the longer of the two), compared without
 * regard to ASCII case ("to" is not close to "log", "ouptut" is close to
 * "output", "INPUT" to "input"). Ties are all kept, up to SUGGEST_MAX.
 * Candidates are borrowed.
 */
#define SUGGEST_MAX 3
struct suggest {
	const char *typed;
	const char *v[SUGGEST_MAX];
	size_t n;
	unsigned best;
};
void suggest_init(struct suggest *s, const char *typed);
void suggest_try(struct suggest *s, const char *cand);
/* "; did you mean 'a'?" or "; did you mean 'a' or 'b'?" (with prefix
 * before each name, e.g. "@"), or nothing when no candidate was close. */
void suggest_format(const struct suggest *s, const char *prefix, struct strbuf *out);

static inline bool streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}

#endif
