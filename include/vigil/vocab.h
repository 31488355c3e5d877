/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_VOCAB_H
#define VIGIL_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/ir.h"
#include "vigil/policy.h"

/*
 * What vigild may send to nf_tables: the one description both the compiler
 * (nftc.c takes its hooks, priorities, chain types and limit/log/reject
 * constants from here) and the commit helper's verifier (batch_verify*.c
 * accepts nothing else) read.
 *
 * It is an allow-list down to every netlink attribute: each message type
 * and each expression has a table of the attributes it may carry (type,
 * kind, length or value bounds, allowed values, nested tables), and a check
 * for what one attribute alone cannot say (a payload's base, offset and
 * length together; `ct mark set` only of vigild's bits; a lookup only into
 * a set of the same batch). An attribute, expression, message type, flag
 * or value that has no row here is refused.
 *
 * To teach the helper a new shape (NAT chains, NFLOG, dynamic sets):
 * add the rows to vocab.c (a chain to vocab_base_chains, an expression
 * with its attribute table to vocab_exprs, values to the value lists),
 * make nftc emit it from those rows, and add a unit test in
 * tests/unit/test_batch_verify.c that the compiler's batch passes and a
 * near miss does not. The property test (test_verify_prop.c) then checks
 * every policy in the tree against the new table automatically.
 */

/* ---- chains ---- */

/* A base chain vigild creates: one row per enum chain_id. */
struct vocab_chain {
	const char *name;  /* the chain's name, "input" */
	const char *type;  /* NFTA_CHAIN_TYPE: "filter" */
	uint32_t hook;     /* NF_INET_LOCAL_IN */
	int32_t prio;      /* NFTA_HOOK_PRIORITY */
};
extern const struct vocab_chain vocab_base_chains[CH_MAX];
/* The nat chains (ir_chain.nat - 1: IR_NAT_HOOK_PRE, _POST): prerouting
 * at dstnat (-100) for dnat and redirect, postrouting at srcnat (100) for
 * snat and masquerade; policy accept. */
#define VOCAB_NAT_CHAINS 2
extern const struct vocab_chain vocab_nat_chains[VOCAB_NAT_CHAINS];

/* Regular chains are called this prefix + a policy rule name (merge.c). */
#define VOCAB_RULE_CHAIN_PREFIX "rule."
/* a decision tree's chains (dispatch.c): "dispatch.CHAIN.N.K", CHAIN a
 * base chain, N the map, K the leaf */
#define VOCAB_DISPATCH_CHAIN_PREFIX "dispatch."

/* ---- values ---- */

/* A list of allowed u32 values with their names (for refusals). */
struct vocab_value {
	uint32_t v;
	const char *name;
};
struct vocab_values {
	const struct vocab_value *v;
	size_t n;
};
/* The name of v in list l, or NULL when v is not in it. */
const char *vocab_value_name(const struct vocab_values *l, uint32_t v);

/* A field a payload expression may load: [offset, offset + len) of base,
 * len from minlen to maxlen (prefixes load fewer bytes). */
struct vocab_payload {
	uint32_t base;     /* NFT_PAYLOAD_NETWORK_HEADER, ... */
	uint32_t offset;
	uint32_t minlen, maxlen;
	const char *name;
};
extern const struct vocab_payload vocab_payloads[];
extern const size_t vocab_npayloads;

/* A reject vigild emits: the type and the one code that goes with it. */
struct vocab_reject {
	uint32_t type;     /* NFT_REJECT_* */
	uint8_t code;
	const char *name;
};
extern const struct vocab_reject vocab_rejects[];
extern const size_t vocab_nrejects;

/* Registers: a load writes reg 1 or one of the 32-bit registers (the
 * fields of a concatenation); compares, lookups and `ct mark set` read
 * reg 1; verdicts go to the verdict register. */
extern const struct vocab_values vocab_load_regs, vocab_read_regs;
/* meta and ct keys that may be loaded; the chains' policies; compare
 * operators; limit units; verdict codes of immediates and of map elements */
extern const struct vocab_values vocab_meta_keys, vocab_ct_keys, vocab_chain_policies,
	vocab_cmp_ops, vocab_limit_units, vocab_imm_verdicts, vocab_elem_verdicts;

/* Limits as nftc emits them (log rate limits). */
#define VOCAB_LIMIT_BURST LOG_BURST
/* NFLOG rules of refused traffic (ir_add_companions): their bursts */
#define VOCAB_LIMIT_MAX_BURST NFLOG_MAX_BURST
#define VOCAB_LIMIT_MAX_RATE LOG_MAX_RATE

/* Set flag combinations nftc emits, and key types a set may have. */
extern const struct vocab_values vocab_set_flags;
/* The length of a set key of nft datatype id `type`, or 0 when vigild
 * never makes sets of that type (from ir_keyinfo). */
uint32_t vocab_set_key_len(uint32_t type);
#define VOCAB_CONCAT_BITS 6  /* nft: a concatenation's type is (t1 << 6) | t2 ... */

/* Log prefixes are "vigil:" NAME " " (compile.c makes them). */
#define VOCAB_LOG_PREFIX IR_BUILTIN_PREFIX
bool vocab_log_prefix_ok(const char *s, size_t len);
/* NFLOG prefixes (a log with a group): "vigil:NAME", "vigil:NAME LABEL"
 * (LABEL: printable, no quote or backslash, 1 to NFLOG_LABEL_MAX) or
 * "vigil:default:CHAIN". */
