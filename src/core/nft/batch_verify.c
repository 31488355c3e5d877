// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * batch_verify(): what the privileged commit helper checks before it lets a
 * batch from the unprivileged process reach the kernel.
 *
 * Two things together confine a batch. The table: every message names
 * vigild's table, and the kernel resolves every object of a message inside
 * the table it names (no handles, which could name a table without its
 * name). The shapes: every message, down to every attribute at every
 * nesting level, must be one the compiler emits for some policy it accepts
 * (vocab.c; anything without a row is refused), so a compromised main
 * process cannot add a nat or raw chain, a redirect, a notrack or a mark
 * beyond vigild's bits, even inside its own table.
 *
 * This file: the framing (one nf_tables transaction), the grammar of a
 * batch, the attribute walk every message goes through, and the batch's
 * objects (sets and chains a later message may refer to).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/batch.h"
#include "verify.h"

const char verify_refused[] = "(refused)";

/* snprintf for messages that may be cut (the compiler warns about those) */
void verify_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int verify_refuse(struct verify_ctx *c, const char *fmt, ...)
{
	char detail[sizeof(c->r->why)];
	va_list ap;

	if (!c->r)
		return -EPERM;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	c->r->index = c->index;
	if (c->msg)
		verify_fmt(c->r->why, sizeof(c->r->why), "message %zu (%s%s%s): %s", c->index, c->msg,
			   c->obj[0] ? " " : "", c->obj, detail);
	else
		verify_fmt(c->r->why, sizeof(c->r->why), "%s", detail);
	/* names in it come from the sender: the helper logs this line */
	for (char *p = c->r->why; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return -EPERM;
}

/* ---- values of walked attributes ---- */

uint32_t verify_u32(const struct nlattr *a)
{
	return ntohl(mnl_attr_get_u32(a));
}

uint64_t verify_u64(const struct nlattr *a)
{
	return be64toh(mnl_attr_get_u64(a));
}

uint8_t verify_u8(const struct nlattr *a)
{
	return mnl_attr_get_u8(a);
}

const char *verify_str(const struct nlattr *a)
{
	return mnl_attr_get_str(a);
}

const void *verify_data(const struct nlattr *a, size_t *len)
{
	*len = mnl_attr_get_payload_len(a);
	return mnl_attr_get_payload(a);
}

/* ---- the attribute walk ---- */

struct walk {
	struct verify_ctx *c;
	/* where: the parent's place, then this name or item number (formatted
	 * only for a refusal: a set can have 100,000s of elements) */
	const struct walk *up;
	const char *name;
	size_t item;
	const struct vocab_attrs *t;   /* attribute table, or NULL for a list */
	const struct vocab_attr *list; /* the list's row */
	const struct nlattr **tb;
	const char *end, *next;
	size_t items;
	int err;
};

static void wpath_put(const struct walk *w, char *buf, size_t len)
{
	size_t n;

	if (w->up)
		wpath_put(w->up, buf, len);
	n = strlen(buf);
	if (w->name)
		verify_fmt(buf + n, len - n, "%s%s", w->up ? ": " : "", w->name);
	else
		verify_fmt(buf + n, len - n, " %zu", w->item);
}

static const char *wpath(const struct walk *w, char *buf)
{
	buf[0] = '\0';
	wpath_put(w, buf, 128);
	return buf;
}
#define WHAT(w) wpath((w), (char[128]){ 0 })

static const struct vocab_attr *row_of(const struct vocab_attrs *t, uint16_t type)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].type == type)
			return &t->v[i];
	return NULL;
}

static int walk_payload(struct walk *w, const void *p, size_t len);

/* The attributes of nest, as a place below w (name, or item number). */
static int walk_nested(const struct walk *w, const char *name, size_t item,
		       const struct nlattr *nest, const struct vocab_attrs *t)
{
	struct walk n = { .c = w->c, .up = w, .name = name, .item = item, .t = t };

	return walk_payload(&n, mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest));
}

