// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild flows --follow through the running watch's control socket: GET
 * /v1/flows/stream with the filters, and the lines the watch sends as it
 * records them copied to stdout (the body is chunked: decoded here as it
 * comes). When no watch serves the database (none runs, the socket is not
 * ours to use, it records another database, it is too busy, or it is a
 * vigild without the endpoint) the caller reads the database itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "ctl_client.h"
#include "flows.h"
#include "vigil/util.h"

#define HEAD_MAX 16384
#define HEAD_TIMEOUT_MS 5000

static void put_arg(struct strbuf *sb, const char *k, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";

	sb_printf(sb, "%c%s=", sb->s && strchr(sb->s, '?') ? '&' : '?', k);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~:", *p)) {
			sb_putn(sb, (const char *)p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			sb_putn(sb, e, 3);
		}
	}
}

static char *stream_url(const char *db, const struct flowdb_query *q, enum flowdb_follow_fmt fmt)
{
	struct strbuf sb = { 0 };
	char n[16];

	sb_puts(&sb, "/v1/flows/stream");
	put_arg(&sb, "format", fmt == FLOWDB_FOLLOW_ECS ? "ecs" : "ndjson");
	if (q->verdict != FLOWDB_V_ALL)
		put_arg(&sb, "verdict", q->verdict == FLOWDB_V_ACCEPTED ? "accepted" : "refused");
	if (q->rule)
		put_arg(&sb, "rule", *q->rule ? q->rule : "-");
	if (q->src)
		put_arg(&sb, "src", q->src);
	if (q->dst)
		put_arg(&sb, "dst", q->dst);
	if (q->dport_set) {
		snprintf(n, sizeof(n), "%d", q->dport);
		put_arg(&sb, "dport", n);
	}
	if (q->proto_set) {
		snprintf(n, sizeof(n), "%d", q->proto);
		put_arg(&sb, "proto", n);
	}
	if (db) {
		_cleanup_free_ char *real = realpath(db, NULL);
		put_arg(&sb, "db", real ? real : db);
	}
	return sb_take(&sb);
}

/* Reads the answer's head (status line and headers) into in; the body's
 * first bytes stay after it. Returns the status, or -errno. */
