// SPDX-License-Identifier: GPL-2.0-or-later
/* ival: address and port parsing, prefixes, interval lists, formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vigil/ival.h"
#include "vigil/util.h"

static u128 v6(uint64_t hi, uint64_t lo)
{
	return ((u128)hi << 64) | lo;
}

/* Parses s, which must be valid, and checks family and interval. */
static void addr_ok(const char *s, enum addr_family fam, u128 lo, u128 hi)
{
	enum addr_family f = AF_NONE;
	struct ival iv = { 0, 0 };
	const char *why = NULL;
	int r = addr_parse(s, &f, &iv, &why);

	ck_assert_msg(r == 0, "'%s' refused: %s", s, why ? why : "?");
	ck_assert_msg(f == fam, "'%s': family %d, expected %d", s, f, fam);
	ck_assert_msg(iv.lo == lo && iv.hi == hi, "'%s': wrong interval", s);
}

static void addr_bad(const char *s, const char *expect_why)
{
	enum addr_family f = AF_NONE;
	struct ival iv = { 0, 0 };
	const char *why = NULL;
	int r = addr_parse(s, &f, &iv, &why);

	ck_assert_msg(r == -EINVAL, "'%s' accepted (r=%d)", s, r);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, expect_why);
}

START_TEST(addr_v4)
{
	addr_ok("192.0.2.7", AF_V4, 0xc0000207, 0xc0000207);
	addr_ok("0.0.0.0", AF_V4, 0, 0);
	addr_ok("255.255.255.255", AF_V4, 0xffffffff, 0xffffffff);
	addr_ok("192.0.2.0/24", AF_V4, 0xc0000200, 0xc00002ff);
	addr_ok("10.0.0.0/8", AF_V4, 0x0a000000, 0x0affffff);
	addr_ok("0.0.0.0/0", AF_V4, 0, 0xffffffff);
	addr_ok("198.51.100.7/32", AF_V4, 0xc6336407, 0xc6336407);
	addr_ok("172.16.0.0/12", AF_V4, 0xac100000, 0xac1fffff);
	addr_ok("192.0.2.64/26", AF_V4, 0xc0000240, 0xc000027f);
}
END_TEST

START_TEST(addr_v6)
{
	addr_ok("::", AF_V6, 0, 0);
	addr_ok("::1", AF_V6, 1, 1);
	addr_ok("2001:db8::/32", AF_V6, v6(0x20010db800000000ull, 0),
		v6(0x20010db8ffffffffull, ~0ull));
	addr_ok("2001:db8:42::/48", AF_V6, v6(0x20010db800420000ull, 0),
		v6(0x20010db80042ffffull, ~0ull));
	addr_ok("::/0", AF_V6, 0, ~(u128)0);
	addr_ok("fe80::/10", AF_V6, v6(0xfe80000000000000ull, 0), v6(0xfebfffffffffffffull, ~0ull));
	addr_ok("2001:DB8::1/128", AF_V6, v6(0x20010db800000000ull, 1),
		v6(0x20010db800000000ull, 1));
	addr_ok("::ffff:192.0.2.1", AF_V6, v6(0, 0x0000ffffc0000201ull),
		v6(0, 0x0000ffffc0000201ull));
	addr_ok("2001:db8::/127", AF_V6, v6(0x20010db800000000ull, 0),
		v6(0x20010db800000000ull, 1));
}
END_TEST

