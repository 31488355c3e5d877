// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigil/ival.h"
#include "vigil/num.h"
#include "vigil/util.h"

void ivlist_add(struct ivlist *l, u128 lo, u128 hi)
{
	GROW(l->v, l->cap, l->n + 1);
	l->v[l->n].lo = lo;
	l->v[l->n].hi = hi;
	l->n++;
}

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/*
 * Sorting dominates a large set's user time. Lists whose keys fit in 32
 * bits (IPv4 addresses, ports, types: the common large case) are sorted as
 * 64-bit (lo, hi) keys with an LSD radix sort, the rest with qsort.
 */
static bool sort_small_keys(struct ivlist *l)
{
	const u128 lim = (u128)1 << 32;
	uint64_t *k, *tmp;
	size_t count[256];

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].hi >= lim)
			return false;
	k = xreallocarray(NULL, l->n, sizeof(*k));
	tmp = xreallocarray(NULL, l->n, sizeof(*tmp));
	for (size_t i = 0; i < l->n; i++)
		k[i] = (uint64_t)l->v[i].lo << 32 | (uint64_t)l->v[i].hi;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t sum = 0;
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < l->n; i++)
			count[(k[i] >> shift) & 0xff]++;
		if (count[(k[0] >> shift) & 0xff] == l->n)
			continue; /* this byte is the same everywhere */
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < l->n; i++)
			tmp[count[(k[i] >> shift) & 0xff]++] = k[i];
		uint64_t *t = k;
		k = tmp;
		tmp = t;
	}
	for (size_t i = 0; i < l->n; i++) {
		l->v[i].lo = k[i] >> 32;
		l->v[i].hi = k[i] & 0xffffffffu;
	}
	free(k);
	free(tmp);
	return true;
}

static void ivlist_sort(struct ivlist *l)
{
	if (l->n > 64 && sort_small_keys(l))
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_ival);
}

void ivlist_merge(struct ivlist *l)
{
	size_t o = 0;

	if (l->n < 2)
		return;
	ivlist_sort(l);
	for (size_t i = 1; i < l->n; i++) {
		struct ival *cur = &l->v[o];
		/* overlapping or adjacent (hi + 1 == lo, without overflow) */
		if (l->v[i].lo <= cur->hi || l->v[i].lo - 1 == cur->hi) {
			if (l->v[i].hi > cur->hi)
				cur->hi = l->v[i].hi;
		} else {
			l->v[++o] = l->v[i];
		}
	}
	l->n = o + 1;
}

void ivlist_dedup(struct ivlist *l)
{
	size_t o = 0;

	if (l->n < 2)
		return;
	ivlist_sort(l);
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i].lo != l->v[o].lo || l->v[i].hi != l->v[o].hi)
			l->v[++o] = l->v[i];
	l->n = o + 1;
}

void ivlist_normalize(struct ivlist *l)
{
	if (ivlist_has_range(l))
		ivlist_merge(l);
	else
		ivlist_dedup(l);
}

void ivlist_free(struct ivlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void ivlist_extend(struct ivlist *dst, const struct ivlist *src)
{
	if (!src->n)
		return;
	GROW(dst->v, dst->cap, dst->n + src->n);
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
}

void ivlist_copy(struct ivlist *dst, const struct ivlist *src)
{
	memset(dst, 0, sizeof(*dst));
	ivlist_extend(dst, src);
}

bool ivlist_has_range(const struct ivlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].lo != l->v[i].hi)
			return true;
	return false;
}

/* Both lists merged (sorted, disjoint). */
bool ivlist_overlaps(const struct ivlist *a, const struct ivlist *b)
{
	size_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		if (a->v[i].hi < b->v[j].lo)
			i++;
		else if (b->v[j].hi < a->v[i].lo)
			j++;
		else
			return true;
	}
	return false;
}

int num_parse(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;
	int r = num_parse_unit(s, NULL, 0, max, &v);

	if (r == 0)
		*out = (unsigned long)v;
	return r;
}

u128 be_to_u128(const uint8_t *b, size_t n)
{
	u128 v = 0;
	for (size_t i = 0; i < n && i < 16; i++)
		v = (v << 8) | b[i];
	return v;
}

