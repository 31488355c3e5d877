// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vocabulary: every chain, expression, attribute and value vigild may
 * send to nf_tables (see vocab.h). nftc.c emits from these rows; the
 * commit helper's verifier accepts nothing without a row. Attribute
 * numbers and kinds are those of the kernel's nf_tables.h (Debian 12's
 * linux-libc-dev 6.1) and of what libnftnl 1.2.4 writes.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_log.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/udata.h>

#include "vigil/nftc.h"
#include "vigil/vocab.h"
#include "verify.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define VALUES(name, ...)                                                          \
	static const struct vocab_value name##_v[] = { __VA_ARGS__ };              \
	const struct vocab_values name = { name##_v, N(name##_v) }
#define VATTRS(name, label, ...)                                                   \
	static const struct vocab_attr name##_v[] = { __VA_ARGS__ };               \
	const struct vocab_attrs name = { label, name##_v, N(name##_v) }
#define ATTRS(name, label, ...)                                                    \
	static const struct vocab_attr name##_v[] = { __VA_ARGS__ };               \
	static const struct vocab_attrs name = { label, name##_v, N(name##_v) }

/* row helpers: REQ = required */
#define REQ true
#define OPT false
#define U32(t, n, req, ...) { .type = t, .name = n, .kind = VK_U32, .required = req, __VA_ARGS__ }
#define U64(t, n, req, ...) { .type = t, .name = n, .kind = VK_U64, .required = req, __VA_ARGS__ }
#define U16(t, n, req, ...) { .type = t, .name = n, .kind = VK_U16, .required = req, __VA_ARGS__ }
#define U8(t, n, req, ...) { .type = t, .name = n, .kind = VK_U8, .required = req, __VA_ARGS__ }
#define STRZ(t, n, req, lo, hi) { .type = t, .name = n, .kind = VK_STRZ, .required = req, .min = lo, .max = hi }
#define BIN(t, n, req, lo, hi) { .type = t, .name = n, .kind = VK_BIN, .required = req, .min = lo, .max = hi }
#define NEST(t, n, req, tbl) { .type = t, .name = n, .kind = VK_NEST, .required = req, .nest = tbl }
#define LIST(t, n, req, lo, hi, tbl, pos) \
	{ .type = t, .name = n, .kind = VK_LIST, .required = req, .min = lo, .max = hi, .nest = tbl, .list_pos = pos }

/* ---- chains ---- */

const struct vocab_chain vocab_base_chains[CH_MAX] = {
	[CH_INPUT] = { "input", "filter", NF_INET_LOCAL_IN, 0 },
	[CH_FORWARD] = { "forward", "filter", NF_INET_FORWARD, 0 },
	[CH_OUTPUT] = { "output", "filter", NF_INET_LOCAL_OUT, 0 },
};

const struct vocab_chain vocab_nat_chains[VOCAB_NAT_CHAINS] = {
	{ "prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST },
	{ "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC },
};

VALUES(vocab_chain_policies, { NF_ACCEPT, "accept" }, { NF_DROP, "drop" });

/* ---- values ---- */

const char *vocab_value_name(const struct vocab_values *l, uint32_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].v == v)
			return l->v[i].name;
	return NULL;
}

VALUES(vocab_load_regs, { NFT_REG_1, "reg 1" }, { NFT_REG32_00, "reg32 0" },
       { NFT_REG32_01, "reg32 1" }, { NFT_REG32_02, "reg32 2" }, { NFT_REG32_03, "reg32 3" },
       { NFT_REG32_04, "reg32 4" }, { NFT_REG32_05, "reg32 5" }, { NFT_REG32_06, "reg32 6" },
       { NFT_REG32_07, "reg32 7" }, { NFT_REG32_08, "reg32 8" }, { NFT_REG32_09, "reg32 9" },
       { NFT_REG32_10, "reg32 10" }, { NFT_REG32_11, "reg32 11" }, { NFT_REG32_12, "reg32 12" },
       { NFT_REG32_13, "reg32 13" }, { NFT_REG32_14, "reg32 14" }, { NFT_REG32_15, "reg32 15" });
VALUES(vocab_read_regs, { NFT_REG_1, "reg 1" });
/* an immediate's destination: the verdict, or (nat chains: a NAT
 * statement's addresses and ports) reg 1 to 4 */
static const struct vocab_value imm_reg_v[] = { { NFT_REG_VERDICT, "verdict" }, { NFT_REG_1, "reg 1" },
						{ NFT_REG_2, "reg 2" }, { NFT_REG_3, "reg 3" },
						{ NFT_REG_4, "reg 4" } };
static const struct vocab_values imm_regs = { imm_reg_v, 5 };
/* the registers a NAT expression reads (the immediates before it wrote them) */
VALUES(nat_regs, { NFT_REG_1, "reg 1" }, { NFT_REG_2, "reg 2" }, { NFT_REG_3, "reg 3" },
       { NFT_REG_4, "reg 4" });
/* ... and a port-forward map's port: reg32 1 (after an IPv4 address;
 * after an IPv6 one it is reg 2) */
VALUES(nat_proto_regs, { NFT_REG_1, "reg 1" }, { NFT_REG_2, "reg 2" }, { NFT_REG_3, "reg 3" },
       { NFT_REG_4, "reg 4" }, { NFT_REG32_01, "reg32 1" });
/* a lookup's result: a verdict (verdict maps), or reg 1 (a port-forward
 * map's address and port, in a nat chain) */
static const struct vocab_value lookup_dreg_v[] = { { NFT_REG_VERDICT, "verdict" }, { NFT_REG_1, "reg 1" } };
static const struct vocab_values lookup_dregs = { lookup_dreg_v, 2 };
VALUES(nat_types, { NFT_NAT_SNAT, "snat" }, { NFT_NAT_DNAT, "dnat" });
VALUES(nat_families, { NFPROTO_IPV4, "ip" }, { NFPROTO_IPV6, "ip6" });
VALUES(nat_flags, { NF_NAT_RANGE_PROTO_SPECIFIED, "proto-specified" });

VALUES(vocab_meta_keys, { NFT_META_NFPROTO, "nfproto" }, { NFT_META_L4PROTO, "l4proto" },
       { NFT_META_IIFNAME, "iifname" }, { NFT_META_OIFNAME, "oifname" });
/* ct mark may also be set, only through vigild's bits (verify_ct) */
VALUES(vocab_ct_keys, { NFT_CT_STATE, "state" }, { NFT_CT_MARK, "mark" },
       { NFT_CT_STATUS, "status" });
VALUES(vocab_cmp_ops, { NFT_CMP_EQ, "eq" }, { NFT_CMP_NEQ, "neq" }, { NFT_CMP_GTE, "gte" },
       { NFT_CMP_LTE, "lte" });
VALUES(vocab_limit_units, { 1, "second" }, { 60, "minute" }, { 3600, "hour" }, { 86400, "day" });
static const struct vocab_value limit_types_v[] = { { NFT_LIMIT_PKTS, "packets" },
						   { NFT_LIMIT_PKT_BYTES, "bytes" } };
static const struct vocab_values limit_types = { limit_types_v, 2 };
/* a log's limit: flags 0; a rule's over-limit rule: inverted */
VALUES(limit_flags, { 0, "none" }, { NFT_LIMIT_F_INV, "over" });
VALUES(connlimit_flags, { NFT_CONNLIMIT_F_INV, "over" });
VALUES(dynset_ops, { NFT_DYNSET_OP_ADD, "add" }, { NFT_DYNSET_OP_UPDATE, "update" });
VALUES(vocab_imm_verdicts, { NF_ACCEPT, "accept" }, { NF_DROP, "drop" },
       { (uint32_t)NFT_JUMP, "jump" }, { (uint32_t)NFT_GOTO, "goto" });
/* merged maps go to a rule's chain; a decision tree's maps jump to a leaf */
VALUES(vocab_elem_verdicts, { (uint32_t)NFT_GOTO, "goto" }, { (uint32_t)NFT_JUMP, "jump" });

const struct vocab_payload vocab_payloads[] = {
	/* addresses: whole, or the bytes of a byte-aligned prefix */
	{ NFT_PAYLOAD_NETWORK_HEADER, 12, 1, 4, "ip saddr" },
	{ NFT_PAYLOAD_NETWORK_HEADER, 16, 1, 4, "ip daddr" },
	{ NFT_PAYLOAD_NETWORK_HEADER, 8, 1, 16, "ip6 saddr" },
	{ NFT_PAYLOAD_NETWORK_HEADER, 24, 1, 16, "ip6 daddr" },
	{ NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, 2, "th sport" },
	{ NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, 2, "th dport" },
	{ NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, "icmp type" },
};
const size_t vocab_npayloads = N(vocab_payloads);

const struct vocab_reject vocab_rejects[] = {
	{ NFT_REJECT_TCP_RST, 0, "tcp reset" },
	{ NFT_REJECT_ICMP_UNREACH, 3, "icmp port-unreachable" },   /* ICMP_PORT_UNREACH */
	{ NFT_REJECT_ICMP_UNREACH, 4, "icmpv6 port-unreachable" }, /* ICMPV6_PORT_UNREACH */
	{ NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH, "icmpx port-unreachable" },
};
const size_t vocab_nrejects = N(vocab_rejects);

/* what nftc's put_set and put_map make */
VALUES(vocab_set_flags, { 0, "hash" }, { NFT_SET_INTERVAL, "interval" },
       { NFT_SET_TIMEOUT, "hash with timeouts" },
       { NFT_SET_INTERVAL | NFT_SET_TIMEOUT, "interval with timeouts" },
       { NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, "anonymous" },
       { NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL, "anonymous interval" },
       { NFT_SET_MAP, "map" }, { NFT_SET_MAP | NFT_SET_INTERVAL, "interval map" },
       /* (flags 0 also: a hash set of concatenations, natmap.c's dnatfwd;
	* NFT_SET_MAP also: a port-forward map) */
       { NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT, "concatenated interval map" },
       { NFT_SET_EVAL | NFT_SET_TIMEOUT, "dynamic with timeouts" }, { NFT_SET_EVAL, "dynamic" });

uint32_t vocab_set_key_len(uint32_t type)
{
	for (int k = 0; k < K_MAX; k++) {
		const struct ir_keyinfo *ki = ir_keyinfo((enum ir_key)k);
		/* ct state is compared, never looked up (meta nfproto is, by
		 * a decision tree's family split) */
		if (k != K_CT_STATE && k != K_CT_STATUS && ki->type_id == type)
			return ki->len;
	}
	return 0;
}

int vocab_key_fields(uint32_t key_type, uint32_t types[IR_MAX_CONCAT])
{
	uint32_t rev[IR_MAX_CONCAT + 1];
	int n = 0;

	while (key_type) {
		if (n == IR_MAX_CONCAT)
			return 0;
		rev[n] = key_type & ((1u << VOCAB_CONCAT_BITS) - 1);
		if (!vocab_set_key_len(rev[n]))
			return 0;
		n++;
		key_type >>= VOCAB_CONCAT_BITS;
	}
	for (int i = 0; i < n; i++)
		types[i] = rev[n - 1 - i];
	return n;
}

static uint32_t key_byteorder(uint32_t type)
{
	for (int k = 0; k < K_MAX; k++)
		if (ir_keyinfo((enum ir_key)k)->type_id == type)
			return ir_keyinfo((enum ir_key)k)->byteorder;
	return 0;
}

size_t vocab_set_udata(uint32_t flags, uint32_t key_type, bool dynamic, void *buf, size_t len)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	uint32_t types[IR_MAX_CONCAT];
	bool concat = vocab_key_fields(key_type, types) > 1;
	size_t n;

	if (!ud)
		abort();
	if (!(flags & NFT_SET_MAP)) {
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, key_byteorder(key_type));
		if ((flags & NFT_SET_ANONYMOUS) && (flags & NFT_SET_INTERVAL))
			nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_MERGE_ELEMENTS, 1);
		if (concat) {
			/* `set s { type ipv4_addr . inet_service }` (natmap.c's dnatfwd) */
			struct nftnl_udata *nest = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
			nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, 13 /* nft's EXPR_CONCAT */);
			nftnl_udata_nest_end(ud, nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA));
			nftnl_udata_nest_end(ud, nest);
		}
	} else {
		/* what nft writes for `map m { type a . b : verdict }` */
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
				    concat ? 0 : key_byteorder(key_type));
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, 0);
		if (concat) {
			struct nftnl_udata *nest = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
			nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, 13 /* nft's EXPR_CONCAT */);
			nftnl_udata_nest_end(ud, nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA));
			nftnl_udata_nest_end(ud, nest);
		}
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	}
	/* nft writes a set's comment last */
	if (dynamic)
		nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_COMMENT, IR_DYNSET_MARK);
	n = nftnl_udata_buf_len(ud);
	if (n <= len)
		memcpy(buf, nftnl_udata_buf_data(ud), n);
	nftnl_udata_buf_free(ud);
	return n;
}