START_TEST(addr_errors)
{
	const char *notaddr = "not an IPv4 or IPv6 address";
	const char *hostbits = "host bits are set after the prefix length";
	const char *plen4 = "the prefix length must be a number from 0 to 32";
	const char *plen6 = "the prefix length must be a number from 0 to 128";
	const char *zeros4 = "leading zeros are not accepted in an IPv4 address (some tools read them as octal, others as decimal)";
	const char *zerosp = "leading zeros are not accepted in a prefix length";

	addr_bad("", notaddr);
	addr_bad("/24", notaddr);
	addr_bad("banana", notaddr);
	addr_bad("192.0.2", notaddr);
	addr_bad("192.0.2.256", notaddr);
	addr_bad("192.0.2.1.5", notaddr);
	addr_bad(" 192.0.2.1", notaddr);
	addr_bad("192.0.2.1 ", notaddr);
	addr_bad("1.2.3.04", zeros4);     /* inet_pton refuses leading zeros */
	addr_bad("010.0.0.1", zeros4);
	addr_bad("01.2.3", notaddr);      /* not an address even without the zero */
	addr_bad("2001:db8:::1", notaddr);
	addr_bad("2001:db8::g", notaddr);
	addr_bad("1:2:3:4:5:6:7:8:9", notaddr);
	addr_bad("@admins", notaddr);
	addr_bad("0123456789012345678901234567890123456789012345678901234567890", notaddr);
	addr_bad("fe80::1%eth0", "zone indexes (%) are not allowed in addresses");

	addr_bad("192.0.2.1/24", hostbits);
	addr_bad("11.0.0.0/7", hostbits);
	addr_bad("2001:db8::1/64", hostbits);
	addr_bad("::1/0", hostbits);
	addr_bad("0.0.0.1/0", hostbits);

	addr_bad("192.0.2.0/33", plen4);
	addr_bad("192.0.2.0/", plen4);
	addr_bad("192.0.2.0/024", zerosp);
	addr_bad("10.0.0.0/08", zerosp);
	addr_bad("2001:db8::/032", zerosp);
	addr_bad("192.0.2.0/-1", plen4);
	addr_bad("192.0.2.0/+24", plen4);
	addr_bad("192.0.2.0/24/24", plen4);
	addr_bad("192.0.2.0/ 24", plen4);
	addr_bad("192.0.2.0/99999999999999999999999", plen4);
	addr_bad("2001:db8::/129", plen6);
	addr_bad("2001:db8::/x", plen6);

	/* other tools' spellings */
	addr_bad("!10.0.0.0/8", NEGATION_WHY);
	addr_bad("!= 192.0.2.1", NEGATION_WHY);
	addr_bad("192.0.2.1,192.0.2.2", "several values are written as a list: [192.0.2.1, 192.0.2.2]");
	addr_bad("10.0.0.1, 10.0.0.2", "several values are written as a list: [10.0.0.1, 10.0.0.2]");
}
END_TEST

/* "FIRST-LAST": what `vigild show` prints for an interval that is no prefix. */
START_TEST(addr_ranges)
{
	const char *notrange = "not an address range FIRST-LAST of two IPv4 or two IPv6 addresses";

	addr_ok("192.0.2.10-192.0.2.20", AF_V4, 0xc000020a, 0xc0000214);
	addr_ok("192.0.2.7-192.0.2.7", AF_V4, 0xc0000207, 0xc0000207);
	addr_ok("0.0.0.0-255.255.255.255", AF_V4, 0, 0xffffffff);
	addr_ok("10.0.0.0-10.0.0.255", AF_V4, 0x0a000000, 0x0a0000ff);
	addr_ok("2001:db8::1-2001:db8::ff", AF_V6, v6(0x20010db800000000ull, 1),
		v6(0x20010db800000000ull, 0xff));
	addr_ok("::-::1", AF_V6, 0, 1);
	addr_ok("::ffff:192.0.2.1-::ffff:192.0.2.9", AF_V6, v6(0, 0x0000ffffc0000201ull),
		v6(0, 0x0000ffffc0000209ull));

	addr_bad("192.0.2.20-192.0.2.10", "the address range is empty (FIRST is above LAST)");
	addr_bad("2001:db8::2-2001:db8::1", "the address range is empty (FIRST is above LAST)");
	addr_bad("192.0.2.1-2001:db8::1", "both ends of an address range must be IPv4, or both IPv6");
	addr_bad("192.0.2.0/24-192.0.3.0/24",
		 "the ends of an address range are addresses, not prefixes (write FIRST-LAST, or one prefix)");
	addr_bad("192.0.2.1 - 192.0.2.9", "an address range is written without spaces: FIRST-LAST");
	addr_bad("192.0.2.1-", "not an IPv4 or IPv6 address");
	addr_bad("192.0.2.1-192.0.2", notrange);
	addr_bad("192.0.2.1-192.0.2.9-192.0.2.10", notrange);
	addr_bad("1.2.3.4-010.0.0.1",
		 "leading zeros are not accepted in an IPv4 address (some tools read them as octal, others as decimal)");
	addr_bad("db-1.example", "not an IPv4 or IPv6 address");
	addr_bad("a-b", "not an IPv4 or IPv6 address");
}
END_TEST

