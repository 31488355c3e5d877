// SPDX-License-Identifier: GPL-2.0-or-later
/* nlreply: the kernel's answers to a batch, including hostile ones. */
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <string.h>

#include "unit.h"
#include "vigil/nlmsg.h"
#include "vigil/nlreply.h"
#include "vigil/util.h"

/* A datagram under construction; 8-byte aligned like a receive buffer. */
struct dgram {
	union {
		uint8_t b[8192];
		uint64_t align;
	};
	size_t len;
};

static struct nlmsghdr *msg(struct dgram *d, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(d->b + d->len);

	memset(nlh, 0, sizeof(*nlh));
	nlh->nlmsg_len = NLMSG_HDRLEN;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 4242;
	return nlh;
}

static void put(struct nlmsghdr *nlh, const void *data, size_t n)
{
	memcpy((uint8_t *)nlh + nlh->nlmsg_len, data, n);
	nlh->nlmsg_len += (uint32_t)n;
}

static void pad(struct nlmsghdr *nlh)
{
	size_t n = NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len;
	memset((uint8_t *)nlh + nlh->nlmsg_len, 0, n);
	nlh->nlmsg_len += (uint32_t)n;
}

static void attr(struct nlmsghdr *nlh, uint16_t type, const void *data, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	put(nlh, &a, sizeof(a));
	put(nlh, data, n);
	pad(nlh);
}

static void done(struct dgram *d, struct nlmsghdr *nlh)
{
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/*
 * An NLMSG_ERROR for the message with seq `seq`: error, then the failing
 * message's header (and, without NLM_F_CAPPED, `orig` bytes of its payload
 * as the kernel echoes it).
 */
static struct nlmsghdr *err_msg(struct dgram *d, uint32_t seq, int error, uint16_t flags,
				size_t orig)
{
	struct nlmsghdr *nlh = msg(d, NLMSG_ERROR, flags, seq);
	struct nlmsgerr e;
	uint8_t junk[512];

	memset(&e, 0, sizeof(e));
	e.error = error;
	e.msg.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + orig);
	e.msg.nlmsg_type = (10 << 8) | 6; /* NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWRULE */
	e.msg.nlmsg_seq = seq;
	put(nlh, &e, sizeof(e));
	if (!(flags & NLM_F_CAPPED)) {
		memset(junk, 0x41, sizeof(junk));
		put(nlh, junk, orig);
		pad(nlh);
	}
	return nlh;
}

static int parse(const struct dgram *d, struct nl_result *res)
{
	memset(res, 0, sizeof(*res));
	return nlreply_parse(d->b, d->len, res);
}

START_TEST(empty_and_acks)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;
	struct nlmsghdr *nlh;

	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 0);
	nl_result_free(&res);

	/* acks (error 0) mean nothing about the commit: ignored */
	for (uint32_t s = 100; s < 110; s++) {
		nlh = err_msg(&d, s, 0, NLM_F_CAPPED, 0);
		done(&d, nlh);
	}
	nlh = msg(&d, NLMSG_DONE, 0, 110);
	put(nlh, &(int){ 0 }, 4);
	done(&d, nlh);
	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 0);
	ck_assert(!res.lost);
	nl_result_free(&res);
}
END_TEST

START_TEST(errors_in_order)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;

	done(&d, err_msg(&d, 7, 0, 0, 20));
	done(&d, err_msg(&d, 8, -EINVAL, 0, 36));
	done(&d, msg(&d, 0x0a00 | 15, 0, 0)); /* some nf_tables message: skipped */
	done(&d, err_msg(&d, 9, -ENOENT, NLM_F_CAPPED, 0));
	done(&d, err_msg(&d, 12, EEXIST, NLM_F_CAPPED, 0)); /* positive: normalised */
	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 3);
	ck_assert_uint_eq(res.errs[0].seq, 8);
	ck_assert_int_eq(res.errs[0].error, -EINVAL);
	ck_assert_uint_eq(res.errs[0].offset, 0);
	ck_assert_str_eq(res.errs[0].msg, "");
	ck_assert_uint_eq(res.errs[1].seq, 9);
	ck_assert_int_eq(res.errs[1].error, -ENOENT);
	ck_assert_uint_eq(res.errs[2].seq, 12);
	ck_assert_int_eq(res.errs[2].error, -EEXIST);
	nl_result_free(&res);
}
END_TEST

