/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_AGG_H
#define VIGIL_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/ct.h"

/*
 * Per-minute flow aggregate (pure, single-threaded: the caller serialises
 * access, e.g. two aggregates swapped under a lock between the reader and
 * the writer). Conntrack events are folded into rows keyed by
 * (minute, family, proto, src, dst, dport, rule, and the translation and
 * nat entries of a connection through NAT); observer statistics are
 * kept per minute next to them. agg_drain() hands everything to a sink and
 * starts over.
 *
 * Memory is bounded: the row table grows (open addressing, doubling) up to
 * max_rows; an event that would need a new row beyond that is not aggregated
 * but counted in the minute's agg_obs.overflow, so the loss is reported.
 */

enum {
	AGG_F_NO_SOURCES = 1u << 0, /* drop src from the key (high-cardinality hosts) */
};

struct agg_key {
	int64_t minute;   /* Unix time (seconds) of the minute's start */
	uint8_t src[16];  /* all zero with AGG_F_NO_SOURCES; IPv4 in the first 4 bytes */
	uint8_t dst[16];
	/* through NAT (ct_event.nat): where the connection went (CT_NAT_DST)
	 * and the source it left from (CT_NAT_SRC, when the address changed);
	 * all zero when not translated */
	uint8_t nat_dst[16];
	uint8_t nat_src[16];
	uint16_t dport;   /* tcp/udp/sctp/dccp/udplite port, icmp/icmpv6 type, else 0 */
	uint16_t rule;    /* ct mark >> IR_MARK_SHIFT: 0 = not vigild's, else rule index + 1 */
	uint16_t nat_dport; /* CT_NAT_DST: the translated port (protocols with ports), else 0 */
	uint16_t dnat;    /* the nat entry (index + 1) credited with the dnat; 0: none */
	uint16_t snat;    /* ... with the snat or masquerade; 0: none */
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint8_t proto;    /* IPPROTO_* */
	uint8_t src_any;  /* 1: src was dropped (AGG_F_NO_SOURCES), 0.0.0.0 is a real src */
	uint8_t kind;     /* AGG_KIND_*: 0 an accepted flow (keys are hashed and compared
			   * as bytes: every byte is set) */
	uint8_t nat;      /* CT_NAT_DST, CT_NAT_SRC as recorded */
	uint8_t pad;      /* zero */
};

/*
 * Refused traffic shares the aggregate (agg_add_refused): a key's kind says
 * what the row is. AGG_KIND_SAMPLE: NFLOG records of one (family, proto,
 * src, dst, dport, rule), val.flows of them. AGG_KIND_COUNT: a rule's exact
 * totals in the minute from the kernel's counters (only minute, rule and
 * kind set): val.packets and val.bytes refused, val.flows the packets the
 * kernel sent to NFLOG, val.destroys the records received. Either is or'ed
 * with AGG_KIND_REJECT (the rule rejects; else it drops) and AGG_KIND_DEFAULT
 * (rule is then the enum chain_id whose default verdict refused).
 */
enum {
	AGG_KIND_ACCEPTED = 0,
	AGG_KIND_SAMPLE = 1,
	AGG_KIND_COUNT = 2,
	AGG_KIND_TYPE = 3,      /* mask of the two above */
	AGG_KIND_REJECT = 4,
	AGG_KIND_DEFAULT = 8,
};

struct agg_val {
	uint64_t flows;       /* NEW events */
	uint64_t packets;     /* both directions, summed over destroys with counters */
	uint64_t bytes;       /* both directions, summed over destroys with counters */
	uint64_t duration_ms; /* summed over destroys carrying start and stop timestamps */
	uint64_t destroys;    /* DESTROY events that carried counters */
};

struct agg_row {
	struct agg_key key;
	struct agg_val val;
};

/* Observer statistics of one minute (all deltas within that minute). */
struct agg_obs {
	uint64_t events;         /* events handed to agg_add (every type) */
	uint64_t new_events;     /* of which NEW */
	uint64_t lost;           /* socket drops (SO_MEMINFO SK_MEMINFO_DROPS delta) */
	uint64_t enobufs;        /* ENOBUFS episodes */
	uint64_t kernel_inserts; /* conntrack "insert" statistic delta */
	uint64_t overflow;       /* events not aggregated because max_rows was reached */
	uint64_t bad;            /* messages that failed to parse */
	/* not deltas: Unix seconds at which an observer started / stopped
	 * within the minute, 0 = it did not; adding keeps the later one */
	int64_t started, stopped;
	uint32_t incomplete;     /* AGG_INC_* bits, OR'ed */
	uint64_t ct_early_drop;  /* conntrack table full: deltas */
	uint64_t ct_insert_failed;
	uint64_t ct_drop;
	uint64_t ct_max, ct_entries; /* gauges: the last reading wins */
	uint64_t db_lost_flows;  /* the writer could not store these */
	uint64_t db_lost_minutes;
	/* refused traffic (NFLOG) */
	uint64_t nflog_records;  /* records received */
	uint64_t nflog_lost;     /* records the sequence numbers say are missing */
	uint64_t nflog_enobufs;  /* receive-buffer overrun episodes */
	uint64_t nflog_bad;      /* messages that failed to parse, or unknown prefixes */
	uint64_t folded;         /* events and records folded into overflow rows (agg_cap) */
};

