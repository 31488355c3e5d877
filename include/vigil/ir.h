/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_IR_H
#define VIGIL_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/ival.h"
#include "vigil/policy.h"

/*
 * The compiled ruleset: exactly the kernel objects vigild will create, in
 * the order it creates them. Two back ends read it and nothing else:
 * render.c prints it as nft text (`vigild show`), nftc.c encodes it as
 * libnftnl objects in one batch (`vigild apply`). The netns tests check that
 * both produce the same kernel state.
 */

/* What a match (or a set key field) looks at. */
enum ir_key {
	K_NFPROTO,     /* meta nfproto */
	K_IIFNAME,     /* meta iifname */
	K_OIFNAME,     /* meta oifname */
	K_IP_SADDR,
	K_IP_DADDR,
	K_IP6_SADDR,
	K_IP6_DADDR,
	K_L4PROTO,     /* meta l4proto */
	K_SPORT,       /* tcp/udp/sctp sport, or th sport (l4 = 0) */
	K_DPORT,
	K_ICMP_TYPE,
	K_ICMPV6_TYPE,
	K_CT_STATE,
	K_CT_STATUS,   /* ct status (OP_MASK: IPS_DST_NAT for a dnat's forward accept) */
	K_MAX,
};

enum ir_op {
	OP_EQ,     /* value lo */
	OP_PREFIX, /* addresses: [lo, hi] is one prefix */
	OP_RANGE,  /* [lo, hi] */
	OP_SET,    /* lookup in set */
	OP_MASK,   /* K_CT_STATE, K_CT_STATUS: (state & lo) != 0 */
	OP_VMAP,   /* concatenation of fields looked up in a verdict map */
};

/* One field of a concatenated key. */
struct ir_field {
	enum ir_key key;
	uint8_t l4;          /* K_SPORT/K_DPORT: IPPROTO_TCP/UDP/SCTP, 0 = th */
};

#define IR_MAX_CONCAT 5
#define IR_MAX_KEYLEN 64     /* bytes: the kernel's 16 32-bit registers */

/* Kernel datatype facts of a key (nft's datatype ids and byte orders). */
struct ir_keyinfo {
	const char *nft_type;  /* datatype name in nft syntax: "ipv4_addr" */
	uint32_t type_id;      /* NFTNL_SET_KEY_TYPE */
	uint32_t len;          /* bytes in the register / set key */
	uint32_t byteorder;    /* nft's BYTEORDER_*: 1 host, 2 big endian */
};
const struct ir_keyinfo *ir_keyinfo(enum ir_key k);

/* An element of a concatenated set or a verdict map. */
struct ir_celem {
	struct ival f[IR_MAX_CONCAT];
	uint32_t chain;      /* verdict maps: goto this chain (index in t->chains) */
};

/* An element of a port-forward map (nat.c): destination port -> address
 * and port; entry = the policy's nat entry (index in pol->nats). */
struct ir_natelem {
	uint16_t port;
	u128 addr;
	uint16_t to_port;
	unsigned entry;
};

struct ir_set {
	char *name;          /* named sets: the kernel name; anonymous: NULL */
	bool anonymous;
	uint32_t id;         /* NFTNL_SET_ID, unique in the batch */
	enum ir_key key;     /* single-field sets */
	bool interval;
	struct ivlist elems; /* single-field sets, merged; ifnames packed into lo */
	/* verdict maps (the merge pass): key is a concatenation of nfields */
	bool vmap;
	bool jump;           /* elements jump (return after the chain) instead of goto */
	uint8_t nfields;
	struct ir_field fields[IR_MAX_CONCAT];
	struct ir_celem *celems;
	size_t ncelems;
	int origin_set;      /* policy set index, or -1 */
	int origin_rule;     /* anonymous: policy rule index; else -1 */
	/* a dynamic set (policy `dynamic: true`): no elements from the
	 * policy, its comment is IR_DYNSET_MARK; timeout in ms (0 = none);
	 * size: most elements (0 = none given) */
	bool dynamic;
	uint64_t timeout_ms;
	uint32_t size;
	/* kernel-filled sets (per-source limits, NFT_SET_EVAL): updated by the
	 * rules, at most size elements, each forgotten timeout_ms after its
	 * last update (0: kept while it counts connections) */
	bool kfill;
	/* a port-forward map (nat.c): a run of dnat entries as one lookup,
	 * `dnat ip to udp dport map @natmap.N`; key the destination port
	 * (key K_DPORT, protocol fields[0].l4), data an address of nat_fam
	 * and a port. Not a verdict map (vmap false), no intervals. */
	bool natmap;
	enum addr_family nat_fam;
	struct ir_natelem *nelems;
	size_t nnelems;
};