/* What show prints, a policy can say: every interval, formatted, parses
 * back to itself. */
START_TEST(format_parses_back)
{
	unsigned seed = 19;

	for (int round = 0; round < 20000; round++) {
		enum addr_family fam = round % 2 ? AF_V6 : AF_V4, f = AF_NONE;
		u128 lo = 0, hi;
		char buf[128];
		struct ival iv = { 0, 0 }, got = { 0, 0 };
		const char *why = NULL;

		for (int k = 0; k < (fam == AF_V4 ? 1 : 4); k++)
			lo = lo << 32 | (u128)(uint32_t)((unsigned)rand_r(&seed) << 16 ^ (unsigned)rand_r(&seed));
		/* widths: single, small, a prefix, anything up to the top */
		switch (round % 4) {
		case 0:
			hi = lo;
			break;
		case 1:
			hi = lo + (u128)(rand_r(&seed) % 1000);
			break;
		case 2: {
			unsigned h = (unsigned)rand_r(&seed) % (fam == AF_V4 ? 33 : 129);
			u128 m = h >= 128 ? ~(u128)0 : (((u128)1 << h) - 1);
			lo &= ~m;
			hi = lo | m;
			break;
		}
		default:
			hi = lo + ((family_max(fam) - lo) >> (rand_r(&seed) % 8));
			break;
		}
		if (hi > family_max(fam) || hi < lo)
			hi = family_max(fam);
		iv.lo = lo;
		iv.hi = hi;
		ival_format_addr(fam, &iv, buf, sizeof(buf));
		ck_assert_msg(addr_parse(buf, &f, &got, &why) == 0, "'%s' refused: %s", buf, why);
		ck_assert_msg(f == fam && got.lo == iv.lo && got.hi == iv.hi, "'%s' parsed otherwise",
			      buf);
	}
}
END_TEST

static void port_ok(const char *s, unsigned lo, unsigned hi)
{
	struct ival iv = { 0, 0 };
	const char *why = NULL;

	ck_assert_msg(port_parse(s, &iv, &why) == 0, "'%s' refused: %s", s, why ? why : "?");
	ck_assert_msg(iv.lo == lo && iv.hi == hi, "'%s': [%u, %u]", s, (unsigned)iv.lo,
		      (unsigned)iv.hi);
}

static void port_bad(const char *s, const char *expect_why)
{
	struct ival iv = { 0, 0 };
	const char *why = NULL;

	ck_assert_msg(port_parse(s, &iv, &why) == -EINVAL, "'%s' accepted", s);
	ck_assert_str_eq(why, expect_why);
}

