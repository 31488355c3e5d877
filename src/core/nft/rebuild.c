// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A table as the kernel has it, made again: from a dump of vigild's table
 * (the helper's DUMP reply), the replacement batch that recreates exactly
 * those chains, sets, elements and rules. What `apply --confirm` rolls back
 * to. Only the attributes vigild's compiler emits are carried over
 * (handles, use counts, counter values and the like are the kernel's own),
 * so the result is a batch of the compiler's vocabulary, and the helper
 * verifies it like any other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "vigil/nftc.h"
#include "vigil/rebuild.h"
#include "vigil/vocab.h"

#define REBUILD_ROOM (1u << 16)

/* The sets of the dump: their names, new ids, and whether anonymous (an
 * anonymous set is sent as "__set%d", the kernel names it again). */
struct setmap {
	struct {
		char name[NFT_SET_MAXNAMELEN];
		uint32_t id;
		bool anon;
	} *v;
	size_t n, cap;
};

static int setmap_find(const struct setmap *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->v[i].name) == strnlen(name, len) && strncmp(m->v[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static const struct vocab_attr *row_of(const struct vocab_attrs *tbl, uint16_t type)
{
	for (size_t i = 0; tbl && i < tbl->n; i++)
		if (tbl->v[i].type == type)
			return &tbl->v[i];
	return NULL;
}

static const struct vocab_attrs *expr_table(const char *name, size_t len)
{
	for (size_t i = 0; i < vocab_nexprs; i++)
		if (strlen(vocab_exprs[i].name) == strnlen(name, len) &&
		    strncmp(vocab_exprs[i].name, name, len) == 0)
			return vocab_exprs[i].attrs;
	return NULL;
}

struct copy {
	struct nlmsghdr *nlh;
	const struct setmap *sets;
	const char *expr;            /* the expression whose data is being copied */
	bool map_lookup;             /* that expression is a lookup into a map */
	bool after_map;              /* the one before it was */
};

static void copy_attrs(struct copy *c, const struct nlattr *first, const void *end,
		       const struct vocab_attrs *tbl);

/* A set's name where the kernel needs the batch's: an anonymous set's
 * template name, and its id beside it (lookup, elements). */
static bool put_set_ref(struct copy *c, const struct nlattr *a, uint16_t id_attr)
{
	int i = setmap_find(c->sets, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));

	if (i < 0)
		return false;
	mnl_attr_put_strz(c->nlh, mnl_attr_get_type(a),
			  c->sets->v[i].anon ? VOCAB_ANON_SET_NAME : c->sets->v[i].name);
	mnl_attr_put_u32(c->nlh, id_attr, htonl(c->sets->v[i].id));
	return true;
}

static bool holds(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return true;
	return false;
}

/* The table of a nest the vocabulary leaves to the verifier's code (a
 * NEST row without one), by where it is: an expression's data by the
 * expression's name, an immediate's data by what it holds (a verdict or
 * a value), a dynset's expression as a rule's. NULL: nothing is copied. */
static const struct vocab_attrs *nest_table(const struct copy *c, const struct vocab_attrs *in,
					    const struct nlattr *a)
{
	uint16_t t = mnl_attr_get_type(a);

	if (in == &vocab_expr_item && t == NFTA_EXPR_DATA)
		return c->expr ? expr_table(c->expr, NFT_SET_MAXNAMELEN) : NULL;
	if (in == expr_table("immediate", 9) && t == NFTA_IMMEDIATE_DATA)
		return holds(a, NFTA_DATA_VERDICT) ? &vocab_data_verdict : &vocab_data_value;
	if (in == expr_table("dynset", 6) && t == NFTA_DYNSET_EXPR)
		return &vocab_expr_item;
	return NULL;
}

/* Copies a, an attribute of table `in` (row: its row there). */
static void copy_one(struct copy *c, const struct nlattr *a, const struct vocab_attrs *in,
		     const struct vocab_attr *row)
{
	uint16_t t = mnl_attr_get_type(a);
	struct nlattr *n;

	if (row->kind == VK_NEST) {
		const struct vocab_attrs *tbl = row->nest ? row->nest : nest_table(c, in, a);
		const char *saved = c->expr;

		n = mnl_attr_nest_start(c->nlh, t);
		copy_attrs(c, mnl_attr_get_payload(a), (const char *)a + a->nla_len, tbl);
		c->expr = saved;
		mnl_attr_nest_end(c->nlh, n);
		return;
	}
	if (row->kind == VK_LIST) {
		const struct nlattr *item;
		uint16_t pos = 0;

		n = mnl_attr_nest_start(c->nlh, t);
		c->map_lookup = false;
		mnl_attr_for_each_nested(item, a) {
			struct nlattr *it = mnl_attr_nest_start(c->nlh, row->list_pos ? ++pos : NFTA_LIST_ELEM);
			const char *saved = c->expr;
			c->after_map = c->map_lookup;
			c->map_lookup = false;
			copy_attrs(c, mnl_attr_get_payload(item), (const char *)item + item->nla_len,
				   row->nest);
			c->expr = saved;
			mnl_attr_nest_end(c->nlh, it);
		}
		mnl_attr_nest_end(c->nlh, n);
		return;
	}
	if (in == &vocab_expr_item && t == NFTA_EXPR_NAME)
		c->expr = mnl_attr_get_payload(a);
	/* a load into a 32-bit register on a 16-byte boundary (the field
	 * after an IPv6 address in a concatenation: nftc's NFT_REG32_04) is
	 * dumped as the 128-bit register it starts (NFT_REG_2); nftc loads
	 * into no 128-bit register but the first */
	if (row->kind == VK_U32 && row->in == &vocab_load_regs && mnl_attr_get_payload_len(a) == 4) {
		uint32_t r = ntohl(mnl_attr_get_u32(a));
		if (r >= NFT_REG_2 && r <= NFT_REG_4) {
			mnl_attr_put_u32(c->nlh, t, htonl(NFT_REG32_00 + (r - NFT_REG_1) * 4));
			return;
		}
	}
	mnl_attr_put(c->nlh, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
}

/*
 * What the kernel adds to a NAT expression in its dump, where nftc sends
 * nothing (nft_nat_init, nft_masq_init, nft_redir_init): a highest
 * register equal to the lowest (max is filled in from min), the flag
 * MAP_IPS of an address register, and PROTO_SPECIFIED of a port register
 * (nftc sends it itself with the immediates' ports, and not after a
 * port-forward map's lookup: nft does not either).
 */
struct natfill {
	const char *expr;
	uint16_t addr_min, addr_max, proto_min, proto_max, flags;  /* 0: none */
};
static const struct natfill natfills[] = {
	{ "nat", NFTA_NAT_REG_ADDR_MIN, NFTA_NAT_REG_ADDR_MAX, NFTA_NAT_REG_PROTO_MIN,
	  NFTA_NAT_REG_PROTO_MAX, NFTA_NAT_FLAGS },
	{ "masq", 0, 0, NFTA_MASQ_REG_PROTO_MIN, NFTA_MASQ_REG_PROTO_MAX, NFTA_MASQ_FLAGS },
	{ "redir", 0, 0, NFTA_REDIR_REG_PROTO_MIN, NFTA_REDIR_REG_PROTO_MAX, NFTA_REDIR_FLAGS },
};
#define NATFILL_MAXATTR 16

static const struct natfill *natfill_of(const struct vocab_attrs *tbl)
{
	for (size_t i = 0; tbl && i < ARRAY_SIZE(natfills); i++)
		if (tbl == expr_table(natfills[i].expr, strlen(natfills[i].expr)))
			return &natfills[i];
	return NULL;
}

static bool u32_of(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) != 4)
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

/* Whether a, an attribute of the expression (seen: its attributes by
 * type), is the kernel's alone and left out; flags are put here less
 * the kernel's bits (and left out when none remain). */
static bool kernel_filled(struct copy *c, const struct natfill *nf,
			  const struct nlattr *const seen[NATFILL_MAXATTR + 1], const struct nlattr *a)
{
	uint16_t t = mnl_attr_get_type(a);
	uint32_t v, min;

	if (!u32_of(a, &v))
		return false;
	if (t && ((t == nf->addr_max && u32_of(seen[nf->addr_min], &min)) ||
		  (t == nf->proto_max && u32_of(seen[nf->proto_min], &min))))
		return v == min;
	if (t != nf->flags)
		return false;
	if (nf->addr_min && seen[nf->addr_min])
		v &= ~(uint32_t)NF_NAT_RANGE_MAP_IPS;
	if (c->after_map && seen[nf->proto_min])
		v &= ~(uint32_t)NF_NAT_RANGE_PROTO_SPECIFIED;
	if (v)
		mnl_attr_put_u32(c->nlh, t, htonl(v));
	return true;
}

/* Copies what the vocabulary table allows, nothing else (a counter's
 * values, a handle, a use count are the kernel's). */
static void copy_attrs(struct copy *c, const struct nlattr *first, const void *end,
		       const struct vocab_attrs *tbl)
{
	const struct natfill *nf = natfill_of(tbl);
	const struct nlattr *seen[NATFILL_MAXATTR + 1] = { 0 };
	bool code = false;

	for (const struct nlattr *a = first;
	     nf && mnl_attr_ok(a, (int)((const char *)end - (const char *)a)); a = mnl_attr_next(a))
		if (mnl_attr_get_type(a) <= NATFILL_MAXATTR)
			seen[mnl_attr_get_type(a)] = a;
	for (const struct nlattr *a = first; mnl_attr_ok(a, (int)((const char *)end - (const char *)a));
	     a = mnl_attr_next(a)) {
		uint16_t t = mnl_attr_get_type(a);
		const struct vocab_attr *row = row_of(tbl, t);

		if (!row || (nf && kernel_filled(c, nf, seen, a)))
			continue;
		if (tbl == expr_table("lookup", 7) && t == NFTA_LOOKUP_DREG)
			c->map_lookup = true;
		/* a lookup's or a dynset's set: the batch's id, put with the
		 * name (the kernel dumps none) */
		if ((tbl == expr_table("lookup", 7) && t == NFTA_LOOKUP_SET) ||
		    (tbl == expr_table("dynset", 6) && t == NFTA_DYNSET_SET_NAME)) {
			put_set_ref(c, a, tbl == expr_table("lookup", 7) ? NFTA_LOOKUP_SET_ID : NFTA_DYNSET_SET_ID);
			continue;
		}
		if ((tbl == expr_table("lookup", 7) && t == NFTA_LOOKUP_SET_ID) ||
		    (tbl == expr_table("dynset", 6) && t == NFTA_DYNSET_SET_ID))
			continue;
		if (tbl == expr_table("reject", 6) && t == NFTA_REJECT_ICMP_CODE)
			code = true;
		copy_one(c, a, tbl, row);
	}
	/* the kernel leaves a TCP reset's code out of its dump; the compiler
	 * sends 0 */
	if (tbl && tbl == expr_table("reject", 6) && !code)
		mnl_attr_put_u8(c->nlh, NFTA_REJECT_ICMP_CODE, 0);
}

static const struct vocab_msg *msg_of(uint16_t type)
{
	for (size_t i = 0; i < vocab_nmsgs; i++)
		if (vocab_msgs[i].type == type)
			return &vocab_msgs[i];
	return NULL;
}

/* The message's attributes and their end. */
static const struct nlattr *attrs_of(const struct nlmsghdr *m, const void **end)
{
	*end = (const char *)m + m->nlmsg_len;
	return (const struct nlattr *)((const char *)m + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
}

static int walk_check(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)(p + off);
		if (len - off < sizeof(*m) || m->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
		    m->nlmsg_len > len - off || m->nlmsg_len > REBUILD_ROOM - 64)
			return -EBADMSG;
		off += NLMSG_ALIGN(m->nlmsg_len);
	}
	return 0;
}

/* The sets of the dump, numbered as this batch will know them. */
static void map_sets(const void *buf, size_t len, struct setmap *m)
{
	const uint8_t *p = buf;

	for (size_t off = 0; off < len;) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(p + off);
		const void *end;
		const struct nlattr *a;
		const char *name = NULL;
		uint32_t flags = 0;

		off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET))
			continue;
		for (a = attrs_of(h, &end); mnl_attr_ok(a, (int)((const char *)end - (const char *)a));
		     a = mnl_attr_next(a)) {
			if (mnl_attr_get_type(a) == NFTA_SET_NAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == NFTA_SET_FLAGS && mnl_attr_get_payload_len(a) == 4)
				flags = ntohl(mnl_attr_get_u32(a));
		}
		if (!name || strlen(name) >= NFT_SET_MAXNAMELEN)
			continue;
		GROW(m->v, m->cap, m->n + 1);
		snprintf(m->v[m->n].name, sizeof(m->v[0].name), "%s", name);
		m->v[m->n].id = (uint32_t)m->n + 1;
		m->v[m->n].anon = flags & NFT_SET_ANONYMOUS;
		m->n++;
	}
}

