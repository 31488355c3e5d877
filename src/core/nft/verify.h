/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verifier's inside (batch_verify.c: framing, attribute walk, batch
 * state; batch_verify_msg.c: tables, chains, sets, elements, rules;
 * batch_verify_expr.c: expressions). The tables it walks are in vocab.c.
 */
#ifndef VIGIL_VERIFY_H
#define VIGIL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/batch.h"
#include "vigil/ir.h"
#include "vigil/vocab.h"
#include <linux/netfilter/nf_tables.h>

/* An index from names or ids to positions in an array (open addressing). */
struct vindex {
	uint64_t *keys;    /* hash | 1 (0 = empty) */
	uint32_t *pos;
	size_t cap, n;
};

struct verify_set {
	char *name;        /* as sent ("__set%d" for anonymous sets) */
	uint32_t id, flags, key_type, key_len;
	bool map;          /* a verdict map */
	bool natmap;       /* a port-forward map (natmap.c): port -> address . port */
	uint8_t nat_alen;  /* ... its address length, 4 or 16 */
	bool dynamic;      /* a dynamic set (its comment is IR_DYNSET_MARK) */
	bool bound;        /* an anonymous set some rule looked up */
	bool kernel;       /* a set of the kernel's table (a delta batch): known by name */
};

struct verify_chain {
	char *name;
	bool base;
	uint8_t nat;       /* enum ir_nat_hook: a nat base chain */
};

/* Where the batch is in its grammar (see batch_verify.c). */
enum verify_state {
	VS_START,          /* after BEGIN */
	VS_ADDED,          /* NEWTABLE (so the delete cannot fail) */
	VS_DELETED_FRESH,  /* ... DELTABLE: the marked NEWTABLE must follow */
	VS_GONE,           /* BEGIN DESTROYTABLE: END, or the marked NEWTABLE */
	VS_BODY,           /* ... NEWTABLE with vigild's mark: chains, sets, rules */
	VS_DELETED,        /* BEGIN DELTABLE: nothing else */
};

struct verify_ctx {
	const char *table;
	size_t index;              /* message number in the batch */
	const char *msg;           /* its type's name */
	char obj[96];              /* what it makes: "chain input", "rule 'ssh' in chain input" */
	enum verify_state state;
	bool rules_seen;
	struct verify_set *sets;
	size_t nsets, capsets;
	struct verify_chain *chains;
	size_t nchains, capchains;
	struct vindex set_ids, set_names, chain_names;
	struct batch_refusal *r;
	/* batch_verify_setelem: its own message table, and the kernel's
	 * dynamic sets the elements may go to */
	const struct vocab_msg *msgs;
	size_t nmsgs;
	const struct dynset_list *dyn;
	uint8_t rule_nat;          /* the rule being verified is in a nat chain (enum ir_nat_hook) */
	/* batch_verify_delta: the chains and named sets are the kernel's
	 * (preloaded), the batch changes rules and elements only */
	bool delta;
	uint32_t genid;            /* the BEGIN's NFNL_BATCH_GENID (delta: required) */
	uint16_t nlflags;          /* the message's netlink flags (for its check) */
};

/* One rule's expressions, as far as they have been checked. */
enum verify_expr_kind {
	VE_OTHER,
	VE_CT_LOAD_STATE,          /* ct state -> reg 1 (a `ct state new` may follow) */
	VE_CT_LOAD_MARK,           /* ct mark -> reg 1 */
	VE_MARK_KEEP,              /* reg 1 & ~vigild's bits ^ (vigild's bits only) */
	VE_CT_SET_MARK,
	VE_VERDICT,                /* immediate, vmap lookup, reject: ends the rule */
	VE_NAT_VALUE,              /* immediate of a value into a register (nat chains) */
	VE_NAT,                    /* nat, masq, redir: ends a rule of a nat chain */
	VE_DPORT,                  /* payload: th dport -> reg 1 */
	VE_NATMAP,                 /* lookup of a port-forward map -> reg 1 on (the nat follows) */
	VE_SADDR4,                 /* payload: ip saddr, whole */
	VE_SADDR6,                 /* payload: ip6 saddr, whole */
};

struct verify_rule {
	struct verify_ctx *c;
	size_t n;                  /* expressions checked */
	enum verify_expr_kind prev[2]; /* the two before this one (prev[0] nearest) */
	enum verify_expr_kind kind;    /* what the check says this one is */
	uint8_t reglen[NFT_REG_4 + 1]; /* bytes a value immediate put in reg 1..4 (0: none) */
	uint32_t burst;            /* a limit's burst, 0 before any (verify_log checks it) */
	size_t limit_at;           /* the limit's position (r->n), 0: none */
	bool ct_new;               /* a `ct state new` match came before (its bitwise mask) */
	bool log_limit;            /* a log's limit (not `over`) waits for its log */
	uint8_t natmap_alen;       /* VE_NATMAP: the map's address length */
};

