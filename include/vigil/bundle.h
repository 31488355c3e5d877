/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BUNDLE_H
#define VIGIL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/policy.h"
#include "vigil/util.h"

/*
 * A policy's complete input: the policy text and the content of every set
 * file it read, as they were when it was applied, with the SHA-256 of all
 * of it. The last-known-good policy is stored as a bundle: recompiled from
 * it, it gives exactly what was applied (rule names for attribution
 * included), and what it can commit is what the compiler emits for it,
 * verified by the helper like any batch. Pure: serialising and parsing
 * only; the daemon stores the bytes.
 */
struct bundle_part {
	char *name;          /* "" for the policy; else the set file's path as written */
	char *data;          /* NUL-terminated copy */
	size_t len;
};

struct bundle {
	char *source;        /* the policy's path, as given */
	char *table;
	int64_t time;        /* Unix seconds of the apply */
	char hash[65];       /* hex SHA-256 of the parts (bundle_hash) */
	struct bundle_part *parts;
	size_t n, cap;
};

void bundle_init(struct bundle *b, const char *source, const char *table, int64_t time);
void bundle_add(struct bundle *b, const char *name, const char *data, size_t len);
void bundle_free(struct bundle *b);
/* Computes b->hash over every part (name, length, bytes). */
void bundle_hash(struct bundle *b);
/* The policy text's own SHA-256 (what `sha256sum POLICY` prints). */
void bundle_sha256_hex(const void *data, size_t len, char out[65]);

/* The bytes to store ("vigil-bundle 1" header, length-prefixed parts). */
void bundle_serialize(const struct bundle *b, struct strbuf *out);
/*
 * Parses stored bytes; the hash must match the parts. Returns 0, or
 * -EBADMSG (malformed, *why says where) / -EILSEQ (hash mismatch).
 */
int bundle_parse(const char *buf, size_t len, struct bundle *b, const char **why);

/* The policy text (part ""), or NULL. */
const struct bundle_part *bundle_policy(const struct bundle *b);

/* A policy_read_fn that serves set files from the bundle (ctx = bundle). */
int bundle_read_set(void *ctx, const char *path, size_t max, char **buf, size_t *len);

/*
 * A policy_read_fn that reads through another one and records what it
 * read into a bundle: a policy compiled through it leaves its complete
 * input behind.
 */
struct bundle_recorder {
	policy_read_fn read;
	void *ctx;
	struct bundle *into;
};
int bundle_record_set(void *ctx, const char *path, size_t max, char **buf, size_t *len);

#endif