START_TEST(ports)
{
	const char *num = "not a port number from 0 to 65535";
	const char *range = "not a port range LOW-HIGH of numbers from 0 to 65535";

	port_ok("0", 0, 0);
	port_ok("22", 22, 22);
	port_ok("65535", 65535, 65535);
	port_ok("8000-8099", 8000, 8099);
	port_ok("0-65535", 0, 65535);
	port_ok("80-80", 80, 80);

	port_bad("", num);
	port_bad("65536", num);
	port_bad("22abc", num);      /* libcyaml would take this as 22 */
	port_bad("022", "leading zeros are not accepted: write 22");
	port_bad("00", "leading zeros are not accepted: write 0");
	port_bad("010-080", "leading zeros are not accepted: write 10-80");
	port_bad("6000:6010", "write a port range as 6000-6010");
	port_bad("80,443", "several values are written as a list: [80, 443]");
	port_bad("22/tcp", "a port does not name its protocol here: write proto: tcp and the port 22");
	port_bad("!22", NEGATION_WHY);
	port_bad(":22", num);
	port_bad("22:", num);
	port_bad("+22", num);
	port_bad(" 22", num);
	port_bad("0x16", num);
	port_bad("99999999999999999999999999", num);
	port_bad("ssh", num);
	port_bad("-", range);
	port_bad("-80", range);
	port_bad("80-", range);
	port_bad("80-90-100", range);
	port_bad("80 - 90", range);
	port_bad("1-65536", range);
	port_bad("12345678901234567-1", "not a port number or range");
	port_bad("8080-80", "the port range is empty (LOW is above HIGH)");
	port_bad("1-0", "the port range is empty (LOW is above HIGH)");
}
END_TEST

START_TEST(numbers)
{
	unsigned long v = 7;

	ck_assert_int_eq(num_parse("0", 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(num_parse("255", 255, &v), 0);
	ck_assert_uint_eq(v, 255);
	v = 7;
	ck_assert_int_eq(num_parse("256", 255, &v), -ERANGE);
	ck_assert_int_eq(num_parse("", 255, &v), -EINVAL);
	ck_assert_int_eq(num_parse("00", 255, &v), -EINVAL);
	ck_assert_int_eq(num_parse("01", 255, &v), -EINVAL);
	ck_assert_int_eq(num_parse("-1", 255, &v), -EINVAL);
	ck_assert_int_eq(num_parse("1 ", 255, &v), -EINVAL);
	ck_assert_int_eq(num_parse("18446744073709551616", ~0ul, &v), -ERANGE);
	ck_assert_uint_eq(v, 7); /* untouched on failure */
}
END_TEST

START_TEST(prefix_len)
{
	struct ival iv;

	iv = (struct ival){ 0xc0000200, 0xc00002ff };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V4), 24);
	iv = (struct ival){ 0xc0000207, 0xc0000207 };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V4), 32);
	iv = (struct ival){ 0, 0xffffffff };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V4), 0);
	iv = (struct ival){ 0, ~(u128)0 };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V6), 0);
	iv = (struct ival){ 5, 5 };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V6), 128);
	iv = (struct ival){ v6(0x20010db800000000ull, 0), v6(0x20010db800000000ull, ~0ull) };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V6), 64);
	/* not a prefix: misaligned, or a span that is not 2^k */
	iv = (struct ival){ 0xc0000201, 0xc0000202 };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V4), -1);
	iv = (struct ival){ 0xc0000280, 0xc000037f };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V4), -1);
	iv = (struct ival){ 0x0a000000, 0x0a00017f };
	ck_assert_int_eq(ival_prefix_len(&iv, AF_V4), -1);
}
END_TEST