uint32_t vocab_natmap_data_type(bool v4)
{
	const struct ir_keyinfo *a = ir_keyinfo(v4 ? K_IP_DADDR : K_IP6_DADDR);

	return a->type_id << VOCAB_CONCAT_BITS | ir_keyinfo(K_DPORT)->type_id;
}

size_t vocab_natmap_udata(void *buf, size_t len)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nftnl_udata *nest;
	size_t n;

	if (!ud)
		abort();
	/* what nft 1.0.6 writes (nft --debug=mnl): the key's byte order, the
	 * data's (0: a concatenation), the data's typeof a concatenation */
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, ir_keyinfo(K_DPORT)->byteorder);
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, 0);
	nest = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_DATA_TYPEOF);
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, 13 /* nft's EXPR_CONCAT */);
	nftnl_udata_nest_end(ud, nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA));
	nftnl_udata_nest_end(ud, nest);
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	n = nftnl_udata_buf_len(ud);
	if (n <= len)
		memcpy(buf, nftnl_udata_buf_data(ud), n);
	nftnl_udata_buf_free(ud);
	return n;
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* A policy name: what valid_name accepts, without needing a NUL. */
static bool policy_name(const char *s, size_t len)
{
	char buf[NAME_MAX_LEN + 1];

	if (len == 0 || len > NAME_MAX_LEN || memchr(s, '\0', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return valid_name(buf, true);
}

bool vocab_log_prefix_ok(const char *s, size_t len)
{
	size_t p = strlen(VOCAB_LOG_PREFIX);

	/* "vigil:NAME " */
	return len > p + 1 && memcmp(s, VOCAB_LOG_PREFIX, p) == 0 && s[len - 1] == ' ' &&
	       policy_name(s + p, len - p - 1);
}

bool vocab_nflog_prefix_ok(const char *s, size_t len)
{
	size_t p = strlen(VOCAB_LOG_PREFIX), d = strlen(IR_NFLOG_DEFAULT);
	const char *sp;

	if (len <= p || memcmp(s, VOCAB_LOG_PREFIX, p) != 0 || memchr(s, '\0', len))
		return false;
	if (len > d && memcmp(s, IR_NFLOG_DEFAULT, d) == 0) {
		for (int c = 0; c < CH_MAX; c++)
			if (len - d == strlen(chain_name(c)) && !memcmp(s + d, chain_name(c), len - d))
				return true;
		return false;
	}
	sp = memchr(s + p, ' ', len - p);
	if (!sp)
		return policy_name(s + p, len - p);
	size_t ll = len - (size_t)(sp + 1 - s);
	if (!policy_name(s + p, (size_t)(sp - s) - p) || ll < 1 || ll > NFLOG_LABEL_MAX)
		return false;
	for (const char *q = sp + 1; q < s + len; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '"' || *q == '\\')
			return false;
	return true;
}

bool vocab_rule_comment_ok(const char *s, size_t len)
{
	size_t p = strlen(IR_BUILTIN_PREFIX);

	if (len > p && memcmp(s, IR_BUILTIN_PREFIX, p) == 0) {
		/* built-in rules: "vigil:established", "vigil:merged a .. z" */
		for (size_t i = p; i < len; i++)
			if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
				return false;
		return len <= NFTNL_UDATA_COMMENT_MAXLEN;
	}
	return policy_name(s, len);
}

bool vocab_set_name_ok(const char *s, size_t len)
{
	/* NAME, NAME_v4, NAME_v6, merged.CHAIN.N, dispatch.CHAIN.N, and
	 * list.RULE.ID (a rule's list shared by its copies in a tree) */
	if (len == 0 || len > NAME_MAX_LEN + 16)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]) && s[i] != '.')
			return false;
	return true;
}