/* A rate limit or connection count (limit.c): the rule matches what is
 * OVER it (nft's `limit rate over`, `ct count over`). */
enum ir_lim_kind {
	IR_LIM_NONE,
	IR_LIM_RATE,
	IR_LIM_COUNT,
};

struct ir_limit {
	uint8_t kind;           /* enum ir_lim_kind */
	bool bytes;             /* IR_LIM_RATE: bytes, else packets */
	uint64_t rate;          /* a unit */
	uint32_t unit, burst;   /* seconds; packets or bytes */
	uint32_t count;         /* IR_LIM_COUNT */
	struct ir_set *set;     /* per source: a dynamic set of t->sets, keyed on
				 * the source address (set->key); NULL: one for the rule */
};

/* The comment of a dynamic set's kernel sets: what `vigild set` and the
 * commit helper recognise them by. */
#define IR_DYNSET_MARK "vigil:dynamic"

struct ir_match {
	enum ir_key key;
	enum ir_op op;
	uint8_t l4;          /* K_SPORT/K_DPORT: IPPROTO_TCP/UDP/SCTP, 0 = th */
	struct ival v;       /* OP_EQ/OP_PREFIX/OP_RANGE/OP_MASK */
	char ifname[16];     /* K_IIFNAME/K_OIFNAME with OP_EQ; with OP_VMAP, the
	                      * prefix every element shares (ir_vmap_guard) */
	uint8_t iflen;       /* bytes compared: strlen + 1 exact, strlen for "eth*";
	                      * OP_VMAP: the prefix's length, 0 for none */
	struct ir_set *set;  /* OP_SET, OP_VMAP; owned by the rule when anonymous */
};

enum ir_verdict {
	IV_NONE,   /* counter only (falls through to the chain policy) */
	IV_ACCEPT,
	IV_DROP,
	IV_REJECT,
};

/* A NAT statement (nat.c): ends a rule of a nat chain. */
enum ir_nat_kind {
	IR_NAT_NONE,
	IR_NAT_SNAT,
	IR_NAT_DNAT,
	IR_NAT_MASQ,
	IR_NAT_REDIR,
};

struct ir_nat {
	uint8_t kind;            /* enum ir_nat_kind */
	enum addr_family fam;    /* of the address; AF_NONE: none (masq, redir) */
	u128 addr_lo, addr_hi;   /* a range when they differ */
	bool port;
	uint16_t port_lo, port_hi;
	/* IR_NAT_DNAT of a port-forward map (t->sets, natmap): the address and
	 * port come from map's element for the packet's destination port
	 * (addr_*, port_* unused); no element: the rule does not match */
	const struct ir_set *map;
};

struct ir_rule {
	struct ir_match *m;
	size_t nm;
	bool log;
	char *log_prefix;
	uint32_t log_rate;   /* limit rate log_rate/log_unit seconds before the log; 0 = none */
	uint32_t log_unit;
	uint32_t log_burst;  /* the limit's burst; 0 = LOG_BURST */
	uint16_t log_group;  /* log to this NFLOG group instead of the kernel log; 0 = kernel log */
	/* refused traffic under watch (nflog.c): ir_add_companions puts before
	 * this rule `ct state new limit rate R/U burst B packets counter log
	 * group G prefix P` with the same matches; nflog_group 0 = none */
	uint16_t nflog_group;
	char *nflog_prefix;
	uint32_t nflog_rate, nflog_unit, nflog_burst;
	bool set_mark;       /* ct mark set ct mark & mark_and ^ mark_xor */
	uint32_t mark_and, mark_xor;
	enum ir_verdict verdict;
	uint8_t reject_type, reject_code; /* NFT_REJECT_* and its code */
	struct ir_nat nat;   /* nat chains: the translation (verdict IV_NONE) */
	struct ir_limit lim; /* the over-limit rule of a limited policy rule */
	char *comment;       /* kernel comment: the policy rule's name */
	int origin;          /* policy rule index, or -1 for a built-in rule */
};

