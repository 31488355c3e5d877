/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_IVAL_H
#define VIGIL_IVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Closed intervals over unsigned 128-bit keys: IPv6 addresses, IPv4
 * addresses (low 32 bits), ports (low 16 bits), single bytes. Keys are
 * numbers in host order; the encoder turns them into network byte order.
 */
typedef unsigned __int128 u128;

enum addr_family {
	AF_NONE = 0,
	AF_V4 = 4,
	AF_V6 = 6,
};

struct ival {
	u128 lo, hi;
};

struct ivlist {
	struct ival *v;
	size_t n, cap;
};

void ivlist_add(struct ivlist *l, u128 lo, u128 hi);
/* Sorts and merges overlapping and adjacent intervals (the kernel wants
 * non-overlapping intervals; nft merges in user space too). */
void ivlist_merge(struct ivlist *l);
/* Sorts and drops duplicates (for lists of single values). */
void ivlist_dedup(struct ivlist *l);
/* Lists holding a range are merged (they become interval sets); lists of
 * single values only lose duplicates, so {22, 23} stays two ports. */
void ivlist_normalize(struct ivlist *l);
void ivlist_free(struct ivlist *l);
void ivlist_copy(struct ivlist *dst, const struct ivlist *src);
/* Appends src's intervals to dst (unmerged). */
void ivlist_extend(struct ivlist *dst, const struct ivlist *src);
bool ivlist_has_range(const struct ivlist *l);
bool ivlist_overlaps(const struct ivlist *a, const struct ivlist *b);

static inline unsigned family_bits(enum addr_family f)
{
	return f == AF_V4 ? 32 : 128;
}

static inline u128 family_max(enum addr_family f)
{
	return f == AF_V4 ? (u128)0xffffffffu : ~(u128)0;
}

/* What every field says of iptables' and nft's negation ("!22", "!= eth0"). */
#define NEGATION_WHY                                                                    \
	"negation ('!') is not supported: a rule matches only what it lists; match the " \
	"exceptions with a rule before this one"

/*
 * Parses an address, a prefix or an address range ("192.0.2.7",
 * "192.0.2.0/24", "2001:db8::/32", "192.0.2.10-192.0.2.20": both ends of one
 * family, FIRST <= LAST). On success returns 0 with family and [lo, hi]. On
 * failure returns -EINVAL and *why says what is wrong, with a hint for the
 * spellings of other tools (negation '!', "a,b" lists, leading zeros);
 * host bits set under the prefix is an error (a typo far more often than
 * not). *why is valid until the next call of addr_parse or port_parse in
 * the same thread.
 */
int addr_parse(const char *s, enum addr_family *fam, struct ival *iv, const char **why);

/* Parses "22" or "8000-8099" (decimal, 0..65535); *why as for addr_parse
 * (hints for "6000:6010", "80,443", "022", "22/tcp", "!22"). */
int port_parse(const char *s, struct ival *iv, const char **why);

/* Parses a decimal number 0..max without sign, spaces or leading zeros
 * (num_parse_unit without units). */
int num_parse(const char *s, unsigned long max, unsigned long *out);

/* If [lo, hi] is exactly one prefix, returns its length; else -1. */
int ival_prefix_len(const struct ival *iv, enum addr_family f);

/* Formats one address (v4 dotted, v6 RFC 5952). buf >= 48 bytes. */
void addr_format(enum addr_family f, u128 a, char *buf, size_t len);
/* Formats an interval as nft would read it: address, prefix or range. */
void ival_format_addr(enum addr_family f, const struct ival *iv, char *buf, size_t len);

/* Network byte order of an address: 4 or 16 bytes into out. */
void addr_to_be(enum addr_family f, u128 a, uint8_t *out);
/* The big-endian number of the first n bytes of b (at most 16). */
u128 be_to_u128(const uint8_t *b, size_t n);

#endif
