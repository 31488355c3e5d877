// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's message checks: what the attribute walk (batch_verify.c)
 * cannot see alone. The grammar of a batch, which is all nftc builds:
 *
 *   BEGIN  NEWTABLE  DELTABLE  NEWTABLE(vigild's mark)  body...  END   (replace)
 *   BEGIN  DESTROYTABLE  NEWTABLE(vigild's mark)  body...  END          (replace, 6.3+)
 *   BEGIN  DELTABLE  END  or  BEGIN  DESTROYTABLE  END                  (remove)
 *
 * (only the marked NEWTABLE may carry flags, and only owner|persist; BEGIN
 * may carry a generation id)
 * where the body holds chains, sets, set elements and rules, each
 * referring only to objects made earlier in the same batch: after the
 * delete the table is empty, so nothing else can be referred to.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/udata.h>
#include <linux/netlink.h>

#include "verify.h"

#define REFUSE(...) (verify_fmt(why, len, __VA_ARGS__), why)

/* ---- tables ---- */

/* vigild's mark: exactly one comment, IR_TABLE_MARK (nftc's put_table_msg). */
static bool table_mark_ok(const struct nlattr *ud)
{
	size_t n, m = strlen(IR_TABLE_MARK) + 1;
	const uint8_t *d = verify_data(ud, &n);

	return n == 2 + m && d[0] == NFTNL_UDATA_TABLE_COMMENT && d[1] == m &&
	       memcmp(d + 2, IR_TABLE_MARK, m) == 0;
}

const char *verify_newtable(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const struct nlattr *ud = tb[NFTA_TABLE_USERDATA];

	if (c->state == VS_START && !ud) {
		/* so that the delete cannot fail; the table's flags stay as
		 * they are (nftc sends none here) */
		if (tb[NFTA_TABLE_FLAGS])
			return REFUSE("the first add of a replacement carries no flags");
		c->state = VS_ADDED;
		return NULL;
	}
	if ((c->state == VS_DELETED_FRESH || c->state == VS_GONE) && ud) {
		if (!table_mark_ok(ud))
			return REFUSE("userdata is not vigild's mark '%s'", IR_TABLE_MARK);
		c->state = VS_BODY;
		return NULL;
	}
	return REFUSE("a table is added only at the start of a replacement (add, delete, add with vigild's mark)");
}

/* DELTABLE and DESTROYTABLE (which tolerates a missing table, so it needs
 * no add before it) */
const char *verify_deltable(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	bool destroy = streq(c->msg, "DESTROYTABLE");

	if (tb[NFTA_TABLE_USERDATA] || tb[NFTA_TABLE_FLAGS])
		return REFUSE("a delete carries no userdata or flags");
	if (c->state == VS_START)
		c->state = destroy ? VS_GONE : VS_DELETED;
	else if (c->state == VS_ADDED && !destroy)
		c->state = VS_DELETED_FRESH;
	else
		return REFUSE("the table is deleted only at the start of a batch");
	return NULL;
}

static const char *in_body(const struct verify_ctx *c, char *why, size_t len)
{
	if (c->state != VS_BODY)
		return REFUSE("comes before the table was replaced (add, delete, add)");
	return NULL;
}

/* ---- chains ---- */

/* not inlined: GCC 12 with -fsanitize=address then takes the name, an
 * attribute's payload, for a region of size 0 (-Wstringop-overread) */
static __attribute__((noinline)) bool rule_chain_name(const char *s)
{
	size_t p = strlen(VOCAB_RULE_CHAIN_PREFIX);

	return strncmp(s, VOCAB_RULE_CHAIN_PREFIX, p) == 0 && strlen(s + p) <= NAME_MAX_LEN &&
	       valid_name(s + p, true);
}

/* "N." with N a decimal number without leading zeros, then the rest; NULL
 * when s does not start so. The last number ends the string instead. */
static const char *number_then(const char *s, bool last)
{
	const char *p = s;

	if (*p < '1' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9' && p - s < 10)
		p++;
	if (last)
		return *p ? NULL : p;
	return *p == '.' ? p + 1 : NULL;
}

/* A decision tree's chain: dispatch.CHAIN.N.K (dispatch.c). */
static __attribute__((noinline)) bool dispatch_chain_name(const char *s)
{
	size_t p = strlen(VOCAB_DISPATCH_CHAIN_PREFIX);

	if (strncmp(s, VOCAB_DISPATCH_CHAIN_PREFIX, p) != 0)
		return false;
	s += p;
	for (int i = 0; i < CH_MAX; i++) {
		size_t n = strlen(vocab_base_chains[i].name);
		const char *q;
		if (strncmp(s, vocab_base_chains[i].name, n) || s[n] != '.')
			continue;
		q = number_then(s + n + 1, false);
		return q && number_then(q, true);
	}
	return false;
}

const char *verify_base_chain(struct verify_ctx *c, const vocab_tb tb, const char *name, char *why,
			      size_t len)
{
	const struct vocab_chain *row = NULL;
	vocab_tb h;
	uint8_t nat = 0;

	for (int i = 0; i < CH_MAX; i++)
		if (streq(vocab_base_chains[i].name, name))
			row = &vocab_base_chains[i];
	if (!row)
		row = verify_nat_chain_row(name, &nat);
	if (!row)
		return REFUSE("is a base chain vigild never makes");
	if (!tb[NFTA_CHAIN_TYPE] || !tb[NFTA_CHAIN_POLICY])
		return REFUSE("a base chain needs a type and a policy");
	verify_walk_nest(c, "hook", tb[NFTA_CHAIN_HOOK], &vocab_hook_attrs, h);
	if (!streq(verify_str(tb[NFTA_CHAIN_TYPE]), row->type))
		return REFUSE("has type '%.16s'; vigild's %s chain is of type %s",
			      verify_str(tb[NFTA_CHAIN_TYPE]), row->name, row->type);
	if (verify_u32(h[NFTA_HOOK_HOOKNUM]) != row->hook)
		return REFUSE("is on hook %u; vigild's %s chain is on hook %u",
			      verify_u32(h[NFTA_HOOK_HOOKNUM]), row->name, row->hook);
	if ((int32_t)verify_u32(h[NFTA_HOOK_PRIORITY]) != row->prio)
		return REFUSE("has priority %d; vigild's %s chain has priority %d",
			      (int32_t)verify_u32(h[NFTA_HOOK_PRIORITY]), row->name, row->prio);
	/* a nat chain translates; the filter chains decide */
	if (nat && verify_u32(tb[NFTA_CHAIN_POLICY]) != NF_ACCEPT)
		return REFUSE("a nat chain's policy is accept");
	return NULL;
}

const char *verify_newchain(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_CHAIN_NAME]), *bad;
	bool base = tb[NFTA_CHAIN_HOOK] != NULL;

	if ((bad = in_body(c, why, len)))
		return bad;
	if (base) {
		if ((bad = verify_base_chain(c, tb, name, why, len)))
			return bad;
	} else {
		if (tb[NFTA_CHAIN_TYPE] || tb[NFTA_CHAIN_POLICY])
			return REFUSE("a regular chain has no type or policy");
		if (!rule_chain_name(name) && !dispatch_chain_name(name))
			return REFUSE("a regular chain is called '%s' and a rule name, or '%sCHAIN.N.K'",
				      VOCAB_RULE_CHAIN_PREFIX, VOCAB_DISPATCH_CHAIN_PREFIX);
	}
	if (verify_chain_add(c, name, base) < 0)
		return REFUSE("is made twice");
	if (base)
		verify_nat_chain_row(name, &c->chains[c->nchains - 1].nat);
	return NULL;
}

/* ---- sets ---- */

/* The key: single fields of the types vigild uses; concatenations (maps
 * only) padded to 32-bit registers; the description as nftc writes it. */
static const char *set_key(struct verify_ctx *c, const vocab_tb tb, uint32_t flags, bool dyn,
			   char *why, size_t len)
{
	uint32_t type = verify_u32(tb[NFTA_SET_KEY_TYPE]), klen = verify_u32(tb[NFTA_SET_KEY_LEN]);
	uint32_t types[IR_MAX_CONCAT], sum = 0;
	int n = vocab_key_fields(type, types);
	bool concat = flags & NFT_SET_CONCAT;
	vocab_tb d;

	if (n == 0)
		return REFUSE("has key type %u, which vigild never uses", type);
	/* a set (not a map) of concatenations: natmap.c's dnatfwd, an address
	 * and a port, a plain hash */
	if (n > 1 && !(flags & NFT_SET_MAP) &&
	    (n != 2 || flags != 0 || (types[0] != ir_keyinfo(K_IP_DADDR)->type_id &&
				     types[0] != ir_keyinfo(K_IP6_DADDR)->type_id) ||
	     types[1] != ir_keyinfo(K_DPORT)->type_id))
		return REFUSE("has key type %u: a set of concatenations is an address . a port, no flags",
			      type);
	for (int i = 0; i < n; i++)
		sum += n == 1 ? vocab_set_key_len(types[i]) : (vocab_set_key_len(types[i]) + 3) & ~3u;
	if (klen != sum)
		return REFUSE("has key length %u; key type %u is %u bytes", klen, type, sum);
	if (concat != (n > 1 && (flags & NFT_SET_INTERVAL)))
		return REFUSE("has the concatenation flag where nftc sets none, or lacks it");
	if (!tb[NFTA_SET_DESC])
		return (flags & (NFT_SET_ANONYMOUS | NFT_SET_CONCAT | NFT_SET_EVAL))
			       ? REFUSE("lacks its description")
			       : NULL;
	verify_walk_nest(c, "desc", tb[NFTA_SET_DESC], &vocab_desc_attrs, d);
	if (d[NFTA_SET_DESC_SIZE] ? !(flags & (NFT_SET_ANONYMOUS | NFT_SET_EVAL)) && !dyn
				  : !!(flags & (NFT_SET_ANONYMOUS | NFT_SET_EVAL)))
		return REFUSE("a size is given for anonymous and dynamic sets only");
	if ((flags & NFT_SET_EVAL) && verify_u32(d[NFTA_SET_DESC_SIZE]) > LIMIT_SET_SIZE)
		return REFUSE("a dynamic set holds at most %u elements", LIMIT_SET_SIZE);
	if (!!d[NFTA_SET_DESC_CONCAT] != concat)
		return REFUSE("fields are described for concatenated interval maps only");
	if (concat) {
		const struct nlattr *f;
		int i = 0;
		mnl_attr_for_each_nested(f, d[NFTA_SET_DESC_CONCAT]) {
			vocab_tb ft;
			verify_walk_nest(c, "field", f, &vocab_field_attrs, ft);
			if (i >= n || verify_u32(ft[NFTA_SET_FIELD_LEN]) != vocab_set_key_len(types[i]))
				return REFUSE("field %d of its description is not its key's", i + 1);
			i++;
		}
		if (i != n)
			return REFUSE("describes %d fields of a %d-field key", i, n);
	}
	return NULL;
}

/* A port-forward map (natmap.c): key a port, data an IPv4 or IPv6
 * address and a port (each padded to 32 bits), a plain hash map, the
 * userdata nft writes for it. */
static const char *natmap_set(struct verify_ctx *c, const vocab_tb tb, struct verify_set *s,
			      const void *ud, size_t n, char *why, size_t len)
{
	uint32_t dtype = verify_u32(tb[NFTA_SET_DATA_TYPE]), dlen = verify_u32(tb[NFTA_SET_DATA_LEN]);
	uint8_t want[NFT_USERDATA_MAXLEN];
	size_t wn = vocab_natmap_udata(want, sizeof(want));

	if (s->flags != NFT_SET_MAP || s->key_type != ir_keyinfo(K_DPORT)->type_id || s->key_len != 2)
		return REFUSE("a map of vigild's maps to verdicts (16 bytes), or a port-forward map (key a port, no flags but map)");
	if (!((dtype == vocab_natmap_data_type(true) && dlen == 8) ||
	      (dtype == vocab_natmap_data_type(false) && dlen == 20)))
		return REFUSE("has data type %u of %u bytes; a port-forward map's is an address . a port",
			      dtype, dlen);
	if (tb[NFTA_SET_DESC]) {
		/* (the kernel's dump holds an empty one: a rollback's batch) */
		vocab_tb d;
		if (verify_walk_nest(c, "desc", tb[NFTA_SET_DESC], &vocab_desc_attrs, d) < 0)
			return verify_refused;
		if (d[NFTA_SET_DESC_SIZE] || d[NFTA_SET_DESC_CONCAT])
			return REFUSE("a port-forward map has no size or fields described");
	}
	if (tb[NFTA_SET_TIMEOUT])
		return REFUSE("a port-forward map has no timeout");
	if (n != wn || memcmp(ud, want, n) != 0)
		return REFUSE("userdata is not what vigild writes for a port-forward map");
	s->map = false;
	s->natmap = true;
	s->nat_alen = (uint8_t)(dlen - 4);
	if (verify_set_add(c, s) < 0)
		return REFUSE("its id %u or its name is used twice", s->id);
	return NULL;
}

const char *verify_newset(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	struct verify_set s = { 0 };
	const char *name = verify_str(tb[NFTA_SET_NAME]), *bad;
	uint8_t want[NFT_USERDATA_MAXLEN];
	size_t n, wn;
	const void *ud;

	if ((bad = in_body(c, why, len)))
		return bad;
	s.flags = verify_u32(tb[NFTA_SET_FLAGS]);
	s.id = verify_u32(tb[NFTA_SET_ID]);
	s.key_type = verify_u32(tb[NFTA_SET_KEY_TYPE]);
	s.key_len = verify_u32(tb[NFTA_SET_KEY_LEN]);
	s.map = s.flags & NFT_SET_MAP;
	s.name = (char *)name;
	if (s.flags & NFT_SET_ANONYMOUS ? !streq(name, VOCAB_ANON_SET_NAME)
					: !vocab_set_name_ok(name, strlen(name)))
		return REFUSE("is not called as vigild calls its %s sets",
			      s.flags & NFT_SET_ANONYMOUS ? "anonymous" : "named");
	/* a dynamic set (IR_DYNSET_MARK): a named set of addresses, the only
	 * kind with timeouts or a size of its own */
	ud = verify_data(tb[NFTA_SET_USERDATA], &n);
	wn = vocab_set_udata(s.flags, s.key_type, true, want, sizeof(want));
	s.dynamic = !(s.flags & (NFT_SET_ANONYMOUS | NFT_SET_MAP)) && n == wn && !memcmp(ud, want, n);
	if (s.dynamic && (s.flags & NFT_SET_EVAL))
		return REFUSE("is a dynamic set the rules update: vigild's dynamic sets are filled by vigild set");
	if (!s.dynamic && !(s.flags & NFT_SET_EVAL) && ((s.flags & NFT_SET_TIMEOUT) || tb[NFTA_SET_TIMEOUT]))
		return REFUSE("has timeouts, which only vigild's dynamic sets have");
	if (!!(s.flags & NFT_SET_TIMEOUT) != !!tb[NFTA_SET_TIMEOUT])
		return REFUSE("has the timeout flag without a timeout, or a timeout without the flag");
	if ((bad = set_key(c, tb, s.flags, s.dynamic, why, len)))
		return bad;
	if ((s.flags & NFT_SET_EVAL) && (bad = verify_dynamic_set(tb, s.flags, why, len)))
		return bad;
	if (!!(s.flags & NFT_SET_MAP) != (tb[NFTA_SET_DATA_TYPE] && tb[NFTA_SET_DATA_LEN]) ||
	    (!(s.flags & NFT_SET_MAP) && (tb[NFTA_SET_DATA_TYPE] || tb[NFTA_SET_DATA_LEN])))
		return REFUSE("has data where it is not a map, or a map without data");
	if ((s.flags & NFT_SET_MAP) && verify_u32(tb[NFTA_SET_DATA_TYPE]) != NFT_DATA_VERDICT)
		return natmap_set(c, tb, &s, ud, n, why, len);
	if (s.map && verify_u32(tb[NFTA_SET_DATA_LEN]) != sizeof(uint32_t) * 4)
		return REFUSE("a map of vigild's maps to verdicts (16 bytes)");
	wn = vocab_set_udata(s.flags, s.key_type, s.dynamic, want, sizeof(want));
	if (n != wn || memcmp(ud, want, n) != 0)
		return REFUSE("userdata is not what vigild writes for such a set");
	if (verify_set_add(c, &s) < 0)
		return REFUSE("its id %u or its name is used twice", s.id);
	return NULL;
}

/* ---- set elements ---- */

const char *verify_elem(struct verify_ctx *c, const struct verify_set *s, const struct nlattr *item,
			size_t i, char *why, size_t len)
{
	vocab_tb e, k;
	bool end = false;

	verify_walk_nest(c, "element", item, &vocab_set_elem, e);
	verify_walk_nest(c, "key", e[NFTA_SET_ELEM_KEY], &vocab_key_value, k);
	if (mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]) != s->key_len)
		return REFUSE("element %zu: its key has %u bytes, the set's %u", i,
			      (unsigned)mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]), s->key_len);
	if (e[NFTA_SET_ELEM_FLAGS]) {
		if (!(s->flags & NFT_SET_INTERVAL) || (s->flags & NFT_SET_CONCAT))
			return REFUSE("element %zu ends an interval of a set without intervals", i);
		end = true;
	}
	if (!!e[NFTA_SET_ELEM_KEY_END] != !!(s->flags & NFT_SET_CONCAT))
		return REFUSE("element %zu: a key end is for concatenated interval maps only", i);
	if (e[NFTA_SET_ELEM_KEY_END]) {
		verify_walk_nest(c, "key end", e[NFTA_SET_ELEM_KEY_END], &vocab_key_value, k);
		if (mnl_attr_get_payload_len(k[NFTA_DATA_VALUE]) != s->key_len)
			return REFUSE("element %zu: its key end is not as long as the key", i);
	}
	if ((e[NFTA_SET_ELEM_TIMEOUT] || e[NFTA_SET_ELEM_EXPIRATION]) && !(s->flags & NFT_SET_TIMEOUT))
		return REFUSE("element %zu has a timeout, but the set has none", i);
	if (e[NFTA_SET_ELEM_EXPIRATION] && (!e[NFTA_SET_ELEM_TIMEOUT] ||
					    verify_u64(e[NFTA_SET_ELEM_EXPIRATION]) >
						    verify_u64(e[NFTA_SET_ELEM_TIMEOUT])))
		return REFUSE("element %zu: its expiration is not within its timeout", i);
	if (!!e[NFTA_SET_ELEM_DATA] != ((s->map || s->natmap) && !end))
		return s->natmap ? REFUSE("element %zu: a port-forward map's elements have data", i)
				 : REFUSE("element %zu: a verdict is for a map's elements (not interval ends)", i);
	if (!e[NFTA_SET_ELEM_DATA])
		return NULL;
	vocab_tb d;
	verify_walk_nest(c, "data", e[NFTA_SET_ELEM_DATA], &vocab_elem_data, d);
	if (s->natmap) {
		size_t dn;
		const uint8_t *v = d[NFTA_DATA_VALUE] ? verify_data(d[NFTA_DATA_VALUE], &dn) : NULL;
		/* an address, a port, the port's register padded with zeros */
		if (!v || d[NFTA_DATA_VERDICT] || dn != s->nat_alen + 4u)
			return REFUSE("element %zu: a port-forward map's data is an address and a port (%u bytes)",
				      i, s->nat_alen + 4u);
		if (v[s->nat_alen + 2] || v[s->nat_alen + 3])
			return REFUSE("element %zu: the port's padding is not zero", i);
		return NULL;
	}
	if (!d[NFTA_DATA_VERDICT] || d[NFTA_DATA_VALUE])
		return REFUSE("element %zu: a verdict map's data is a verdict", i);
	return verify_verdict(c, d[NFTA_DATA_VERDICT], &vocab_elem_verdicts, why, len);
}

