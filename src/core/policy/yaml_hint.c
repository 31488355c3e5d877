// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hints for the YAML errors every new user makes, instead of libyaml's
 * scanner words (see yaml_hint.h).
 */
#include <string.h>

#include "vigil/ival.h"
#include "yaml_hint.h"

/* The text at 0-based line:column (columns count characters), or NULL. */
static const char *text_at(const char *buf, size_t len, size_t line, size_t col)
{
	size_t i = 0;

	for (size_t l = 0; l < line; l++) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			return NULL;
		i = (size_t)(nl - buf) + 1;
	}
	for (size_t c = 0; i < len && buf[i] != '\n'; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (c++ == col)
			return buf + i;
	}
	return NULL;
}

/* The value that starts at p, up to what ends a flow or block value. */
static int token_len(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && n < 64 && !strchr(" \t\r\n,]}#", p[n]))
		n++;
	return (int)n;
}

bool yaml_syntax_hint(const yaml_parser_t *p, const char *buf, size_t len, struct srcloc at,
			struct diags *d)
{
	const char *c = text_at(buf, len, p->problem_mark.line, p->problem_mark.column);
	const char *problem = p->problem ? p->problem : "";
	const char *context = p->context ? p->context : "";
	int n;

	if (strstr(problem, "tab character") || (c && *c == '\t' && strstr(problem, "cannot start"))) {
		diag_err(d, at, "a tab in the indentation: YAML does not allow tabs for indentation (indent with spaces)");
		return true;
	}
	if (!c)
		return false;
	n = token_len(c, buf + len);
	if ((*c == '@' || *c == '`') && strstr(problem, "cannot start")) {
		diag_err(d, at,
			 "YAML reserves '%c' at the start of a value: quote it: \"%.*s\"", *c, n, c);
		return true;
	}
	if (*c == ':' && strstr(problem, "did not find expected node content") &&
	    strstr(context, "flow")) {
		diag_err(d, at,
			 "quote IPv6 addresses that start with ':' in a flow list or mapping: \"%.*s\"", n,
			 c);
		return true;
	}
	if (strstr(context, "scanning a tag")) {
		/* libyaml stops after the tag: point at its '!' */
		for (const char *q = c; q > buf && q[-1] != '\n'; q--) {
			if (((unsigned char)q[-1] & 0xc0) != 0x80)
				at.col--;
			if (q[-1] == '!')
				break;
		}
		diag_err(d, at,
			 "YAML reads a value that starts with '!' as a tag (quote it to keep the '!'); if it is meant as a negation: %s",
			 NEGATION_WHY);
		return true;
	}
	return false;
}