/* ---- attribute tables ---- */

VATTRS(vocab_data_value, "data", BIN(NFTA_DATA_VALUE, "value", REQ, 1, 16));
VATTRS(vocab_key_value, "key", BIN(NFTA_DATA_VALUE, "value", REQ, 1, IR_MAX_KEYLEN));
VATTRS(vocab_verdict_attrs, "verdict", U32(NFTA_VERDICT_CODE, "code", REQ),
      STRZ(NFTA_VERDICT_CHAIN, "chain", OPT, 1, NFT_CHAIN_MAXNAMELEN - 1));
VATTRS(vocab_data_verdict, "data", NEST(NFTA_DATA_VERDICT, "verdict", REQ, &vocab_verdict_attrs));
/* a map element's data: a verdict (verdict maps), or an address and a
 * port (port-forward maps, 8 or 20 bytes); one_elem says which */
VATTRS(vocab_elem_data, "data", BIN(NFTA_DATA_VALUE, "value", OPT, 8, 20),
      NEST(NFTA_DATA_VERDICT, "verdict", OPT, &vocab_verdict_attrs));

/* expressions */
ATTRS(meta_attrs, "meta", U32(NFTA_META_DREG, "dreg", REQ, .in = &vocab_load_regs),
      U32(NFTA_META_KEY, "key", REQ, .in = &vocab_meta_keys));
