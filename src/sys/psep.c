// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege separation, the main process's side: the wire's io (both
 * sides), the helper's replies and the blocking calls of the one-shot
 * verbs. Who to become and the drop are in psep_drop.c, starting the
 * helper in psep_start.c, the daemon's queued calls in psep_async.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>

#include "vigil/dynset.h"
#include "vigil/nftc.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/util.h"
#include "psep_client.h"
#include "psep_int.h"

uint64_t psep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- small io helpers (both sides) ---- */

int psep_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { fd, POLLOUT, 0 };
				poll(&pf, 1, -1);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int psep_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { fd, POLLIN, 0 };
				poll(&pf, 1, -1);
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int psep_send_msg(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	struct psep_hdr h = { PSEP_MAGIC, type, 0, (uint32_t)(alen + blen) };
	int r;

	r = psep_write_full(fd, &h, sizeof(h));
	if (r == 0 && alen)
		r = psep_write_full(fd, a, alen);
	if (r == 0 && blen)
		r = psep_write_full(fd, b, blen);
	return r;
}

/* ---- replies ---- */

void psep_reply_free(struct psep_reply *rep)
{
	free(rep->extra);
	rep->extra = NULL;
	rep->extra_len = 0;
}

/* psep_client.h */
int psep_parse_reply(const struct psep_hdr *h, const uint8_t *payload, uint16_t expect,
		     struct psep_reply *rep)
{
	const char *bad = NULL;
	size_t fixed, extra = 0;

	memset(rep, 0, sizeof(*rep));
	rep->type = h->type;
	if (psep_check_reply(h, expect, &bad) < 0) {
		snprintf(rep->why, sizeof(rep->why), "the commit helper sent a malformed reply: %s", bad);
		return rep->status = -EPROTO;
	}
	fixed = psep_reply_fixed(h->type);
	memcpy(&rep->u, payload, fixed);
	if (h->type == PSEP_REP_RESULT)
		extra = psep_result_size(&rep->u.result) ? psep_result_size(&rep->u.result) - fixed : SIZE_MAX;
	else if (h->type == PSEP_REP_DUMP)
		extra = rep->u.dump.len;
	if (extra != h->len - fixed) {
		snprintf(rep->why, sizeof(rep->why), "the commit helper sent a reply of the wrong size");
		return rep->status = -EPROTO;
	}
	if (extra) {
		rep->extra = xmalloc(extra);
		memcpy(rep->extra, payload + fixed, extra);
		rep->extra_len = extra;
	}
	return 0;
}

const uint16_t psep_reply_of[PSEP_REQ_MAX_] = {
	[PSEP_REQ_COMMIT] = PSEP_REP_RESULT,     [PSEP_REQ_VALIDATE] = PSEP_REP_RESULT,
	[PSEP_REQ_GETGEN] = PSEP_REP_GEN,        [PSEP_REQ_CT_STATS] = PSEP_REP_CT_STATS,
	[PSEP_REQ_TABLE_INFO] = PSEP_REP_TABLE_INFO, [PSEP_REQ_DUMP] = PSEP_REP_DUMP,
	[PSEP_REQ_SET_TABLE] = PSEP_REP_OK,      [PSEP_REQ_CT_DUMP] = PSEP_REP_DUMP,
	[PSEP_REQ_ARM] = PSEP_REP_OK,            [PSEP_REQ_DISARM] = PSEP_REP_OK,
	[PSEP_REQ_DYN_DUMP] = PSEP_REP_DUMP,     [PSEP_REQ_SETELEM] = PSEP_REP_RESULT,
	[PSEP_REQ_CT_DELETE] = PSEP_REP_RESULT,
};

int psep_read_reply(struct psep *p, uint16_t type, struct psep_reply *rep)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct psep_hdr h;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = psep_read_full(p->fd, &h, sizeof(h));
	if (r == 0 && h.len > psep_reply_fixed(type) + (size_t)PSEP_MAX_DUMP)
		r = -EPROTO;
	if (r == 0) {
		buf = xmalloc(h.len ? h.len : 1);
		r = psep_read_full(p->fd, buf, h.len);
	}
	if (r < 0) {
		rep->status = r == -EPIPE ? -ECONNRESET : r;
		snprintf(rep->why, sizeof(rep->why), "the commit helper is gone (%s); see its message above",
			 strerror(-rep->status));
		return 0;
	}
	psep_parse_reply(&h, buf, type, rep);
	return 0;
}

int psep_call(struct psep *p, uint16_t type, const void *payload, size_t len,
	      struct psep_reply *rep)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	if (p->fd < 0 || type >= PSEP_REQ_MAX_ || !psep_reply_of[type]) {
		rep->status = -ENOTCONN;
		snprintf(rep->why, sizeof(rep->why), "the commit helper is not running");
		return 0;
	}
	r = psep_send_msg(p->fd, type, payload, len, NULL, 0);
	if (r < 0) {
		rep->status = r == -EPIPE ? -ECONNRESET : r;
		snprintf(rep->why, sizeof(rep->why), "the commit helper is gone (%s); see its message above",
			 strerror(-rep->status));
		return 0;
	}
	return psep_read_reply(p, psep_reply_of[type], rep);
}

