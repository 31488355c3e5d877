// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flows database replayed against a policy (replay.h). The database
 * holds the connections conntrack created, per minute, with the rule that
 * admitted each: they are summed per (family, proto, src, dst, dport)
 * first, so each is evaluated once whatever the window.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"
#include "vigil/explain.h"
#include "vigil/flowdb.h"
#include "vigil/names.h"
#include "vigil/state.h"

struct conn {
	int family, proto, dport;
	char *src, *dst, *rule;
	uint64_t flows;
	bool refused;  /* a sampled attempt the recorded policy refused */
};

struct collect {
	struct conn *v;
	size_t n, cap;
	uint64_t skipped;
	uint64_t translated;
};

static int collect_cb(void *ctx, const struct flowdb_row *row)
{
	struct collect *c = ctx;
	bool refused = row->verdict && !streq(row->verdict, "accept");

	if (!row->src || !row->src[0]) {
		c->skipped += row->flows;
		return 0;
	}
	/* sent elsewhere by a dnat: the filter chains saw another destination
	 * than the one recorded, and another policy may translate otherwise
	 * (revoke leaves such connections alone too) */
	if (row->nat_dst) {
		c->translated += row->flows;
		return 0;
	}
	/* rows of one connection group come in any order: a linear search
	 * over what was seen (the window's distinct connections) */
	for (size_t i = c->n; i-- > 0;) {
		struct conn *x = &c->v[i];
		if (x->family == row->family && x->proto == row->proto && x->dport == row->dport &&
		    x->refused == refused && streq(x->src, row->src) && streq(x->dst, row->dst) &&
		    streq(x->rule, row->rule ? row->rule : "")) {
			x->flows += row->flows;
			return 0;
		}
	}
	GROW(c->v, c->cap, c->n + 1);
	c->v[c->n++] = (struct conn){ row->family, row->proto, row->dport, xstrdup(row->src),
				      xstrdup(row->dst ? row->dst : ""), xstrdup(row->rule ? row->rule : ""),
				      row->flows, refused };
	return 0;
}

static const struct lockout_local *local_of(const struct lockout_local *l, size_t n, int family, u128 a)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].family == family && l[i].addr == a)
			return &l[i];
	return NULL;
}

/* The packet that opened c, and the chain it met; false when unreadable. */
static bool packet_of(const struct conn *c, const struct lockout_local *locals, size_t nl,
		      struct ir_pkt *p, enum chain_id *hook)
{
	enum addr_family f1, f2;
	struct ival s, d;
	const char *why;
	const struct lockout_local *ls, *ld;

	memset(p, 0, sizeof(*p));
	if (addr_parse(c->src, &f1, &s, &why) < 0 || addr_parse(c->dst, &f2, &d, &why) < 0 || f1 != f2)
		return false;
	p->family = f1;
	p->saddr = s.lo;
	p->daddr = d.lo;
	p->l4proto = (uint8_t)c->proto;
	p->ct = IR_CT_NEW;
	if (c->proto == IPPROTO_ICMP || c->proto == IPPROTO_ICMPV6)
		p->icmp_type = (uint8_t)c->dport;
	else {
		p->dport = (uint16_t)c->dport;
		p->sport = 40000; /* not recorded; vigild's rules seldom look at it */
	}
	ld = local_of(locals, nl, p->family, p->daddr);
	ls = local_of(locals, nl, p->family, p->saddr);
	*hook = ld ? CH_INPUT : ls ? CH_OUTPUT : CH_FORWARD;
	if (ld)
		memcpy(p->iif, ld->ifname, sizeof(p->iif));
	if (ls)
		memcpy(p->oif, ls->ifname, sizeof(p->oif));
	return true;
}

static void add_group(struct replay_group **v, size_t *n, const char *what, const char *why,
		      uint64_t flows)
{
	for (size_t i = 0; i < *n; i++)
		if (streq((*v)[i].what, what) && streq((*v)[i].why, why)) {
			(*v)[i].flows += flows;
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = (struct replay_group){ xstrdup(what), xstrdup(why), flows };
}

static int by_flows(const void *a, const void *b)
{
	const struct replay_group *x = a, *y = b;

	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->what, y->what);
}

