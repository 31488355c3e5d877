// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental apply's plan (delta.h): the kernel's dump and the compiled
 * batch as tablediff's models (one model, shared with `vigild diff`), then
 * per chain the rule operations and per named set the element difference,
 * or the reason a full replacement is needed. Pure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include "delta_int.h"
#include "vigil/util.h"
#include "vigil/vocab.h"

__attribute__((format(printf, 2, 3)))
static bool full(struct delta_plan *p, const char *what, ...)
{
	va_list ap;

	p->full = true;
	va_start(ap, what);
	vsnprintf(p->reason, sizeof(p->reason), what, ap);
	va_end(ap);
	return false;
}

const struct td_set *delta_named(const struct td_model *m, const char *name)
{
	for (size_t i = 0; i < m->nsets; i++)
		if (!m->sets[i].anon && !strcmp(m->sets[i].name, name))
			return &m->sets[i];
	return NULL;
}

size_t delta_chain_name_len(const char *c)
{
	return strcspn(c, " ");
}

bool delta_set_filled(const struct td_set *s)
{
	uint8_t want[sizeof(s->udata)];
	size_t n;

	if (s->flags & NFT_SET_EVAL)
		return true;
	n = vocab_set_udata(s->flags, s->keytype, true, want, sizeof(want));
	return n == s->udlen && !memcmp(want, s->udata, n);
}

/* the definitions the same but for "policy accept;" / "policy drop;" */
static bool policy_only(const char *k, const char *w)
{
	const char *pk = strstr(k, "; policy "), *pw = strstr(w, "; policy ");

	if (!pk || !pw || pk - k != pw - w || strncmp(k, w, (size_t)(pk - k)))
		return false;
	pk = strchr(pk + 9, ';');
	pw = strchr(pw + 9, ';');
	return pk && pw && !strcmp(pk, pw);
}

static bool chains_same(const struct td_model *k, const struct td_model *w, struct delta_plan *p,
			bool *policy)
{
	if (k->nchains != w->nchains)
		return full(p, "%s", "chains added or removed");
	for (size_t i = 0; i < w->nchains; i++) {
		const char *c = w->chains[i];
		size_t n = delta_chain_name_len(c);
		bool seen = false, pol = false;

		for (size_t j = 0; j < k->nchains && !seen && !pol; j++) {
			seen = !strcmp(k->chains[j], c);
			pol = !seen && delta_chain_name_len(k->chains[j]) == n &&
			      !strncmp(k->chains[j], c, n) && policy_only(k->chains[j] + n, c + n);
		}
		if (pol) {
			p->chains_policy++;
			if (policy)
				policy[i] = true;
		} else if (!seen) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)n, c);
			return full(p, "chain %s added or its definition changed", name);
		}
	}
	return true;
}

static bool pairs_next(const struct td_set *s, size_t i)
{
	const struct td_elem *e = &s->e[i];

	return (s->flags & NFT_SET_INTERVAL) && !(e->flags & NFT_SET_ELEM_INTERVAL_END) && !e->elen &&
	       i + 1 < s->ne && (s->e[i + 1].flags & NFT_SET_ELEM_INTERVAL_END);
}

void delta_elems_of(const struct td_set *s, struct delta_elems *d)
{
	memset(d, 0, sizeof(*d));
	d->first = xcalloc(s->ne + 1, sizeof(*d->first));
	d->count = xcalloc(s->ne + 1, 1);
	/* s->e is sorted (td_set_sort): an interval's end follows its start */
	for (size_t i = 0; i < s->ne;) {
		bool pair = pairs_next(s, i);

		d->first[d->n] = i;
		d->count[d->n++] = pair ? 2 : 1;
		i += pair ? 2 : 1;
	}
}

void delta_elems_free(struct delta_elems *d)
{
	free(d->first), free(d->count);
	memset(d, 0, sizeof(*d));
}

static int item_cmp(const struct td_set *a, const struct delta_elems *da, size_t i,
		    const struct td_set *b, const struct delta_elems *db, size_t j)
{
	uint8_t n = da->count[i] < db->count[j] ? da->count[i] : db->count[j];

	for (uint8_t k = 0; k < n; k++) {
		int c = td_elem_cmp(&a->e[da->first[i] + k], &b->e[db->first[j] + k]);
		if (c)
			return c;
	}
	return (int)da->count[i] - (int)db->count[j];
}

void delta_elems_diff(const struct td_set *k, const struct delta_elems *kd, const struct td_set *w,
		      const struct delta_elems *wd, size_t **del, size_t *ndel, size_t **add,
		      size_t *nadd)
{
	size_t i = 0, j = 0;

	*del = xcalloc(kd->n + 1, sizeof(**del));
	*add = xcalloc(wd->n + 1, sizeof(**add));
	*ndel = *nadd = 0;
	/* both sorted in td_elem_cmp's order (td_set_sort): one merge */
	while (i < kd->n || j < wd->n) {
		int c = i == kd->n ? 1 : j == wd->n ? -1 : item_cmp(k, kd, i, w, wd, j);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			(*del)[(*ndel)++] = i++;
		} else {
			(*add)[(*nadd)++] = j++;
		}
	}
}

