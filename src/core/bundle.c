// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <nettle/sha2.h>

#include "vigil/bundle.h"

#define BUNDLE_MAGIC "vigil-bundle 1\n"
#define BUNDLE_MAX_PARTS 4096

void bundle_init(struct bundle *b, const char *source, const char *table, int64_t time)
{
	memset(b, 0, sizeof(*b));
	b->source = xstrdup(source ? source : "");
	b->table = xstrdup(table ? table : "");
	b->time = time;
}

void bundle_add(struct bundle *b, const char *name, const char *data, size_t len)
{
	struct bundle_part *p;

	GROW(b->parts, b->cap, b->n + 1);
	p = &b->parts[b->n++];
	p->name = xstrdup(name);
	p->data = xmalloc(len + 1);
	memcpy(p->data, data, len);
	p->data[len] = '\0';
	p->len = len;
}

void bundle_free(struct bundle *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->parts[i].name);
		free(b->parts[i].data);
	}
	free(b->parts);
	free(b->source);
	free(b->table);
	memset(b, 0, sizeof(*b));
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void bundle_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	hex(d, sizeof(d), out);
}

void bundle_hash(struct bundle *b)
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&c);
	sha256_update(&c, strlen(b->table) + 1, (const uint8_t *)b->table);
	for (size_t i = 0; i < b->n; i++) {
		char head[48];
		int k = snprintf(head, sizeof(head), "%zu %zu\n", strlen(b->parts[i].name), b->parts[i].len);
		sha256_update(&c, (size_t)k, (const uint8_t *)head);
		sha256_update(&c, strlen(b->parts[i].name), (const uint8_t *)b->parts[i].name);
		sha256_update(&c, b->parts[i].len, (const uint8_t *)b->parts[i].data);
	}
	sha256_digest(&c, sizeof(d), d);
	hex(d, sizeof(d), b->hash);
}

/*
 * vigil-bundle 1
 * hash HEX
 * time N
 * source LEN\nBYTES\n
 * table LEN\nBYTES\n
 * part NAMELEN DATALEN\nNAME DATA\n   (repeated)
 * end
 */
static void put_str(struct strbuf *out, const char *key, const char *s)
{
	sb_printf(out, "%s %zu\n", key, strlen(s));
	sb_puts(out, s);
	sb_putc(out, '\n');
}

void bundle_serialize(const struct bundle *b, struct strbuf *out)
{
	sb_puts(out, BUNDLE_MAGIC);
	sb_printf(out, "hash %s\ntime %" PRId64 "\n", b->hash, b->time);
	put_str(out, "source", b->source);
	put_str(out, "table", b->table);
	for (size_t i = 0; i < b->n; i++) {
		sb_printf(out, "part %zu %zu\n", strlen(b->parts[i].name), b->parts[i].len);
		sb_puts(out, b->parts[i].name);
		sb_putn(out, b->parts[i].data, b->parts[i].len);
		sb_putc(out, '\n');
	}
	sb_puts(out, "end\n");
}

struct rd {
	const char *p, *end;
};

/* "KEY" then numbers up to the newline; false when it is not that. */
static bool line(struct rd *r, const char *key, uint64_t *a, uint64_t *b)
{
	size_t kl = strlen(key);
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	char tmp[64];
	int n;

	if (!nl || (size_t)(nl - r->p) >= sizeof(tmp) || (size_t)(nl - r->p) < kl ||
	    memcmp(r->p, key, kl) != 0)
		return false;
	memcpy(tmp, r->p, (size_t)(nl - r->p));
	tmp[nl - r->p] = '\0';
	if (b)
		n = sscanf(tmp + kl, " %" SCNu64 " %" SCNu64, a, b) == 2;
	else if (a)
		n = sscanf(tmp + kl, " %" SCNu64, a) == 1;
	else
		n = tmp[kl] == '\0';
	if (!n)
		return false;
	r->p = nl + 1;
	return true;
}

static bool take(struct rd *r, uint64_t n, char **out)
{
	if ((uint64_t)(r->end - r->p) < n + 1 || r->p[n] != '\n')
		return false;
	*out = xstrndup(r->p, (size_t)n);
	r->p += n + 1;
	return true;
}

int bundle_parse(const char *buf, size_t len, struct bundle *b, const char **why)
{
	struct rd r = { buf, buf + len };
	char want[65], *hashline = NULL, *src = NULL, *tab = NULL;
	uint64_t t = 0, n = 0, m = 0;
	const char *nl;

	memset(b, 0, sizeof(*b));
	*why = "no bundle header";
	if (len < strlen(BUNDLE_MAGIC) || memcmp(buf, BUNDLE_MAGIC, strlen(BUNDLE_MAGIC)) != 0)
		return -EBADMSG;
	r.p += strlen(BUNDLE_MAGIC);
	*why = "bad hash line";
	nl = memchr(r.p, '\n', (size_t)(r.end - r.p));
	if (!nl || nl - r.p != 5 + 64 || memcmp(r.p, "hash ", 5) != 0)
		return -EBADMSG;
	hashline = xstrndup(r.p + 5, 64);
	r.p = nl + 1;
	*why = "bad time, source or table";
	if (!line(&r, "time", &t, NULL) || !line(&r, "source", &n, NULL) || !take(&r, n, &src) ||
	    !line(&r, "table", &n, NULL) || !take(&r, n, &tab)) {
		free(hashline);
		free(src);
		free(tab);
		return -EBADMSG;
	}
	bundle_init(b, src, tab, (int64_t)t);
	free(src);
	free(tab);
	*why = "bad part";
	while (line(&r, "part", &n, &m)) {
		if (n > 4096 || m > (uint64_t)(r.end - r.p) || n + m + 1 > (uint64_t)(r.end - r.p) ||
		    r.p[n + m] != '\n' || b->n >= BUNDLE_MAX_PARTS)
			goto bad;
		char *name = xstrndup(r.p, (size_t)n);
		bundle_add(b, name, r.p + n, (size_t)m);
		free(name);
		r.p += n + m + 1;
	}
	*why = "no end";
	if (!line(&r, "end", NULL, NULL) || r.p != r.end)
		goto bad;
	bundle_hash(b);
	memcpy(want, hashline, 65);
	free(hashline);
	if (strcmp(want, b->hash) != 0) {
		*why = "the hash does not match the content";
		bundle_free(b);
		return -EILSEQ;
	}
	*why = NULL;
	return 0;
bad:
	free(hashline);
	bundle_free(b);
	return -EBADMSG;
}

const struct bundle_part *bundle_policy(const struct bundle *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (!b->parts[i].name[0])
			return &b->parts[i];
	return NULL;
}

int bundle_read_set(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	const struct bundle *b = ctx;

	for (size_t i = 0; i < b->n; i++) {
		if (!b->parts[i].name[0] || strcmp(b->parts[i].name, path) != 0)
			continue;
		if (b->parts[i].len > max)
			return -EFBIG;
		*buf = xmalloc(b->parts[i].len + 1);
		memcpy(*buf, b->parts[i].data, b->parts[i].len + 1);
		*len = b->parts[i].len;
		return 0;
	}
	return -ENOENT;
}

int bundle_record_set(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct bundle_recorder *rec = ctx;
	int r = rec->read(rec->ctx, path, max, buf, len);

	if (r == 0)
		bundle_add(rec->into, path, *buf, *len);
	return r;
}