/* Why a minute's flows may be missing or attributed wrongly (agg_obs.incomplete). */
enum {
	AGG_INC_TABLE_ABSENT = 1u << 0,  /* vigild's table was not in the kernel */
	AGG_INC_TABLE_CHANGED = 1u << 1, /* someone else changed vigild's table */
	AGG_INC_ATTRIBUTION = 1u << 2,   /* the kernel's rules were not the attributed policy */
};

struct agg;

/* Rows per drain (128 bytes each plus 8 of index): ~34 MiB at the cap. */
#define AGG_DEFAULT_MAX_ROWS (1u << 18)

/*
 * Creates an aggregate. flags: AGG_F_*. max_rows: the row cap (0 = default
 * AGG_DEFAULT_MAX_ROWS). seed: random bits for the hash (keys come from the
 * network; a secret seed keeps chosen collisions out). Aborts on OOM (xmalloc).
 */
struct agg *agg_new(unsigned flags, size_t max_rows, uint64_t seed);
void agg_free(struct agg *a);

/*
 * Folds one event into the row of the minute containing now (Unix seconds,
 * the time the event was received). NEW adds a flow; DESTROY adds its
 * counters (when present) and duration (when both timestamps are present);
 * UPDATE is only counted in the observer stats. Returns 0, or -ENOSPC when
 * the row cap was reached (the event is then counted in overflow).
 */
int agg_add(struct agg *a, const struct ct_event *ev, int64_t now);
/*
 * agg_add, the row keyed also by the translation ev->nat shows and the nat
 * entries credited with it: dnat, snat are indices into the policy's nat
 * entries (natattr.h), -1 for none.
 */
int agg_add_nat(struct agg *a, const struct ct_event *ev, int dnat, int snat, int64_t now);

/*
 * Adds observer deltas to the minute containing now; creates that minute's
 * observer row even when all deltas are zero, so "the observer ran in this
 * minute" is recorded. delta may be NULL.
 */
void agg_add_obs(struct agg *a, int64_t now, const struct agg_obs *delta);

/*
 * Adds v to the row of key k (its minute: the one containing now; with
 * AGG_F_NO_SOURCES a sample's src is dropped), creating it; the minute's
 * observer row too. Returns 0, or -ENOSPC at the row cap (counted in
 * overflow).
 */
int agg_add_refused(struct agg *a, const struct agg_key *k, const struct agg_val *v, int64_t now);

/*
 * The row cap (point of a bounded database): per minute and rule, at most
 * cap distinct rows of accepted flows and at most cap of refused samples;
 * an event that would make one more is folded into the rule's overflow row
 * of that minute (key: minute, rule, kind, everything else zero, family 0),
 * which keeps the totals exact. It outlives the per-second aggregates:
 * attach it to each with agg_set_cap. At most AGG_DEFAULT_MAX_ROWS keys are
 * remembered per minute; beyond, new keys fold too.
 */
struct agg_cap;
#define AGG_DEFAULT_ROW_CAP 10000u
struct agg_cap *agg_cap_new(size_t cap, uint64_t seed);
void agg_cap_free(struct agg_cap *c);
void agg_set_cap(struct agg *a, struct agg_cap *c);
/* Folds *k (its minute set) when it is a new row beyond the cap; true then. */
bool agg_cap_fold(struct agg_cap *c, struct agg_key *k);

/* Rows and observer minutes currently held, and the bytes the table uses. */
size_t agg_rows(const struct agg *a);
/* Row i (0 <= i < agg_rows, in the order first seen), read-only: valid
 * until the aggregate changes. NULL past the end. */
const struct agg_row *agg_row_at(const struct agg *a, size_t i);
size_t agg_obs_minutes(const struct agg *a);
size_t agg_memory(const struct agg *a);

/*
 * Where agg_drain sends things. Any callback may be NULL. A callback
 * returning < 0 stops the drain and nothing is reset, so the same data can be
 * drained again later (a store rolls its transaction back meanwhile). done()
 * runs after the last row and observer minute: a store commits there, and
 * only a successful commit lets the aggregate forget what it handed over.
 */
struct agg_sink {
	int (*row)(void *ctx, const struct agg_row *row);
	int (*obs)(void *ctx, int64_t minute, const struct agg_obs *obs);
	int (*done)(void *ctx);
};

/*
 * Hands every row, then every observer minute, to the sink (rows in the order
 * they were first seen), calls done(), and if nothing failed empties the
 * aggregate (keeping its capacity). Returns 0 or the first negative return
 * of a callback (the aggregate is then unchanged).
 */
int agg_drain(struct agg *a, const struct agg_sink *sink, void *ctx);

/* Flows (NEW events) in every accepted row, and the distinct minutes of the rows. */
uint64_t agg_flows_total(const struct agg *a);
size_t agg_row_minutes(const struct agg *a);
/* Forgets every row (they cannot be stored: the caller counts them as
 * lost) after moving the observer minutes into keep_obs. */
void agg_drop_rows(struct agg *a, struct agg *keep_obs);

/* The minute (Unix seconds of its start) containing t; floors negatives too. */
int64_t agg_minute(int64_t t);

#endif
