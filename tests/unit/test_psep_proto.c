// SPDX-License-Identifier: GPL-2.0-or-later
/* The helper's vocabulary: exact types and sizes, nothing else. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vigil/psep_proto.h"

static struct psep_hdr hdr(uint16_t type, uint32_t len)
{
	struct psep_hdr h = { PSEP_MAGIC, type, 0, len };
	return h;
}

START_TEST(requests_of_the_vocabulary_pass)
{
	const char *why = NULL;
	struct psep_hdr h;

	h = hdr(PSEP_REQ_COMMIT, 100);
	ck_assert_int_eq(psep_check_request(&h, &why), 0);
	h = hdr(PSEP_REQ_VALIDATE, PSEP_MAX_BATCH);
	ck_assert_int_eq(psep_check_request(&h, &why), 0);
	h = hdr(PSEP_REQ_GETGEN, 0);
	ck_assert_int_eq(psep_check_request(&h, &why), 0);
	h = hdr(PSEP_REQ_CT_STATS, 0);
	ck_assert_int_eq(psep_check_request(&h, &why), 0);
	h = hdr(PSEP_REQ_CT_DELETE, PSEP_MAX_CT_DELETE);
	ck_assert_int_eq(psep_check_request(&h, &why), 0);
	ck_assert_str_eq(psep_type_name(PSEP_REQ_CT_DELETE), "CT_DELETE");
}
END_TEST

START_TEST(bad_requests_refused)
{
	const char *why = NULL;
	struct psep_hdr h;

	h = hdr(PSEP_REQ_COMMIT, 0);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	h = hdr(PSEP_REQ_COMMIT, PSEP_MAX_BATCH + 1);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	ck_assert_str_eq(why, "batch size out of range");
	h = hdr(PSEP_REQ_GETGEN, 4);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	ck_assert_str_eq(why, "request takes no payload");
	h = hdr(PSEP_REQ_CT_STATS, 8);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	/* revoke's deletes: bounded (REVOKE_MAX_PER_REQUEST messages) */
	h = hdr(PSEP_REQ_CT_DELETE, 0);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	h = hdr(PSEP_REQ_CT_DELETE, PSEP_MAX_CT_DELETE + 1);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	h = hdr(5, 8); /* no conntrack socket requests: watch opens it before the drop */
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	h = hdr(0, 0);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	h = hdr(99, 0);
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	ck_assert_str_eq(why, "unknown request type");
	/* replies are not requests */
	h = hdr(PSEP_REP_RESULT, sizeof(struct psep_result));
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	h = hdr(PSEP_REQ_COMMIT, 10);
	h.magic ^= 1;
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
	ck_assert_str_eq(why, "bad magic");
	h = hdr(PSEP_REQ_COMMIT, 10);
	h.zero = 1;
	ck_assert_int_eq(psep_check_request(&h, &why), -EPROTO);
}
END_TEST

START_TEST(replies_checked_exactly)
{
	const char *why = NULL;
	struct psep_hdr h;

	h = hdr(PSEP_REP_GEN, sizeof(struct psep_gen));
	ck_assert_int_eq(psep_check_reply(&h, PSEP_REP_GEN, &why), 0);
	h = hdr(PSEP_REP_GEN, sizeof(struct psep_gen) + 1);
	ck_assert_int_eq(psep_check_reply(&h, PSEP_REP_GEN, &why), -EPROTO);
	h = hdr(PSEP_REP_GEN, sizeof(struct psep_gen) - 1);
	ck_assert_int_eq(psep_check_reply(&h, PSEP_REP_GEN, &why), -EPROTO);
	/* the type asked for, and no other */
	h = hdr(PSEP_REP_GEN, sizeof(struct psep_gen));
	ck_assert_int_eq(psep_check_reply(&h, PSEP_REP_RESULT, &why), -EPROTO);
	ck_assert_str_eq(why, "unexpected reply type");
	h = hdr(PSEP_REP_RESULT, sizeof(struct psep_result) - 1);
	ck_assert_int_eq(psep_check_reply(&h, PSEP_REP_RESULT, &why), -EPROTO);
	h = hdr(PSEP_REP_RESULT,
		sizeof(struct psep_result) + (PSEP_MAX_ERRORS + 1) * sizeof(struct nl_err));
	ck_assert_int_eq(psep_check_reply(&h, PSEP_REP_RESULT, &why), -EPROTO);
}
END_TEST

START_TEST(result_size_exact)
{
	struct psep_result r;

	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(psep_result_size(&r), sizeof(r));
	r.nerr = 3;
	ck_assert_uint_eq(psep_result_size(&r), sizeof(r) + 3 * sizeof(struct nl_err));
	r.nerr = PSEP_MAX_ERRORS + 1;
	ck_assert_uint_eq(psep_result_size(&r), 0);
	r.nerr = 0xffffffffu;
	ck_assert_uint_eq(psep_result_size(&r), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("psep_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, requests_of_the_vocabulary_pass);
	tcase_add_test(tc, bad_requests_refused);
	tcase_add_test(tc, replies_checked_exactly);
	tcase_add_test(tc, result_size_exact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