static void target(struct strbuf *sb, const struct conn *c)
{
	const char *pn = l4proto_name((unsigned)c->proto);

	if (c->proto == IPPROTO_ICMP || c->proto == IPPROTO_ICMPV6) {
		const char *tn = icmp_type_name(c->proto == IPPROTO_ICMPV6, (unsigned)c->dport);
		sb_printf(sb, "%s to %s %s", c->src, c->proto == IPPROTO_ICMPV6 ? "icmpv6" : "icmp",
			  tn ? tn : "?");
	} else if (pn) {
		sb_printf(sb, "%s to %s/%d", c->src, pn, c->dport);
	} else {
		sb_printf(sb, "%s to protocol %d", c->src, c->proto);
	}
}

static void judge(const struct conn *c, const struct policy *pol, const struct ir_table *t,
		  const struct lockout_local *locals, size_t nl, struct replay *out)
{
	struct ir_pkt p;
	struct ir_outcome o;
	enum chain_id hook;
	struct strbuf what = { 0 }, why = { 0 };

	if (!packet_of(c, locals, nl, &p, &hook) || ir_explain(pol, t, hook, &p, &o) < 0) {
		out->skipped += c->flows;
		return;
	}
	if (c->refused) { /* what the recorded policy refused: would this one admit it? */
		out->attempts += c->flows;
		if (o.verdict == IV_ACCEPT) {
			target(&what, c);
			if (o.policy || !o.comment)
				ir_outcome_format(&why, pol, hook, &o);
			else
				sb_printf(&why, "rule %s", o.comment);
			sb_printf(&why, ", was %s", c->rule[0] ? c->rule : "refused");
			out->admitted += c->flows;
			add_group(&out->ad, &out->nad, what.s, why.s, c->flows);
		}
		sb_free(&what);
		sb_free(&why);
		return;
	}
	out->total += c->flows;
	if (o.verdict != IV_ACCEPT) {
		target(&what, c);
		sb_printf(&why, "%s: ", ir_verdict_word(o.verdict));
		ir_outcome_format(&why, pol, hook, &o);
		out->refused += c->flows;
		add_group(&out->g, &out->ng, what.s, why.s, c->flows);
	} else if (c->rule[0] && !o.policy && o.comment && !streq(o.comment, c->rule)) {
		target(&what, c);
		sb_printf(&why, "rule %s, was %s", o.comment, c->rule);
		out->moved += c->flows;
		add_group(&out->mv, &out->nmv, what.s, why.s, c->flows);
	}
	sb_free(&what);
	sb_free(&why);
}

int replay_run(const char *db, int64_t since, int64_t until, const struct policy *pol,
	       const struct ir_table *t, const struct lockout_local *locals, size_t nlocals,
	       struct replay *out, char *err)
{
	struct flowdb *h = NULL;
	struct flowdb_query q = { .since = since, .until = until, .by = FLOWDB_BY_NONE };
	struct collect c = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	r = flowdb_open(db, FLOWDB_RDONLY, &h, err);
	if (r < 0)
		return r;
	r = flowdb_query(h, &q, collect_cb, &c);
	if (r < 0)
		snprintf(err, FLOWDB_ERRLEN, "%s", flowdb_errmsg(h));
	flowdb_close(h);
	out->skipped = c.skipped;
	out->translated = c.translated;
	for (size_t i = 0; i < c.n; i++) {
		if (r >= 0)
			judge(&c.v[i], pol, t, locals, nlocals, out);
		free(c.v[i].src);
		free(c.v[i].dst);
		free(c.v[i].rule);
	}
	free(c.v);
	qsort(out->g, out->ng, sizeof(*out->g), by_flows);
	qsort(out->mv, out->nmv, sizeof(*out->mv), by_flows);
	qsort(out->ad, out->nad, sizeof(*out->ad), by_flows);
	return r < 0 ? r : 0;
}

void replay_free(struct replay *r)
{
	for (size_t i = 0; i < r->ng; i++) {
		free(r->g[i].what);
		free(r->g[i].why);
	}
	for (size_t i = 0; i < r->nmv; i++) {
		free(r->mv[i].what);
		free(r->mv[i].why);
	}
	for (size_t i = 0; i < r->nad; i++) {
		free(r->ad[i].what);
		free(r->ad[i].why);
	}
	free(r->g);
	free(r->mv);
	free(r->ad);
	memset(r, 0, sizeof(*r));
}