static int check_number(struct walk *w, const struct vocab_attr *row, uint64_t v)
{
	if (row->in) {
		if (!vocab_value_name(row->in, (uint32_t)v))
			return verify_refuse(w->c, "%s: %s %llu is not one vigild uses", WHAT(w),
					     row->name, (unsigned long long)v);
	} else if (v < row->min || (row->max && v > row->max)) {
		return verify_refuse(w->c, "%s: %s %llu is out of range (%llu to %llu)", WHAT(w),
				     row->name, (unsigned long long)v, (unsigned long long)row->min,
				     (unsigned long long)row->max);
	}
	return 0;
}

/* One attribute against its row: length, value, and what is nested in it. */
static int check_attr(struct walk *w, const struct vocab_attr *row, const struct nlattr *a)
{
	const char *d = mnl_attr_get_payload(a);
	size_t dl = mnl_attr_get_payload_len(a);
	static const uint8_t want[] = { [VK_U8] = 1, [VK_U32] = 4, [VK_U64] = 8, [VK_U16] = 2 };

	switch (row->kind) {
	case VK_U8:
	case VK_U16:
	case VK_U32:
	case VK_U64:
		if (dl != want[row->kind])
			return verify_refuse(w->c, "%s: %s has %zu bytes, not %u", WHAT(w), row->name,
					     dl, want[row->kind]);
		return check_number(w, row,
				    row->kind == VK_U8    ? verify_u8(a)
				    : row->kind == VK_U16 ? ntohs(mnl_attr_get_u16(a))
				    : row->kind == VK_U32 ? verify_u32(a)
							  : verify_u64(a));
	case VK_STRZ:
		if (dl < 1 || d[dl - 1] != '\0' || strlen(d) != dl - 1)
			return verify_refuse(w->c, "%s: %s is not one NUL-terminated string", WHAT(w),
					     row->name);
		if (dl - 1 < row->min || dl - 1 > row->max)
			return verify_refuse(w->c, "%s: %s has %zu characters (%llu to %llu)", WHAT(w),
					     row->name, dl - 1, (unsigned long long)row->min,
					     (unsigned long long)row->max);
		return 0;
	case VK_BIN:
		if (dl < row->min || dl > row->max)
			return verify_refuse(w->c, "%s: %s has %zu bytes (%llu to %llu)", WHAT(w),
					     row->name, dl, (unsigned long long)row->min,
					     (unsigned long long)row->max);
		return 0;
	case VK_NEST:
		if (!row->nest)
			return 0; /* the caller walks it (expression data) */
		return walk_nested(w, row->name, 0, a, row->nest);
	case VK_LIST: {
		struct walk lw = { .c = w->c, .up = w, .name = row->name, .list = row };
		int r = walk_payload(&lw, d, dl);
		if (r == 0 && (lw.items < row->min || (row->max && lw.items > row->max)))
			r = verify_refuse(w->c, "%s has %zu items (%llu to %llu)", WHAT(&lw), lw.items,
					  (unsigned long long)row->min, (unsigned long long)row->max);
		return r;
	}
	default:
		return verify_refuse(w->c, "%s: %s has no kind", WHAT(w), row->name);
	}
}

/* A list item: a nest, numbered as the row says, holding the row's table. */
static int list_item(struct walk *w, const struct nlattr *a, uint16_t type)
{
	uint16_t want = w->list->list_pos ? (uint16_t)((w->items + 1) & NLA_TYPE_MASK)
					  : NFTA_LIST_ELEM;

	w->items++;
	if (w->list->max && w->items > w->list->max)
		return verify_refuse(w->c, "%s has more than %llu items", WHAT(w),
				     (unsigned long long)w->list->max);
	if (type != want)
		return verify_refuse(w->c, "%s: item %zu has type %u, not %u", WHAT(w), w->items, type,
				     want);
	if (!(a->nla_type & NLA_F_NESTED))
		return verify_refuse(w->c, "%s: item %zu is not nested", WHAT(w), w->items);
	return walk_nested(w, NULL, w->items, a, w->list->nest);
}