bool vocab_nflog_prefix_ok(const char *s, size_t len);
/* Rule comments: a policy rule name, or "vigil:" and printable text. */
bool vocab_rule_comment_ok(const char *s, size_t len);
/* Names of named sets and maps: policy names and suffixes ([a-z0-9_.-]). */
bool vocab_set_name_ok(const char *s, size_t len);
/*
 * The userdata nft writes for a set (so `nft list` prints vigild's sets as
 * its own), from the set's flags and key type, and for a dynamic set the
 * comment IR_DYNSET_MARK: nftc sends exactly this and
 * the verifier accepts nothing else. Returns its length (<= len).
 */
size_t vocab_set_udata(uint32_t flags, uint32_t key_type, bool dynamic, void *buf, size_t len);
/* A port-forward map's (natmap.c): data type ipv4_addr . inet_service
 * (v4) or ipv6_addr . inet_service, and the userdata nft writes for
 * `type inet_service : ipv4_addr . inet_service` (the same for both). */
uint32_t vocab_natmap_data_type(bool v4);
/* the register a port-forward map's port lands in: the 32-bit one after
 * the address (NFT_REG32_01 after 4 bytes; NFT_REG_2 = reg32 4 after 16) */
#define VOCAB_NATMAP_PORT_REG(v4) ((v4) ? NFT_REG32_01 : NFT_REG_2)
size_t vocab_natmap_udata(void *buf, size_t len);
/* Fields of a key type (a concatenation is (t1 << 6) | t2 ...): their
 * types, first field first; 0 when a field is not a type vigild uses. */
int vocab_key_fields(uint32_t key_type, uint32_t types[IR_MAX_CONCAT]);
/* Anonymous sets are all called this (the kernel numbers them). */
#define VOCAB_ANON_SET_NAME "__set%d"

/* ---- attribute tables ---- */

enum vocab_kind {
	VK_U8,     /* exactly 1 byte */
	VK_U32,    /* exactly 4 bytes, network byte order */
	VK_U64,    /* exactly 8 bytes, network byte order */
	VK_STRZ,   /* min..max characters, then exactly one NUL, nothing after */
	VK_BIN,    /* min..max bytes */
	VK_NEST,   /* attributes of table `nest` */
	VK_LIST,   /* min..max items, each a nest of table `nest`: type
		    * NFTA_LIST_ELEM, or (list_pos) its 1-based position, as
		    * libnftnl numbers set elements */
	VK_U16,    /* exactly 2 bytes, network byte order */
};

struct vocab_attrs;

struct vocab_attr {
	uint16_t type;
	const char *name;
	uint8_t kind;                   /* enum vocab_kind */
	bool required;
	bool list_pos;                  /* VK_LIST: items numbered by position */
	uint64_t min, max;              /* VK_U*: value range; VK_STRZ/VK_BIN: length;
					 * VK_LIST: items; max 0: no upper bound */
	const struct vocab_values *in;  /* VK_U8/VK_U32: allowed values */
	const struct vocab_attrs *nest; /* VK_NEST/VK_LIST */
};

struct vocab_attrs {
	const char *name;               /* for refusals: "hook", "verdict" */
	const struct vocab_attr *v;
	size_t n;
};

/* The highest attribute type any table uses (parsed attributes are kept
 * in arrays of VOCAB_MAX_ATTR + 1). */
#define VOCAB_MAX_ATTR 31

/* ---- expressions and messages ---- */

struct nlattr;
struct verify_ctx;   /* the verifier's state (batch_verify*.c) */
struct verify_rule;  /* one rule being verified */

/* What the attributes of one expression were, after the walk. */
typedef const struct nlattr *vocab_tb[VOCAB_MAX_ATTR + 1];

struct vocab_expr {
	const char *name;               /* NFTA_EXPR_NAME */
	const struct vocab_attrs *attrs;
	/* what one attribute alone cannot say; NULL or a refusal */
	const char *(*check)(struct verify_rule *r, const vocab_tb tb, char *why, size_t len);
};
extern const struct vocab_expr vocab_exprs[];
extern const size_t vocab_nexprs;
/* Expressions a rule may hold. */
#define VOCAB_MAX_EXPRS 64

struct vocab_msg {
	uint16_t type;                  /* NFT_MSG_* */
	const char *name;
	uint16_t table_attr;            /* names vigild's table */
	uint16_t name_attr;             /* names the object, for refusals (0: none) */
	const char *obj;                /* what that name is: "chain" */
	uint16_t flags;                 /* exactly these besides NLM_F_REQUEST (NLM_F_ACK may be added) */
	const struct vocab_attrs *attrs;
	/* checks after the walk, with the batch's state; NULL or a refusal */
	const char *(*check)(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len);
	uint16_t flags_opt;             /* and these may be added too */
};
extern const struct vocab_msg vocab_msgs[];
extern const size_t vocab_nmsgs;
/* a delta batch (incremental apply): rules by handle and position, elements
 * of the kernel's named sets, anonymous sets for the rules it inserts */
extern const struct vocab_msg vocab_delta_msgs[];
extern const size_t vocab_ndelta_msgs;
/* What `vigild set` may send (the helper's SETELEM request): elements
 * added to (exclusively: a duplicate is an error) or deleted from a
 * dynamic set the kernel has, named by name, no set id. */
extern const struct vocab_msg vocab_dyn_msgs[];
extern const size_t vocab_ndyn_msgs;

/* Attribute tables the verifier also needs by name. */
/* Debian 12's headers (linux 6.1) lack it: kernel 6.3. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif

extern const struct vocab_attrs vocab_begin_attrs, vocab_expr_item, vocab_set_elem, vocab_data_value,
	vocab_data_verdict, vocab_elem_data, vocab_verdict_attrs, vocab_key_value, vocab_hook_attrs,
	vocab_desc_attrs, vocab_field_attrs;

#endif