/* The nat base chains (nat.c), after all filter chains of the table. */
enum ir_nat_hook {
	IR_NAT_HOOK_NONE,
	IR_NAT_HOOK_PRE,     /* prerouting, priority dstnat: dnat, redirect */
	IR_NAT_HOOK_POST,    /* postrouting, priority srcnat: snat, masquerade */
};

struct ir_chain {
	char *name;
	bool base;           /* base chain on hook, with policy; else a regular chain */
	uint8_t nat;         /* enum ir_nat_hook: a nat base chain (hook unused) */
	enum chain_id hook;
	enum verdict policy;
	struct ir_rule *rules;
	size_t n, cap;
};

struct ir_table {
	char *name;
	/* the base chains input, forward, output first (index = enum chain_id),
	 * then regular chains: one per policy rule merged into a verdict map */
	struct ir_chain *chains;
	size_t nchains;
	struct ir_set **sets;  /* named sets and maps, in creation order */
	size_t nsets;
	uint32_t next_set_id;
	/* figures for `check` and `apply` */
	size_t nrules;          /* kernel rules */
	size_t nelems;          /* set elements (intervals) in all sets */
	size_t nmerged;         /* kernel rules folded into verdict maps */
	size_t ndispatch;       /* dispatch lookups (decision-tree maps) */
	size_t worst[CH_MAX];   /* per base chain: ir_worst_path */
	struct diags warnings;  /* the compiler's (a chain left linear) */
	/* set when the compiler stopped at a limit of ir_opts (ir_compile
	 * returned -E2BIG): which one, and where it was crossed */
	struct ir_over {
		bool rules;         /* kernel rules; else set elements */
		size_t limit;
		int origin_rule;    /* the policy rule that crossed it, or -1 */
		int origin_set;     /* the policy set that crossed it, or -1 */
		size_t count;       /* the final count (origin_rule and _set -1) */
	} over;
};

/* Options that change what the compiler emits. */
struct ir_opts {
	/* merge runs of at least this many similar rules into one verdict-map
	 * lookup; 0 = IR_MERGE_MIN, SIZE_MAX = never */
	size_t merge_min;
	/* decision trees (dispatch.c) for base chains with more than this
	 * many kernel rules after merging; 0 = IR_DISPATCH_MIN, SIZE_MAX = never */
	size_t dispatch_min;
	unsigned dispatch_copies;  /* copies of one rule at most; 0 = IR_DISPATCH_COPIES */
	unsigned dispatch_growth;  /* a tree's rules at most this times the chain's; 0 = default */
	/* a table with at least this many anonymous sets gets one named set
	 * per distinct literal list instead (lists.c); 0 = IR_SHARE_LISTS_MIN,
	 * SIZE_MAX = never */
	size_t share_lists_min;
	/* runs of at least this many consecutive port forwards (dnat entries
	 * of one shape, one port each) become one map lookup in prerouting
	 * and one set lookup in forward (nat.c); 0 = IR_NATMAP_MIN,
	 * SIZE_MAX = never */
	size_t natmap_min;
	/* the most kernel rules and set elements a policy may become; 0 =
	 * IR_MAX_RULES, IR_MAX_ELEMS. Checked while lowering (so that a
	 * hostile policy cannot take gigabytes first) and on the result. */
	size_t max_rules, max_elems;
	/* refused traffic (watch): NFLOG group of drop/reject rules and of
	 * drop defaults; 0 = none (apply, show) */
	uint16_t nflog_group;
};

#define IR_MAX_RULES 100000u
#define IR_MAX_ELEMS 1000000u

#define IR_MERGE_MIN 8
#define IR_DISPATCH_MIN 24
#define IR_DISPATCH_COPIES 64
#define IR_DISPATCH_GROWTH 4
#define IR_SHARE_LISTS_MIN 256
#define IR_NATMAP_MIN 8
/* A rule whose values multiply out to more elements stays a rule. */
#define IR_MERGE_MAX_ELEMS 4096

/*
 * Lowers a checked policy into kernel objects. Returns 0, or -E2BIG when
 * the policy would become more kernel rules or set elements than opts
 * allow (t->over says which and where; ir_over_diag words it). Free t with
 * ir_table_free either way.
 */
