/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TESTS_HB_H
#define VIGIL_TESTS_HB_H

/*
 * Hostile batches for the verifier tests: built as a compromised main
 * process could build them, from vigild's own batch for a policy plus
 * messages made with libnftnl or by hand.
 */
#include <stddef.h>
#include <stdint.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netlink.h>

#include "vigil/batch.h"

struct hb {
	uint8_t *buf;
	size_t len, cap;
	uint32_t seq;
};

/* vigild's replacement batch for yaml (table vigil) without its END. */
void hb_policy(struct hb *b, const char *yaml);
/* An empty batch (not even BEGIN). */
void hb_empty(struct hb *b);
void hb_free(struct hb *b);
/* Room for one more message; returns where it goes. */
void *hb_room(struct hb *b);
/* Accounts for the message just written at hb_room(). */
void hb_done(struct hb *b, struct nlmsghdr *nlh);
void hb_begin(struct hb *b);
void hb_end(struct hb *b);

/* A raw nf_tables message header (NLM_F_REQUEST | flags) at hb_room(). */
struct nlmsghdr *hb_msg(struct hb *b, uint16_t nft_type, uint8_t family, uint16_t flags);

/* A chain of table vigil: base chain when type is not NULL. */
void hb_chain(struct hb *b, const char *name, const char *type, uint32_t hook, int32_t prio,
	      uint32_t policy);
/* A rule in chain (table vigil) with comment "evil", to fill with expressions. */
struct nftnl_rule *hb_rule(const char *chain);
/* Appends the rule (and frees it). */
void hb_put_rule(struct hb *b, struct nftnl_rule *r);
struct nftnl_expr *hb_expr(const char *name);

/* Keeps the first n messages of b. */
void hb_truncate(struct hb *b, size_t n);
/* The id of set `name` made by b (0 when none). */
uint32_t hb_set_id(const struct hb *b, const char *name);

/* Messages in b so far (the index the next one gets). */
size_t hb_nmsgs(const struct hb *b);

/* batch_verify(b, "vigil"); the reason in *why (index too) */
int hb_verify(const struct hb *b, struct batch_refusal *why);

/* Fails unless b is refused at message `index` with a reason holding every
 * needle (NULL-terminated). */
void hb_refused_at(const struct hb *b, size_t index, const char *const *needles);
#define HB_REFUSED(b, index, ...) hb_refused_at((b), (index), (const char *const[]){ __VA_ARGS__, NULL })

#endif