void addr_to_be(enum addr_family f, u128 a, uint8_t *out)
{
	size_t n = f == AF_V4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		out[n - 1 - i] = (uint8_t)(a >> (8 * i));
}

static u128 host_mask(unsigned bits, unsigned plen)
{
	/* the low (bits - plen) bits set */
	unsigned h = bits - plen;
	return h >= 128 ? ~(u128)0 : (((u128)1 << h) - 1);
}

/*
 * Dotted-quad IPv4, exactly what inet_pton(AF_INET) takes (four decimal
 * parts 0-255, no leading zeros), without its per-call overhead: set files
 * hold 100,000s of these. Anything else is left to inet_pton.
 */
static bool parse_v4(const char *s, u128 *out)
{
	uint32_t a = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		if (part && *s++ != '.')
			return false;
		while (*s >= '0' && *s <= '9') {
			if (digits && v == 0)
				return false; /* leading zero */
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return false;
		}
		if (!digits)
			return false;
		a = a << 8 | v;
	}
	if (*s)
		return false;
	*out = a;
	return true;
}

/*
 * Why-strings that quote the value (a hint with the user's own numbers) are
 * built here; *why points into it until the next call in this thread.
 */
static __thread char why_buf[160];

/* "80,443" -> "write a list: [80, 443]" */
static const char *why_list(const char *s)
{
	size_t o = 0;

	o += (size_t)snprintf(why_buf, sizeof(why_buf), "several values are written as a list: [");
	for (; *s && o + 8 < sizeof(why_buf); s++) {
		if (*s == ' ')
			continue;
		if (*s == ',') {
			why_buf[o++] = ',';
			why_buf[o++] = ' ';
		} else {
			why_buf[o++] = *s;
		}
	}
	snprintf(why_buf + o, sizeof(why_buf) - o, "]");
	return why_buf;
}