static void window_words(char *buf, size_t len, int64_t w)
{
	if (w % 86400 == 0)
		snprintf(buf, len, "%lld day%s", (long long)(w / 86400), w == 86400 ? "" : "s");
	else if (w % 3600 == 0)
		snprintf(buf, len, "%lld hour%s", (long long)(w / 3600), w == 3600 ? "" : "s");
	else
		snprintf(buf, len, "%lld minutes", (long long)((w + 59) / 60));
}

void replay_summary(FILE *f, const struct replay *r, int64_t window)
{
	char w[32];

	window_words(w, sizeof(w), window);
	if (!r->refused) {
		fprintf(f, "would refuse none of the %llu connections seen in the last %s\n",
			(unsigned long long)r->total, w);
		return;
	}
	fprintf(f, "would refuse %llu of the %llu connections seen in the last %s:",
		(unsigned long long)r->refused, (unsigned long long)r->total, w);
	for (size_t i = 0; i < r->ng && i < 3; i++)
		fprintf(f, "%s %llu from %s (%s)", i ? "," : "", (unsigned long long)r->g[i].flows,
			r->g[i].what, r->g[i].why);
	fprintf(f, "%s\n", r->ng > 3 ? ", ..." : "");
}

/* the second line of the summary: what it would let in that was refused */
static void admitted_summary(FILE *f, const struct replay *r)
{
	if (!r->admitted)
		return;
	fprintf(f, "would newly admit %llu of the %llu refused attempts sampled:",
		(unsigned long long)r->admitted, (unsigned long long)r->attempts);
	for (size_t i = 0; i < r->nad && i < 3; i++)
		fprintf(f, "%s %llu from %s (%s)", i ? "," : "", (unsigned long long)r->ad[i].flows,
			r->ad[i].what, r->ad[i].why);
	fprintf(f, "%s\n", r->nad > 3 ? ", ..." : "");
}

void replay_print(FILE *f, const struct replay *r, int64_t window)
{
	replay_summary(f, r, window);
	for (size_t i = 0; i < r->ng; i++)
		fprintf(f, "  refused %8llu  from %s  (%s)\n", (unsigned long long)r->g[i].flows,
			r->g[i].what, r->g[i].why);
	if (r->nmv)
		fprintf(f, "admitted by another rule: %llu connections\n", (unsigned long long)r->moved);
	for (size_t i = 0; i < r->nmv; i++)
		fprintf(f, "  moved   %8llu  from %s  (%s)\n", (unsigned long long)r->mv[i].flows,
			r->mv[i].what, r->mv[i].why);
	if (r->attempts)
		fprintf(f, "would newly admit %llu of the %llu refused attempts sampled (NFLOG, rate-limited: a sample, not every attempt)\n",
			(unsigned long long)r->admitted, (unsigned long long)r->attempts);
	for (size_t i = 0; i < r->nad; i++)
		fprintf(f, "  admitted %7llu  from %s  (%s)\n", (unsigned long long)r->ad[i].flows,
			r->ad[i].what, r->ad[i].why);
	if (r->skipped)
		fprintf(f, "not replayed: %llu connections whose source was aggregated away\n",
			(unsigned long long)r->skipped);
	if (r->translated)
		fprintf(f, "not replayed: %llu connections a dnat or redirect sent elsewhere (nat_dst)\n",
			(unsigned long long)r->translated);
}

const char *replay_default_db(char *buf, size_t len)
{
	snprintf(buf, len, "%s/flows.db", state_dir_path());
	return buf;
}

void replay_apply_summary(const char *db, const struct policy *pol, const struct ir_table *t,
			  const struct lockout_local *locals, size_t nlocals)
{
	struct replay rp;
	char err[FLOWDB_ERRLEN] = "";
	int64_t now = time(NULL), window = 7 * 86400;
	char def[512];
	const char *path = db ? db : replay_default_db(def, sizeof(def));

	if (!db && access(path, F_OK) < 0)
		return; /* no flows database here: nothing to say */
	if (replay_run(path, (now - window) / 60 * 60, now / 60 * 60 + 60, pol, t, locals, nlocals, &rp,
		       err) < 0) {
		cli_warn("cannot replay the flows database %s against the policy: %s", path, err);
		return;
	}
	replay_summary(stdout, &rp, window);
	admitted_summary(stdout, &rp);
	replay_free(&rp);
}
