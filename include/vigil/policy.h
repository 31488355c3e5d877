/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_POLICY_H
#define VIGIL_POLICY_H

#include <stdbool.h>
#include <errno.h>
#include <stddef.h>

#include "vigil/diag.h"
#include "vigil/ival.h"
#include "vigil/policy_load.h"
#include "vigil/policy_yaml.h"

/* The checked policy: every value parsed, every set resolved. */

enum chain_id {
	CH_INPUT,
	CH_FORWARD,
	CH_OUTPUT,
	CH_MAX,
};

enum verdict {
	VERDICT_ACCEPT,
	VERDICT_DROP,
	VERDICT_REJECT,
};

enum proto_bit {
	P_TCP = 1 << 0,
	P_UDP = 1 << 1,
	P_SCTP = 1 << 2,
	P_ICMP = 1 << 3,
	P_ICMPV6 = 1 << 4,
};
#define P_PORTS (P_TCP | P_UDP | P_SCTP)
#define P_ICMPS (P_ICMP | P_ICMPV6)

enum pset_type {
	PSET_CIDR,
	PSET_PORT,
};

struct pset {
	char *name;
	enum pset_type type;
	struct ivlist v4, v6;   /* PSET_CIDR, merged */
	struct ivlist ports;    /* PSET_PORT, merged */
	size_t entries;         /* as written, before merging */
	struct srcloc loc;
	unsigned uses;
	bool broken;            /* an element or its file had an error */
	uint64_t seen_in;       /* the checker's: last rule field that referred to it */
	/* type address: single addresses only (a hash set, no intervals, so
	 * that one element can be deleted without splitting a range) */
	bool single;
	/* dynamic: true: its elements belong to the running system (vigild
	 * set add/del), never to the policy; kept across reloads */
	bool dynamic;
	uint64_t timeout_ms;    /* dynamic: default element lifetime, 0 = none */
	uint32_t size;          /* dynamic: most elements per family, 0 = no limit */
};

/* src / dst: literal values and set references, any of which may match. */
struct paddr {
	bool present;
	struct ivlist v4, v6; /* literals, merged */
	struct pset **refs;
	size_t nrefs;
};

/* sport / dport */
struct pport {
	bool present;
	struct ivlist lit;    /* merged */
	struct pset **refs;
	size_t nrefs;
};

/* iif / oif: names; a trailing '*' matches every name with that prefix */
struct pifname {
	bool present;
	char **names;
	size_t n;
};

/* `log: true` logs at most this many packets a second (per kernel rule) */
#define LOG_DEFAULT_RATE 5
#define LOG_MAX_RATE 1000000
/* a log limit's bucket: at most this many packets logged in a row (nft's default) */
#define LOG_BURST 5

/* limit / per-source / ct-count / over (policy_limit.c) */
#define LIMIT_MAX_PACKETS 1000000u          /* a second */
#define LIMIT_MAX_BYTES (1ull << 40)       /* a second */
#define LIMIT_MAX_BURST 1000000u           /* packets */
#define LIMIT_MAX_BURST_BYTES (1u << 30)
#define CT_COUNT_MAX 65535u
#define LIMIT_SET_SIZE 65535u             /* sources a per-source set holds */
#define LIMIT_SET_TIMEOUT_MS 60000u       /* a source's bucket is forgotten after a minute idle */

struct plimit {
	bool rate;             /* limit: */
	bool bytes;            /* the rate is in bytes, else packets */
	uint64_t per;          /* packets or bytes a unit */
	uint32_t unit;         /* seconds: 1, 60, 3600, 86400 */
	uint32_t burst;        /* packets or bytes; 0: none given (5 packets; bytes: 0) */
	bool per_source;       /* one bucket per source address */
	uint32_t ct_count;     /* ct-count: connections a source may have; 0: none */
	enum verdict over;     /* what is over the limit or count: drop or reject */
};

