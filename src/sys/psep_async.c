// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege separation, the daemon's asynchronous client: requests queued,
 * one in flight, written and read without blocking from the event loop
 * (psep_poll_events, psep_io), each with a timeout that starts when its
 * first byte is written.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/util.h"
#include "psep_client.h"

struct psep_call {
	struct psep_call *next;
	uint16_t type;
	uint8_t *msg;          /* header + payload */
	size_t len;
	unsigned timeout_ms;
	uint64_t deadline;     /* set when the first byte is written */
	psep_done_fn done;
	void *ctx;
};

static int io_write(struct psep *p);

void psep_submit(struct psep *p, uint16_t type, const void *payload, size_t len,
		 unsigned timeout_ms, psep_done_fn done, void *ctx)
{
	struct psep_call *c = xzalloc(sizeof(*c));
	struct psep_hdr h = { PSEP_MAGIC, type, 0, (uint32_t)len };

	c->type = type;
	c->len = sizeof(h) + len;
	c->msg = xmalloc(c->len);
	memcpy(c->msg, &h, sizeof(h));
	if (len)
		memcpy(c->msg + sizeof(h), payload, len);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->ctx = ctx;
	if (p->tail)
		p->tail->next = c;
	else
		p->head = c;
	p->tail = c;
	/* out at once when the socket takes it; a failure shows as POLLHUP */
	if (p->head == c && p->fd >= 0)
		io_write(p);
}

static void call_finish(struct psep *p, struct psep_reply *rep)
{
	struct psep_call *c = p->head;

	p->head = c->next;
	if (!p->head)
		p->tail = NULL;
	p->wr_off = 0;
	p->rx_len = 0;
	if (c->done)
		c->done(c->ctx, rep);
	psep_reply_free(rep);
	free(c->msg);
	free(c);
}

void psep_fail_all(struct psep *p, int err, const char *why)
{
	while (p->head) {
		struct psep_reply rep;

		memset(&rep, 0, sizeof(rep));
		rep.status = err;
		snprintf(rep.why, sizeof(rep.why), "%s", why);
		call_finish(p, &rep);
	}
}

short psep_poll_events(const struct psep *p)
{
	return (short)(POLLIN | (p->head && p->wr_off < p->head->len ? POLLOUT : 0));
}

bool psep_idle(const struct psep *p)
{
	return !p->head;
}

uint64_t psep_deadline(const struct psep *p)
{
	return p->head && p->wr_off ? p->head->deadline : 0;
}

bool psep_check_timeout(struct psep *p, uint64_t now_ms)
{
	uint64_t d = psep_deadline(p);

	if (!d || now_ms < d)
		return false;
	psep_fail_all(p, -ETIMEDOUT, "the commit helper did not answer in time");
	return true;
}

static int io_write(struct psep *p)
{
	while (p->head && p->wr_off < p->head->len) {
		ssize_t n = write(p->fd, p->head->msg + p->wr_off, p->head->len - p->wr_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (p->wr_off == 0)
			p->head->deadline = psep_now_ms() + p->head->timeout_ms;
		p->wr_off += (size_t)n;
	}
	return 0;
}

/* Reads what is there; completes the reply in flight when it is whole. */
static int io_read(struct psep *p)
{
	for (;;) {
		struct psep_hdr h;
		size_t want = sizeof(h);
		ssize_t n;

		if (p->rx_len >= sizeof(h)) {
			memcpy(&h, p->rx, sizeof(h));
			if (h.len > PSEP_MAX_DUMP + 4096u)
				return -EPROTO;
			want += h.len;
		}
		if (p->rx_len == want && p->rx_len >= sizeof(h)) {
			struct psep_reply rep;

			if (!p->head || p->wr_off < p->head->len)
				return -EPROTO; /* nothing asked: the helper speaks out of turn */
			if (psep_parse_reply(&h, p->rx + sizeof(h), psep_reply_of[p->head->type], &rep) < 0) {
				call_finish(p, &rep);
				return -EPROTO;
			}
			call_finish(p, &rep);
			continue;
		}
		GROW(p->rx, p->rx_cap, want);
		n = read(p->fd, p->rx + p->rx_len, want - p->rx_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		p->rx_len += (size_t)n;
	}
}

int psep_io(struct psep *p, short revents)
{
	int r = 0;

	if (p->fd < 0)
		return -ENOTCONN;
	if (revents & POLLOUT)
		r = io_write(p);
	if (r == 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		r = io_read(p);
	if (r == 0 && (revents & (POLLHUP | POLLERR)) && !(revents & POLLIN))
		r = -ECONNRESET;
	if (r == 0 && p->head && p->wr_off < p->head->len)
		r = io_write(p); /* a new request queued by a callback */
	if (r < 0) {
		char why[128];
		snprintf(why, sizeof(why), "the commit helper is gone (%s)",
			 strerror(-r == EPIPE ? ECONNRESET : -r));
		psep_fail_all(p, r, why);
	}
	return r;
}