static int walk_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	const char *p = (const char *)a;
	uint16_t type = a->nla_type & NLA_TYPE_MASK;
	size_t aend = MNL_ALIGN(a->nla_len);
	const struct vocab_attr *row;
	bool nested;

	/* libmnl checked nla_len against what is left; the padding too */
	if (p != w->next || aend > (size_t)(w->end - p)) {
		w->err = verify_refuse(w->c, "%s: attribute %u runs past its end", WHAT(w), type);
		return MNL_CB_ERROR;
	}
	for (size_t i = a->nla_len; i < aend; i++)
		if (p[i]) {
			w->err = verify_refuse(w->c, "%s: attribute %u has padding that is not zero",
					       WHAT(w), type);
			return MNL_CB_ERROR;
		}
	if (a->nla_type & NLA_F_NET_BYTEORDER) {
		w->err = verify_refuse(w->c, "%s: attribute %u has flags 0x%x", WHAT(w), type,
				       a->nla_type & ~NLA_TYPE_MASK);
		return MNL_CB_ERROR;
	}
	w->next = p + aend;
	if (w->list) {
		w->err = list_item(w, a, type);
		return w->err ? MNL_CB_ERROR : MNL_CB_OK;
	}
	row = row_of(w->t, type);
	if (!row || type > VOCAB_MAX_ATTR) {
		w->err = verify_refuse(w->c, "%s has attribute %u, which vigild never sends", WHAT(w),
				       type);
		return MNL_CB_ERROR;
	}
	if (w->tb[type]) {
		/* the kernel would take the last one */
		w->err = verify_refuse(w->c, "%s repeats attribute %s", WHAT(w), row->name);
		return MNL_CB_ERROR;
	}
	nested = row->kind == VK_NEST || row->kind == VK_LIST;
	if (!!(a->nla_type & NLA_F_NESTED) != nested) {
		w->err = verify_refuse(w->c, "%s: attribute %s is %snested", WHAT(w), row->name,
				       nested ? "not " : "");
		return MNL_CB_ERROR;
	}
	w->err = check_attr(w, row, a);
	if (w->err)
		return MNL_CB_ERROR;
	w->tb[type] = a;
	return MNL_CB_OK;
}

static int walk_payload(struct walk *w, const void *p, size_t len)
{
	vocab_tb none;

	if (!w->tb)
		w->tb = none;
	memset(w->tb, 0, sizeof(vocab_tb));
	w->end = (const char *)p + len;
	w->next = p;
	if (len % MNL_ALIGNTO)
		return verify_refuse(w->c, "%s is %zu bytes, not a multiple of 4", WHAT(w), len);
	if (mnl_attr_parse_payload(p, len, walk_cb, w) != MNL_CB_OK)
		return w->err ? w->err : verify_refuse(w->c, "%s cannot be parsed", WHAT(w));
	/* libmnl stops quietly at an attribute that does not fit */
	if (w->next != w->end)
		return verify_refuse(w->c, "%s ends in a truncated attribute", WHAT(w));
	for (size_t i = 0; w->t && i < w->t->n; i++)
		if (w->t->v[i].required && !w->tb[w->t->v[i].type])
			return verify_refuse(w->c, "%s lacks attribute %s", WHAT(w), w->t->v[i].name);
	return 0;
}

int verify_walk(struct verify_ctx *c, const char *what, const void *p, size_t len,
		const struct vocab_attrs *t, vocab_tb tb)
{
	struct walk w = { .c = c, .name = what, .t = t, .tb = tb };

	return walk_payload(&w, p, len);
}

int verify_walk_nest(struct verify_ctx *c, const char *what, const struct nlattr *nest,
		     const struct vocab_attrs *t, vocab_tb tb)
{
	return verify_walk(c, what, mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), t,
			   tb);
}

/* ---- messages ---- */

static const struct nfgenmsg *nfg(const struct nlmsghdr *nlh)
{
	return (const struct nfgenmsg *)((const char *)nlh + NLMSG_HDRLEN);
}

#define PAYLOAD_OFF (NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)))

/* The object's name for refusals, from a quick look before the walk. */
struct peek {
	uint16_t type;
	const char *name;
};

static int peek_cb(const struct nlattr *a, void *data)
{
	struct peek *pk = data;
	size_t n = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	if ((a->nla_type & NLA_TYPE_MASK) == pk->type && !(a->nla_type & NLA_F_NESTED) && n &&
	    s[n - 1] == '\0')
		pk->name = s;
	return MNL_CB_OK;
}