ATTRS(payload_attrs, "payload", U32(NFTA_PAYLOAD_DREG, "dreg", REQ, .in = &vocab_load_regs),
      U32(NFTA_PAYLOAD_BASE, "base", REQ), U32(NFTA_PAYLOAD_OFFSET, "offset", REQ),
      U32(NFTA_PAYLOAD_LEN, "len", REQ));
ATTRS(cmp_attrs, "cmp", U32(NFTA_CMP_SREG, "sreg", REQ, .in = &vocab_read_regs),
      U32(NFTA_CMP_OP, "op", REQ, .in = &vocab_cmp_ops),
      NEST(NFTA_CMP_DATA, "data", REQ, &vocab_data_value));
ATTRS(bitwise_attrs, "bitwise", U32(NFTA_BITWISE_SREG, "sreg", REQ, .in = &vocab_read_regs),
      U32(NFTA_BITWISE_DREG, "dreg", REQ, .in = &vocab_read_regs),
      U32(NFTA_BITWISE_LEN, "len", REQ, .min = 1, .max = 16),
      NEST(NFTA_BITWISE_MASK, "mask", REQ, &vocab_data_value),
      NEST(NFTA_BITWISE_XOR, "xor", REQ, &vocab_data_value));
ATTRS(ct_attrs, "ct", U32(NFTA_CT_KEY, "key", REQ, .in = &vocab_ct_keys),
      U32(NFTA_CT_DREG, "dreg", OPT, .in = &vocab_read_regs),
      U32(NFTA_CT_SREG, "sreg", OPT, .in = &vocab_read_regs));
