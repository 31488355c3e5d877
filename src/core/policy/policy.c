// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checked policy's own helpers: names, address families, freeing, and
 * the whole front-end pipeline for one buffer.
 */
#include <errno.h>
#include <string.h>

#include "vigil/names.h"
#include "vigil/policy.h"

const char *chain_name(enum chain_id c)
{
	static const char *const n[] = { "input", "forward", "output" };
	return c < CH_MAX ? n[c] : "?";
}

const char *verdict_name(enum verdict v)
{
	static const char *const n[] = { "accept", "drop", "reject" };
	return n[v];
}

bool valid_name(const char *s, bool digit_first)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (digit_first && s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

const char *table_name_problem(const char *s)
{
	if (!valid_name(s, false))
		return "use a lower-case letter, then up to 31 letters, digits, '_' or '-'";
	if (nft_keyword(s))
		return "it is a keyword of nft's language, which nft cannot read as a name; choose another";
	return NULL;
}

unsigned paddr_families(const struct paddr *pa, unsigned empty_set)
{
	unsigned f = 0;

	if (!pa->present)
		return 3;
	if (pa->v4.n)
		f |= 1;
	if (pa->v6.n)
		f |= 2;
	for (size_t i = 0; i < pa->nrefs; i++) {
		const struct pset *s = pa->refs[i];
		if (s->dynamic)
			f |= 3; /* may come to hold either */
		else if (!s->v4.n && !s->v6.n)
			f |= empty_set;
		if (s->v4.n)
			f |= 1;
		if (s->v6.n)
			f |= 2;
	}
	return f;
}

static void prule_free(struct prule *r)
{
	free(r->name);
	free(r->comment);
	free(r->nflog.label);
	ivlist_free(&r->src.v4);
	ivlist_free(&r->src.v6);
	free(r->src.refs);
	ivlist_free(&r->dst.v4);
	ivlist_free(&r->dst.v6);
	free(r->dst.refs);
	ivlist_free(&r->sport.lit);
	free(r->sport.refs);
	ivlist_free(&r->dport.lit);
	free(r->dport.refs);
	for (size_t j = 0; j < r->iif.n; j++)
		free(r->iif.names[j]);
	free(r->iif.names);
	for (size_t j = 0; j < r->oif.n; j++)
		free(r->oif.names[j]);
	free(r->oif.names);
	ivlist_free(&r->icmp4);
	ivlist_free(&r->icmp6);
}

void policy_free(struct policy *pol)
{
	for (size_t i = 0; i < pol->nsets; i++) {
		free(pol->sets[i].name);
		ivlist_free(&pol->sets[i].v4);
		ivlist_free(&pol->sets[i].v6);
		ivlist_free(&pol->sets[i].ports);
	}
	free(pol->sets);
	for (size_t i = 0; i < pol->nrules; i++)
		prule_free(&pol->rules[i]);
	free(pol->rules);
	for (size_t i = 0; i < pol->nnats; i++) {
		prule_free(&pol->nats[i].m);
		free(pol->nats[i].accept_comment);
	}
	free(pol->nats);
	free(pol->file);
	free(pol->table);
	memset(pol, 0, sizeof(*pol));
}

int policy_compile_buffer(const char *file, const char *buf, size_t len,
			  const struct policy_opts *opts, struct policy *pol, struct diags *d)
{
	struct ydoc doc = { 0 };
	struct pdoc *pd = NULL;
	int r;

	memset(pol, 0, sizeof(*pol));
	if (len > POLICY_MAX_FILE) {
		diag_err(d, ((struct srcloc){ file, 1, 1 }),
			 "the policy is %zu bytes; the limit is %u MiB (load large lists from a set file)",
			 len, POLICY_MAX_FILE >> 20);
		return -EFBIG;
	}
	r = policy_yaml_parse(file, buf, len, &doc, d);
	if (r < 0)
		goto out;
	r = policy_load(&doc, &pd, d);
	if (r < 0)
		goto out;
	r = policy_check(&doc, pd, opts, pol, d);
	if (r == 0 && d->nerr)
		r = -EINVAL;
out:
	/* nothing of an invalid policy is usable: callers only print d */
	if (r < 0)
		policy_free(pol);
	pdoc_free(pd);
	ydoc_free(&doc);
	return r;
}