START_TEST(ext_ack)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;
	struct nlmsghdr *nlh;
	uint32_t off = 44;
	static const char kmsg[] = "Unknown set";

	/* capped: the TLVs follow the failing message's header */
	nlh = err_msg(&d, 21, -ENOENT, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	attr(nlh, NLMSGERR_ATTR_MSG, kmsg, sizeof(kmsg));
	attr(nlh, NLMSGERR_ATTR_OFFS, &off, 4);
	done(&d, nlh);
	/* not capped: after the echoed message (60 bytes of payload) */
	nlh = err_msg(&d, 22, -EOPNOTSUPP, NLM_F_ACK_TLVS, 61);
	attr(nlh, NLMSGERR_ATTR_OFFS, &(uint32_t){ 20 }, 4);
	attr(nlh, 99, "ignored", 7); /* unknown TLVs are skipped */
	attr(nlh, NLMSGERR_ATTR_MSG, "table is owned", 15);
	done(&d, nlh);
	/* TLVs without NLM_F_ACK_TLVS are not looked at */
	nlh = err_msg(&d, 23, -EBUSY, NLM_F_CAPPED, 0);
	attr(nlh, NLMSGERR_ATTR_MSG, "not read", 9);
	done(&d, nlh);

	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 3);
	ck_assert_str_eq(res.errs[0].msg, "Unknown set");
	ck_assert_uint_eq(res.errs[0].offset, 44);
	ck_assert_uint_eq(res.errs[1].seq, 22);
	ck_assert_str_eq(res.errs[1].msg, "table is owned");
	ck_assert_uint_eq(res.errs[1].offset, 20);
	ck_assert_int_eq(res.errs[1].error, -EOPNOTSUPP);
	ck_assert_str_eq(res.errs[2].msg, "");
	nl_result_free(&res);
}
END_TEST