int psep_reply_to_result(struct psep_reply *rep, struct nl_result *res, char *why, size_t whylen)
{
	memset(res, 0, sizeof(*res));
	if (rep->status < 0) {
		snprintf(why, whylen, "%s", rep->why);
		return rep->status;
	}
	rep->u.result.why[sizeof(rep->u.result.why) - 1] = '\0';
	if (rep->u.result.status < 0) {
		snprintf(why, whylen, "%s", rep->u.result.why);
		return rep->u.result.status;
	}
	if (rep->u.result.nerr) {
		res->errs = (struct nl_err *)TAKE_PTR(rep->extra);
		res->n = res->cap = rep->u.result.nerr;
		rep->extra_len = 0;
		for (size_t i = 0; i < res->n; i++)
			res->errs[i].msg[sizeof(res->errs[i].msg) - 1] = '\0';
	}
	res->lost = rep->u.result.lost != 0;
	res->genid = rep->u.result.genid;
	return 0;
}

int psep_commit(struct psep *p, const void *batch, size_t len, bool validate_only,
		struct nl_result *res, char *why, size_t whylen)
{
	struct psep_reply rep;
	int r;

	memset(res, 0, sizeof(*res));
	if (len == 0 || len > PSEP_MAX_BATCH) {
		snprintf(why, whylen, "the batch is %zu bytes; the limit is %u", len, PSEP_MAX_BATCH);
		return -EMSGSIZE;
	}
	psep_call(p, validate_only ? PSEP_REQ_VALIDATE : PSEP_REQ_COMMIT, batch, len, &rep);
	r = psep_reply_to_result(&rep, res, why, whylen);
	psep_reply_free(&rep);
	return r;
}

int psep_getgen(struct psep *p, uint32_t *genid)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_GETGEN, NULL, 0, &rep);
	if (rep.status < 0)
		return rep.status;
	if (rep.u.gen.status < 0)
		return rep.u.gen.status;
	*genid = rep.u.gen.genid;
	return 0;
}

int psep_ct_stats(struct psep *p, struct psep_ct_stats *st)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_CT_STATS, NULL, 0, &rep);
	if (rep.status < 0)
		return rep.status;
	*st = rep.u.ct;
	return st->status;
}

int psep_ct_inserts(struct psep *p, uint64_t *inserts)
{
	struct psep_ct_stats st;
	int r = psep_ct_stats(p, &st);

	if (r == 0)
		*inserts = st.inserts;
	return r;
}

int psep_table_info(struct psep *p, struct psep_table_info *ti)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_TABLE_INFO, NULL, 0, &rep);
	if (rep.status < 0)
		return rep.status;
	*ti = rep.u.ti;
	ti->comment[sizeof(ti->comment) - 1] = '\0';
	return ti->status;
}

int psep_dyn_dump(struct psep *p, struct dynset_list *l, uint32_t *genid, char *why, size_t whylen)
{
	struct psep_reply rep;
	int r;

	memset(l, 0, sizeof(*l));
	psep_call(p, PSEP_REQ_DYN_DUMP, NULL, 0, &rep);
	if (rep.status < 0) {
		snprintf(why, whylen, "%s", rep.why);
		psep_reply_free(&rep);
		return rep.status;
	}
	r = rep.u.dump.status;
	if (r < 0)
		snprintf(why, whylen, "%.200s", rep.u.dump.why);
	else if ((r = dynset_parse(rep.extra, rep.extra_len, true, l)) < 0)
		snprintf(why, whylen, "the helper's dump is malformed");
	*genid = rep.u.dump.genid;
	psep_reply_free(&rep);
	return r;
}

int psep_set_table(struct psep *p, const char *table, char *why, size_t whylen)
{
	struct psep_set_table st;
	struct psep_reply rep;

	memset(&st, 0, sizeof(st));
	if (strlen(table) >= sizeof(st.name)) {
		snprintf(why, whylen, "table name too long");
		return -EINVAL;
	}
	memcpy(st.name, table, strlen(table));
	psep_call(p, PSEP_REQ_SET_TABLE, &st, sizeof(st), &rep);
	if (rep.status < 0) {
		snprintf(why, whylen, "%s", rep.why);
		return rep.status;
	}
	rep.u.ok.why[sizeof(rep.u.ok.why) - 1] = '\0';
	if (rep.u.ok.status < 0)
		snprintf(why, whylen, "%s", rep.u.ok.why);
	return rep.u.ok.status;
}

void psep_plan_opts(const struct psep *p, const struct psep_table_info *ti, bool own,
		    struct nftc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->destroy = p->features & PSEP_F_DESTROY;
	/* owner without persist would take the firewall with the helper when
	 * it exits: only both */
	if (own && (p->features & PSEP_F_PERSIST))
		o->table_flags = NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST;
	o->have_genid = true;
	o->genid = ti->genid;
}
