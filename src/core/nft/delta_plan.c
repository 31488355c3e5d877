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

#include "tablediff_int.h"
#include "vigil/delta.h"
#include "vigil/util.h"

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

static const struct td_set *named(const struct td_model *m, const char *name)
{
	for (size_t i = 0; i < m->nsets; i++)
		if (!m->sets[i].anon && !strcmp(m->sets[i].name, name))
			return &m->sets[i];
	return NULL;
}

static size_t chain_name_len(const char *c)
{
	return strcspn(c, " ");
}

static bool chains_same(const struct td_model *k, const struct td_model *w, struct delta_plan *p)
{
	if (k->nchains != w->nchains)
		return full(p, "%s", "chains added or removed");
	for (size_t i = 0; i < w->nchains; i++) {
		const char *c = w->chains[i];
		bool seen = false;

		for (size_t j = 0; j < k->nchains && !seen; j++)
			seen = !strcmp(k->chains[j], c);
		if (!seen) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)chain_name_len(c), c);
			return full(p, "chain %s added or its definition changed", name);
		}
	}
	return true;
}

/* an element as bytes: key, end, flags and data, without the padding */
static struct delta_item *items_of(const struct td_set *s, uint8_t **store)
{
	size_t one = 64 + 64 + 4 + 4 + 4 + 80 + 4 + 64;
	struct delta_item *v = xcalloc(s->ne + 1, sizeof(*v));
	uint8_t *b = *store = xcalloc(s->ne + 1, one);

	for (size_t i = 0; i < s->ne; i++, b += one) {
		const struct td_elem *e = &s->e[i];
		size_t n = 0, dl = strnlen(e->data, sizeof(e->data));

		memcpy(b + n, &e->klen, 4), n += 4;
		memcpy(b + n, e->key, e->klen < 64 ? e->klen : 64), n += e->klen < 64 ? e->klen : 64;
		memcpy(b + n, &e->elen, 4), n += 4;
		memcpy(b + n, e->end, e->elen < 64 ? e->elen : 64), n += e->elen < 64 ? e->elen : 64;
		memcpy(b + n, &e->flags, 4), n += 4;
		memcpy(b + n, e->data, dl), n += dl;
		memcpy(b + n, &e->dlen, 4), n += 4;
		memcpy(b + n, e->dval, e->dlen < 64 ? e->dlen : 64), n += e->dlen < 64 ? e->dlen : 64;
		v[i] = (struct delta_item){ b, n };
	}
	return v;
}

static bool sets_plan(const struct td_model *k, const struct td_model *w, struct delta_plan *p)
{
	for (size_t i = 0; i < k->nsets; i++)
		if (!k->sets[i].anon && !named(w, k->sets[i].name))
			return full(p, "set %s removed", k->sets[i].name);
	for (size_t i = 0; i < w->nsets; i++) {
		const struct td_set *ws = &w->sets[i], *ks;
		struct delta_item *kv, *wv;
		uint8_t *kb, *wb;
		size_t *del, *add, ndel, nadd;

		if (ws->anon)
			continue;
		if (!(ks = named(k, ws->name)))
			return full(p, "set %s added", ws->name);
		if (ks->flags != ws->flags || ks->keytype != ws->keytype || ks->keylen != ws->keylen ||
		    ks->datatype != ws->datatype || ks->datalen != ws->datalen)
			return full(p, "set %s changed type", ws->name);
		kv = items_of(ks, &kb);
		wv = items_of(ws, &wb);
		delta_items(kv, ks->ne, wv, ws->ne, &del, &ndel, &add, &nadd);
		p->elems_del += ndel;
		p->elems_add += nadd;
		p->messages += (ndel > 0) + (nadd > 0);
		free(del), free(add), free(kv), free(wv), free(kb), free(wb);
	}
	return true;
}

static bool chain_rules(const struct td_model *k, const struct td_model *w, const char *chain,
			size_t clen, struct delta_plan *p)
{
	struct delta_krule *kr = xcalloc(k->nrules + 1, sizeof(*kr));
	const char **wr = xcalloc(w->nrules + 1, sizeof(*wr));
	size_t nk = 0, nw = 0, nops = 0, kept = 0;
	struct delta_op *ops = NULL;
	int r;

	for (size_t i = 0; i < k->nrules; i++)
		if (strlen(k->rules[i].chain) == clen && !strncmp(k->rules[i].chain, chain, clen))
			kr[nk++] = (struct delta_krule){ k->rules[i].key, k->rules[i].handle };
	for (size_t i = 0; i < w->nrules; i++)
		if (strlen(w->rules[i].chain) == clen && !strncmp(w->rules[i].chain, chain, clen))
			wr[nw++] = w->rules[i].key;
	r = delta_rules(kr, nk, wr, nw, &ops, &nops, &kept);
	if (!r) {
		p->rules_kept += kept;
		p->rules_del += nk - kept;
		p->rules_add += nw - kept;
		p->messages += nops;
	}
	free(ops), free(kr), free(wr);
	return r ? full(p, "chain %.*s: too many rules changed to diff", (int)clen, chain) : true;
}

int delta_plan(const void *kdump, size_t klen, const void *want, size_t wlen, struct delta_plan *p)
{
	struct tablediff_side ks = { kdump, klen, NULL, 0 }, ws = { want, wlen, NULL, 0 };
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
	else if (chains_same(&k, &w, p) && sets_plan(&k, &w, p))
		for (size_t i = 0; i < w.nchains && !p->full; i++)
			chain_rules(&k, &w, w.chains[i], chain_name_len(w.chains[i]), p);
	td_model_free(&k);
	td_model_free(&w);
	return 0;
}