static bool set_same_kind(const struct td_set *k, const struct td_set *w)
{
	return k->flags == w->flags && k->keytype == w->keytype && k->keylen == w->keylen &&
	       k->datatype == w->datatype && k->datalen == w->datalen &&
	       k->udlen == w->udlen && !memcmp(k->udata, w->udata, w->udlen) &&
	       k->timeout == w->timeout;
}

bool delta_same_objects(const struct td_model *k, const struct td_model *w, struct delta_plan *p,
			bool *policy)
{
	if (!chains_same(k, w, p, policy))
		return false;
	for (size_t i = 0; i < k->nsets; i++)
		if (!k->sets[i].anon && !delta_named(w, k->sets[i].name))
			return full(p, "set %s removed", k->sets[i].name);
	for (size_t i = 0; i < w->nsets; i++) {
		const struct td_set *ws = &w->sets[i], *ks;

		if (ws->anon)
			continue;
		if (!(ks = delta_named(k, ws->name)))
			return full(p, "set %s added", ws->name);
		if (!set_same_kind(ks, ws))
			return full(p, "set %s changed type", ws->name);
	}
	return true;
}

static void sets_plan(const struct td_model *k, const struct td_model *w, struct delta_plan *p)
{
	for (size_t i = 0; i < w->nsets; i++) {
		const struct td_set *ws = &w->sets[i], *ks;
		struct delta_elems kd, wd;
		size_t *del, *add, ndel, nadd;

		if (ws->anon || delta_set_filled(ws))
			continue;
		ks = delta_named(k, ws->name);
		delta_elems_of(ks, &kd);
		delta_elems_of(ws, &wd);
		delta_elems_diff(ks, &kd, ws, &wd, &del, &ndel, &add, &nadd);
		p->elems_del += ndel;
		p->elems_add += nadd;
		p->messages += (ndel > 0) + (nadd > 0);
		free(del), free(add);
		delta_elems_free(&kd);
		delta_elems_free(&wd);
	}
}

void delta_chain_rules(const struct td_model *k, const struct td_model *w, const char *chain,
		       size_t clen, struct delta_krule **kr, size_t *nk, const char ***wr,
		       size_t **wi, size_t *nw)
{
	*kr = xcalloc(k->nrules + 1, sizeof(**kr));
	*wr = xcalloc(w->nrules + 1, sizeof(**wr));
	*wi = xcalloc(w->nrules + 1, sizeof(**wi));
	*nk = *nw = 0;
	for (size_t i = 0; i < k->nrules; i++)
		if (strlen(k->rules[i].chain) == clen && !strncmp(k->rules[i].chain, chain, clen))
			(*kr)[(*nk)++] = (struct delta_krule){ k->rules[i].key, k->rules[i].handle };
	for (size_t i = 0; i < w->nrules; i++)
		if (strlen(w->rules[i].chain) == clen && !strncmp(w->rules[i].chain, chain, clen)) {
			(*wi)[*nw] = i;
			(*wr)[(*nw)++] = w->rules[i].key;
		}
}

static bool chain_rules(const struct td_model *k, const struct td_model *w, const char *chain,
			size_t clen, struct delta_plan *p)
{
	struct delta_krule *kr;
	const char **wr;
	size_t nk, nw, nops = 0, kept = 0, *wi;
	struct delta_op *ops = NULL;
	int r;

	delta_chain_rules(k, w, chain, clen, &kr, &nk, &wr, &wi, &nw);
	r = delta_rules(kr, nk, wr, nw, &ops, &nops, &kept);
	if (!r) {
		p->rules_kept += kept;
		p->rules_del += nk - kept;
		p->rules_add += nw - kept;
		p->messages += nops;
	}
	free(ops), free(kr), free(wr), free(wi);
	return r ? full(p, "chain %.*s: too many rules changed to diff", (int)clen, chain) : true;
}

int delta_plan(const void *kdump, size_t klen, const void *want, size_t wlen, struct delta_plan *p)
{
	struct tablediff_side ks = { kdump, klen, NULL, 0, true }, ws = { want, wlen, NULL, 0, true };
	struct td_model k, w;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = td_model_load(&ks, &k)) < 0)
		return r;
	if ((r = td_model_load(&ws, &w)) < 0) {
		td_model_free(&k);
		return r;
	}
	if (!k.table)
		full(p, "%s", "no table");
	else if (delta_same_objects(&k, &w, p, NULL)) {
		p->messages += p->chains_policy;
		sets_plan(&k, &w, p);
		for (size_t i = 0; i < w.nchains && !p->full; i++)
			chain_rules(&k, &w, w.chains[i], delta_chain_name_len(w.chains[i]), p);
	}
	td_model_free(&k);
	td_model_free(&w);
	return 0;
}
