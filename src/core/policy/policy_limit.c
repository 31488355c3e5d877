// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A rule's rate limits:
 *   limit: "10/second", "10/second burst 20", "1 mbytes/second burst 100 kbytes"
 *   per-source: true      one bucket per source address (a dynamic set)
 *   ct-count: 20          at most 20 connections per source address
 *   over: drop | reject   what happens to packets over the limit or count
 * The compiler puts a rule matching what is over before the rule itself
 * (lower.c), so packets within the limit go on to the rule's action.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/util.h"
#include "check.h"

static const struct {
	const char *word;
	uint32_t secs;
} lim_units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 } };

static const struct {
	const char *word;
	uint64_t mul;
} byte_units[] = { { "bytes", 1 }, { "kbytes", 1024 }, { "mbytes", 1024 * 1024 } };

/* A decimal number without leading zeros; *p moves past it. */
static bool number(const char **p, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	const char *s = *p;

	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > max)
			return false;
	}
	*p = s;
	*out = n;
	return true;
}

/* "WORD" of a table at *p, followed by end, ' ' or '/'. */
static int word_of(const char **p, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]);
		if (!strncmp(*p, words[i], l) && ((*p)[l] == '\0' || (*p)[l] == ' ' || (*p)[l] == '/')) {
			*p += l;
			return (int)i;
		}
	}
	return -1;
}

static const char *const unit_words[] = { "second", "minute", "hour", "day" };
static const char *const byte_words[] = { "bytes", "kbytes", "mbytes" };

static bool parse_limit(const char *v, struct plimit *l)
{
	const char *p = v;
	uint64_t n, b;
	int u, bu = -1;

	if (!number(&p, LIMIT_MAX_BYTES, &n))
		return false;
	if (*p == ' ') {
		p++;
		if ((bu = word_of(&p, byte_words, 3)) < 0)
			return false;
		l->bytes = true;
		n *= byte_units[bu].mul;
	}
	if (*p++ != '/' || (u = word_of(&p, unit_words, 4)) < 0)
		return false;
	if (l->bytes ? n > LIMIT_MAX_BYTES : n > LIMIT_MAX_PACKETS)
		return false;
	l->per = n;
	l->unit = lim_units[u].secs;
	if (!*p)
		return true;
	if (strncmp(p, " burst ", 7))
		return false;
	p += 7;
	if (!number(&p, l->bytes ? LIMIT_MAX_BURST_BYTES : LIMIT_MAX_BURST, &b))
		return false;
	if (l->bytes) {
		if (*p++ != ' ' || (bu = word_of(&p, byte_words, 3)) < 0)
			return false;
		b *= byte_units[bu].mul;
		if (b > LIMIT_MAX_BURST_BYTES)
			return false;
	}
	l->burst = (uint32_t)b;
	return !*p;
}

static bool boolean(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no"))
		*out = false;
	else
		return false;
	return true;
}

void check_limit(struct ck *c, const struct pdoc_rule *dr, const struct ynode *rn, struct prule *r)
{
	struct plimit *l = &r->limit;
	uint64_t n;
	const char *p;

	l->over = VERDICT_DROP;
	if (dr->limit) {
		l->rate = parse_limit(dr->limit, l);
		if (l->rate && !l->bytes && !l->burst)
			l->burst = LOG_BURST; /* nft's default: 5 packets */
		if (!l->rate)
			diag_err(c->d, at(c, ynode_get(rn, "limit")),
				 "limit must be a rate N/second (minute, hour, day; up to %u packets a second) or N bytes/second (kbytes, mbytes), optionally followed by 'burst M' (packets) or 'burst M kbytes', not '%s'",
				 LIMIT_MAX_PACKETS, dr->limit);
	}
	if (dr->per_source && !boolean(dr->per_source, &l->per_source))
		diag_err(c->d, at(c, ynode_get(rn, "per-source")), "per-source must be true or false, not '%s'",
			 dr->per_source);
	if (l->per_source && !dr->limit)
		diag_err(c->d, at(c, ynode_key(rn, "per-source")),
			 "'per-source' needs 'limit' (it gives each source address its own limit)");
	if (dr->ct_count) {
		p = dr->ct_count;
		if (!number(&p, CT_COUNT_MAX, &n) || *p)
			diag_err(c->d, at(c, ynode_get(rn, "ct-count")),
				 "ct-count must be a number of connections from 1 to %u, not '%s'", CT_COUNT_MAX,
				 dr->ct_count);
		else
			l->ct_count = (uint32_t)n;
	}
	if (dr->over) {
		if (streq(dr->over, "drop"))
			l->over = VERDICT_DROP;
		else if (streq(dr->over, "reject"))
			l->over = VERDICT_REJECT;
		else
			diag_err(c->d, at(c, ynode_get(rn, "over")),
				 "over must be drop or reject, not '%s'", dr->over);
		if (!dr->limit && !dr->ct_count)
			diag_err(c->d, at(c, ynode_key(rn, "over")),
				 "'over' needs 'limit' or 'ct-count' (it is what happens to packets over them)");
	}
	if ((dr->limit || dr->ct_count) && dr->action && !streq(dr->action, "accept"))
		diag_err(c->d, at(c, ynode_key(rn, dr->limit ? "limit" : "ct-count")),
			 "'%s' limits what a rule accepts: it needs action accept, not %s",
			 dr->limit ? "limit" : "ct-count", dr->action);
}