ATTRS(lookup_attrs, "lookup", U32(NFTA_LOOKUP_SREG, "sreg", REQ, .in = &vocab_read_regs),
      STRZ(NFTA_LOOKUP_SET, "set", REQ, 1, NFT_SET_MAXNAMELEN - 1),
      U32(NFTA_LOOKUP_SET_ID, "set id", REQ),
      U32(NFTA_LOOKUP_DREG, "dreg", OPT, .in = &lookup_dregs));
static const struct vocab_attrs counter_attrs = { "counter", NULL, 0 };
/* rate, burst: per type and flags in verify_limit */
ATTRS(limit_attrs, "limit", U64(NFTA_LIMIT_RATE, "rate", REQ, .min = 1, .max = LIMIT_MAX_BYTES),
      U64(NFTA_LIMIT_UNIT, "unit", REQ), /* 64 bits: checked against the unit list in verify_limit */
      U32(NFTA_LIMIT_BURST, "burst", REQ, .min = 0, .max = LIMIT_MAX_BURST_BYTES),
      U32(NFTA_LIMIT_TYPE, "type", REQ, .in = &limit_types),
      U32(NFTA_LIMIT_FLAGS, "flags", REQ, .in = &limit_flags));
ATTRS(connlimit_attrs, "connlimit", U32(NFTA_CONNLIMIT_COUNT, "count", REQ, .min = 1, .max = CT_COUNT_MAX),
      U32(NFTA_CONNLIMIT_FLAGS, "flags", REQ, .in = &connlimit_flags));
/* the expression: one item of NFTA_EXPR_NAME/DATA, walked by verify_dynset */
ATTRS(dynset_attrs, "dynset", STRZ(NFTA_DYNSET_SET_NAME, "set", REQ, 1, NFT_SET_MAXNAMELEN - 1),
      U32(NFTA_DYNSET_SET_ID, "set id", REQ), U32(NFTA_DYNSET_OP, "op", REQ, .in = &dynset_ops),
      U32(NFTA_DYNSET_SREG_KEY, "sreg key", REQ, .in = &vocab_read_regs),
      NEST(NFTA_DYNSET_EXPR, "expr", REQ, NULL));
ATTRS(log_attrs, "log", STRZ(NFTA_LOG_PREFIX, "prefix", REQ, 1, NF_LOG_PREFIXLEN - 1),
      U16(NFTA_LOG_GROUP, "group", OPT, .min = 1, .max = UINT16_MAX));
ATTRS(reject_attrs, "reject", U32(NFTA_REJECT_TYPE, "type", REQ),
      U8(NFTA_REJECT_ICMP_CODE, "code", REQ));
