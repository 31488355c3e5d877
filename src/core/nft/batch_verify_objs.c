// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's memory of a batch: the sets and chains its messages made,
 * so that a later message may refer to them (and to nothing else), found by
 * id or name through small open-addressing indexes (a batch may make
 * 100,000s of anonymous sets).
 */
#include <string.h>
#include <linux/netfilter/nf_tables.h>

#include "verify.h"

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h | 1; /* 0 marks an empty slot */
}

static uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s), 0xcbf29ce484222325ull);
}

static uint64_t hash_id(uint32_t id)
{
	return hash_bytes(&id, sizeof(id), 0x84222325cbf29ce4ull);
}

static void vindex_put(struct vindex *ix, uint64_t h, uint32_t pos)
{
	size_t mask;

	if ((ix->n + 1) * 2 > ix->cap) {
		struct vindex old = *ix;
		ix->cap = old.cap ? old.cap * 2 : 64;
		ix->keys = xcalloc(ix->cap, sizeof(*ix->keys));
		ix->pos = xcalloc(ix->cap, sizeof(*ix->pos));
		ix->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.keys[i])
				vindex_put(ix, old.keys[i], old.pos[i]);
		free(old.keys);
		free(old.pos);
	}
	mask = ix->cap - 1;
	for (size_t s = h & mask;; s = (s + 1) & mask)
		if (!ix->keys[s]) {
			ix->keys[s] = h;
			ix->pos[s] = pos;
			ix->n++;
			return;
		}
}

/* Positions with hash h, one at a time: *slot starts at SIZE_MAX. */
static bool vindex_next(const struct vindex *ix, uint64_t h, size_t *slot, uint32_t *pos)
{
	size_t mask = ix->cap - 1, s;

	if (!ix->cap)
		return false;
	for (s = *slot == SIZE_MAX ? h & mask : (*slot + 1) & mask; ix->keys[s]; s = (s + 1) & mask)
		if (ix->keys[s] == h) {
			*slot = s;
			*pos = ix->pos[s];
			return true;
		}
	return false;
}

static void vindex_free(struct vindex *ix)
{
	free(ix->keys);
	free(ix->pos);
	memset(ix, 0, sizeof(*ix));
}

struct verify_set *verify_set_find(struct verify_ctx *c, uint32_t id)
{
	uint64_t h = hash_id(id);
	size_t slot = SIZE_MAX;
	uint32_t p;

	while (vindex_next(&c->set_ids, h, &slot, &p))
		if (c->sets[p].id == id)
			return &c->sets[p];
	return NULL;
}

/* The position of `name` in ix, whose entries are named by name_of. */
static bool find_named(const struct vindex *ix, const char *name,
		       const char *(*name_of)(const struct verify_ctx *, uint32_t),
		       const struct verify_ctx *c, uint32_t *pos)
{
	uint64_t h = hash_str(name);
	size_t slot = SIZE_MAX;

	while (vindex_next(ix, h, &slot, pos))
		if (streq(name_of(c, *pos), name))
			return true;
	return false;
}

static const char *set_name(const struct verify_ctx *c, uint32_t p)
{
	return c->sets[p].name;
}

static const char *chain_name_at(const struct verify_ctx *c, uint32_t p)
{
	return c->chains[p].name;
}

struct verify_set *verify_set_named(struct verify_ctx *c, const char *name)
{
	uint32_t p;

	return find_named(&c->set_names, name, set_name, c, &p) ? &c->sets[p] : NULL;
}

struct verify_chain *verify_chain_find(struct verify_ctx *c, const char *name)
{
	uint32_t p;

	return find_named(&c->chain_names, name, chain_name_at, c, &p) ? &c->chains[p] : NULL;
}

struct verify_set *verify_set_ref(struct verify_ctx *c, const char *name, uint32_t id)
{
	struct verify_set *s;

	/* nf_tables looks a set up by name first, then by the batch's id */
	if (c->delta && (s = verify_set_named(c, name)))
		return s;
	s = verify_set_find(c, id);
	return s && streq(s->name, name) ? s : NULL;
}

int verify_set_add(struct verify_ctx *c, const struct verify_set *s)
{
	bool anon = s->flags & NFT_SET_ANONYMOUS;

	if (!s->kernel && verify_set_find(c, s->id))
		return -EEXIST;
	if (!anon && verify_set_named(c, s->name))
		return -EEXIST;
	GROW(c->sets, c->capsets, c->nsets + 1);
	c->sets[c->nsets] = *s;
	c->sets[c->nsets].name = xstrdup(s->name);
	/* the kernel's sets have no id of this batch */
	if (!s->kernel)
		vindex_put(&c->set_ids, hash_id(s->id), (uint32_t)c->nsets);
	if (!anon)
		vindex_put(&c->set_names, hash_str(s->name), (uint32_t)c->nsets);
	c->nsets++;
	return 0;
}

int verify_chain_add(struct verify_ctx *c, const char *name, bool base)
{
	if (verify_chain_find(c, name))
		return -EEXIST;
	GROW(c->chains, c->capchains, c->nchains + 1);
	c->chains[c->nchains].name = xstrdup(name);
	c->chains[c->nchains].base = base;
	c->chains[c->nchains].nat = 0;
	vindex_put(&c->chain_names, hash_str(name), (uint32_t)c->nchains);
	c->nchains++;
	return 0;
}

void verify_ctx_free(struct verify_ctx *c)
{
	for (size_t i = 0; i < c->nsets; i++)
		free(c->sets[i].name);
	for (size_t i = 0; i < c->nchains; i++)
		free(c->chains[i].name);
	free(c->sets);
	free(c->chains);
	vindex_free(&c->set_ids);
	vindex_free(&c->set_names);
	vindex_free(&c->chain_names);
}

