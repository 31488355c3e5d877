/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TEST_DELTAPAIR_H
#define VIGIL_TEST_DELTAPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/batch.h"
#include "vigil/delta.h"

/* the generation the pairs' batches carry (and the gate must report) */
#define GENID 77

/* A policy compiled to its replacement batch (b initialised here). */
void deltapair_compiled(const char *yaml, struct batch *b);

/* kb: the first policy's batch, kdump: it as the kernel would dump it
 * (every rule given a handle), want: the second's batch, delta: the
 * incremental batch between them (delta_build, which must succeed), p
 * its plan. */
struct pair {
	struct batch kb, kdump, want, delta;
	struct delta_plan p;
};
void pair_build(struct pair *x, const char *kyaml, const char *yaml);
void pair_free(struct pair *x);
/* batch_verify_delta of buf against x's kernel dump; its return */
int pair_verify(const void *buf, size_t len, const struct pair *x, struct batch_refusal *r);
/* the messages of b of nf_tables type `type` */
size_t count_type(const struct batch *b, uint16_t type);
/* d: src's messages between BEGIN and END, then extra (when not NULL),
 * framed by a BEGIN of ours (with NFNL_BATCH_GENID = GENID when genid) */
void reframe(const struct batch *src, struct batch *d, bool genid, const void *extra,
	     size_t extra_len);
/* the gate refuses d with a reason containing needle */
void refused(const struct pair *x, const struct batch *d, const char *needle);
/* a message header of type in buf (1024 bytes, zeroed here) */
struct nlmsghdr *msg(uint8_t *buf, uint16_t type, uint16_t flags);

#endif