static void list_is(const struct ivlist *l, const unsigned *pairs, size_t n)
{
	ck_assert_uint_eq(l->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(l->v[i].lo == pairs[2 * i] && l->v[i].hi == pairs[2 * i + 1],
			      "item %zu is [%u, %u], expected [%u, %u]", i, (unsigned)l->v[i].lo,
			      (unsigned)l->v[i].hi, pairs[2 * i], pairs[2 * i + 1]);
}

START_TEST(merge)
{
	struct ivlist l = { 0 };
	static const unsigned want[] = { 1, 9, 12, 12, 20, 30 };

	ivlist_add(&l, 20, 25);
	ivlist_add(&l, 5, 9);    /* overlaps 1-6 */
	ivlist_add(&l, 12, 12);
	ivlist_add(&l, 1, 6);
	ivlist_add(&l, 26, 30);  /* adjacent to 20-25 */
	ivlist_add(&l, 22, 23);  /* inside */
	ivlist_add(&l, 12, 12);  /* duplicate */
	ivlist_merge(&l);
	list_is(&l, want, 3);
	ivlist_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(merge_edges)
{
	struct ivlist l = { 0 };

	/* adjacent at the top of the key space must not wrap */
	ivlist_add(&l, 0, 0);
	ivlist_add(&l, ~(u128)0, ~(u128)0);
	ivlist_merge(&l);
	ck_assert_uint_eq(l.n, 2);
	ivlist_add(&l, 1, ~(u128)0 - 1);
	ivlist_merge(&l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert(l.v[0].lo == 0 && l.v[0].hi == ~(u128)0);
	ivlist_free(&l);

	/* empty and single lists are left alone */
	ivlist_merge(&l);
	ck_assert_uint_eq(l.n, 0);
	ivlist_add(&l, 9, 3); /* not checked here: only parsers make intervals */
	ivlist_merge(&l);
	ck_assert_uint_eq(l.n, 1);
	ivlist_free(&l);

	/* two CIDRs that merge into a range that is not a prefix */
	ivlist_add(&l, 0x0a000100, 0x0a00017f);
	ivlist_add(&l, 0x0a000000, 0x0a0000ff);
	ivlist_merge(&l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert(l.v[0].lo == 0x0a000000 && l.v[0].hi == 0x0a00017f);
	ivlist_free(&l);
}
END_TEST

START_TEST(dedup_normalize)
{
	struct ivlist l = { 0 };
	static const unsigned singles[] = { 22, 22, 23, 23, 80, 80 };
	static const unsigned merged[] = { 22, 23, 80, 90 };

	ivlist_add(&l, 80, 80);
	ivlist_add(&l, 23, 23);
	ivlist_add(&l, 22, 22);
	ivlist_add(&l, 80, 80);
	ivlist_dedup(&l);
	list_is(&l, singles, 3);
	ck_assert(!ivlist_has_range(&l));
	/* single values only: normalize keeps {22, 23} as two values */
	ivlist_normalize(&l);
	list_is(&l, singles, 3);
	/* with a range: everything is merged */
	ivlist_add(&l, 81, 90);
	ck_assert(ivlist_has_range(&l));
	ivlist_normalize(&l);
	list_is(&l, merged, 2);
	ivlist_free(&l);
}
END_TEST

START_TEST(copy_extend_overlap)
{
	struct ivlist a = { 0 }, b = { 0 }, c = { 0 };

	ivlist_add(&a, 10, 20);
	ivlist_add(&a, 40, 50);
	ivlist_copy(&b, &a);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_ptr_ne(a.v, b.v);
	ivlist_extend(&b, &a);
	ck_assert_uint_eq(b.n, 4);
	ivlist_merge(&b);
	ck_assert_uint_eq(b.n, 2);
	ivlist_extend(&b, &c); /* empty: nothing */
	ck_assert_uint_eq(b.n, 2);

	ivlist_add(&c, 21, 39);
	ck_assert(!ivlist_overlaps(&a, &c));
	ck_assert(!ivlist_overlaps(&c, &a));
	ivlist_add(&c, 50, 60);
	ck_assert(ivlist_overlaps(&a, &c));
	ck_assert(ivlist_overlaps(&c, &a));
	ivlist_free(&c);
	ck_assert(!ivlist_overlaps(&a, &c));
	ivlist_add(&c, 15, 15);
	ck_assert(ivlist_overlaps(&a, &c));
	ivlist_free(&a);
	ivlist_free(&b);
	ivlist_free(&c);
}
END_TEST

static void fmt6(const char *in, const char *want)
{
	enum addr_family f;
	struct ival iv;
	const char *why;
	char buf[64];

	ck_assert_msg(addr_parse(in, &f, &iv, &why) == 0, "'%s': %s", in, why);
	addr_format(f, iv.lo, buf, sizeof(buf));
	ck_assert_msg(streq(buf, want), "'%s' formats as '%s', RFC 5952 says '%s'", in, buf, want);
}

START_TEST(format_rfc5952)
{
	/* 4.1 leading zeros; 4.3 lower case */
	fmt6("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	/* 4.2.1 '::' shortens as much as possible */
	fmt6("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");
	/* 4.2.2 not for one 16-bit 0 field */
	fmt6("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	/* 4.2.3 the longest run; the first of equal runs */
	fmt6("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	fmt6("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	fmt6("0:0:0:0:0:0:0:0", "::");
	fmt6("0:0:0:0:0:0:0:1", "::1");
	fmt6("1:0:0:0:0:0:0:0", "1::");
	fmt6("0:0:0:0:0:1:0:0", "::1:0:0");
	fmt6("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0");
	fmt6("fe80:0:0:0:0:0:0:0", "fe80::");
	fmt6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* 5: IPv4-mapped addresses in mixed notation */
	fmt6("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	fmt6("::ffff:0:0", "::ffff:0.0.0.0");
	/* other addresses whose top 96 bits are zero are plain hex (the
	 * deprecated IPv4-compatible form is not a "special address" of 5) */
	fmt6("::1:2", "::1:2");
	fmt6("::c000:201", "::c000:201");
}
END_TEST

START_TEST(format_v4_and_ranges)
{
	char buf[128];
	struct ival iv;

	addr_format(AF_V4, 0xc0000207, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.7");
	addr_format(AF_V4, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.0.0.0");

	iv = (struct ival){ 0xc0000200, 0xc00002ff };
	ival_format_addr(AF_V4, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.0/24");
	iv = (struct ival){ 0xc0000207, 0xc0000207 };
	ival_format_addr(AF_V4, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.7");
	iv = (struct ival){ 0, 0xffffffff };
	ival_format_addr(AF_V4, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.0.0.0/0");
	iv = (struct ival){ 0x0a000000, 0x0a00017f };
	ival_format_addr(AF_V4, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.0.0-10.0.1.127");
	iv = (struct ival){ v6(0x20010db800420000ull, 0), v6(0x20010db80042ffffull, ~0ull) };
	ival_format_addr(AF_V6, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8:42::/48");
	iv = (struct ival){ 0, ~(u128)0 };
	ival_format_addr(AF_V6, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::/0");
	iv = (struct ival){ 1, 2 };
	ival_format_addr(AF_V6, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::1-::2");
	/* the longest output fits the documented 48 bytes... and more */
	iv = (struct ival){ v6(0xffffffffffffffffull, 0), ~(u128)0 - 1 };
	ival_format_addr(AF_V6, &iv, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
}
END_TEST

START_TEST(to_be)
{
	uint8_t b[16];
	static const uint8_t want4[] = { 192, 0, 2, 7 };
	static const uint8_t want6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					 0, 0, 0, 0, 0, 0, 0, 0x01 };

	memset(b, 0xaa, sizeof(b));
	addr_to_be(AF_V4, 0xc0000207, b);
	ck_assert_mem_eq(b, want4, 4);
	ck_assert_uint_eq(b[4], 0xaa); /* writes 4 bytes only */
	addr_to_be(AF_V6, v6(0x20010db800000000ull, 1), b);
	ck_assert_mem_eq(b, want6, 16);
	ck_assert_uint_eq(family_bits(AF_V4), 32);
	ck_assert_uint_eq(family_bits(AF_V6), 128);
	ck_assert(family_max(AF_V4) == 0xffffffffu);
	ck_assert(family_max(AF_V6) == ~(u128)0);
}
END_TEST

/* The radix sort for 32-bit keys must agree with sorting by (lo, hi). */
START_TEST(radix_sort_agrees)
{
	unsigned seed = 99;

	for (int round = 0; round < 200; round++) {
		struct ivlist a = { 0 }, b = { 0 };
		size_t n = 65 + (size_t)rand_r(&seed) % 3000;
		bool wide = round % 10 == 9; /* some lists need qsort */
		for (size_t k = 0; k < n; k++) {
			u128 lo = (u128)(rand_r(&seed) % (round % 2 ? 1000 : 0x7fffffff));
			u128 hi = lo + (u128)(rand_r(&seed) % 50);
			if (wide && k == n / 2)
				hi = (u128)1 << 40;
			ivlist_add(&a, lo, hi);
		}
		ivlist_copy(&b, &a);
		/* reference: insertion into a fresh list sorted by hand */
		for (size_t x = 1; x < b.n; x++)
			for (size_t y = x; y > 0 && (b.v[y - 1].lo > b.v[y].lo ||
						     (b.v[y - 1].lo == b.v[y].lo &&
						      b.v[y - 1].hi > b.v[y].hi)); y--) {
				struct ival t = b.v[y];
				b.v[y] = b.v[y - 1];
				b.v[y - 1] = t;
			}
		ivlist_dedup(&a); /* sorts, then drops exact duplicates */
		size_t o = 0;
		for (size_t x = 1; x < b.n; x++)
			if (b.v[x].lo != b.v[o].lo || b.v[x].hi != b.v[o].hi)
				b.v[++o] = b.v[x];
		b.n = o + 1;
		ck_assert_uint_eq(a.n, b.n);
		ck_assert(memcmp(a.v, b.v, a.n * sizeof(*a.v)) == 0);
		ivlist_free(&a);
		ivlist_free(&b);
	}
}
END_TEST

/* The fast IPv4 parser must take exactly what inet_pton takes. */
START_TEST(ipv4_parse_agrees_with_inet_pton)
{
	static const char alphabet[] = "0123456789..../x:";
	unsigned seed = 7;
	char buf[24];

	for (int round = 0; round < 300000; round++) {
		size_t len = 1 + (size_t)rand_r(&seed) % 18;
		uint8_t bytes[16];
		enum addr_family f;
		struct ival iv;
		const char *why;

		for (size_t k = 0; k < len; k++)
			buf[k] = round % 3 ? "0123456789."[rand_r(&seed) % 11]
					   : alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		buf[len] = '\0';
		if (strchr(buf, '/') || strchr(buf, ':'))
			continue;
		bool ref = inet_pton(AF_INET, buf, bytes) == 1;
		bool got = addr_parse(buf, &f, &iv, &why) == 0 && f == AF_V4;
		ck_assert_msg(ref == got, "'%s': inet_pton %d, addr_parse %d", buf, ref, got);
		if (ref)
			ck_assert(iv.lo == ((u128)bytes[0] << 24 | (u128)bytes[1] << 16 |
					    (u128)bytes[2] << 8 | bytes[3]));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ival");
	TCase *tc = tcase_create("ival");

	tcase_add_test(tc, addr_v4);
	tcase_add_test(tc, addr_v6);
	tcase_add_test(tc, addr_errors);
	tcase_add_test(tc, addr_ranges);
	tcase_add_test(tc, format_parses_back);
	tcase_add_test(tc, ports);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, prefix_len);
	tcase_add_test(tc, merge);
	tcase_add_test(tc, merge_edges);
	tcase_add_test(tc, dedup_normalize);
	tcase_add_test(tc, copy_extend_overlap);
	tcase_add_test(tc, format_rfc5952);
	tcase_add_test(tc, format_v4_and_ranges);
	tcase_add_test(tc, to_be);
	tcase_add_test(tc, radix_sort_agrees);
	tcase_add_test(tc, ipv4_parse_agrees_with_inet_pton);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
