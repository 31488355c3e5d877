// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commit helper's BATCH request: the batch is verified (a replacement
 * or a deletion of vigild's table by batch_verify, an incremental one by
 * batch_verify_delta against the helper's own dump of the table, at the
 * generation the batch names; a stale one answered as ERESTART), the
 * table's ownership checked, and only then sent to the kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/batch.h"
#include "vigil/ir.h"
#include "vigil/nl.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"
#include "vigil/util.h"
#include "psep_int.h"

#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif


/* Does the (verified) batch hold an nf_tables message of this type? */
static bool batch_has(const uint8_t *buf, size_t len, uint16_t type)
{
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES &&
		    (nlh->nlmsg_type & 0xff) == type)
			return true;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return false;
}

/* remove's helper commits a deletion and nothing else */
static bool only_deletes(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		uint16_t t = nlh->nlmsg_type;
		if (t != NFNL_MSG_BATCH_BEGIN && t != NFNL_MSG_BATCH_END &&
		    t != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELTABLE) &&
		    t != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DESTROYTABLE))
			return false;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return true;
}

int refuse_batch(struct helper *H, int status, const char *fmt, ...)
{
	struct psep_result out;
	va_list ap;

	memset(&out, 0, sizeof(out));
	out.status = status;
	va_start(ap, fmt);
	vsnprintf(out.why, sizeof(out.why), fmt, ap);
	va_end(ap);
	if (status == -EPERM)
		hlog("refused a batch: %s", out.why);
	return psep_send_msg(H->fd, PSEP_REP_RESULT, &out, sizeof(out), NULL, 0);
}

/*
 * Every batch, before it is sent: the table it touches must be vigild's
 * (its mark), or absent, unless --force; and not owned by another socket.
 */
int check_ownership(struct helper *H, const uint8_t *buf, size_t len, bool *refused)
{
	struct nl_table_info ti;
	int e = nl_table_info(&H->nl, H->table, &ti);

	*refused = true;
	if (e < 0)
		return refuse_batch(H, e, "cannot look up table inet %s: %s", H->table, strerror(-e));
	if (ti.exists && ti.has_owner && ti.owner != H->nl.portid)
		return refuse_batch(H, -EBUSY,
				    "table inet %.32s is owned by another process (netlink port %u), which alone may change it: another vigild is running for it",
				    H->table, ti.owner);
	if (ti.exists && !H->force && strcmp(ti.comment, IR_TABLE_MARK) != 0)
		return refuse_batch(H, -EPERM,
				    "table inet %.32s was not made by vigild (its comment is '%.24s'); pick another --table, or --force to %s",
				    H->table, ti.comment,
				    batch_has(buf, len, NFT_MSG_NEWTABLE) ? "take it over"
									  : "delete it anyway");
	*refused = false;
	return 0;
}

/* An incremental batch changes the table without replacing it (delta.h):
 * no table message. Not yet verified: a malformed batch is not one (and
 * batch_verify refuses it). */
static bool is_delta(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		uint16_t t;

		if (len - off < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > len - off)
			return false;
		t = nlh->nlmsg_type;
		if ((t >> 8) == NFNL_SUBSYS_NFTABLES &&
		    ((t & 0xff) == NFT_MSG_NEWTABLE || (t & 0xff) == NFT_MSG_DELTABLE ||
		     (t & 0xff) == NFT_MSG_DESTROYTABLE))
			return false;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return len > 0;
}

/* The kernel's answer to a batch whose generation is not the table's:
 * ERESTART on its BEGIN, without sending it (the caller re-plans). */
static int answer_stale(struct helper *H, const uint8_t *buf)
{
	struct psep_result out;
	struct nl_err e;

	memset(&out, 0, sizeof(out));
	memset(&e, 0, sizeof(e));
	e.seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	e.error = -ERESTART;
	snprintf(e.msg, sizeof(e.msg), "%s", "the table changed since it was read");
	out.nerr = 1;
	return psep_send_msg(H->fd, PSEP_REP_RESULT, &out, sizeof(out), &e, sizeof(e));
}