/* data: a verdict, or a value (verify_immediate walks it by dreg) */
ATTRS(immediate_attrs, "immediate", U32(NFTA_IMMEDIATE_DREG, "dreg", REQ, .in = &imm_regs),
      NEST(NFTA_IMMEDIATE_DATA, "data", REQ, NULL));
ATTRS(nat_attrs, "nat", U32(NFTA_NAT_TYPE, "type", REQ, .in = &nat_types),
      U32(NFTA_NAT_FAMILY, "family", REQ, .in = &nat_families),
      U32(NFTA_NAT_REG_ADDR_MIN, "addr min", REQ, .in = &nat_regs),
      U32(NFTA_NAT_REG_ADDR_MAX, "addr max", OPT, .in = &nat_regs),
      U32(NFTA_NAT_REG_PROTO_MIN, "proto min", OPT, .in = &nat_proto_regs),
      U32(NFTA_NAT_REG_PROTO_MAX, "proto max", OPT, .in = &nat_regs),
      U32(NFTA_NAT_FLAGS, "flags", OPT, .in = &nat_flags));
ATTRS(masq_attrs, "masq", U32(NFTA_MASQ_FLAGS, "flags", OPT, .in = &nat_flags),
      U32(NFTA_MASQ_REG_PROTO_MIN, "proto min", OPT, .in = &nat_regs),
      U32(NFTA_MASQ_REG_PROTO_MAX, "proto max", OPT, .in = &nat_regs));
ATTRS(redir_attrs, "redir", U32(NFTA_REDIR_REG_PROTO_MIN, "proto min", OPT, .in = &nat_regs),
      U32(NFTA_REDIR_REG_PROTO_MAX, "proto max", OPT, .in = &nat_regs),
      U32(NFTA_REDIR_FLAGS, "flags", OPT, .in = &nat_flags));

const struct vocab_expr vocab_exprs[] = {
	{ "meta", &meta_attrs, verify_meta },
	{ "payload", &payload_attrs, verify_payload },
	{ "cmp", &cmp_attrs, verify_cmp },
	{ "bitwise", &bitwise_attrs, verify_bitwise },
	{ "ct", &ct_attrs, verify_ct },
	{ "lookup", &lookup_attrs, verify_lookup },
	{ "counter", &counter_attrs, NULL },
	{ "limit", &limit_attrs, verify_limit },
	{ "log", &log_attrs, verify_log },
	{ "reject", &reject_attrs, verify_reject },
	{ "immediate", &immediate_attrs, verify_immediate },
	{ "nat", &nat_attrs, verify_nat },
	{ "masq", &masq_attrs, verify_masq },
	{ "redir", &redir_attrs, verify_redir },
	{ "connlimit", &connlimit_attrs, verify_connlimit },
	{ "dynset", &dynset_attrs, verify_dynset },
};
const size_t vocab_nexprs = N(vocab_exprs);

/* a rule's expression list item: the data's table depends on the name
 * (NEST without a table: verify_exprs walks it, and requires it) */
VATTRS(vocab_expr_item, "expression", STRZ(NFTA_EXPR_NAME, "name", REQ, 1, 15),
      NEST(NFTA_EXPR_DATA, "data", OPT, NULL));

/* messages */
/* flags: owner|persist on the new table where the kernel has them (the
 * daemon's choice), never owner alone (the table would go with the
 * helper), never dormant */