/* NFLOG of refused traffic under watch: each drop/reject rule and each drop
 * default is sampled at this rate (per kernel rule), first packets only */
#define NFLOG_DEFAULT_RATE 50
#define NFLOG_DEFAULT_BURST 100
#define NFLOG_MAX_BURST 100000
#define NFLOG_LABEL_MAX 32

struct plog {
	bool set;          /* said in the policy (a rule without it takes defaults.log) */
	bool off;          /* log: false */
	uint32_t rate;     /* per unit seconds */
	uint32_t unit;
	uint32_t burst;
	char *label;       /* prefix: goes after "vigil:NAME " */
};

struct prule {
	char *name;
	unsigned index;        /* 0-based position in the policy */
	enum chain_id chain;
	unsigned protos;       /* enum proto_bit; 0 = any */
	struct paddr src, dst;
	struct pport sport, dport;
	struct pifname iif, oif;
	bool has_icmp_type;
	struct ivlist icmp4, icmp6; /* types, for proto icmp / icmpv6 */
	enum verdict action;
	bool log;
	uint32_t log_rate;     /* log at most this many packets a log_unit; 0 = no limit */
	uint32_t log_unit;     /* seconds: 1, 60, 3600 or 86400 */
	struct plog nflog;     /* refused-traffic records (drop/reject rules) */
	char *comment;
	struct plimit limit;
	struct srcloc loc;     /* the rule's mapping */
};

/* nat: entries (policy_nat.c) */
enum nat_action {
	NAT_MASQUERADE,
	NAT_SNAT,
	NAT_DNAT,
	NAT_REDIRECT,
};

struct pnat {
	struct prule m;        /* name, index, loc and the matches (proto, src, dst,
				* sport, dport, iif, oif); chain and action unused */
	enum nat_action action;
	enum addr_family fam;  /* of the translated address; AF_NONE: no address */
	u128 addr_lo, addr_hi; /* one address, or a range */
	bool has_port;
	uint16_t port_lo, port_hi;
	bool accept;           /* dnat: a forward accept for what it translates */
	char *accept_comment;  /* accept: that rule's comment, "vigil:dnat NAME" */
};

/*
 * defer-to (policy_defer.c): the container and VM managers whose bridges
 * the forward chain's default drop leaves to them. Each name stands for
 * interface patterns (a trailing '*': every name with that prefix); the
 * forward chain accepts, after every policy rule, what comes in on one of
 * them and, with `ct status dnat`, what goes out on one (a port the
 * manager's nat table published).
 */
enum defer_id {
	DEFER_DOCKER,
	DEFER_PODMAN,
	DEFER_LIBVIRT,
	DEFER_MAX,
};

struct defer_info {
	const char *name;                /* as the policy writes it */
	const char *const *ifaces;       /* its patterns, NULL-terminated */
	const char *comment_out;         /* the built-in rules' comments */
	const char *comment_dnat;
};

/* The entry of d (d < DEFER_MAX). */
const struct defer_info *defer_info(enum defer_id d);
/* Does pattern (an interface name, or "name*") fall under pattern pat? */
bool defer_pattern_covers(const char *pat, const char *name);
/* Which manager an interface name (or "name*") is of, or -1. */
int defer_owner(const char *name);

struct policy {
	char *file;
	char *table;
	bool revoke;           /* revoke: true (policy_revoke.c) */
	enum verdict defaults[CH_MAX];
	unsigned defer;        /* bits 1 << enum defer_id: forward's defer-to
				* (0 when forward's default is accept) */
	struct srcloc defer_loc; /* the defer-to key */
	struct plog nflog;     /* defaults.log: default verdicts, and rules without log: */
	struct pset *sets;
	size_t nsets;
	struct prule *rules;
	size_t nrules;
	struct pnat *nats;     /* top-level nat: list, in order */
	size_t nnats;
};

/*
 * Reads a set file named in the policy (path as written there; resolving it
 * against the policy's directory is the caller's business). Returns 0 with a
 * malloc'd buffer, -EFBIG when the file is larger than max bytes, or another
 * negative errno.
 */
