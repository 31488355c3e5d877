// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's expression checks: a rule's expression list, each
 * expression walked against its row in vocab_exprs, then what its
 * attributes mean together (vocab.h). The only expression that writes
 * anything outside the packet's verdict is `ct mark set`, and only in the
 * shape compile.c makes: `ct mark set ct mark and 0x0000ffff or BITS`,
 * BITS within vigild's upper 16 bits (IR_MARK_MASK).
 */
#include <stdio.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "verify.h"

#define REFUSE(...) (verify_fmt(why, len, __VA_ARGS__), why)

const char *verify_meta(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	(void)r, (void)tb, (void)why, (void)len;
	return NULL; /* key and register are all there is: the table checks both */
}

const char *verify_payload(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	uint32_t base = verify_u32(tb[NFTA_PAYLOAD_BASE]), off = verify_u32(tb[NFTA_PAYLOAD_OFFSET]);
	uint32_t n = verify_u32(tb[NFTA_PAYLOAD_LEN]);

	for (size_t i = 0; i < vocab_npayloads; i++) {
		const struct vocab_payload *p = &vocab_payloads[i];
		if (p->base == base && p->offset == off && n >= p->minlen && n <= p->maxlen) {
			/* a whole source address: a dynset's key (verify_dynset) */
			if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 12 && n == 4)
				r->kind = VE_SADDR4;
			else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 2 && n == 2 &&
				 verify_u32(tb[NFTA_PAYLOAD_DREG]) == NFT_REG_1)
				r->kind = VE_DPORT;
			else if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 8 && n == 16)
				r->kind = VE_SADDR6;
			return NULL;
		}
	}
	return REFUSE("loads %u bytes at offset %u of header %u, a field vigild never reads", n, off,
		      base);
}

static const void *value_of(struct verify_rule *r, const struct nlattr *nest, size_t *n)
{
	vocab_tb v;

	verify_walk_nest(r->c, "data", nest, &vocab_data_value, v);
	return verify_data(v[NFTA_DATA_VALUE], n);
}

const char *verify_cmp(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	(void)r, (void)tb, (void)why, (void)len;
	return NULL; /* register, operator and a value of 1 to 16 bytes: all in the table */
}

const char *verify_bitwise(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	uint32_t n = verify_u32(tb[NFTA_BITWISE_LEN]), mask, xor;
	size_t mn, xn;
	const void *m = value_of(r, tb[NFTA_BITWISE_MASK], &mn);
	const void *x = value_of(r, tb[NFTA_BITWISE_XOR], &xn);

	if (mn != n || xn != n)
		return REFUSE("mask and xor are not %u bytes", n);
	if (r->prev[0] == VE_CT_LOAD_MARK && n == 4) {
		/* the mark: registers hold it in host byte order, as nftc's mask */
		memcpy(&mask, m, 4);
		memcpy(&xor, x, 4);
		if (mask == (uint32_t)~IR_MARK_MASK && (xor & ~IR_MARK_MASK) == 0)
			r->kind = VE_MARK_KEEP;
	}
	if (r->prev[0] == VE_CT_LOAD_STATE && n == 4) {
		memcpy(&mask, m, 4);
		memcpy(&xor, x, 4);
		if (mask == NF_CT_STATE_BIT(IP_CT_NEW) && xor == 0)
			r->ct_new = true;
	}
	return NULL;
}

const char *verify_ct(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	uint32_t key = verify_u32(tb[NFTA_CT_KEY]);
	bool load = tb[NFTA_CT_DREG], set = tb[NFTA_CT_SREG];

	if (load == set)
		return REFUSE("needs either a destination or a source register");
	if (r->c->rule_nat && set)
		return REFUSE("sets a conntrack key in a nat chain");
	if (load) {
		if (key == NFT_CT_MARK)
			r->kind = VE_CT_LOAD_MARK;
		else if (key == NFT_CT_STATE)
			r->kind = VE_CT_LOAD_STATE;
		return NULL;
	}
	if (key != NFT_CT_MARK)
		return REFUSE("sets a conntrack key other than the mark");
	if (r->prev[0] != VE_MARK_KEEP || r->prev[1] != VE_CT_LOAD_MARK)
		return REFUSE("sets the conntrack mark beyond vigild's bits 0x%08x (only 'ct mark and 0x%08x or BITS')",
			      IR_MARK_MASK, ~IR_MARK_MASK);
	r->kind = VE_CT_SET_MARK;
	return NULL;
}