/* A decimal number with a leading zero ("08", "022")? */
static bool leading_zero(const char *s, size_t n)
{
	if (n < 2 || s[0] != '0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Dotted decimal with a part like "010" (inet_pton refuses it; some tools
 * read it as octal). */
static bool v4_leading_zero(const char *s)
{
	bool any = false;
	int parts = 0;

	for (const char *p = s; *p; parts++) {
		size_t n = strspn(p, "0123456789");
		if (!n || n > 3)
			return false;
		any |= leading_zero(p, n);
		p += n;
		if (*p == '.' && p[1])
			p++;
		else if (*p)
			return false;
	}
	return any && parts == 4;
}

/* One address without a prefix: "192.0.2.7", "2001:db8::1". */
static int addr_one(const char *s, size_t alen, enum addr_family *fam, u128 *out,
		    const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t bytes[16];
	u128 a = (u128)-1; /* -1: not parsed by parse_v4 */

	if (alen == 0 || alen >= INET6_ADDRSTRLEN) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (strchr(buf, '%')) {
		*why = "zone indexes (%) are not allowed in addresses";
		return -EINVAL;
	}
	if (parse_v4(buf, &a) || inet_pton(AF_INET, buf, bytes) == 1) {
		*fam = AF_V4;
		if (a == (u128)-1)
			a = be_to_u128(bytes, 4);
	} else if (inet_pton(AF_INET6, buf, bytes) == 1) {
		*fam = AF_V6;
		a = be_to_u128(bytes, 16);
	} else {
		*why = v4_leading_zero(buf)
			       ? "leading zeros are not accepted in an IPv4 address (some tools read them as octal, others as decimal)"
			       : "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/* "192.0.2.10-192.0.2.20": both ends addresses of one family, lo <= hi. */
static int addr_range(const char *s, const char *dash, enum addr_family *fam, struct ival *iv,
		      const char **why)
{
	enum addr_family f1, f2;
	u128 lo, hi;

	if (strchr(s, '/')) {
		*why = "the ends of an address range are addresses, not prefixes (write FIRST-LAST, or one prefix)";
		return -EINVAL;
	}
	if (dash > s && (dash[-1] == ' ' || dash[1] == ' ')) {
		*why = "an address range is written without spaces: FIRST-LAST";
		return -EINVAL;
	}
	if (addr_one(s, (size_t)(dash - s), &f1, &lo, why) < 0 ||
	    addr_one(dash + 1, strlen(dash + 1), &f2, &hi, why) < 0) {
		if (!strcmp(*why, "not an IPv4 or IPv6 address"))
			*why = "not an address range FIRST-LAST of two IPv4 or two IPv6 addresses";
		return -EINVAL;
	}
	if (f1 != f2) {
		*why = "both ends of an address range must be IPv4, or both IPv6";
		return -EINVAL;
	}
	if (lo > hi) {
		*why = "the address range is empty (FIRST is above LAST)";
		return -EINVAL;
	}
	*fam = f1;
	iv->lo = lo;
	iv->hi = hi;
	return 0;
}

/* No address holds a '-': s is meant as a range when both sides look like
 * addresses (and not like a host name, "db-1.example"). */
static bool looks_like_range(const char *s, const char *dash)
{
	size_t n = (size_t)(dash - s);

	if (strspn(s, "0123456789abcdefABCDEF.:/- ") != strlen(s))
		return false;
	return (memchr(s, '.', n) || memchr(s, ':', n)) && strpbrk(dash + 1, ".:");
}

int addr_parse(const char *s, enum addr_family *fam, struct ival *iv, const char **why)
{
	const char *slash = strchr(s, '/'), *dash = strchr(s, '-');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned bits;
	u128 a, hm;

	if (s[0] == '!') {
		*why = NEGATION_WHY;
		return -EINVAL;
	}
	if (strchr(s, ',')) {
		*why = why_list(s);
		return -EINVAL;
	}
	if (dash && looks_like_range(s, dash))
		return addr_range(s, dash, fam, iv, why);
	if (addr_one(s, alen, fam, &a, why) < 0)
		return -EINVAL;
	bits = family_bits(*fam);
	if (!slash) {
		iv->lo = iv->hi = a;
		return 0;
	}
	if (num_parse(slash + 1, bits, &plen) < 0) {
		if (leading_zero(slash + 1, strlen(slash + 1)))
			*why = "leading zeros are not accepted in a prefix length";
		else
			*why = *fam == AF_V4 ? "the prefix length must be a number from 0 to 32"
					     : "the prefix length must be a number from 0 to 128";
		return -EINVAL;
	}
	hm = host_mask(bits, (unsigned)plen);
	if (a & hm) {
		*why = "host bits are set after the prefix length";
		return -EINVAL;
	}
	iv->lo = a;
	iv->hi = a | hm;
	return 0;
}

/* Spellings of other tools, with what to write instead (NULL: none seen). */
static const char *port_hint(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	size_t n = strspn(s, "0123456789");

	if (s[0] == '!')
		return NEGATION_WHY;
	if (strchr(s, ','))
		return why_list(s);
	/* iptables' --dport 6000:6010, nft's meta ranges */
	if (colon && n && colon == s + n && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	    colon[1]) {
		snprintf(why_buf, sizeof(why_buf), "write a port range as %.*s-%s", (int)n, s,
			 colon + 1);
		return why_buf;
	}
	/* firewalld's and ufw's 22/tcp */
	if (slash && n && slash == s + n && slash[1]) {
		snprintf(why_buf, sizeof(why_buf),
			 "a port does not name its protocol here: write proto: %s and the port %.*s",
			 slash + 1, (int)n, s);
		return why_buf;
	}
	return NULL;
}

/* "022" -> "write 22"; "010-080" -> "write 10-80" */
static const char *port_zeros(const char *s)
{
	char out[24];
	size_t o = 0;
	bool any = false;

	for (const char *p = s; *p && o + 1 < sizeof(out);) {
		size_t n = strspn(p, "0123456789");
		if (!n) {
			if (*p != '-')
				return NULL;
			out[o++] = *p++;
			continue;
		}
		any |= leading_zero(p, n);
		while (n > 1 && *p == '0')
			p++, n--;
		for (; n && o + 1 < sizeof(out); n--)
			out[o++] = *p++;
	}
	if (!any)
		return NULL;
	out[o] = '\0';
	snprintf(why_buf, sizeof(why_buf), "leading zeros are not accepted: write %s", out);
	return why_buf;
}

int port_parse(const char *s, struct ival *iv, const char **why)
{
	const char *dash = strchr(s, '-'), *hint = port_hint(s);
	unsigned long lo, hi;
	char buf[16];

	if (hint) {
		*why = hint;
		return -EINVAL;
	}
	if (!dash) {
		if (num_parse(s, 65535, &lo) < 0) {
			*why = port_zeros(s);
			if (!*why)
				*why = "not a port number from 0 to 65535";
			return -EINVAL;
		}
		iv->lo = iv->hi = lo;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf)) {
		*why = "not a port number or range";
		return -EINVAL;
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (num_parse(buf, 65535, &lo) < 0 || num_parse(dash + 1, 65535, &hi) < 0) {
		*why = port_zeros(s);
		if (!*why)
			*why = "not a port range LOW-HIGH of numbers from 0 to 65535";
		return -EINVAL;
	}
	if (lo > hi) {
		*why = "the port range is empty (LOW is above HIGH)";
		return -EINVAL;
	}
	iv->lo = lo;
	iv->hi = hi;
	return 0;
}

int ival_prefix_len(const struct ival *iv, enum addr_family f)
{
	unsigned bits = family_bits(f);
	u128 span = iv->hi - iv->lo;

	/* span must be 2^k - 1 and lo aligned to it */
	if (span & (span + 1))
		return -1;
	if (iv->lo & span)
		return -1;
	unsigned k = 0;
	while (k < bits && (span >> k) & 1)
		k++;
	return (int)(bits - k);
}

/*
 * RFC 5952 by hand: libc's inet_ntop differs between libcs, and glibc's
 * prints any address under ::/96 in the deprecated IPv4-compatible form
 * (::1:2 as "::0.1.0.2"). Lower-case hex without leading zeros, "::" for the
 * longest run (the first of equal ones) of two or more zero groups, and
 * dotted quads only for IPv4-mapped addresses (::ffff:0:0/96, section 5).
 */
static void addr6_format(u128 a, char *buf, size_t len)
{
	unsigned g[8];
	int best = -1, bestn = 0;
	size_t o = 0;

	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)(a >> (16 * (7 - i))) & 0xffff;
	for (int i = 0; i < 8;) {
		int n = 0;
		while (i + n < 8 && g[i + n] == 0)
			n++;
		if (n > bestn && n >= 2) {
			best = i;
			bestn = n;
		}
		i += n ? n : 1;
	}
	if ((a >> 32) == 0xffff) {
		snprintf(buf, len, "::ffff:%u.%u.%u.%u", g[6] >> 8, g[6] & 0xff, g[7] >> 8,
			 g[7] & 0xff);
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < 8 && o < len; i++) {
		int n;
		if (i == best) {
			n = snprintf(buf + o, len - o, i == 0 ? "::" : ":");
			i += bestn - 1;
		} else {
			n = snprintf(buf + o, len - o, "%x%s", g[i], i == 7 ? "" : ":");
		}
		if (n < 0)
			return;
		o += (size_t)n;
	}
}

void addr_format(enum addr_family f, u128 a, char *buf, size_t len)
{
	uint8_t b[4];

	if (f == AF_V6) {
		addr6_format(a, buf, len);
		return;
	}
	addr_to_be(f, a, b);
	if (!inet_ntop(AF_INET, b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void ival_format_addr(enum addr_family f, const struct ival *iv, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen;

	addr_format(f, iv->lo, a, sizeof(a));
	if (iv->lo == iv->hi) {
		snprintf(buf, len, "%s", a);
		return;
	}
	plen = ival_prefix_len(iv, f);
	if (plen >= 0) {
		snprintf(buf, len, "%s/%d", a, plen);
		return;
	}
	addr_format(f, iv->hi, b, sizeof(b));
	snprintf(buf, len, "%s-%s", a, b);
}