static bool has_elements(const struct nlattr *first, const void *end)
{
	for (const struct nlattr *a = first; mnl_attr_ok(a, (int)((const char *)end - (const char *)a));
	     a = mnl_attr_next(a))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct nlattr))
			return true;
	return false;
}

/* Copies every dumped message of one kind (in dump order) into the batch. */
static void copy_kind(const void *buf, size_t len, uint16_t type, const struct setmap *sets,
		      struct batch *b)
{
	const struct vocab_msg *vm = msg_of(type);
	const uint8_t *p = buf;

	for (size_t off = 0; off < len;) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)(p + off);
		const void *end;
		const struct nlattr *first = attrs_of(m, &end), *a;
		struct copy c = { .sets = sets };
		struct nfgenmsg *g;
		bool flags = false;

		off += NLMSG_ALIGN(m->nlmsg_len);
		if (m->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | type))
			continue;
		if (type == NFT_MSG_NEWSETELEM && !has_elements(first, end))
			continue; /* a dump's closing message of a set holds none */
		c.nlh = mnl_nlmsg_put_header(batch_reserve(b, REBUILD_ROOM));
		c.nlh->nlmsg_type = m->nlmsg_type;
		c.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | vm->flags;
		c.nlh->nlmsg_seq = batch_seq(b);
		g = mnl_nlmsg_put_extra_header(c.nlh, sizeof(*g));
		g->nfgen_family = NFPROTO_INET;
		g->version = NFNETLINK_V0;
		for (a = first; mnl_attr_ok(a, (int)((const char *)end - (const char *)a)); a = mnl_attr_next(a)) {
			uint16_t t = mnl_attr_get_type(a);
			const struct vocab_attr *row = row_of(vm->attrs, t);

			if (!row)
				continue;
			/* sets and their elements name the set the batch's way */
			if ((type == NFT_MSG_NEWSET && t == NFTA_SET_NAME) ||
			    (type == NFT_MSG_NEWSETELEM && t == NFTA_SET_ELEM_LIST_SET)) {
				put_set_ref(&c, a, type == NFT_MSG_NEWSET ? NFTA_SET_ID : NFTA_SET_ELEM_LIST_SET_ID);
				continue;
			}
			if ((type == NFT_MSG_NEWSET && t == NFTA_SET_ID) ||
			    (type == NFT_MSG_NEWSETELEM && t == NFTA_SET_ELEM_LIST_SET_ID))
				continue;
			if (type == NFT_MSG_NEWSET && t == NFTA_SET_FLAGS)
				flags = true;
			copy_one(&c, a, vm->attrs, row);
		}
		/* the kernel leaves flags 0 out of its dump (a plain hash set:
		 * natmap.c's dnatfwd); the compiler sends them */
		if (type == NFT_MSG_NEWSET && !flags)
			mnl_attr_put_u32(c.nlh, NFTA_SET_FLAGS, 0);
		batch_commit_msg(b, -1, -1, xstrdup(type == NFT_MSG_NEWRULE ? "a rule as it was" :
						    type == NFT_MSG_NEWCHAIN ? "a chain as it was" :
						    "a set as it was"));
	}
}

