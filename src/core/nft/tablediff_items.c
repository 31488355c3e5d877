// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild diff's set elements as nft prints them (tablediff_int.h): keys
 * and a map's data by their types, concatenations field by field,
 * intervals as prefixes or ranges, sorted (td_set_items).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "vigil/ival.h"
#include "tablediff_int.h"

/* nft's datatype numbers (src/datatype.h in nftables) */
enum { TD_IPADDR = 7, TD_IP6ADDR = 8, TD_INET_SERVICE = 13 };

const char *td_type_name(uint32_t type)
{
	return type == TD_IPADDR ? "ipv4_addr" : type == TD_IP6ADDR ? "ipv6_addr" :
	       type == TD_INET_SERVICE ? "inet_service" : NULL;
}

/* the fields of a concatenated type, first to last (nft's concat_type:
 * each field's type in 6 bits, the first highest); 0 when not one of
 * fields vigild uses */
static int concat_fields(uint32_t type, uint32_t f[4])
{
	uint32_t r[4];
	int n = 0;

	for (; type && n < 4; type >>= 6)
		r[n++] = type & 63;
	if (type || n < 2)
		return 0;
	for (int i = 0; i < n; i++) {
		f[i] = r[n - 1 - i];
		if (!td_type_name(f[i]))
			return 0;
	}
	return n;
}

void td_type_text(struct strbuf *sb, uint32_t type)
{
	uint32_t f[4];
	int n = concat_fields(type, f);

	if (td_type_name(type)) {
		sb_puts(sb, td_type_name(type));
		return;
	}
	if (!n) {
		sb_printf(sb, "%u", type);
		return;
	}
	for (int i = 0; i < n; i++)
		sb_printf(sb, "%s%s", i ? " . " : "", td_type_name(f[i]));
}

static void put_single(struct strbuf *sb, uint32_t type, const uint8_t *b, uint32_t len);

/* a concatenation's value: each field padded to 32 bits, " . " between;
 * false (nothing written) when type is no concatenation or len not its */
static bool put_concat(struct strbuf *sb, uint32_t type, const uint8_t *b, uint32_t len)
{
	uint32_t f[4], off = 0;
	int n = concat_fields(type, f);

	for (int i = 0; i < n; i++) {
		uint32_t fl = f[i] == TD_IPADDR ? 4 : f[i] == TD_IP6ADDR ? 16 : 2;
		if (off + fl > len)
			return false;
		off += (fl + 3) & ~3u;
	}
	if (!n || off != len)
		return false;
	off = 0;
	for (int i = 0; i < n; i++) {
		uint32_t fl = f[i] == TD_IPADDR ? 4 : f[i] == TD_IP6ADDR ? 16 : 2;
		sb_puts(sb, i ? " . " : "");
		put_single(sb, f[i], b + off, fl);
		off += (fl + 3) & ~3u;
	}
	return true;
}

static void put_key(struct strbuf *sb, uint32_t type, const uint8_t *b, uint32_t len)
{
	if (!put_concat(sb, type, b, len))
		put_single(sb, type, b, len);
}

static void put_single(struct strbuf *sb, uint32_t type, const uint8_t *b, uint32_t len)
{
	char buf[64];
	u128 v = 0;

	if ((type == TD_IPADDR && len == 4) || (type == TD_IP6ADDR && len == 16)) {
		for (uint32_t i = 0; i < len; i++)
			v = v << 8 | b[i];
		addr_format(len == 4 ? AF_V4 : AF_V6, v, buf, sizeof(buf));
		sb_puts(sb, buf);
		return;
	}
	if (type == TD_INET_SERVICE && len == 2) {
		sb_printf(sb, "%u", (unsigned)(b[0] << 8 | b[1]));
		return;
	}
	sb_puts(sb, "0x");
	for (uint32_t i = 0; i < len; i++)
		sb_printf(sb, "%02x", b[i]);
}


/* [lo, hi] of an address set: a prefix when it is one */
static bool put_prefix(struct strbuf *sb, uint32_t type, const uint8_t *lo, const uint8_t *hi,
		       uint32_t len)
{
	u128 a = be_to_u128(lo, len), b = be_to_u128(hi, len), span = b - a;
	unsigned bits = len * 8, plen = bits;
	char buf[64];

	if (!((type == TD_IPADDR && len == 4) || (type == TD_IP6ADDR && len == 16)) || b < a)
		return false;
	if (span == ~(u128)0 && bits == 128) {
		plen = 0;
	} else {
		if ((span & (span + 1)) != 0 || (a & span) != 0)
			return false; /* not 2^k - 1, or not aligned */
		while (span) {
			span >>= 1;
			plen--;
		}
	}
	addr_format(len == 4 ? AF_V4 : AF_V6, a, buf, sizeof(buf));
	sb_printf(sb, "%s/%u", buf, plen);
	return true;
}