static void describe(struct verify_ctx *c, const struct vocab_msg *m, const struct nlmsghdr *nlh)
{
	struct peek pk = { m->name_attr, NULL };

	c->obj[0] = '\0';
	if (!m->name_attr)
		return;
	mnl_attr_parse_payload((const char *)nlh + PAYLOAD_OFF, nlh->nlmsg_len - PAYLOAD_OFF, peek_cb,
			       &pk);
	if (pk.name)
		verify_fmt(c->obj, sizeof(c->obj), "%s %.40s", m->obj, pk.name);
}

static int verify_msg(struct verify_ctx *c, const struct nlmsghdr *nlh)
{
	uint16_t subsys = nlh->nlmsg_type >> 8, type = nlh->nlmsg_type & 0xff;
	const struct nfgenmsg *g = nfg(nlh);
	const struct vocab_msg *m = NULL;
	vocab_tb tb;
	char why[sizeof(c->r->why)];
	const char *bad, *name;

	c->msg = NULL;
	if (subsys != NFNL_SUBSYS_NFTABLES)
		return verify_refuse(c, "message %zu belongs to netfilter subsystem %u, not nf_tables",
				     c->index, subsys);
	const struct vocab_msg *msgs = c->msgs ? c->msgs : vocab_msgs;
	size_t nmsgs = c->msgs ? c->nmsgs : vocab_nmsgs;

	for (size_t i = 0; i < nmsgs; i++)
		if (msgs[i].type == type)
			m = &msgs[i];
	if (!m)
		return verify_refuse(c, "message %zu has type %u, which is not allowed", c->index,
				     type);
	c->msg = m->name;
	describe(c, m, nlh);
	if (g->nfgen_family != NFPROTO_INET)
		return verify_refuse(c, "is for family %u, not inet", g->nfgen_family);
	if (g->version != NFNETLINK_V0 || g->res_id != 0)
		return verify_refuse(c, "has netlink version %u, resource %u", g->version,
				     ntohs(g->res_id));
	/* NLM_F_REPLACE would replace by handle, NLM_F_EXCL, _DUMP, _ECHO ... */
	if ((nlh->nlmsg_flags & ~(NLM_F_ACK | m->flags_opt)) != (NLM_F_REQUEST | m->flags))
		return verify_refuse(c, "has flags 0x%x, which are not allowed", nlh->nlmsg_flags);
	c->nlflags = nlh->nlmsg_flags;
	if (verify_walk(c, "the message", (const char *)nlh + PAYLOAD_OFF,
			nlh->nlmsg_len - PAYLOAD_OFF, m->attrs, tb) < 0)
		return -EPERM;
	name = verify_str(tb[m->table_attr]);
	if (!streq(name, c->table))
		return verify_refuse(c, "names table '%.40s', not vigild's table '%s'", name, c->table);
	bad = m->check(c, tb, why, sizeof(why));
	if (bad == verify_refused)
		return -EPERM;
	return bad ? verify_refuse(c, "%s", bad) : 0;
}

/* BEGIN and END: exactly what libnftnl's nftnl_batch_begin/_end write,
 * BEGIN with a generation id where nftc puts one. */
static int verify_frame(struct verify_ctx *c, const struct nlmsghdr *nlh, const char *what)
{
	const struct nfgenmsg *g = nfg(nlh);
	bool begin = nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN;
	vocab_tb tb;

	c->msg = what;
	c->obj[0] = '\0';
	if (nlh->nlmsg_len != PAYLOAD_OFF && !begin)
		return verify_refuse(c, "carries %zu bytes of attributes", (size_t)nlh->nlmsg_len - PAYLOAD_OFF);
	if (begin && verify_walk(c, "the message", (const char *)nlh + PAYLOAD_OFF,
				 nlh->nlmsg_len - PAYLOAD_OFF, &vocab_begin_attrs, tb) < 0)
		return -EPERM;
	if (begin && c->delta && !tb[NFNL_BATCH_GENID])
		return verify_refuse(c, "%s", "an incremental batch needs its generation check (NFNL_BATCH_GENID)");
	if (begin && tb[NFNL_BATCH_GENID])
		c->genid = verify_u32(tb[NFNL_BATCH_GENID]);
	if ((nlh->nlmsg_flags & ~NLM_F_ACK) != NLM_F_REQUEST || g->nfgen_family != AF_UNSPEC ||
	    g->version != NFNETLINK_V0)
		return verify_refuse(c, "has flags 0x%x, family %u, version %u", nlh->nlmsg_flags,
				     g->nfgen_family, g->version);
	if (g->res_id != htons(NFNL_SUBSYS_NFTABLES))
		return verify_refuse(c, "is for subsystem %u, not nf_tables", ntohs(g->res_id));
	return 0;
}

