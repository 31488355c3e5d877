// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client side of the control socket: one HTTP/1.1 request on
 * RUN_DIR/control.sock, "Connection: close", the answer read whole.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "ctl_client.h"
#include "vigil/psep.h"
#include "vigil/state.h"
#include "vigil/util.h"

#define RESP_MAX (64u << 20)

const char *ctl_socket_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/control.sock", run_dir_path());
	return buf;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Decodes a chunked body in place; false when it is malformed. */
static bool unchunk(char *body, size_t *len)
{
	size_t in = 0, out = 0;

	while (in < *len) {
		char *end;
		unsigned long n = strtoul(body + in, &end, 16);
		char *crlf = strstr(end, "\r\n");

		if (end == body + in || !crlf)
			return false;
		in = (size_t)(crlf - body) + 2;
		if (n == 0)
			break;
		if (n > *len - in)
			return false;
		memmove(body + out, body + in, n);
		out += n;
		in += n + 2;
	}
	*len = out;
	body[out] = '\0';
	return true;
}

int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	ctl_socket_path(sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctl_request(const char *method, const char *path, const char *body, size_t blen,
		int timeout_ms, struct ctl_answer *a)
{
	int fd = ctl_connect();

	memset(a, 0, sizeof(*a));
	if (fd < 0)
		return fd;
	return ctl_request_on(fd, method, path, body, blen, timeout_ms, a);
}

int ctl_request_on(int fd, const char *method, const char *path, const char *body, size_t blen,
		   int timeout_ms, struct ctl_answer *a)
{
	struct strbuf req = { 0 }, in = { 0 };
	uint64_t deadline = psep_now_ms() + (uint64_t)timeout_ms;
	char *hdr_end, *p;
	int r;

	memset(a, 0, sizeof(*a));
	sb_printf(&req, "%s %s HTTP/1.1\r\nHost: vigild\r\nConnection: close\r\nContent-Length: %zu\r\n",
		  method, path, blen);
	if (blen)
		sb_puts(&req, "Content-Type: application/yaml\r\n");
	sb_puts(&req, "\r\n");
	r = write_all(fd, req.s, req.len);
	if (r == 0 && blen)
		r = write_all(fd, body, blen);
	sb_free(&req);
	while (r == 0) {
		struct pollfd pf = { fd, POLLIN, 0 };
		uint64_t now = psep_now_ms();
		char buf[65536];
		ssize_t n;

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&pf, 1, (int)(deadline - now)) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		if (in.len + (size_t)n > RESP_MAX) {
			r = -EFBIG;
			break;
		}
		sb_putn(&in, buf, (size_t)n);
	}
	close(fd);
	if (r < 0) {
		sb_free(&in);
		return r;
	}
	if (!in.s || sscanf(in.s, "HTTP/1.%*d %u", &a->status) != 1 ||
	    !(hdr_end = strstr(in.s, "\r\n\r\n"))) {
		sb_free(&in);
		return -EPROTO;
	}
	*hdr_end = '\0';
	p = hdr_end + 4;
	a->len = in.len - (size_t)(p - in.s);
	a->body = xmalloc(a->len + 1);
	memcpy(a->body, p, a->len);
	a->body[a->len] = '\0';
	if (strcasestr(in.s, "\r\nTransfer-Encoding: chunked") && !unchunk(a->body, &a->len)) {
		sb_free(&in);
		ctl_answer_free(a);
		return -EPROTO;
	}
	sb_free(&in);
	return 0;
}

void ctl_answer_free(struct ctl_answer *a)
{
	free(a->body);
	memset(a, 0, sizeof(*a));
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

int ctl_print_outcome(const struct ctl_answer *a, bool quiet, const char *fail_tail)
{
	json_object *o = json_tokener_parse(a->body), *diags = NULL, *code = NULL;
	int r;

	if (!o) {
		cli_error("vigild watch answered %u with something that is not JSON", a->status);
		return EXIT_SYSTEM;
	}
	if (json_object_object_get_ex(o, "diagnostics", &diags))
		for (size_t i = 0; i < json_object_array_length(diags); i++) {
			json_object *dg = json_object_array_get_idx(diags, i);
			if (jstr(dg, "text"))
				fprintf(stderr, "%s\n", jstr(dg, "text"));
		}
	json_object_object_get_ex(o, "exit_code", &code);
	if (a->status == 200) {
		if (!quiet && jstr(o, "summary"))
			printf("%s\n", jstr(o, "summary"));
		r = EXIT_OK;
	} else {
		if (jstr(o, "error"))
			cli_error("%s", jstr(o, "error"));
		if (fail_tail && a->status != 403)
			fprintf(stderr, "%s: %s\n", program_name, fail_tail);
		/* 409 without a commit under way: nothing was pending */
		r = a->status == 422 ? EXIT_INVALID
		    : a->status == 409 && (!code || json_object_get_int(code) != 75) ? EXIT_INVALID
		    : EXIT_SYSTEM;
	}
	json_object_put(o);
	return r;
}