const char *verify_lookup(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	const char *name = verify_str(tb[NFTA_LOOKUP_SET]);
	struct verify_set *s = verify_set_ref(r->c, name, verify_u32(tb[NFTA_LOOKUP_SET_ID]));
	bool dreg = tb[NFTA_LOOKUP_DREG];
	bool vmap = dreg && verify_u32(tb[NFTA_LOOKUP_DREG]) == NFT_REG_VERDICT;

	if (!s)
		return REFUSE("looks up '%.40s', not a set this batch makes", name);
	if (dreg && !vmap) {
		/* a port-forward map: `dnat ip to udp dport map @natmap.N` */
		if (!s->natmap)
			return REFUSE("a lookup writes registers from a port-forward map only");
		if (r->c->rule_nat != IR_NAT_HOOK_PRE)
			return REFUSE("a port-forward map is looked up in vigild's prerouting chain only");
		if (r->prev[0] != VE_DPORT)
			return REFUSE("a port-forward map is looked up right after loading th dport into reg 1");
		r->kind = VE_NATMAP;
		r->natmap_alen = s->nat_alen;
		return NULL;
	}
	if (s->natmap)
		return REFUSE("a port-forward map's lookup writes reg 1 (its address and port)");
	if (s->map != vmap)
		return REFUSE("a verdict comes from a map lookup only, and a map is for verdicts");
	if (s->flags & NFT_SET_ANONYMOUS) {
		if (s->bound)
			return REFUSE("looks up an anonymous set another rule uses");
		s->bound = true;
	}
	if (vmap && r->c->rule_nat)
		return REFUSE("a verdict map in a nat chain");
	if (vmap)
		r->kind = VE_VERDICT;
	return NULL;
}

const char *verify_limit(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	uint64_t unit = verify_u64(tb[NFTA_LIMIT_UNIT]), rate = verify_u64(tb[NFTA_LIMIT_RATE]);
	uint32_t burst = verify_u32(tb[NFTA_LIMIT_BURST]);
	bool bytes = verify_u32(tb[NFTA_LIMIT_TYPE]) == NFT_LIMIT_PKT_BYTES;
	bool over = verify_u32(tb[NFTA_LIMIT_FLAGS]) == NFT_LIMIT_F_INV;

	if (r->c->rule_nat)
		return REFUSE("a limit in a nat chain");
	r->burst = verify_u32(tb[NFTA_LIMIT_BURST]);
	r->limit_at = r->n;
	if (unit > UINT32_MAX || !vocab_value_name(&vocab_limit_units, (uint32_t)unit))
		return REFUSE("unit %llu seconds is not one vigild uses", (unsigned long long)unit);
	/* a log's limit (compile.c): packets, burst 1 to VOCAB_LIMIT_MAX_BURST
	 * (verify_log holds a kernel log to VOCAB_LIMIT_BURST); a rule's
	 * over-limit rule (limit.c): packets (up to LIMIT_MAX_PACKETS, burst 1
	 * to LIMIT_MAX_BURST) or bytes */
	if (!over && (bytes || burst < 1 || burst > VOCAB_LIMIT_MAX_BURST || rate > VOCAB_LIMIT_MAX_RATE))
		return REFUSE("a log's limit counts packets, at most %u, burst 1 to %u", VOCAB_LIMIT_MAX_RATE,
			      VOCAB_LIMIT_MAX_BURST);
	r->log_limit = !over;
	if (over && !bytes && (rate > LIMIT_MAX_PACKETS || burst < 1 || burst > LIMIT_MAX_BURST))
		return REFUSE("a packet limit is at most %u a unit, burst 1 to %u", LIMIT_MAX_PACKETS,
			      LIMIT_MAX_BURST);
	return NULL;
}