int ir_compile(const struct policy *pol, const struct ir_opts *opts, struct ir_table *t);
/* The located error for t->over (after -E2BIG from ir_compile). */
void ir_over_diag(const struct ir_table *t, const struct policy *pol, struct diags *d);
void ir_table_free(struct ir_table *t);

/*
 * The merge pass (run by ir_compile): folds runs of at least `min` similar
 * kernel rules of each base chain into one verdict-map lookup plus a small
 * chain per policy rule. See merge.c for how first-match order is kept.
 */
void ir_merge(struct ir_table *t, const struct policy *pol, size_t min);
/*
 * The dispatch pass (run by ir_compile after merging, before the companion
 * rules): turns each long base chain into a decision tree of verdict-map
 * lookups; a chain whose tree would be too large stays linear, with a
 * warning in t->warnings. See dispatch.c.
 */
void ir_dispatch(struct ir_table *t, const struct policy *pol, const struct ir_opts *o);
/*
 * The most kernel rules one packet can walk in chain `chain`, lookups
 * included, following every jump and goto (an upper bound: the longest
 * path through the tree, whether or not one packet can take all of it).
 */
size_t ir_worst_path(const struct ir_table *t, size_t chain);

/*
 * An interface name as a set key: its 16 bytes (NUL padded), the first the
 * most significant, so that numbers compare as the kernel compares names
 * (memcmp) and "eth*" is the interval ["eth" 00.., "eth" ff..].
 */
u128 ir_pack_ifname(const char *name);
void ir_unpack_ifname(u128 v, char name[17]);
/* Is iv the names "NAME*" (NAME: 1 to 15 bytes, into name)? */
bool ir_ifname_wildcard(const struct ival *iv, char name[17]);
/* A lookup on an interface (m: OP_VMAP, key K_IIFNAME or K_OIFNAME) whose
 * elements all start with the same iflen bytes is compared with that
 * prefix first (dispatch.c): true and *g the wildcard match `iifname
 * "veth*"` when m has such a guard. */
bool ir_vmap_guard(const struct ir_match *m, struct ir_match *g);

/* A new set with the next batch id; the caller links it into the table
 * (named) or into a match (anonymous). */
struct ir_set *ir_set_new(struct ir_table *t, enum ir_key key, bool anonymous);
/* A match for another kernel rule: an anonymous set belongs to one rule,
 * so it is copied; named sets are shared. */
struct ir_match ir_match_copy(struct ir_table *t, const struct ir_match *m);
/* All of r's matches copied (ir_match_copy), after `front` zeroed slots;
 * an array of at least one element. */
struct ir_match *ir_matches_copy(struct ir_table *t, const struct ir_rule *r, size_t front);

/* Frees what a rule owns (its matches' anonymous sets, strings). */
void ir_rule_free(struct ir_rule *r);
/* Frees a set and what it holds. */
void ir_set_free(struct ir_set *s);
/* Frees a match's anonymous set (named sets belong to the table). */
void ir_match_free(struct ir_match *m);

/*
 * Conntrack mark bits vigild uses to name the rule that accepted a flow: the
 * upper 16 bits hold the policy rule's index + 1 (0 = not set by vigild);
 * the lower 16 bits are left to others (wg-quick, for one, uses them).
 */
#define IR_MARK_SHIFT 16
#define IR_MARK_MASK 0xffff0000u
static inline uint32_t ir_mark_of_rule(unsigned index)
{
	return (uint32_t)(index + 1) << IR_MARK_SHIFT;
}

/*
 * vigild's tables carry this comment; the commit helper refuses to replace
 * or delete a table of the same name that lacks it (unless --force), so a
 * mistyped --table cannot take over docker's or libvirt's table.
 */
#define IR_TABLE_MARK "managed by vigild"

/* The prefix of built-in rules' comments; policy rule names cannot hold ':'. */
#define IR_BUILTIN_PREFIX "vigil:"

/* NFLOG prefixes of refused traffic: "vigil:NAME", "vigil:NAME LABEL" or
 * "vigil:default:CHAIN" (the default verdict of a base chain). */
#define IR_NFLOG_DEFAULT IR_BUILTIN_PREFIX "default:"
/* watch's NFLOG group unless --nflog-group says otherwise */
#define IR_NFLOG_GROUP 6613

#endif