typedef int (*policy_read_fn)(void *ctx, const char *path, size_t max, char **buf, size_t *len);
/* what a policy_read_fn returns for a pipe, device or socket */
#define POLICY_READ_NOT_REGULAR (-ENODEV)
/* ... for a file outside what the reading process may read (a watch's read
 * limit, src/daemon/confine.c) */
#define POLICY_READ_CONFINED (-EXDEV)

struct policy_opts {
	const char *table;       /* the table vigild runs for: a policy naming
				  * another one is an error; NULL: any */
	policy_read_fn read_file;
	void *read_ctx;
	size_t max_set_file;     /* bytes; 0 = default */
	const char *as_user;     /* set files are read as this user (for messages) */
	const char *set_dir;     /* where relative set-file paths are read from
				  * (for messages); NULL: not said */
	bool set_dir_is_cwd;     /* ... the working directory (a policy from stdin) */
};

#define POLICY_MAX_FILE (16u << 20)     /* a policy file */
#define SETFILE_MAX (64u << 20)         /* a set file */
#define POLICY_MAX_RULES 65535u         /* conntrack-mark space (16 bits) */
#define SET_MAX_ENTRIES 4000000u
#define NAME_MAX_LEN 32
#define DYNSET_MAX_TIMEOUT (365u * 86400u) /* seconds: a dynamic set's timeouts */
#define RULE_MAX_EXPANSION 1024u      /* kernel rules one policy rule may become */

/*
 * Checks the loaded document against everything the format promises and
 * builds the checked policy. Reports every problem into d. Returns 0 when
 * the policy is valid, -EINVAL otherwise (pol is then partly filled; free it
 * with policy_free either way).
 */
int policy_check(const struct ydoc *doc, const struct pdoc *pd, const struct policy_opts *opts,
		 struct policy *pol, struct diags *d);

/* The address families an address field can match: bit 1 IPv4, bit 2
 * IPv6; 3 when absent; a referenced empty set adds empty_set. */
unsigned paddr_families(const struct paddr *pa, unsigned empty_set);

/* ICMPv6 types the built-in rule of input and output accepts before any
 * policy rule: neighbour, router and multicast listener discovery. */
#define ND_ICMPV6_TYPES { 130, 131, 132, 133, 134, 135, 136, 143 }

/*
 * Warns about rules of a valid policy that can never match: an earlier rule
 * of the same chain, or a built-in rule, matches every packet they would
 * (shadow.c). Certain cases only; chains of more than 2,048 rules are
 * checked against the built-in rules only.
 */
void policy_shadow_warnings(const struct policy *pol, struct diags *d);
void policy_free(struct policy *pol);

/*
 * Which address families a valid policy routes between interfaces (bit 1
 * IPv4, bit 2 IPv6): a forward accept rule, or a nat entry other than a
 * redirect. why4/why6 name the first rule or entry that does (for the
 * warning when the kernel does not forward: policy_nat.c).
 */
unsigned policy_forward_families(const struct policy *pol, char why4[64], char why6[64]);

/*
 * Parses a set file's text: one entry a line, '#' starts a comment. Appends
 * to set (merging is left to the caller). Reports errors as file:line:col.
 */
void setfile_parse(const char *file, const char *buf, size_t len, struct pset *set,
		   struct diags *d);

/* Whole pipeline for one buffer: parse, load, check. On failure pol is
 * already freed (and zeroed: policy_free on it again is harmless). */
int policy_compile_buffer(const char *file, const char *buf, size_t len,
			  const struct policy_opts *opts, struct policy *pol, struct diags *d);

const char *chain_name(enum chain_id c);
const char *verdict_name(enum verdict v);
bool valid_name(const char *s, bool digit_first);
/* Why s cannot name a table or a set (not a name; an nft keyword), or NULL. */
const char *table_name_problem(const char *s);

#endif
