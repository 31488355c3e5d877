// SPDX-License-Identifier: GPL-2.0-or-later
/* batch: the buffer, sequence numbers and the seq -> origin map. */
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vigil/batch.h"
#include "vigil/util.h"

/* Appends a message of `payload` bytes with the batch's next seq. */
static uint32_t put(struct batch *b, uint16_t type, size_t payload, int rule, int set)
{
	struct nlmsghdr *nlh = batch_reserve(b, NLMSG_HDRLEN + payload + 64);
	uint32_t seq = batch_seq(b);

	/* reserve hands out zeroed memory */
	for (size_t i = 0; i < NLMSG_HDRLEN + payload + 64; i++)
		expect(((uint8_t *)nlh)[i] == 0, "byte %zu of reserved room is not 0", i);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + payload);
	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	memset((uint8_t *)nlh + NLMSG_HDRLEN, 0x5a, payload);
	batch_commit_msg(b, rule, set, xasprintf("message %u", seq));
	return seq;
}

START_TEST(seq_start)
{
	struct batch b;

	batch_init(&b, 0);
	ck_assert_uint_eq(batch_seq(&b), 1); /* 0 is not a usable seq */
	batch_free(&b);
	batch_init(&b, 1000);
	ck_assert_uint_eq(batch_seq(&b), 1000);
	ck_assert_uint_eq(put(&b, 16, 4, -1, -1), 1000);
	ck_assert_uint_eq(batch_seq(&b), 1001);
	batch_free(&b);
	ck_assert_ptr_null(b.buf);
	ck_assert_uint_eq(b.nmsgs, 0);
}
END_TEST

START_TEST(layout)
{
	struct batch b;
	const struct nlmsghdr *nlh;
	size_t off = 0;
	static const size_t sizes[] = { 4, 1, 0, 7, 300, 3 };

	batch_init(&b, 7);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		put(&b, (uint16_t)(16 + i), sizes[i], (int)i, -1);
	ck_assert_uint_eq(b.nmsgs, ARRAY_SIZE(sizes));
	/* messages are packed at NLMSG_ALIGN boundaries, headers intact */
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		nlh = (const struct nlmsghdr *)(b.buf + off);
		ck_assert_uint_eq(nlh->nlmsg_len, NLMSG_HDRLEN + sizes[i]);
		ck_assert_uint_eq(nlh->nlmsg_type, 16 + i);
		ck_assert_uint_eq(nlh->nlmsg_seq, 7 + i);
		ck_assert_uint_eq(b.msgs[i].seq, 7 + i);
		ck_assert_uint_eq(b.msgs[i].type, 16 + i);
		ck_assert_int_eq(b.msgs[i].origin_rule, (int)i);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	ck_assert_uint_eq(b.len, off);
	batch_free(&b);
}
END_TEST

/* The seq of message i of a batch started at seq0: consecutive, but 0 is
 * skipped when the counter wraps. */
static uint32_t nth_seq(uint32_t seq0, unsigned i)
{
	uint32_t s = seq0 + i;
	return s < seq0 ? s + 1 : s;
}

START_TEST(find_seq)
{
	static const uint32_t starts[] = { 1, 0x68a3b101u, 0xfffff000u, 0xffffffffu };
	const unsigned n = 5000;

	/* the first seq is time-based (cmd_apply.c): any value, also one just
	 * below the wrap, must map every seq back to its message */
	for (size_t k = 0; k < ARRAY_SIZE(starts); k++) {
		uint32_t s0 = starts[k];
		struct batch b;

		batch_init(&b, s0);
		for (unsigned i = 0; i < n; i++) {
			uint32_t s = put(&b, 10, i % 13, (int)i, i % 3 ? -1 : (int)(i / 3));
			expect(s == nth_seq(s0, i), "start %#x: message %u has seq %#x", s0, i, s);
		}
		for (unsigned i = 0; i < n; i++) {
			const struct batch_msg *m = batch_find_seq(&b, nth_seq(s0, i));
			char want[32];

			snprintf(want, sizeof(want), "message %u", nth_seq(s0, i));
			expect(m, "start %#x: seq %#x not found", s0, nth_seq(s0, i));
			expect(m->seq == nth_seq(s0, i) && m->seq != 0, "start %#x: wrong message",
			       s0);
			expect(m->origin_rule == (int)i, "start %#x: wrong origin", s0);
			expect(m->origin_set == (i % 3 ? -1 : (int)(i / 3)), "wrong set origin");
			expect(streq(m->what, want), "what is '%s', not '%s'", m->what, want);
		}
		ck_assert_ptr_null(batch_find_seq(&b, 0));
		ck_assert_ptr_null(batch_find_seq(&b, s0 - 1));
		ck_assert_ptr_null(batch_find_seq(&b, nth_seq(s0, n)));
		batch_free(&b);
	}
}
END_TEST

START_TEST(find_seq_empty)
{
	struct batch b;

	batch_init(&b, 1);
	ck_assert_ptr_null(batch_find_seq(&b, 1));
	ck_assert_ptr_null(batch_find_seq(&b, 0));
	batch_free(&b);
}
END_TEST

START_TEST(what_strings)
{
	struct batch b;

	batch_init(&b, 40);
	put(&b, 10, 0, -1, -1);
	put(&b, 10, 0, 3, -1);
	ck_assert_str_eq(batch_find_seq(&b, 40)->what, "message 40");
	ck_assert_str_eq(batch_find_seq(&b, 41)->what, "message 41");
	ck_assert_int_eq(batch_find_seq(&b, 41)->origin_rule, 3);
	batch_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");

	tcase_add_test(tc, seq_start);
	tcase_add_test(tc, layout);
	tcase_add_test(tc, find_seq);
	tcase_add_test(tc, find_seq_empty);
	tcase_add_test(tc, what_strings);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
