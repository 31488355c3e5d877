// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/netlink.h>
#include <string.h>

#include "vigil/batch.h"
#include "vigil/util.h"

void batch_init(struct batch *b, uint32_t seq0)
{
	memset(b, 0, sizeof(*b));
	b->next_seq = seq0 ? seq0 : 1;
}

void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->nmsgs; i++)
		free(b->msgs[i].what);
	free(b->msgs);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void *batch_reserve(struct batch *b, size_t room)
{
	grow((void **)&b->buf, &b->cap, b->len + room, 1);
	memset(b->buf + b->len, 0, room);
	return b->buf + b->len;
}

uint32_t batch_seq(struct batch *b)
{
	return b->next_seq;
}

void batch_commit_msg(struct batch *b, int origin_rule, int origin_set, char *what)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);
	struct batch_msg *m;

	GROW(b->msgs, b->capmsgs, b->nmsgs + 1);
	m = &b->msgs[b->nmsgs++];
	m->seq = nlh->nlmsg_seq;
	m->type = nlh->nlmsg_type;
	m->origin_rule = origin_rule;
	m->origin_set = origin_set;
	m->what = what;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	/* seqs wrap around past 2^32 - 1; 0 is never used (an unset seq) */
	if (++b->next_seq == 0)
		b->next_seq = 1;
}

const struct batch_msg *batch_find_seq(const struct batch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->nmsgs;
	uint32_t first, want;

	if (!b->nmsgs)
		return NULL;
	/*
	 * Sequence numbers increase through the batch, modulo 2^32 (the first
	 * one is time-based and may sit just below the wrap): search by the
	 * distance from the first message's seq, which increases without wrap.
	 */
	first = b->msgs[0].seq;
	want = seq - first;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t dist = b->msgs[mid].seq - first;
		if (dist == want)
			return &b->msgs[mid];
		if (dist < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
