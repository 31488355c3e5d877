// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-minute flow aggregate. Rows live densely in rows[] (drain walks them in
 * order, reset is O(1) plus clearing the index); idx[] is an open-addressing
 * (linear probing) index of row numbers + 1, kept at most half full, so a
 * probe touches a few 4-byte slots. The hash is SipHash-1-3 with a secret
 * seed: addresses and ports come from the network, and a predictable hash
 * would let a sender pick keys that all collide.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vigil/agg.h"
#include "vigil/ir.h"
#include "vigil/util.h"

struct agg_obs_min {
	int64_t minute;
	struct agg_obs obs;
};

struct agg {
	unsigned flags;
	size_t max_rows;
	uint64_t k0, k1;          /* SipHash key */

	struct agg_row *rows;
	size_t nrows, rows_cap;
	uint32_t *idx;            /* 0 = empty, else row number + 1 */
	size_t idx_cap;           /* power of two */

	struct agg_obs_min *obs;
	size_t nobs, obs_cap;
	struct agg_cap *cap;      /* not owned */
};

struct agg_cap {
	struct agg *seen;         /* the keys admitted this minute (rows only, no values) */
	uint32_t *n;              /* rows admitted per rule slot (cap_slot) */
	size_t cap;
	int64_t minute;
};

#define CAP_SLOTS (2u * (65536u + 4u))

#define AGG_MIN_IDX 1024u

static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = rotl64(v1, 13);                                           \
		v1 ^= v0;                                                      \
		v0 = rotl64(v0, 32);                                           \
		v2 += v3;                                                      \
		v3 = rotl64(v3, 16);                                           \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = rotl64(v3, 21);                                           \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = rotl64(v1, 17);                                           \
		v1 ^= v2;                                                      \
		v2 = rotl64(v2, 32);                                           \
	} while (0)