static int read_head(int fd, struct strbuf *in, size_t *body)
{
	uint64_t waited = 0;
	unsigned status;
	char *end;

	for (;;) {
		char buf[4096];
		ssize_t n;
		int w;

		if (in->s && (end = strstr(in->s, "\r\n\r\n"))) {
			*body = (size_t)(end - in->s) + 4;
			if (sscanf(in->s, "HTTP/1.%*d %u", &status) != 1)
				return -EPROTO;
			return (int)status;
		}
		if (in->len > HEAD_MAX || waited >= HEAD_TIMEOUT_MS)
			return -EPROTO;
		w = flows_follow_wait(fd, 100);
		if (w < 0)
			return w;
		if (w == 0) {
			waited += 100;
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		sb_putn(in, buf, (size_t)n);
	}
}

/* The body of a refusal (small; the watch closes the connection after
 * it): its "error", or NULL. */
static char *refusal(int fd, struct strbuf *in, size_t body)
{
	json_object *o, *e;
	char *why = NULL;

	for (int i = 0; i < 20; i++) {
		char buf[4096];
		ssize_t n;
		int w = flows_follow_wait(fd, 100);

		if (w < 0)
			break;
		if (w == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 || in->len > HEAD_MAX)
			break;
		sb_putn(in, buf, (size_t)n);
	}
	o = json_tokener_parse(in->s + body);
	if (o && json_object_object_get_ex(o, "error", &e))
		why = xstrdup(json_object_get_string(e));
	json_object_put(o);
	return why;
}

/* The chunked body, decoded as it comes. */
struct unchunk {
	size_t left;   /* bytes of the current chunk still to copy */
	bool crlf;     /* the CRLF after a chunk is due */
	bool end;      /* the last chunk came */
	struct strbuf line;
};

/* Copies what p holds of the body to stdout; false when stdout is gone,
 * a signal came, or the body is malformed (*bad). */
static bool unchunk_feed(struct unchunk *u, const char *p, size_t n, bool *bad)
{
	while (n && !u->end) {
		if (u->left) {
			size_t k = n < u->left ? n : u->left;
			if (!flows_follow_put(p, k))
				return false;
			p += k, n -= k, u->left -= k;
			u->crlf = !u->left;
			continue;
		}
		sb_putn(&u->line, p, 1);
		p++, n--;
		if (u->line.len > 64) {
			*bad = true;
			return false;
		}
		if (u->line.len < 2 || memcmp(u->line.s + u->line.len - 2, "\r\n", 2))
			continue;
		if (u->crlf) {
			u->crlf = false;
			if (u->line.len != 2) {
				*bad = true;
				return false;
			}
		} else {
			char *end;
			unsigned long v = strtoul(u->line.s, &end, 16);

			if (end == u->line.s) {
				*bad = true;
				return false;
			}
			u->left = v;
			u->end = v == 0;
		}
		u->line.len = 0;
		u->line.s[0] = '\0';
	}
	return true;
}

/* The stream, until the watch ends it, stdout closes, or a signal comes. */
static int copy_stream(int fd, struct strbuf *in, size_t body, bool chunked)
{
	struct unchunk u = { 0 };
	bool bad = false, ok;
	char buf[16384];

	ok = chunked ? unchunk_feed(&u, in->s + body, in->len - body, &bad)
		     : flows_follow_put(in->s + body, in->len - body);
	while (ok && !u.end) {
		ssize_t n;
		int w = flows_follow_wait(fd, -1);

		if (w < 0)
			break;
		if (w == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ok = chunked ? unchunk_feed(&u, buf, (size_t)n, &bad) : flows_follow_put(buf, (size_t)n);
	}
	sb_free(&u.line);
	if (bad)
		fprintf(stderr, "%s flows: error: vigild watch's stream is not chunked as HTTP/1.1 says\n",
			program_name);
	if (bad)
		return EXIT_SYSTEM;
	if (flows_follow_stopped() || !ok)
		return EXIT_OK;
	return FLOWS_STREAM_NONE; /* the watch ended it: it stops */
}

int flows_stream(const char *db, const struct flowdb_query *q, enum flowdb_follow_fmt fmt)
{
	_cleanup_free_ char *url = stream_url(db, q, fmt), *why = NULL;
	struct strbuf req = { 0 }, in = { 0 };
	char path[256];
	size_t body = 0;
	int fd, r;

	ctl_socket_path(path, sizeof(path));
	fd = ctl_connect();
	if (fd < 0) {
		fprintf(stderr, "%s flows: info: %s\n", program_name,
			fd == -ENOENT || fd == -ECONNREFUSED ? "no vigild watch runs here"
			: fd == -EACCES ? "the control socket is not ours to use (permission denied)"
					: strerror(-fd));
		return FLOWS_STREAM_NONE;
	}
	sb_printf(&req, "GET %s HTTP/1.1\r\nHost: vigild\r\nConnection: close\r\n\r\n", url);
	r = write(fd, req.s, req.len) == (ssize_t)req.len ? 0 : -EIO;
	sb_free(&req);
	if (r == 0)
		r = read_head(fd, &in, &body);
	if (r == 200) {
		_cleanup_free_ char *head = xstrndup(in.s, body);
		bool chunked = strcasestr(head, "\r\nTransfer-Encoding: chunked") != NULL;

		fprintf(stderr, "%s flows: info: following through vigild watch's control socket (%s)\n",
			program_name, path);
		r = copy_stream(fd, &in, body, chunked);
		if (r == FLOWS_STREAM_NONE)
			fprintf(stderr, "%s flows: info: vigild watch ended the stream (it stops)\n",
				program_name);
	} else if (r > 0) {
		why = refusal(fd, &in, body);
		fprintf(stderr, "%s flows: info: vigild watch does not stream these flows (%d: %s)\n",
			program_name, r, why ? why : "no reason given");
		r = FLOWS_STREAM_NONE;
	} else if (r == -EINTR) {
		r = EXIT_OK;
	} else {
		fprintf(stderr, "%s flows: info: vigild watch's control socket did not answer: %s\n",
			program_name, strerror(-r));
		r = FLOWS_STREAM_NONE;
	}
	sb_free(&in);
	close(fd);
	return r;
}
