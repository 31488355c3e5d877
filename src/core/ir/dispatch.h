/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_IR_DISPATCH_H
#define VIGIL_IR_DISPATCH_H

/* Inside src/core/ir: the decision trees' state (dispatch.c builds the
 * trees, dispatch_regions.c cuts rules into segments and values into
 * leaves). */

#include "lower.h"

#define SEG_MIN 3           /* members a segment needs */
#define LEAF_LINEAR 3       /* leaves this short are a walk */
#define MAX_LEVELS 4        /* lookups on one path (the kernel allows 16 chains) */
#define DEFER_MAX 32        /* rules moved past a segment */
#define SPAN_CAP 1024       /* elementary intervals one rule may cover, before dedup */
#define WORK_BUDGET 50000000ull
/* a map whose intervals hold at most this many values is a hash of them:
 * every port map is (a few MB of kernel memory at most), interface maps
 * never (wildcards are intervals) */
#define DISPATCH_POINTS_MAX 65536

/* Segments are cut on the first three; the last two split a whole list,
 * every packet finding an element. */
enum dfield {
	DF_DPORT,
	DF_IIF,
	DF_OIF,
	DF_L4,
	DF_FAMILY,
	DF_N,
};

/* the key each field is looked up by */
extern const enum ir_key dsp_key[DF_N];

/* What a rule compares, as far as dispatching needs to know. */
struct prof {
	int family;            /* 0: both, 4, 6 */
	uint32_t known;        /* keys (1 << enum ir_key) whose values are in lit[] */
	struct ivlist lit[K_MAX];
};

struct dsp {
	struct ir_table *t;
	const struct policy *pol;
	const char *cname;
	unsigned nmaps;
	const struct ir_rule *in;  /* the chain's policy rules, as merged */
	size_t nin;
	struct prof *prof;
	uint32_t *copies;          /* per input rule: placements */
	bool *placed;              /* per input rule: placed once already */
	bool *wide;                /* per input rule: left out of a segment (copies) */
	struct ir_set **shared;    /* anonymous sets made named, for copies */
	size_t nshared;
	size_t size, budget;       /* kernel rules of the tree; its bound */
	unsigned max_copies;
	bool over;
	uint64_t work;
};

struct seg {
	enum dfield f;
	uint32_t *mem, *def;   /* input rule ids: members, rules moved past */
	size_t nmem, ndef;
	size_t end;            /* R[i..end) is consumed */
};

struct region {
	struct ival iv;
	uint32_t *mem;
	size_t n, cap;
	uint32_t leaf;     /* index into the leaves */
};

struct leaf {
	const struct region *first; /* holds the rule list */
	uint64_t hash;
	uint32_t chain;
};

struct regions {
	struct region *v;
	size_t n;
};

/* dispatch_regions.c */
void dsp_profile(const struct ir_rule *r, struct prof *p);
void dsp_prof_free(struct prof *p);
/* The segment on field f that starts at R[i] (positions in `wide` are
 * left out of it). */
void dsp_form(struct dsp *D, const uint32_t *R, size_t n, size_t i, enum dfield f,
	      const uint8_t *wide, struct seg *S);
void dsp_seg_free(struct seg *S);
bool dsp_regions_of(struct dsp *D, const uint32_t *R, size_t n, size_t i, const struct seg *S,
		    uint8_t *wide, struct regions *G);
void dsp_regions_free(struct regions *G);
struct leaf *dsp_leaves_of(struct regions *G, size_t *nleaves);
/* The regions of a split of R on f (DF_L4 or DF_FAMILY) that covers every
 * value, each with the rules that hold it or compare nothing of f, in
 * order; returns the longest region's rule count. */
size_t dsp_split_regions(const struct dsp *D, const uint32_t *R, size_t n, enum dfield f,
			 struct regions *G);
bool dsp_take_copies(struct dsp *D, const uint32_t *R, size_t n, size_t i, const struct seg *S,
		     const struct leaf *L, size_t nl, uint8_t *wide);

#endif