/*
 * An incremental batch is checked against the table as the kernel has it
 * (its chains and sets, read here), which must be vigild's even with
 * --force. *answered: a reply was sent (a refusal, or the stale answer).
 */
static int check_delta(struct helper *H, const uint8_t *buf, size_t len, bool *answered)
{
	struct nl_table_info ti;
	struct batch_refusal ref;
	struct strbuf sb = { 0 };
	uint32_t gen = 0, bgen = 0;
	int e = nl_table_info(&H->nl, H->table, &ti);

	*answered = true;
	if (e < 0)
		return refuse_batch(H, e, "cannot look up table inet %s: %s", H->table, strerror(-e));
	if (!ti.exists || strcmp(ti.comment, IR_TABLE_MARK) != 0)
		return refuse_batch(H, -EPERM,
				    "an incremental batch changes only a table vigild made; table inet %.32s %s",
				    H->table, ti.exists ? "does not carry its mark" : "does not exist");
	e = nl_dump_defs(&H->nl, H->table, PSEP_MAX_DUMP, &sb, &gen);
	if (e < 0)
		return refuse_batch(H, e, "cannot read table inet %s: %s", H->table, strerror(-e));
	e = batch_verify_delta(buf, len, H->table, sb.s, sb.len, &bgen, &ref);
	sb_free(&sb);
	if (e < 0)
		return refuse_batch(H, -EPERM, "%s", ref.why);
	if (bgen != gen)
		return answer_stale(H, buf);
	*answered = false;
	return 0;
}

/* Serves one batch request. Returns <0 to end the conversation. */
int helper_serve_batch(struct helper *H, uint32_t len, bool validate)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct psep_result out;
	struct nl_result res = { 0 };
	struct batch_refusal ref;
	size_t send_len;
	bool refused;
	int r;

	r = helper_read_body(H, len, &buf);
	if (r < 0)
		return r;
	if (!H->have_table)
		return refuse_batch(H, -EPERM, "no table was named yet");
	if (H->mode != PSEP_MODE_REMOVE && is_delta(buf, len)) {
		r = check_delta(H, buf, len, &refused);
		if (refused)
			return r;
	} else if (batch_verify(buf, len, H->table, &ref) < 0) {
		return refuse_batch(H, -EPERM, "%s", ref.why);
	}
	if (H->mode == PSEP_MODE_REMOVE && !only_deletes(buf, len))
		return refuse_batch(H, -EPERM, "this helper deletes the table and does nothing else");
	r = check_ownership(H, buf, len, &refused);
	if (refused)
		return r;
	send_len = len;
	if (validate) {
		/* without its END message the kernel checks the whole batch and
		 * then aborts it (what `nft -c` does) */
		size_t off = 0, last = 0;
		while (off < len) {
			last = off;
			off += NLMSG_ALIGN(((const struct nlmsghdr *)(buf + off))->nlmsg_len);
		}
		send_len = last;
	}
	memset(&out, 0, sizeof(out));
	r = nl_send_batch(&H->nl, buf, send_len, &res);
	if (r < 0)
		return refuse_batch(H, r, "sending to the kernel failed: %s", strerror(-r));
	if (!validate && res.n == 0 && !res.lost && nl_get_genid(&H->nl, &out.genid) < 0)
		out.genid = 0;
	out.nerr = res.n > PSEP_MAX_ERRORS ? PSEP_MAX_ERRORS : (uint32_t)res.n;
	out.lost = res.lost || res.n > PSEP_MAX_ERRORS;
	r = psep_send_msg(H->fd, PSEP_REP_RESULT, &out, sizeof(out), res.errs,
			  out.nerr * sizeof(struct nl_err));
	nl_result_free(&res);
	return r;
}