int rebuild_replace(const void *dump, size_t len, const char *table, const struct nftc_opts *o,
		    struct batch *b)
{
	struct ir_table t = { .name = (char *)table };
	struct batch head;
	struct setmap sets = { 0 };
	bool have_table = false;
	const uint8_t *p = dump;
	int r = walk_check(dump, len);

	if (r < 0)
		return r;
	for (size_t off = 0; off < len; off += NLMSG_ALIGN(((const struct nlmsghdr *)(p + off))->nlmsg_len))
		if (((const struct nlmsghdr *)(p + off))->nlmsg_type ==
		    (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE))
			have_table = true;
	if (!have_table) {
		/* there was no table: the way back is to have none */
		nftc_build_delete_opts(table, o, b);
		return 0;
	}
	/* BEGIN and the table's replacement as the compiler makes them, then
	 * everything that was in it, then END */
	batch_init(&head, batch_seq(b));
	nftc_build_replace_opts(&t, o, &head);
	/* head: BEGIN, (DESTROY | NEW, DEL), NEW, END: all but END */
	{
		size_t off = 0, last = 0;
		while (off < head.len) {
			last = off;
			off += NLMSG_ALIGN(((struct nlmsghdr *)(head.buf + off))->nlmsg_len);
		}
		for (size_t i = 0, o2 = 0; o2 < last; i++) {
			struct nlmsghdr *m = (struct nlmsghdr *)(head.buf + o2);
			memcpy(batch_reserve(b, m->nlmsg_len), m, m->nlmsg_len);
			batch_commit_msg(b, -1, -1, xstrdup(head.msgs[i].what));
			o2 += NLMSG_ALIGN(m->nlmsg_len);
		}
	}
	batch_free(&head);
	map_sets(dump, len, &sets);
	copy_kind(dump, len, NFT_MSG_NEWCHAIN, &sets, b);
	copy_kind(dump, len, NFT_MSG_NEWSET, &sets, b);
	copy_kind(dump, len, NFT_MSG_NEWSETELEM, &sets, b);
	copy_kind(dump, len, NFT_MSG_NEWRULE, &sets, b);
	free(sets.v);
	nftnl_batch_end(batch_reserve(b, 64), batch_seq(b));
	batch_commit_msg(b, -1, -1, xstrdup("batch end"));
	return 0;
}
