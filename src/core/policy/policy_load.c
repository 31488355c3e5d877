// SPDX-License-Identifier: GPL-2.0-or-later
/* libcyaml schema for the canonical policy document (see policy_yaml.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cyaml/cyaml.h>

#include "vigil/policy_load.h"

#define STR_FIELD(key, type, member)                                                \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, \
			       member, 0, CYAML_UNLIMITED)
#define LIST_FIELD(key, type, member)                                                  \
	CYAML_FIELD_SEQUENCE(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, member, \
			     &string_entry, 0, CYAML_UNLIMITED)

static const cyaml_schema_value_t string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t defaults_fields[] = {
	STR_FIELD("input", struct pdoc_defaults, input),
	STR_FIELD("forward", struct pdoc_defaults, forward),
	STR_FIELD("output", struct pdoc_defaults, output),
	STR_FIELD("log", struct pdoc_defaults, log),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t set_fields[] = {
	STR_FIELD("name", struct pdoc_set, name),
	STR_FIELD("type", struct pdoc_set, type),
	STR_FIELD("file", struct pdoc_set, file),
	STR_FIELD("dynamic", struct pdoc_set, dynamic),
	STR_FIELD("timeout", struct pdoc_set, timeout),
	STR_FIELD("size", struct pdoc_set, size),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t set_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct pdoc_set, set_fields),
};

static const cyaml_schema_field_t rule_fields[] = {
	STR_FIELD("name", struct pdoc_rule, name),
	STR_FIELD("chain", struct pdoc_rule, chain),
	LIST_FIELD("proto", struct pdoc_rule, proto),
	LIST_FIELD("src", struct pdoc_rule, src),
	LIST_FIELD("dst", struct pdoc_rule, dst),
	LIST_FIELD("sport", struct pdoc_rule, sport),
	LIST_FIELD("dport", struct pdoc_rule, dport),
	LIST_FIELD("iif", struct pdoc_rule, iif),
	LIST_FIELD("oif", struct pdoc_rule, oif),
	LIST_FIELD("icmp-type", struct pdoc_rule, icmp_type),
	STR_FIELD("action", struct pdoc_rule, action),
	STR_FIELD("log", struct pdoc_rule, log),
	STR_FIELD("comment", struct pdoc_rule, comment),
	STR_FIELD("limit", struct pdoc_rule, limit),
	STR_FIELD("per-source", struct pdoc_rule, per_source),
	STR_FIELD("ct-count", struct pdoc_rule, ct_count),
	STR_FIELD("over", struct pdoc_rule, over),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t rule_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct pdoc_rule, rule_fields),
};

static const cyaml_schema_field_t nat_fields[] = {
	STR_FIELD("name", struct pdoc_nat, name),
	LIST_FIELD("proto", struct pdoc_nat, proto),
	LIST_FIELD("src", struct pdoc_nat, src),
	LIST_FIELD("dst", struct pdoc_nat, dst),
	LIST_FIELD("sport", struct pdoc_nat, sport),
	LIST_FIELD("dport", struct pdoc_nat, dport),
	LIST_FIELD("iif", struct pdoc_nat, iif),
	LIST_FIELD("oif", struct pdoc_nat, oif),
	STR_FIELD("action", struct pdoc_nat, action),
	STR_FIELD("to", struct pdoc_nat, to),
	STR_FIELD("accept", struct pdoc_nat, accept),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t nat_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct pdoc_nat, nat_fields),
};

static const cyaml_schema_field_t zone_fields[] = {
	STR_FIELD("name", struct pdoc_zone, name),
	LIST_FIELD("interfaces", struct pdoc_zone, interfaces),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t zone_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct pdoc_zone, zone_fields),
};

static const cyaml_schema_field_t top_fields[] = {
	STR_FIELD("version", struct pdoc, version),
	STR_FIELD("table", struct pdoc, table),
	STR_FIELD("revoke", struct pdoc, revoke),
	CYAML_FIELD_MAPPING_PTR("defaults", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct pdoc,
				defaults, defaults_fields),
	CYAML_FIELD_SEQUENCE("sets", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct pdoc, sets,
			     &set_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("rules", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct pdoc, rules,
			     &rule_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("nat", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct pdoc, nat,
			     &nat_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("zones", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct pdoc, zones,
			     &zone_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t top_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct pdoc, top_fields),
};

/* libcyaml's own messages are not for users: the canonical text is ours. */
static void quiet_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	(void)level;
	(void)ctx;
	(void)fmt;
	(void)args;
}

/*
 * libcyaml grows a sequence by one realloc per entry. With an allocator
 * whose realloc moves the block every time (AddressSanitizer's; glibc's
 * whenever the block is not the last one), loading 65535 rules or a long
 * element list copies O(n^2) bytes. This one keeps each block's capacity in
 * a header and grows it by half each time: amortised O(n).
 */
#define MEM_HDR 16 /* keeps malloc's 16-byte alignment */

static void *amortised_mem(void *ctx, void *ptr, size_t size)
{
	size_t *base = ptr ? (size_t *)(void *)((char *)ptr - MEM_HDR) : NULL;
	size_t cap;

	(void)ctx;
	if (size == 0) {
		free(base);
		return NULL;
	}
	if (base && size <= base[0])
		return ptr;
	cap = base ? base[0] + base[0] / 2 : 0;
	if (cap < size)
		cap = size;
	if (cap > SIZE_MAX - MEM_HDR)
		return NULL;
	base = realloc(base, MEM_HDR + cap); /* on failure ptr stays valid */
	if (!base)
		return NULL;
	base[0] = cap;
	return (char *)base + MEM_HDR;
}

static const cyaml_config_t config = {
	.log_fn = quiet_log,
	.mem_fn = amortised_mem,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_NO_ALIAS,
};

int policy_load(const struct ydoc *doc, struct pdoc **ret, struct diags *d)
{
	struct pdoc *p = NULL;
	cyaml_err_t err;

	err = cyaml_load_data((const uint8_t *)doc->canon, doc->canon_len, &config, &top_schema,
			      (cyaml_data_t **)&p, NULL);
	if (err != CYAML_OK) {
		/* the canonical text is generated: a failure here is our bug */
		diag_err(d, ((struct srcloc){ doc->file, 0, 0 }),
			 "internal error: libcyaml could not load the canonical policy: %s",
			 cyaml_strerror(err));
		return err == CYAML_ERR_OOM ? -ENOMEM : -EINVAL;
	}
	*ret = p;
	return 0;
}

void pdoc_free(struct pdoc *p)
{
	if (p)
		cyaml_free(&config, &top_schema, p, 0);
}