const char *verify_newsetelem(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_SET_ELEM_LIST_SET]), *bad;
	struct verify_set *s;
	const struct nlattr *item;
	size_t i = 0;

	if ((bad = in_body(c, why, len)))
		return bad;
	s = verify_set_ref(c, name, tb[NFTA_SET_ELEM_LIST_SET_ID] ? verify_u32(tb[NFTA_SET_ELEM_LIST_SET_ID]) : 0);
	if (!s)
		return REFUSE("is for a set this batch does not make");
	if (s->flags & NFT_SET_EVAL)
		return REFUSE("is for a dynamic set: the kernel fills those, the batch does not");
	if (s->kernel && s->dynamic)
		return REFUSE("is for a dynamic set: vigild set fills those, an incremental apply does not");
	if (s->bound)
		return REFUSE("comes after the rule that uses the anonymous set");
	mnl_attr_for_each_nested(item, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		if ((bad = verify_elem(c, s, item, ++i, why, len)))
			return bad;
	}
	return NULL;
}

/* ---- rules ---- */

const char *verify_newrule(struct verify_ctx *c, const vocab_tb tb, char *why, size_t len)
{
	const char *chain = verify_str(tb[NFTA_RULE_CHAIN]), *bad;
	size_t n;
	const uint8_t *ud = verify_data(tb[NFTA_RULE_USERDATA], &n);

	if ((bad = in_body(c, why, len)))
		return bad;
	/* userdata: the comment, one NUL-terminated string, nothing else */
	if (n < 3 || ud[0] != NFTNL_UDATA_RULE_COMMENT || ud[1] != n - 2 || ud[n - 1] != '\0' ||
	    strlen((const char *)ud + 2) != n - 3 ||
	    !vocab_rule_comment_ok((const char *)ud + 2, n - 3))
		return REFUSE("userdata is not a comment vigild writes");
	verify_fmt(c->obj, sizeof(c->obj), "rule '%.40s' in chain %.40s", (const char *)ud + 2, chain);
	const struct verify_chain *ch = verify_chain_find(c, chain);
	if (!ch)
		return REFUSE("is for a chain this batch does not make");
	/* a delta batch places a rule after (NLM_F_APPEND) or before a kernel
	 * rule, or appends it; nothing else */
	if (!c->delta && tb[NFTA_RULE_POSITION])
		return REFUSE("a replacement places rules by their order alone");
	if (c->delta && !(c->nlflags & NLM_F_APPEND) && !tb[NFTA_RULE_POSITION])
		return REFUSE("a rule is inserted before a rule it names, or appended");
	c->rule_nat = ch->nat;
	bad = verify_exprs(c, tb[NFTA_RULE_EXPRESSIONS], why, len);
	c->rule_nat = 0;
	return bad;
}

/* A verdict: jump and goto only to a regular chain of this batch. */
const char *verify_verdict(struct verify_ctx *c, const struct nlattr *verdict,
			   const struct vocab_values *allowed, char *why, size_t len)
{
	vocab_tb v;
	uint32_t code;
	const char *name;
	const struct verify_chain *ch;

	verify_walk_nest(c, "verdict", verdict, &vocab_verdict_attrs, v);
	code = verify_u32(v[NFTA_VERDICT_CODE]);
	name = vocab_value_name(allowed, code);
	if (!name)
		return REFUSE("verdict %d is not one vigild uses here", (int32_t)code);
	if (code != (uint32_t)NFT_JUMP && code != (uint32_t)NFT_GOTO)
		return v[NFTA_VERDICT_CHAIN] ? REFUSE("verdict %s names a chain", name) : NULL;
	if (!v[NFTA_VERDICT_CHAIN])
		return REFUSE("verdict %s names no chain", name);
	ch = verify_chain_find(c, verify_str(v[NFTA_VERDICT_CHAIN]));
	if (!ch || ch->base)
		return REFUSE("%s to '%.40s', not a regular chain of this batch", name,
			      verify_str(v[NFTA_VERDICT_CHAIN]));
	return NULL;
}