const char *verify_log(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	const char *p = verify_str(tb[NFTA_LOG_PREFIX]);

	r->log_limit = false;
	if (r->c->rule_nat)
		return REFUSE("a log in a nat chain");
	if (tb[NFTA_LOG_GROUP]) {
		/* refused traffic: `ct state new ... limit ... counter log group` */
		if (!vocab_nflog_prefix_ok(p, strlen(p)))
			return REFUSE("prefix is not \"%sNAME\", \"%sNAME LABEL\" or \"%sCHAIN\"",
				      VOCAB_LOG_PREFIX, VOCAB_LOG_PREFIX, IR_NFLOG_DEFAULT);
		if (!r->limit_at || r->limit_at + 2 != r->n || !r->ct_new)
			return REFUSE("a log to a group comes right after `ct state new ... limit ... counter`");
		return NULL;
	}
	if (!vocab_log_prefix_ok(p, strlen(p)))
		return REFUSE("prefix is not \"%sNAME \"", VOCAB_LOG_PREFIX);
	if (r->burst && r->burst != VOCAB_LIMIT_BURST)
		return REFUSE("the limit of a kernel log has burst %u, not %u", r->burst, VOCAB_LIMIT_BURST);
	return NULL;
}

const char *verify_reject(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	uint32_t type = verify_u32(tb[NFTA_REJECT_TYPE]);
	uint8_t code = verify_u8(tb[NFTA_REJECT_ICMP_CODE]);

	if (r->c->rule_nat)
		return REFUSE("a reject in a nat chain");
	for (size_t i = 0; i < vocab_nrejects; i++)
		if (vocab_rejects[i].type == type && vocab_rejects[i].code == code) {
			r->kind = VE_VERDICT;
			return NULL;
		}
	return REFUSE("type %u with code %u is not a reject vigild sends", type, code);
}

const char *verify_immediate(struct verify_rule *r, const vocab_tb tb, char *why, size_t len)
{
	vocab_tb d;

	if (verify_u32(tb[NFTA_IMMEDIATE_DREG]) != NFT_REG_VERDICT)
		return verify_imm_value(r, tb, why, len);
	if (r->c->rule_nat)
		return REFUSE("a verdict in a nat chain (its rules end in their translation)");
	if (verify_walk_nest(r->c, "data", tb[NFTA_IMMEDIATE_DATA], &vocab_data_verdict, d) < 0)
		return verify_refused;
	r->kind = VE_VERDICT;
	return verify_verdict(r->c, d[NFTA_DATA_VERDICT], &vocab_imm_verdicts, why, len);
}

static const struct vocab_expr *expr_row(const char *name)
{
	for (size_t i = 0; i < vocab_nexprs; i++)
		if (streq(vocab_exprs[i].name, name))
			return &vocab_exprs[i];
	return NULL;
}

const char *verify_exprs(struct verify_ctx *c, const struct nlattr *list, char *why, size_t len)
{
	struct verify_rule r = { .c = c, .prev = { VE_OTHER, VE_OTHER } };
	const struct nlattr *item;
	char what[64], detail[160];

	mnl_attr_for_each_nested(item, list) {
		vocab_tb it, tb;
		const struct vocab_expr *e;
		const char *name, *bad;

		verify_walk_nest(c, "expression", item, &vocab_expr_item, it);
		name = verify_str(it[NFTA_EXPR_NAME]);
		r.n++;
		/* what the expression is first: the refusal names it */
		e = expr_row(name);
		if (!e)
			return REFUSE("expression %zu is '%.16s', which vigild never emits", r.n, name);
		verify_fmt(what, sizeof(what), "expression %zu (%s)", r.n, e->name);
		if (!it[NFTA_EXPR_DATA]) /* libnftnl writes it, empty for a counter */
			return REFUSE("%s has no data", what);
		if (verify_walk_nest(c, what, it[NFTA_EXPR_DATA], e->attrs, tb) < 0)
			return verify_refused; /* with the attribute named */
		r.kind = VE_OTHER;
		if (e->check && (bad = e->check(&r, tb, detail, sizeof(detail))))
			return REFUSE("%s: %s", what, bad);
		if (r.prev[0] == VE_VERDICT || r.prev[0] == VE_NAT)
			return REFUSE("%s comes after the %s", what,
				      r.prev[0] == VE_NAT ? "translation" : "verdict");
		if (r.prev[0] == VE_NATMAP && r.kind != VE_NAT)
			return REFUSE("%s: a port-forward map's lookup is followed by its nat", what);
		r.prev[1] = r.prev[0];
		r.prev[0] = r.kind;
	}
	if (c->rule_nat && r.prev[0] != VE_NAT)
		return REFUSE("a rule of a nat chain ends in its translation (nat, masq or redir)");
	if (r.log_limit)
		return REFUSE("a limit that is not `over` its rate belongs to a log, and no log follows it");
	return NULL;
}