static int bytes_cmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	int r = al && bl ? memcmp(a, b, al < bl ? al : bl) : 0;

	return r ? r : al != bl ? (al < bl ? -1 : 1) : 0;
}

int td_elem_cmp(const struct td_elem *x, const struct td_elem *y)
{
	int r = bytes_cmp(x->key, x->klen, y->key, y->klen);

	/* at one key, an interval's end sorts before the next start */
	if (!r)
		r = (int)(y->flags & NFT_SET_ELEM_INTERVAL_END) - (int)(x->flags & NFT_SET_ELEM_INTERVAL_END);
	if (!r)
		r = bytes_cmp(x->end, x->elen, y->end, y->elen);
	if (!r)
		r = x->verdict != y->verdict ? (x->verdict ? 1 : -1) : 0;
	if (!r && x->verdict)
		r = x->code != y->code ? (x->code < y->code ? -1 : 1) : 0;
	if (!r && x->verdict)
		r = strcmp(x->chain ? x->chain : "", y->chain ? y->chain : "");
	/* a port-forward map's data: a changed target is another element */
	if (!r)
		r = bytes_cmp(x->dval, x->dlen, y->dval, y->dlen);
	return r;
}

void td_elem_verdict(const struct td_elem *e, char *buf, size_t len)
{
	int code = e->code;

	if (!e->verdict) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%s%s%s", code == NFT_GOTO ? "goto" : code == NFT_JUMP ? "jump" :
		 code == NF_ACCEPT ? "accept" : code == NF_DROP ? "drop" : "verdict",
		 e->chain ? " " : "", e->chain ? e->chain : "");
}

static int cmp_elem(const void *a, const void *b)
{
	return td_elem_cmp(a, b);
}

/* the key one below b (the last key of an interval that ends before b) */
static void minus_one(uint8_t *b, uint32_t len)
{
	for (uint32_t i = len; i-- > 0;)
		if (b[i]--)
			break;
}

static void add_item(struct td_set *s, struct strbuf *sb)
{
	s->item = xreallocarray(s->item, s->nitem + 1, sizeof(*s->item));
	s->item[s->nitem++] = sb_take(sb);
}

void td_set_sort(struct td_set *s)
{
	if (s->ne && !s->sorted) /* an empty set has no array: qsort(NULL, 0) is undefined */
		qsort(s->e, s->ne, sizeof(*s->e), cmp_elem);
	s->sorted = true;
}

void td_set_items(struct td_set *s)
{
	struct strbuf sb = { 0 }, all = { 0 };

	if (s->items)
		return;
	td_set_sort(s);
	for (size_t i = 0; i < s->ne; i++) {
		struct td_elem *e = &s->e[i];
		if (e->flags & NFT_SET_ELEM_INTERVAL_END)
			continue; /* the end of the interval before, or the leading zero */
		put_key(&sb, s->keytype, e->key, e->klen);
		if (e->elen) { /* concatenations with ranges carry their end */
			sb_puts(&sb, "-");
			put_key(&sb, s->keytype, e->end, e->elen);
		} else if ((s->flags & NFT_SET_INTERVAL)) {
			if (i + 1 < s->ne && (s->e[i + 1].flags & NFT_SET_ELEM_INTERVAL_END)) {
				uint8_t last[64] = { 0 };
				memcpy(last, s->e[i + 1].key, s->e[i + 1].klen);
				minus_one(last, e->klen);
				if (memcmp(last, e->key, e->klen)) {
					sb_free(&sb);
					if (!put_prefix(&sb, s->keytype, e->key, last, e->klen)) {
						put_key(&sb, s->keytype, e->key, e->klen);
						sb_puts(&sb, "-");
						put_key(&sb, s->keytype, last, e->klen);
					}
				}
			} else {
				uint8_t top[64];
				memset(top, 0xff, sizeof(top));
				sb_free(&sb);
				if (!put_prefix(&sb, s->keytype, e->key, top, e->klen)) {
					put_key(&sb, s->keytype, e->key, e->klen);
					sb_puts(&sb, "-");
					put_key(&sb, s->keytype, top, e->klen);
				}
			}
		}
		if (e->verdict) {
			char v[96];
			td_elem_verdict(e, v, sizeof(v));
			sb_printf(&sb, " : %s", v);
		} else if (e->dlen) {
			sb_puts(&sb, " : ");
			put_key(&sb, s->datatype, e->dval, e->dlen);
		}
		add_item(s, &sb);
	}
	for (size_t i = 0; i < s->nitem; i++)
		sb_printf(&all, "%s%s", i ? ", " : "", s->item[i]);
	s->items = all.s ? sb_take(&all) : xstrdup("");
}

