/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_POLICY_LOAD_H
#define VIGIL_POLICY_LOAD_H

#include "vigil/diag.h"
#include "vigil/policy_yaml.h"

/*
 * The policy document as libcyaml loads it from the canonical text that
 * policy_yaml emits. Every leaf is a string: types are checked by
 * policy_check, which can then report every bad value with its position
 * (a strict libcyaml type would abort the whole load at the first one).
 * A NULL/0 field is absent or was malformed (already reported).
 */
struct pdoc_defaults {
	char *input;
	char *forward;
	char *output;
	char *log;     /* a scalar; a mapping is read from the tree */
};

/* A set's elements are not here: policy_check reads them from the position
 * tree (see walk_list in policy_yaml.c). */
struct pdoc_set {
	char *name;
	char *type;
	char *file;
	char *dynamic;
	char *timeout;
	char *size;
};

struct pdoc_rule {
	char *name;
	char *chain;
	char **proto;
	unsigned proto_count;
	char **src;
	unsigned src_count;
	char **dst;
	unsigned dst_count;
	char **sport;
	unsigned sport_count;
	char **dport;
	unsigned dport_count;
	char **iif;
	unsigned iif_count;
	char **oif;
	unsigned oif_count;
	char **icmp_type;
	unsigned icmp_type_count;
	char *action;
	char *log;
	char *comment;
	char *limit;
	char *per_source;
	char *ct_count;
	char *over;
};

struct pdoc_zone {
	char *name;
	char **interfaces;
	unsigned interfaces_count;
};

struct pdoc_nat {
	char *name;
	char **proto;
	unsigned proto_count;
	char **src;
	unsigned src_count;
	char **dst;
	unsigned dst_count;
	char **sport;
	unsigned sport_count;
	char **dport;
	unsigned dport_count;
	char **iif;
	unsigned iif_count;
	char **oif;
	unsigned oif_count;
	char *action;
	char *to;
	char *accept;
};

struct pdoc {
	char *version;
	char *table;
	char *revoke;
	struct pdoc_defaults *defaults;
	struct pdoc_set *sets;
	unsigned sets_count;
	struct pdoc_rule *rules;
	unsigned rules_count;
	struct pdoc_nat *nat;
	unsigned nat_count;
	struct pdoc_zone *zones;
	unsigned zones_count;
};

/*
 * Loads doc->canon with libcyaml. Returns 0 and sets *ret (free with
 * pdoc_free), or a negative errno with a diagnostic in d.
 */
int policy_load(const struct ydoc *doc, struct pdoc **ret, struct diags *d);
void pdoc_free(struct pdoc *p);

#endif
