// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The `log` key of a rule and of `defaults`: the kernel log (a scalar, as
 * ever) and the NFLOG records of refused traffic that watch keeps in the
 * flows DB (a mapping tunes them, `false` turns both off). See
 * vigil-policy(5), LOGGING.
 */
#include <string.h>
#include <strings.h>

#include "vigil/policy_yaml.h"
#include "vigil/util.h"
#include "check.h"

/* "N/second", "N/minute", "N/hour" or "N/day", 1 <= N <= LOG_MAX_RATE */
bool policy_parse_rate(const char *v, uint32_t *rate, uint32_t *unit)
{
	static const struct {
		const char *word;
		uint32_t secs;
	} units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 } };
	uint32_t n = 0;
	const char *p = v;

	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint32_t)(*p - '0');
		if (n > LOG_MAX_RATE)
			return false;
	}
	if (*p++ != '/')
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (streq(p, units[i].word)) {
			*rate = n;
			*unit = units[i].secs;
			return true;
		}
	return false;
}

/* The kernel log: true (the default limit), false, unlimited, or a rate. */
static bool kernel_log(const char *v, struct prule *r)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		r->log = true;
		r->log_rate = LOG_DEFAULT_RATE;
		r->log_unit = 1;
	} else if (!strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		r->log = false;
	} else if (streq(v, "unlimited")) {
		r->log = true;
	} else if (policy_parse_rate(v, &r->log_rate, &r->log_unit)) {
		r->log = true;
	} else {
		return false;
	}
	return true;
}

static bool is_false(const char *v)
{
	return !strcasecmp(v, "false") || !strcasecmp(v, "no");
}

static bool label_ok(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > NFLOG_LABEL_MAX)
		return false;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
			return false;
	return true;
}

static bool parse_burst(const char *v, uint32_t *out)
{
	uint32_t n = 0;

	if (*v < '1' || *v > '9')
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return false;
		n = n * 10 + (uint32_t)(*v - '0');
		if (n > NFLOG_MAX_BURST)
			return false;
	}
	*out = n;
	return true;
}

/* The NFLOG mapping {rate, burst, prefix, kernel} (keys checked by the
 * shape pass; r NULL for defaults, which take neither prefix nor kernel). */
static void log_map(struct ck *c, const struct ynode *m, struct plog *lg, struct prule *r)
{
	const struct ynode *v;

	lg->set = true;
	if ((v = ynode_get(m, "rate")) && v->kind == YN_SCALAR &&
	    !policy_parse_rate(v->val, &lg->rate, &lg->unit))
		diag_err(c->d, at(c, v),
			 "log rate must be like 50/second (1 to %u per second, minute, hour or day), not '%s'",
			 LOG_MAX_RATE, v->val);
	if ((v = ynode_get(m, "burst")) && v->kind == YN_SCALAR && !parse_burst(v->val, &lg->burst))
		diag_err(c->d, at(c, v), "log burst must be a number of packets from 1 to %u, not '%s'",
			 NFLOG_MAX_BURST, v->val);
	if ((v = ynode_get(m, "prefix")) && v->kind == YN_SCALAR) {
		if (!r)
			diag_err(c->d, at(c, v),
				 "prefix is for rules: default verdicts are logged as vigil:default:CHAIN");
		else if (!label_ok(v->val))
			diag_err(c->d, at(c, v),
				 "log prefix must be 1 to %u printable characters without '\"' or '\\', not '%s'",
				 NFLOG_LABEL_MAX, v->val);
		else
			lg->label = xstrdup(v->val);
	}
	if ((v = ynode_get(m, "kernel")) && v->kind == YN_SCALAR) {
		if (!r)
			diag_err(c->d, at(c, v), "kernel (the kernel log) is for rules, not defaults");
		else if (!kernel_log(v->val, r))
			diag_err(c->d, at(c, v),
				 "log kernel must be true, false, unlimited or a rate like 10/second, not '%s'",
				 v->val);
	}
}

void check_rule_log(struct ck *c, const char *scalar, const struct ynode *rn, struct prule *r)
{
	const struct ynode *n = ynode_get(rn, "log");

	if (scalar) {
		if (!kernel_log(scalar, r))
			diag_err(c->d, at(c, n),
				 "log must be true, false, unlimited, a rate like 10/second (1 to %u per second, minute, hour or day) or a mapping {rate, burst, prefix, kernel}, not '%s'",
				 LOG_MAX_RATE, scalar);
		else if (is_false(scalar))
			r->nflog.set = r->nflog.off = true;
		return;
	}
	if (!n || n->kind != YN_MAP || n->bad)
		return;
	if (r->action == VERDICT_ACCEPT && (ynode_get(n, "rate") || ynode_get(n, "burst") ||
					    ynode_get(n, "prefix"))) {
		diag_err(c->d, at(c, n),
			 "log rate, burst and prefix are for drop and reject rules (accepted connections are recorded from conntrack); use log: {kernel: true} for the kernel log");
		return;
	}
	log_map(c, n, &r->nflog, r);
}

void check_defaults_log(struct ck *c, const char *scalar, const struct ynode *dn)
{
	const struct ynode *n = ynode_get(dn, "log");

	if (scalar) {
		if (is_false(scalar))
			c->pol->nflog.set = c->pol->nflog.off = true;
		else if (!strcasecmp(scalar, "true") || !strcasecmp(scalar, "yes"))
			c->pol->nflog.set = true;
		else
			diag_err(c->d, at(c, n),
				 "defaults log must be true, false or a mapping {rate, burst}, not '%s'",
				 scalar);
		return;
	}
	if (n && n->kind == YN_MAP && !n->bad)
		log_map(c, n, &c->pol->nflog, NULL);
}