/* SipHash-1-3 of a key whose size is a multiple of 8 (struct agg_key: 88). */
static uint64_t agg_hash(const struct agg *a, const struct agg_key *k)
{
	uint64_t v0 = a->k0 ^ 0x736f6d6570736575ull, v1 = a->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = a->k0 ^ 0x6c7967656e657261ull, v3 = a->k1 ^ 0x7465646279746573ull;
	const unsigned char *p = (const unsigned char *)k;
	uint64_t m;

	_Static_assert(sizeof(*k) % 8 == 0, "agg_key must be a multiple of 8 bytes");
	_Static_assert(sizeof(*k) == 88, "agg_key has no padding the compiler adds");
	for (size_t i = 0; i < sizeof(*k); i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)sizeof(*k) << 56;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int64_t agg_minute(int64_t t)
{
	int64_t r = t % 60;
	return t - (r < 0 ? r + 60 : r);
}

struct agg *agg_new(unsigned flags, size_t max_rows, uint64_t seed)
{
	struct agg *a = xzalloc(sizeof(*a));

	a->flags = flags;
	a->max_rows = max_rows ? max_rows : AGG_DEFAULT_MAX_ROWS;
	/* row numbers + 1 must fit the uint32_t index */
	if (a->max_rows > UINT32_MAX - 1)
		a->max_rows = UINT32_MAX - 1;
	a->k0 = splitmix64(&seed);
	a->k1 = splitmix64(&seed);
	a->idx_cap = AGG_MIN_IDX;
	a->idx = xcalloc(a->idx_cap, sizeof(*a->idx));
	return a;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	free(a->rows);
	free(a->idx);
	free(a->obs);
	free(a);
}

size_t agg_rows(const struct agg *a)
{
	return a->nrows;
}

const struct agg_row *agg_row_at(const struct agg *a, size_t i)
{
	return i < a->nrows ? &a->rows[i] : NULL;
}

size_t agg_obs_minutes(const struct agg *a)
{
	return a->nobs;
}

size_t agg_memory(const struct agg *a)
{
	return sizeof(*a) + a->rows_cap * sizeof(*a->rows) + a->idx_cap * sizeof(*a->idx) +
	       a->obs_cap * sizeof(*a->obs);
}

static void agg_reindex(struct agg *a, size_t cap)
{
	size_t mask = cap - 1;

	free(a->idx);
	a->idx = xcalloc(cap, sizeof(*a->idx));
	a->idx_cap = cap;
	for (size_t r = 0; r < a->nrows; r++) {
		size_t i = agg_hash(a, &a->rows[r].key) & mask;

		while (a->idx[i])
			i = (i + 1) & mask;
		a->idx[i] = (uint32_t)(r + 1);
	}
}

/* The row for key, created if absent; NULL when the cap forbids a new one. */
static struct agg_row *agg_lookup(struct agg *a, const struct agg_key *key)
{
	size_t mask = a->idx_cap - 1;
	size_t i = agg_hash(a, key) & mask;
	struct agg_row *row;

	while (a->idx[i]) {
		row = &a->rows[a->idx[i] - 1];
		if (memcmp(&row->key, key, sizeof(*key)) == 0)
			return row;
		i = (i + 1) & mask;
	}
	if (a->nrows >= a->max_rows)
		return NULL;
	GROW(a->rows, a->rows_cap, a->nrows + 1);
	row = &a->rows[a->nrows++];
	memset(row, 0, sizeof(*row));
	row->key = *key;
	a->idx[i] = (uint32_t)a->nrows;
	/* keep the index at most half full: probes stay short */
	if (a->nrows * 2 > a->idx_cap)
		agg_reindex(a, a->idx_cap * 2);
	return row;
}

static struct agg_obs *agg_obs_of(struct agg *a, int64_t minute)
{
	struct agg_obs_min *o;

	/* newest first: nearly always the first or second one looked at */
	for (size_t i = a->nobs; i-- > 0;)
		if (a->obs[i].minute == minute)
			return &a->obs[i].obs;
	GROW(a->obs, a->obs_cap, a->nobs + 1);
	o = &a->obs[a->nobs++];
	memset(o, 0, sizeof(*o));
	o->minute = minute;
	return &o->obs;
}

void agg_add_obs(struct agg *a, int64_t now, const struct agg_obs *d)
{
	struct agg_obs *o = agg_obs_of(a, agg_minute(now));

	if (!d)
		return;
	o->events += d->events;
	o->new_events += d->new_events;
	o->lost += d->lost;
	o->enobufs += d->enobufs;
	o->kernel_inserts += d->kernel_inserts;
	o->overflow += d->overflow;
	o->bad += d->bad;
	if (d->started > o->started)
		o->started = d->started;
	if (d->stopped > o->stopped)
		o->stopped = d->stopped;
	o->incomplete |= d->incomplete;
	o->ct_early_drop += d->ct_early_drop;
	o->ct_insert_failed += d->ct_insert_failed;
	o->ct_drop += d->ct_drop;
	if (d->ct_max)
		o->ct_max = d->ct_max;
	if (d->ct_max || d->ct_entries)
		o->ct_entries = d->ct_entries;
	o->db_lost_flows += d->db_lost_flows;
	o->db_lost_minutes += d->db_lost_minutes;
	o->nflog_records += d->nflog_records;
	o->nflog_lost += d->nflog_lost;
	o->nflog_enobufs += d->nflog_enobufs;
	o->nflog_bad += d->nflog_bad;
	o->folded += d->folded;
}

int agg_add_refused(struct agg *a, const struct agg_key *k, const struct agg_val *v, int64_t now)
{
	struct agg_obs *o = agg_obs_of(a, agg_minute(now));
	struct agg_key key = *k;
	struct agg_row *row;

	key.minute = agg_minute(now);
	if ((key.kind & AGG_KIND_TYPE) == AGG_KIND_SAMPLE && (a->flags & AGG_F_NO_SOURCES)) {
		memset(key.src, 0, sizeof(key.src));
		key.src_any = 1;
	}
	if (a->cap && (key.kind & AGG_KIND_TYPE) == AGG_KIND_SAMPLE && agg_cap_fold(a->cap, &key))
		o->folded += v->flows;
	row = agg_lookup(a, &key);
	if (!row) {
		o->overflow++;
		return -ENOSPC;
	}
	row->val.flows += v->flows;
	row->val.packets += v->packets;
	row->val.bytes += v->bytes;
	row->val.destroys += v->destroys;
	return 0;
}

/* The translation of ev into key (see struct agg_key). */
static void agg_key_nat(struct agg_key *key, const struct ct_event *ev, int dnat, int snat)
{
	size_t alen = ev->family == AF_INET6 ? 16 : 4;

	if (ev->nat & CT_NAT_DST) {
		key->nat |= CT_NAT_DST;
		memcpy(key->nat_dst, ev->nat_dst, sizeof(key->nat_dst));
		key->nat_dport = ev->nat_dport;
		if (dnat >= 0 && dnat < UINT16_MAX)
			key->dnat = (uint16_t)(dnat + 1);
	}
	/* a source port alone is not recorded (nor are source ports) */
	if ((ev->nat & CT_NAT_SRC) && memcmp(ev->nat_src, ev->src, alen) != 0) {
		key->nat |= CT_NAT_SRC;
		memcpy(key->nat_src, ev->nat_src, sizeof(key->nat_src));
	}
	if ((ev->nat & CT_NAT_SRC) && snat >= 0 && snat < UINT16_MAX)
		key->snat = (uint16_t)(snat + 1);
}

int agg_add(struct agg *a, const struct ct_event *ev, int64_t now)
{
	return agg_add_nat(a, ev, -1, -1, now);
}

int agg_add_nat(struct agg *a, const struct ct_event *ev, int dnat, int snat, int64_t now)
{
	bool counters = ev->have & (CT_HAVE_COUNTERS_ORIG | CT_HAVE_COUNTERS_REPLY);
	bool timed = (ev->have & CT_HAVE_TS_START) && (ev->have & CT_HAVE_TS_STOP) &&
		     ev->stop_ns >= ev->start_ns;
	struct agg_obs *o;
	struct agg_key key;
	struct agg_row *row;

	o = agg_obs_of(a, agg_minute(now));
	o->events++;
	if (ev->type == CT_EVENT_NEW)
		o->new_events++;
	else if (ev->type != CT_EVENT_DESTROY || (!counters && !timed))
		return 0; /* nothing to add to a row */

	memset(&key, 0, sizeof(key));
	key.minute = agg_minute(now);
	key.family = ev->family;
	key.proto = ev->proto;
	if (a->flags & AGG_F_NO_SOURCES)
		key.src_any = 1;
	else
		memcpy(key.src, ev->src, sizeof(key.src));
	memcpy(key.dst, ev->dst, sizeof(key.dst));
	if (ev->have & CT_HAVE_PORTS)
		key.dport = ev->dport;
	else if (ev->have & CT_HAVE_ICMP)
		key.dport = ev->icmp_type;
	key.rule = (uint16_t)((ev->mark & IR_MARK_MASK) >> IR_MARK_SHIFT);
	agg_key_nat(&key, ev, dnat, snat);
	if (a->cap && agg_cap_fold(a->cap, &key))
		o->folded++;

	row = agg_lookup(a, &key);
	o = agg_obs_of(a, agg_minute(now)); /* a fold may not move it, but be sure */
	if (!row) {
		o->overflow++; /* o is in the obs array: agg_lookup did not move it */
		return -ENOSPC;
	}
	if (ev->type == CT_EVENT_NEW) {
		row->val.flows++;
		return 0;
	}
	if (counters) {
		row->val.packets += ev->orig_packets + ev->reply_packets;
		row->val.bytes += ev->orig_bytes + ev->reply_bytes;
		row->val.destroys++;
	}
	if (timed)
		row->val.duration_ms += (ev->stop_ns - ev->start_ns) / 1000000u;
	return 0;
}

int agg_drain(struct agg *a, const struct agg_sink *sink, void *ctx)
{
	int r;

	if (sink && sink->row)
		for (size_t i = 0; i < a->nrows; i++) {
			r = sink->row(ctx, &a->rows[i]);
			if (r < 0)
				return r;
		}
	if (sink && sink->obs)
		for (size_t i = 0; i < a->nobs; i++) {
			r = sink->obs(ctx, a->obs[i].minute, &a->obs[i].obs);
			if (r < 0)
				return r;
		}
	if (sink && sink->done) {
		r = sink->done(ctx);
		if (r < 0)
			return r;
	}
	a->nrows = 0;
	a->nobs = 0;
	memset(a->idx, 0, a->idx_cap * sizeof(*a->idx));
	return 0;
}

uint64_t agg_flows_total(const struct agg *a)
{
	uint64_t n = 0;

	for (size_t i = 0; i < a->nrows; i++)
		if (a->rows[i].key.kind == AGG_KIND_ACCEPTED)
			n += a->rows[i].val.flows;
	return n;
}

size_t agg_row_minutes(const struct agg *a)
{
	size_t n = 0;
	int64_t last = INT64_MIN;

	/* rows come minute by minute in the order they were first seen */
	for (size_t i = 0; i < a->nrows; i++)
		if (a->rows[i].key.minute != last) {
			last = a->rows[i].key.minute;
			n++;
		}
	return n;
}

void agg_drop_rows(struct agg *a, struct agg *keep_obs)
{
	for (size_t i = 0; i < a->nobs; i++) {
		/* agg_add_obs at any second of the minute lands in that minute */
		agg_add_obs(keep_obs, a->obs[i].minute, &a->obs[i].obs);
	}
	a->nrows = 0;
	a->nobs = 0;
	memset(a->idx, 0, a->idx_cap * sizeof(*a->idx));
}

/* ---- the row cap ---- */

struct agg_cap *agg_cap_new(size_t cap, uint64_t seed)
{
	struct agg_cap *c = xcalloc(1, sizeof(*c));

	c->seen = agg_new(0, AGG_DEFAULT_MAX_ROWS, seed);
	c->n = xcalloc(CAP_SLOTS, sizeof(*c->n));
	c->cap = cap ? cap : AGG_DEFAULT_ROW_CAP;
	c->minute = INT64_MIN;
	return c;
}

void agg_cap_free(struct agg_cap *c)
{
	if (!c)
		return;
	agg_free(c->seen);
	free(c->n);
	free(c);
}

void agg_set_cap(struct agg *a, struct agg_cap *c)
{
	a->cap = c;
}

static size_t cap_slot(const struct agg_key *k)
{
	size_t s = k->kind & AGG_KIND_DEFAULT ? 65536u + (k->rule & 3u) : k->rule;

	return (k->kind & AGG_KIND_TYPE) == AGG_KIND_SAMPLE ? s + 65540u : s;
}

bool agg_cap_fold(struct agg_cap *c, struct agg_key *k)
{
	size_t slot = cap_slot(k), before;
	struct agg_key fk;

	if (k->family == 0)
		return false; /* an overflow row already */
	if (k->minute != c->minute) {
		/* a new minute: nothing admitted yet */
		c->seen->nrows = 0;
		memset(c->seen->idx, 0, c->seen->idx_cap * sizeof(*c->seen->idx));
		memset(c->n, 0, CAP_SLOTS * sizeof(*c->n));
		c->minute = k->minute;
	}
	before = c->seen->nrows;
	if (c->n[slot] < c->cap) {
		struct agg_row *row = agg_lookup(c->seen, k);
		if (row) {
			if (c->seen->nrows > before)
				c->n[slot]++;
			return false;
		}
	} else {
		/* at the cap: only keys admitted before go on */
		size_t mask = c->seen->idx_cap - 1, i = agg_hash(c->seen, k) & mask;
		for (; c->seen->idx[i]; i = (i + 1) & mask)
			if (!memcmp(&c->seen->rows[c->seen->idx[i] - 1].key, k, sizeof(*k)))
				return false;
	}
	memset(&fk, 0, sizeof(fk));
	fk.minute = k->minute;
	fk.rule = k->rule;
	fk.kind = k->kind;
	*k = fk;
	return true;
}