/* One message of the framing; *ended when it was END. */
static int verify_one(struct verify_ctx *c, const struct nlmsghdr *nlh, bool *ended)
{
	if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
		if (c->index != 0)
			return verify_refuse(c, "message %zu begins a second batch", c->index);
		return verify_frame(c, nlh, "BEGIN");
	}
	if (c->index == 0)
		return verify_refuse(c, "the batch does not start with a batch begin message");
	if (nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
		*ended = true;
		if (verify_frame(c, nlh, "END") < 0)
			return -EPERM;
		if (c->dyn || c->delta)
			return c->index >= 2 ? 0 : verify_refuse(c, "ends a batch that changes nothing");
		if (c->state == VS_ADDED || c->state == VS_DELETED_FRESH || c->state == VS_START)
			return verify_refuse(c, "ends a batch that neither replaces nor deletes the table");
		return 0;
	}
	return verify_msg(c, nlh);
}

static int verify_run(struct verify_ctx *c, const void *buf, size_t len);

/* batch_verify_delta.c: with the kernel's chains and sets in c */
int verify_run_delta(struct verify_ctx *c, const void *buf, size_t len)
{
	return verify_run(c, buf, len);
}

int batch_verify(const void *buf, size_t len, const char *table, struct batch_refusal *r)
{
	struct verify_ctx c = { .table = table, .r = r, .state = VS_START };

	return verify_run(&c, buf, len);
}

int batch_verify_setelem(const void *buf, size_t len, const char *table,
			 const struct dynset_list *sets, struct batch_refusal *r)
{
	struct verify_ctx c = { .table = table, .r = r, .state = VS_BODY, .msgs = vocab_dyn_msgs,
				.nmsgs = vocab_ndyn_msgs, .dyn = sets };

	return verify_run(&c, buf, len);
}

static int verify_run(struct verify_ctx *cp, const void *buf, size_t len)
{
	struct verify_ctx c = *cp;
	const char *p = buf;
	size_t off = 0;
	bool ended = false;
	int e = 0;

	if (!buf || len > BATCH_MAX_BYTES)
		return verify_refuse(&c, "the batch is %zu bytes; the limit is %u", len,
				     BATCH_MAX_BYTES);
	while (off < len && e == 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);
		size_t left = len - off;

		c.msg = NULL;
		if (ended)
			e = verify_refuse(&c, "message %zu comes after the batch end", c.index);
		else if (left < NLMSG_HDRLEN)
			e = verify_refuse(&c, "message %zu is truncated", c.index);
		else if (nlh->nlmsg_len < PAYLOAD_OFF || nlh->nlmsg_len > left)
			e = verify_refuse(&c, "message %zu has a bad length (%u of %zu bytes left)",
					  c.index, nlh->nlmsg_len, left);
		else if (NLMSG_ALIGN(nlh->nlmsg_len) != nlh->nlmsg_len)
			e = verify_refuse(&c, "message %zu is not padded", c.index);
		else if (c.index >= BATCH_MAX_MSGS)
			e = verify_refuse(&c, "the batch has more than %u messages", BATCH_MAX_MSGS);
		else
			e = verify_one(&c, nlh, &ended);
		if (e == 0) {
			off += nlh->nlmsg_len;
			c.index++;
		}
	}
	if (e == 0 && !ended) {
		c.msg = NULL;
		e = verify_refuse(&c, "the batch has no end message");
	}
	cp->genid = c.genid;
	/* c owns what cp held (a delta batch's kernel objects): freed here */
	verify_ctx_free(&c);
	return e;
}