START_TEST(ext_ack_hostile_text)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;
	struct nlmsghdr *nlh;
	char big[400];
	static const char ctl[] = "bad\x1b[31mred\n\x7f\xff\tend";

	/* control characters, escapes and bytes >= 0x7f become '?' */
	nlh = err_msg(&d, 1, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	attr(nlh, NLMSGERR_ATTR_MSG, ctl, sizeof(ctl));
	done(&d, nlh);
	/* no NUL inside the attribute: bounded by its length */
	nlh = err_msg(&d, 2, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	attr(nlh, NLMSGERR_ATTR_MSG, "abcdef", 3);
	done(&d, nlh);
	/* longer than the buffer: cut, still terminated */
	memset(big, 'x', sizeof(big));
	nlh = err_msg(&d, 3, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	attr(nlh, NLMSGERR_ATTR_MSG, big, sizeof(big));
	done(&d, nlh);
	/* an offset attribute too short to hold a u32 is ignored */
	nlh = err_msg(&d, 4, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	attr(nlh, NLMSGERR_ATTR_OFFS, "ab", 2);
	done(&d, nlh);

	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 4);
	ck_assert_str_eq(res.errs[0].msg, "bad?[31mred????end");
	ck_assert_str_eq(res.errs[1].msg, "abc");
	ck_assert_uint_eq(strlen(res.errs[2].msg), sizeof(res.errs[2].msg) - 1);
	ck_assert_uint_eq(res.errs[3].offset, 0);
	nl_result_free(&res);
}
END_TEST

START_TEST(ext_ack_bad_tlvs)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;
	struct nlmsghdr *nlh;
	struct nlattr a;

	/* nla_len below the attribute header: the walk stops, error kept */
	nlh = err_msg(&d, 31, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	a = (struct nlattr){ .nla_len = 2, .nla_type = NLMSGERR_ATTR_MSG };
	put(nlh, &a, sizeof(a));
	attr(nlh, NLMSGERR_ATTR_MSG, "after a bad one", 16);
	done(&d, nlh);
	/* nla_len beyond the message */
	nlh = err_msg(&d, 32, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	a = (struct nlattr){ .nla_len = 4000, .nla_type = NLMSGERR_ATTR_MSG };
	put(nlh, &a, sizeof(a));
	put(nlh, "abcd", 4);
	done(&d, nlh);
	/* zero-length attribute: would loop forever if taken as a step */
	nlh = err_msg(&d, 33, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	a = (struct nlattr){ .nla_len = 0, .nla_type = NLMSGERR_ATTR_OFFS };
	put(nlh, &a, sizeof(a));
	done(&d, nlh);
	/* an echoed message claiming to be far longer than the reply */
	nlh = err_msg(&d, 34, -EINVAL, NLM_F_ACK_TLVS, 0);
	((struct nlmsgerr *)NLMSG_DATA(nlh))->msg.nlmsg_len = 0xffffffffu;
	attr(nlh, NLMSGERR_ATTR_MSG, "unreachable", 12);
	done(&d, nlh);
	/* an echoed length shorter than a header */
	nlh = err_msg(&d, 35, -EINVAL, NLM_F_ACK_TLVS, 0);
	((struct nlmsgerr *)NLMSG_DATA(nlh))->msg.nlmsg_len = 3;
	attr(nlh, NLMSGERR_ATTR_MSG, "short echo", 11);
	done(&d, nlh);
	/* a TLV cut by the end of the message */
	nlh = err_msg(&d, 36, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	a = (struct nlattr){ .nla_len = 12, .nla_type = NLMSGERR_ATTR_MSG };
	put(nlh, &a, sizeof(a));
	put(nlh, "ab", 2);
	done(&d, nlh);

	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 6);
	for (size_t i = 0; i < res.n; i++) {
		ck_assert_uint_eq(res.errs[i].seq, 31 + i);
		ck_assert_int_eq(res.errs[i].error, -EINVAL);
		ck_assert_uint_eq(res.errs[i].offset, 0);
	}
	ck_assert_str_eq(res.errs[0].msg, "");
	ck_assert_str_eq(res.errs[1].msg, "");
	ck_assert_str_eq(res.errs[3].msg, "");
	ck_assert_str_eq(res.errs[4].msg, "short echo");
	ck_assert_str_eq(res.errs[5].msg, "");
	nl_result_free(&res);
}
END_TEST

START_TEST(malformed_datagrams)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;
	struct nlmsghdr *nlh;

	/* truncated header */
	done(&d, err_msg(&d, 1, -EINVAL, NLM_F_CAPPED, 0));
	d.len = 10;
	ck_assert_int_eq(parse(&d, &res), -EBADMSG);
	ck_assert_uint_eq(res.n, 0);
	nl_result_free(&res);

	/* nlmsg_len below the header size */
	d.len = 0;
	nlh = err_msg(&d, 1, -EINVAL, NLM_F_CAPPED, 0);
	done(&d, nlh);
	nlh->nlmsg_len = 8;
	ck_assert_int_eq(parse(&d, &res), -EBADMSG);
	ck_assert_uint_eq(res.n, 0);
	nl_result_free(&res);
	nlh->nlmsg_len = 0;
	ck_assert_int_eq(parse(&d, &res), -EBADMSG);
	nl_result_free(&res);

	/* nlmsg_len beyond the datagram; what came before is kept */
	d.len = 0;
	done(&d, err_msg(&d, 5, -ENOENT, NLM_F_CAPPED, 0));
	nlh = err_msg(&d, 6, -EINVAL, NLM_F_CAPPED, 0);
	done(&d, nlh);
	nlh->nlmsg_len = 4096;
	ck_assert_int_eq(parse(&d, &res), -EBADMSG);
	ck_assert_uint_eq(res.n, 1);
	ck_assert_uint_eq(res.errs[0].seq, 5);
	nl_result_free(&res);

	/* NLMSG_ERROR whose payload cannot hold struct nlmsgerr */
	d.len = 0;
	nlh = msg(&d, NLMSG_ERROR, 0, 9);
	put(nlh, &(int){ -EINVAL }, 4);
	done(&d, nlh);
	ck_assert_int_eq(parse(&d, &res), -EBADMSG);
	ck_assert_uint_eq(res.n, 0);
	nl_result_free(&res);

	/* trailing bytes that are not a message */
	d.len = 0;
	done(&d, err_msg(&d, 5, -ENOENT, NLM_F_CAPPED, 0));
	memset(d.b + d.len, 0, 8);
	d.len += 8;
	ck_assert_int_eq(parse(&d, &res), -EBADMSG);
	ck_assert_uint_eq(res.n, 1);
	nl_result_free(&res);
}
END_TEST

/* nlmsg_len with the top bit set: libmnl's mnl_nlmsg_ok compares it as a
 * negative int and would let mnl_nlmsg_next step outside the buffer */
START_TEST(top_bit_lengths)
{
	static const uint32_t bad[] = { 0x80000000u, 0x80000010u, 0xfffffff0u, 0xffffffffu,
					0x7fffffffu, 0x10000u };
	struct dgram d = { .len = 0 };
	struct nl_result res;
	struct nlmsghdr *nlh;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		d.len = 0;
		done(&d, err_msg(&d, 5, -ENOENT, NLM_F_CAPPED, 0));
		nlh = err_msg(&d, 6, -EINVAL, NLM_F_CAPPED, 0);
		done(&d, nlh);
		nlh->nlmsg_len = bad[i];
		ck_assert_uint_eq(nlmsg_good_len(d.b, d.len), NLMSG_ALIGN(((struct nlmsghdr *)d.b)->nlmsg_len));
		memset(&res, 0, sizeof(res));
		ck_assert_int_eq(parse(&d, &res), -EBADMSG);
		ck_assert_uint_eq(res.n, 1); /* the good one before is kept */
		ck_assert_uint_eq(res.errs[0].seq, 5);
		nl_result_free(&res);
		/* the same as the only message */
		((struct nlmsghdr *)d.b)->nlmsg_len = bad[i];
		ck_assert_uint_eq(nlmsg_good_len(d.b, d.len), 0);
		ck_assert_int_eq(parse(&d, &res), -EBADMSG);
		ck_assert_uint_eq(res.n, 0);
		nl_result_free(&res);
	}
}
END_TEST

START_TEST(good_len)
{
	struct dgram d = { .len = 0 };
	struct nlmsghdr *nlh;

	ck_assert_uint_eq(nlmsg_good_len(NULL, 0), 0);
	ck_assert_uint_eq(nlmsg_good_len(d.b, 0), 0);
	ck_assert_uint_eq(nlmsg_good_len(d.b, (size_t)INT32_MAX + 1), 0);
	/* three sound messages */
	for (int i = 0; i < 3; i++)
		done(&d, err_msg(&d, (uint32_t)i + 1, -EINVAL, NLM_F_CAPPED, 0));
	ck_assert_uint_eq(nlmsg_good_len(d.b, d.len), d.len);
	/* a header cut short at the end */
	ck_assert_uint_eq(nlmsg_good_len(d.b, d.len + 8), d.len);
	/* the last one without its padding */
	d.len = 0;
	done(&d, err_msg(&d, 1, -EINVAL, NLM_F_CAPPED, 0));
	nlh = msg(&d, NLMSG_NOOP, 0, 2);
	put(nlh, "abc", 3);
	ck_assert_uint_eq(nlmsg_good_len(d.b, d.len + nlh->nlmsg_len), d.len + nlh->nlmsg_len);
	/* a message shorter than its header */
	nlh->nlmsg_len = 15;
	ck_assert_uint_eq(nlmsg_good_len(d.b, d.len + 19), d.len);
	/* a length past the datagram by one */
	nlh->nlmsg_len = 20;
	ck_assert_uint_eq(nlmsg_good_len(d.b, d.len + 19), d.len);
	ck_assert_uint_eq(nlmsg_good_len(d.b, d.len + 20), d.len + 20);
}
END_TEST

START_TEST(absurd_error_values)
{
	struct dgram d = { .len = 0 };
	struct nl_result res;

	/* not errnos at all: kept as failures, as valid negative errnos */
	done(&d, err_msg(&d, 1, INT_MIN, NLM_F_CAPPED, 0));
	done(&d, err_msg(&d, 2, INT_MAX, NLM_F_CAPPED, 0));
	done(&d, err_msg(&d, 3, -100000, NLM_F_CAPPED, 0));
	ck_assert_int_eq(parse(&d, &res), 0);
	ck_assert_uint_eq(res.n, 3);
	for (size_t i = 0; i < res.n; i++) {
		ck_assert_int_lt(res.errs[i].error, 0);
		ck_assert_int_ge(res.errs[i].error, -4095);
	}
	nl_result_free(&res);
}
END_TEST

START_TEST(many_errors)
{
	struct dgram *d = xzalloc(sizeof(*d));
	struct nl_result res;
	unsigned n = 0;

	while (d->len + 64 < sizeof(d->b)) {
		done(d, err_msg(d, 1000 + n, -EINVAL, NLM_F_CAPPED, 0));
		n++;
	}
	ck_assert_int_eq(parse(d, &res), 0);
	ck_assert_uint_eq(res.n, n);
	ck_assert_uint_eq(res.errs[n - 1].seq, 1000 + n - 1);
	/* a second datagram appends */
	ck_assert_int_eq(nlreply_parse(d->b, d->len, &res), 0);
	ck_assert_uint_eq(res.n, 2 * n);
	nl_result_free(&res);
	ck_assert_ptr_null(res.errs);
	ck_assert_uint_eq(res.n, 0);
	free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nlreply");
	TCase *tc = tcase_create("nlreply");

	tcase_add_test(tc, empty_and_acks);
	tcase_add_test(tc, errors_in_order);
	tcase_add_test(tc, ext_ack);
	tcase_add_test(tc, ext_ack_hostile_text);
	tcase_add_test(tc, ext_ack_bad_tlvs);
	tcase_add_test(tc, malformed_datagrams);
	tcase_add_test(tc, top_bit_lengths);
	tcase_add_test(tc, good_len);
	tcase_add_test(tc, absurd_error_values);
	tcase_add_test(tc, many_errors);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
