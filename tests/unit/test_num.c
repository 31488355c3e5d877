// SPDX-License-Identifier: GPL-2.0-or-later
/* num_parse: checked unsigned numbers with bounds and unit suffixes. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vigil/num.h"

#define U64MAX UINT64_MAX

static void is(const char *s, const struct num_unit *u, uint64_t min, uint64_t max, int want_rc,
	       uint64_t want)
{
	uint64_t v = 12345;
	int r = num_parse_unit(s, u, min, max, &v);

	ck_assert_msg(r == want_rc, "'%s': returned %d, not %d", s, r, want_rc);
	if (want_rc == 0)
		ck_assert_msg(v == want, "'%s': %llu, not %llu", s, (unsigned long long)v,
			      (unsigned long long)want);
	else
		ck_assert_msg(v == 12345, "'%s': *out changed on error", s);
}

START_TEST(plain_numbers)
{
	is("0", NULL, 0, U64MAX, 0, 0);
	is("7", NULL, 0, U64MAX, 0, 7);
	is("007", NULL, 0, U64MAX, -EINVAL, 0);
	is("0K", num_size_units, 0, U64MAX, 0, 0);
	is("18446744073709551615", NULL, 0, U64MAX, 0, U64MAX);
	is("18446744073709551616", NULL, 0, U64MAX, -ERANGE, 0);
	is("99999999999999999999999999", NULL, 0, U64MAX, -ERANGE, 0);
	/* what strtoull takes and this does not */
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.5", "\t2",
					   "1_000", "١", "12abc", "K" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		is(bad[i], NULL, 0, U64MAX, -EINVAL, 0);
	is(NULL, NULL, 0, U64MAX, -EINVAL, 0);
	/* a suffix where none is allowed */
	is("1K", NULL, 0, U64MAX, -EINVAL, 0);
}
END_TEST

START_TEST(bounds)
{
	is("4096", NULL, 4096, 1u << 30, 0, 4096);
	is("032M", num_size_units, 0, U64MAX, -EINVAL, 0);
	is("4095", NULL, 4096, 1u << 30, -ERANGE, 0);
	is("1073741825", NULL, 4096, 1u << 30, -ERANGE, 0);
	/* user ids: (uid_t)-1 is "no user" */
	is("4294967294", NULL, 0, 4294967294u, 0, 4294967294u);
	is("4294967295", NULL, 0, 4294967294u, -ERANGE, 0);
	is("4294967296", NULL, 0, 4294967294u, -ERANGE, 0); /* was uid 0 through a cast */
	is("4294967297", NULL, 0, 4294967294u, -ERANGE, 0); /* was uid 1 */
}
END_TEST

START_TEST(sizes)
{
	is("4K", num_size_units, 0, U64MAX, 0, 4096);
	is("4k", num_size_units, 0, U64MAX, 0, 4096);
	is("32M", num_size_units, 0, U64MAX, 0, 32u << 20);
	is("32MiB", num_size_units, 0, U64MAX, 0, 32u << 20);
	is("1G", num_size_units, 0, U64MAX, 0, 1u << 30);
	is("4096", num_size_units, 0, U64MAX, 0, 4096);
	is("1T", num_size_units, 0, U64MAX, -EINVAL, 0);
	is("1KB", num_size_units, 0, U64MAX, -EINVAL, 0);
	is("1 K", num_size_units, 0, U64MAX, -EINVAL, 0);
	is("1.5M", num_size_units, 0, U64MAX, -EINVAL, 0);
	/* (2^54 + 4) KiB is 2^64 + 4096: wrapped, it read as 4096 */
	is("18014398509481988K", num_size_units, 4096, 1u << 30, -ERANGE, 0);
	is("17179869184G", num_size_units, 0, U64MAX, -ERANGE, 0); /* 2^34 GiB = 2^64 */
	is("17179869183G", num_size_units, 0, U64MAX, 0, 17179869183ull << 30);
	is("2G", num_size_units, 4096, 1u << 30, -ERANGE, 0);
	/* too many digits and a bad suffix: the suffix is what is wrong */
	is("99999999999999999999999X", num_size_units, 0, U64MAX, -EINVAL, 0);
}
END_TEST

START_TEST(durations)
{
	is("30d", num_days_units, 1, U64MAX, 0, 30 * 86400);
	is("30", num_days_units, 1, U64MAX, 0, 30 * 86400);
	is("12h", num_days_units, 1, U64MAX, 0, 12 * 3600);
	is("90m", num_days_units, 1, U64MAX, 0, 90 * 60);
	is("45s", num_days_units, 1, U64MAX, 0, 45);
	is("0d", num_days_units, 1, U64MAX, -ERANGE, 0);
	is("1w", num_days_units, 1, U64MAX, -EINVAL, 0);
	is("1dd", num_days_units, 1, U64MAX, -EINVAL, 0);
	is("-1d", num_days_units, 1, U64MAX, -EINVAL, 0);
	/* 213503982334602 days overflow 64 bits of seconds */
	is("213503982334602d", num_days_units, 1, U64MAX, -ERANGE, 0);
	is("213503982334601d", num_days_units, 1, U64MAX, 0, 213503982334601ull * 86400);
	/* as an int64_t retention: bounded by the caller */
	is("106751991167301d", num_days_units, 1, INT64_MAX, -ERANGE, 0);
}
END_TEST

static void dur(const char *s, int want_rc, int64_t want)
{
	int64_t v = 12345;
	int r = num_parse_duration(s, &v);

	ck_assert_msg(r == want_rc, "'%s': returned %d, not %d", s ? s : "(null)", r, want_rc);
	ck_assert_msg(v == (want_rc == 0 ? want : 12345), "'%s': %lld", s ? s : "(null)", (long long)v);
}

START_TEST(flow_durations)
{
	dur("90s", 0, 90);
	dur("30m", 0, 1800);
	dur("1h30m", 0, 5400);
	dur("2d", 0, 2 * 86400);
	dur("1w2d3h4m5s", 0, 9 * 86400 + 3 * 3600 + 4 * 60 + 5);
	dur("0s", 0, 0);
	static const char *const bad[] = { "", "1", "m", "-1h", "+1h", " 1h", "1h ", "1m1h",
					   "1d1d", "1y", "1.5h", "1H" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		dur(bad[i], -EINVAL, 0);
	dur(NULL, -EINVAL, 0);
	/* INT64_MAX / 4 is the ceiling, so that now - total cannot overflow */
	dur("2305843009213693951s", 0, INT64_MAX / 4);
	dur("2305843009213693952s", -ERANGE, 0);
	dur("99999999999999999999s", -ERANGE, 0);
	dur("3812571113118w", -ERANGE, 0);
	dur("3812571113117w", 0, 3812571113117LL * 604800);
	ck_assert_int_eq(num_floor_minute(125), 120);
	ck_assert_int_eq(num_floor_minute(120), 120);
	ck_assert_int_eq(num_floor_minute(-1), -60);
	ck_assert_int_eq(num_floor_minute(-60), -60);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plain_numbers);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, flow_durations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