static const struct vocab_value table_flags_v[] = {
	{ NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST, "owner|persist" },
};
static const struct vocab_values table_flags = { table_flags_v, 1 };
ATTRS(table_attrs, "table", STRZ(NFTA_TABLE_NAME, "name", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      U32(NFTA_TABLE_FLAGS, "flags", OPT, .in = &table_flags),
      BIN(NFTA_TABLE_USERDATA, "userdata", OPT, 1, NFT_USERDATA_MAXLEN));
/* the batch begin: a generation check, where the daemon asks for one */
VATTRS(vocab_begin_attrs, "batch begin", U32(NFNL_BATCH_GENID, "genid", OPT));
VATTRS(vocab_hook_attrs, "hook", U32(NFTA_HOOK_HOOKNUM, "hooknum", REQ),
      U32(NFTA_HOOK_PRIORITY, "priority", REQ));
ATTRS(chain_attrs, "chain", STRZ(NFTA_CHAIN_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_CHAIN_NAME, "name", REQ, 1, NFT_CHAIN_MAXNAMELEN - 1),
      NEST(NFTA_CHAIN_HOOK, "hook", OPT, &vocab_hook_attrs),
      U32(NFTA_CHAIN_POLICY, "policy", OPT, .in = &vocab_chain_policies),
      STRZ(NFTA_CHAIN_TYPE, "type", OPT, 1, 15));
VATTRS(vocab_field_attrs, "field", U32(NFTA_SET_FIELD_LEN, "len", REQ, .min = 1, .max = 16));
VATTRS(vocab_desc_attrs, "desc", U32(NFTA_SET_DESC_SIZE, "size", OPT, .min = 1),
      LIST(NFTA_SET_DESC_CONCAT, "concat", OPT, 2, IR_MAX_CONCAT, &vocab_field_attrs, false));
ATTRS(set_attrs, "set", STRZ(NFTA_SET_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_SET_NAME, "name", REQ, 1, NFT_SET_MAXNAMELEN - 1),
      U32(NFTA_SET_FLAGS, "flags", REQ, .in = &vocab_set_flags),
      U32(NFTA_SET_KEY_TYPE, "key type", REQ), U32(NFTA_SET_KEY_LEN, "key len", REQ, .min = 1, .max = IR_MAX_KEYLEN),
      U32(NFTA_SET_DATA_TYPE, "data type", OPT), U32(NFTA_SET_DATA_LEN, "data len", OPT),
      NEST(NFTA_SET_DESC, "desc", OPT, &vocab_desc_attrs), U32(NFTA_SET_ID, "id", REQ, .min = 1),
      BIN(NFTA_SET_USERDATA, "userdata", REQ, 1, NFT_USERDATA_MAXLEN),
      /* the policy's dynamic sets (1 s to DYNSET_MAX_TIMEOUT), the
       * per-source limits' kernel-filled sets (LIMIT_SET_TIMEOUT_MS; the
       * verifier holds each kind to its own) */
      U64(NFTA_SET_TIMEOUT, "timeout", OPT, .min = 1000, .max = DYNSET_MAX_TIMEOUT * 1000ull));
VATTRS(vocab_set_elem, "element", NEST(NFTA_SET_ELEM_KEY, "key", REQ, &vocab_key_value),
      NEST(NFTA_SET_ELEM_KEY_END, "key end", OPT, &vocab_key_value),
      U32(NFTA_SET_ELEM_FLAGS, "flags", OPT, .min = NFT_SET_ELEM_INTERVAL_END, .max = NFT_SET_ELEM_INTERVAL_END),
      NEST(NFTA_SET_ELEM_DATA, "data", OPT, &vocab_elem_data),
      U64(NFTA_SET_ELEM_TIMEOUT, "timeout", OPT, .min = 1, .max = DYNSET_MAX_TIMEOUT * 1000ull),
      U64(NFTA_SET_ELEM_EXPIRATION, "expiration", OPT, .min = 1, .max = DYNSET_MAX_TIMEOUT * 1000ull));
ATTRS(elems_attrs, "elements",
      STRZ(NFTA_SET_ELEM_LIST_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_SET_ELEM_LIST_SET, "set", REQ, 1, NFT_SET_MAXNAMELEN - 1),
      U32(NFTA_SET_ELEM_LIST_SET_ID, "set id", REQ),
      LIST(NFTA_SET_ELEM_LIST_ELEMENTS, "elements", REQ, 1, 65535, &vocab_set_elem, true));
ATTRS(rule_attrs, "rule", STRZ(NFTA_RULE_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_RULE_CHAIN, "chain", REQ, 1, NFT_CHAIN_MAXNAMELEN - 1),
      LIST(NFTA_RULE_EXPRESSIONS, "expressions", REQ, 1, VOCAB_MAX_EXPRS, &vocab_expr_item, false),
      BIN(NFTA_RULE_USERDATA, "userdata", REQ, 1, NFT_USERDATA_MAXLEN));

const struct vocab_msg vocab_msgs[] = {
	{ NFT_MSG_NEWTABLE, "NEWTABLE", NFTA_TABLE_NAME, NFTA_TABLE_NAME, "table", NLM_F_CREATE,
	  &table_attrs, verify_newtable },
	{ NFT_MSG_DELTABLE, "DELTABLE", NFTA_TABLE_NAME, NFTA_TABLE_NAME, "table", 0, &table_attrs,
	  verify_deltable },
	{ NFT_MSG_DESTROYTABLE, "DESTROYTABLE", NFTA_TABLE_NAME, NFTA_TABLE_NAME, "table", 0,
	  &table_attrs, verify_deltable },
	{ NFT_MSG_NEWCHAIN, "NEWCHAIN", NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, "chain", NLM_F_CREATE,
	  &chain_attrs, verify_newchain },
	{ NFT_MSG_NEWSET, "NEWSET", NFTA_SET_TABLE, NFTA_SET_NAME, "set", NLM_F_CREATE, &set_attrs,
	  verify_newset },
	{ NFT_MSG_NEWSETELEM, "NEWSETELEM", NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET,
	  "elements of set", NLM_F_CREATE, &elems_attrs, verify_newsetelem },
	{ NFT_MSG_NEWRULE, "NEWRULE", NFTA_RULE_TABLE, NFTA_RULE_CHAIN, "rule in chain",
	  NLM_F_CREATE | NLM_F_APPEND, &rule_attrs, verify_newrule },
};
const size_t vocab_nmsgs = N(vocab_msgs);

ATTRS(dynelems_attrs, "elements",
      STRZ(NFTA_SET_ELEM_LIST_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_SET_ELEM_LIST_SET, "set", REQ, 1, NFT_SET_MAXNAMELEN - 1),
      LIST(NFTA_SET_ELEM_LIST_ELEMENTS, "elements", REQ, 1, 65535, &vocab_set_elem, true));

/* a delta batch: the kernel's sets are known by name (no id) */
ATTRS(delta_elems_attrs, "elements",
      STRZ(NFTA_SET_ELEM_LIST_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_SET_ELEM_LIST_SET, "set", REQ, 1, NFT_SET_MAXNAMELEN - 1),
      U32(NFTA_SET_ELEM_LIST_SET_ID, "set id", OPT),
      LIST(NFTA_SET_ELEM_LIST_ELEMENTS, "elements", REQ, 1, 65535, &vocab_set_elem, true));
ATTRS(delta_rule_attrs, "rule", STRZ(NFTA_RULE_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_RULE_CHAIN, "chain", REQ, 1, NFT_CHAIN_MAXNAMELEN - 1),
      LIST(NFTA_RULE_EXPRESSIONS, "expressions", REQ, 1, VOCAB_MAX_EXPRS, &vocab_expr_item, false),
      BIN(NFTA_RULE_USERDATA, "userdata", REQ, 1, NFT_USERDATA_MAXLEN),
      U64(NFTA_RULE_POSITION, "position", OPT, .min = 1));
ATTRS(delrule_attrs, "rule", STRZ(NFTA_RULE_TABLE, "table", REQ, 1, NFT_TABLE_MAXNAMELEN - 1),
      STRZ(NFTA_RULE_CHAIN, "chain", REQ, 1, NFT_CHAIN_MAXNAMELEN - 1),
      U64(NFTA_RULE_HANDLE, "handle", REQ, .min = 1));

const struct vocab_msg vocab_delta_msgs[] = {
	{ NFT_MSG_NEWCHAIN, "NEWCHAIN", NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, "chain", NLM_F_CREATE,
	  &chain_attrs, verify_delta_newchain, 0 },
	{ NFT_MSG_NEWSET, "NEWSET", NFTA_SET_TABLE, NFTA_SET_NAME, "set", NLM_F_CREATE, &set_attrs,
	  verify_delta_newset, 0 },
	{ NFT_MSG_NEWSETELEM, "NEWSETELEM", NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET,
	  "elements of set", NLM_F_CREATE, &delta_elems_attrs, verify_newsetelem, 0 },
	{ NFT_MSG_DELSETELEM, "DELSETELEM", NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET,
	  "elements of set", 0, &delta_elems_attrs, verify_delsetelem, 0 },
	{ NFT_MSG_NEWRULE, "NEWRULE", NFTA_RULE_TABLE, NFTA_RULE_CHAIN, "rule in chain",
	  NLM_F_CREATE, &delta_rule_attrs, verify_newrule, NLM_F_APPEND },
	{ NFT_MSG_DELRULE, "DELRULE", NFTA_RULE_TABLE, NFTA_RULE_CHAIN, "rule in chain", 0,
	  &delrule_attrs, verify_delrule, 0 },
};
const size_t vocab_ndelta_msgs = N(vocab_delta_msgs);

const struct vocab_msg vocab_dyn_msgs[] = {
	{ NFT_MSG_NEWSETELEM, "NEWSETELEM", NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET,
	  "elements of set", NLM_F_CREATE | NLM_F_EXCL, &dynelems_attrs, verify_dynelems },
	{ NFT_MSG_DELSETELEM, "DELSETELEM", NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET,
	  "elements of set", 0, &dynelems_attrs, verify_dynelems },
};
const size_t vocab_ndyn_msgs = N(vocab_dyn_msgs);