/* What a check returns when it has refused the batch itself (a walk
 * inside it did, naming the attribute): r->why already says why. */
extern const char verify_refused[];

/* snprintf, for text that may be cut short */
void verify_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Refuses the batch: "message N (TYPE OBJECT): DETAIL". Returns -EPERM. */
int verify_refuse(struct verify_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Walks the attributes [p, p + len) against table t: every attribute known,
 * none repeated, every length and value as the table says, padding zero,
 * no byte left over, nests walked recursively (lists item by item).
 * Fills tb (indexed by type) with the top level. Returns 0 or -EPERM.
 * `what` names the place for refusals ("expression 3 (meta)").
 */
int verify_walk(struct verify_ctx *c, const char *what, const void *p, size_t len,
		const struct vocab_attrs *t, vocab_tb tb);
/* The same for the payload of a nested attribute. */
int verify_walk_nest(struct verify_ctx *c, const char *what, const struct nlattr *nest,
		     const struct vocab_attrs *t, vocab_tb tb);

/* Values of attributes the walk accepted. */
uint32_t verify_u32(const struct nlattr *a);
uint64_t verify_u64(const struct nlattr *a);
uint8_t verify_u8(const struct nlattr *a);
const char *verify_str(const struct nlattr *a); /* NUL-terminated (the walk checked) */
const void *verify_data(const struct nlattr *a, size_t *len);

/* Objects of the batch so far. */
struct verify_set *verify_set_find(struct verify_ctx *c, uint32_t id);
struct verify_set *verify_set_named(struct verify_ctx *c, const char *name);
/* The set a lookup, dynset or element list names (name, id) as the kernel
 * resolves it: the id of a set of this batch, whose name must match; in a
 * delta batch a kernel set by its name first. NULL: none. */
struct verify_set *verify_set_ref(struct verify_ctx *c, const char *name, uint32_t id);
struct verify_chain *verify_chain_find(struct verify_ctx *c, const char *name);
int verify_set_add(struct verify_ctx *c, const struct verify_set *s);
int verify_chain_add(struct verify_ctx *c, const char *name, bool base);
void verify_ctx_free(struct verify_ctx *c);

/* Message checks (vocab_msgs rows). */
const char *verify_newtable(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_deltable(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_newchain(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_newset(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_newsetelem(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_newrule(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
/* batch_verify.c: the framing and the walk, for batch_verify_delta (which
 * loaded the kernel's objects into c; c's objects are freed) */
int verify_run_delta(struct verify_ctx *c, const void *buf, size_t len);
/* batch_verify_delta.c: a delta batch's own messages */
const char *verify_delrule(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_delsetelem(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_delta_newset(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
const char *verify_delta_newchain(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
/* A base chain's type, hook, priority and policy as vigild's (batch_verify_msg.c). */
const char *verify_base_chain(struct verify_ctx *c, const vocab_tb tb, const char *name, char *why,
			      size_t len);
/* One element of a NEWSETELEM for set s (batch_verify_msg.c). */
const char *verify_elem(struct verify_ctx *c, const struct verify_set *s, const struct nlattr *item,
			size_t i, char *why, size_t len);
/* batch_verify_dyn.c: elements added to or deleted from a dynamic set */
const char *verify_dynelems(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);


/* Expression checks (vocab_exprs rows). */
const char *verify_meta(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_payload(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_cmp(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_bitwise(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_ct(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_lookup(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_limit(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_log(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_reject(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_immediate(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
/* batch_verify_nat.c: NAT expressions, value immediates, nat chains. */
const char *verify_nat(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_masq(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_redir(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
/* An immediate whose destination is not the verdict register. */
const char *verify_imm_value(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
/* batch_verify_limit.c: limits, connection counts, dynamic sets. */
const char *verify_connlimit(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
const char *verify_dynset(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
/* NEWSET of a dynamic set (NFT_SET_EVAL): its key, size and timeout. */
const char *verify_dynamic_set(const vocab_tb tb, uint32_t flags, char *why, size_t len);

/* vocab_nat_chains' row called name, or NULL. */
const struct vocab_chain *verify_nat_chain_row(const char *name, uint8_t *hook);

/* The expressions of a rule (NFTA_RULE_EXPRESSIONS, already walked as a list). */
const char *verify_exprs(struct verify_ctx *c, const struct nlattr *list, char *why, size_t len);

/* A verdict (NFTA_DATA_VERDICT's table, walked) against list `allowed`:
 * jump and goto only to a regular chain of this batch. */
const char *verify_verdict(struct verify_ctx *c, const struct nlattr *verdict,
			   const struct vocab_values *allowed, char *why, size_t len);

#endif
