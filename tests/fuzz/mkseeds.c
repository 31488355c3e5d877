// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkseeds OUTDIR: writes the binary seed corpora of the fuzz targets
 * (tests/fuzz/regen-corpus.sh runs it): OUTDIR/batch_verify and
 * OUTDIR/psep_proto get vigild's own batches for small policies with every
 * shape nftc emits (built with and without DESTROYTABLE, owner|persist and
 * a generation id) and a removal; OUTDIR/nlreply gets kernel answers:
 * acks, errors with extended-ack attributes; OUTDIR/revoke_verify the
 * conntrack deletes revoke builds (IPv4, IPv6, tcp, udp, icmp, icmpv6).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/nftc.h"
#include "vigil/policy.h"
#include "vigil/psep_proto.h"
#include "vigil/revoke.h"

static const char *outdir;

static void put(const char *dir, const char *name, const void *a, size_t alen, const void *b,
		size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, dir, name);
	f = fopen(path, "we");
	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen)) {
		fprintf(stderr, "mkseeds: cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

/* Small policies with every shape nftc emits: small seeds fuzz faster. */
static const char *const policies[] = {
	"version: 1\n",
	"version: 1\n"
	"sets:\n"
	"  a: {type: cidr, elements: [10.0.0.0/8, \"2001:db8::/32\"]}\n"
	"  p: {type: port, elements: [22, 80-90]}\n"
	"rules:\n"
	"  - {name: r1, chain: input, src: \"@a\", proto: tcp, dport: \"@p\", action: accept}\n"
	"  - {name: r2, chain: output, dst: [192.0.2.1, 192.0.2.9], action: reject, log: true}\n",
	"version: 1\n"
	"defaults: {input: accept, forward: drop, output: drop}\n"
	"rules:\n"
	"  - {name: f, chain: forward, iif: [eth0, \"wg*\"], oif: eth1, proto: [tcp, udp], sport: 1000-2000, action: drop}\n"
	"  - {name: i, chain: input, proto: icmp, icmp-type: [echo-request, 13], action: accept, log: 10/minute}\n"
	"  - {name: j, chain: input, proto: icmpv6, icmp-type: echo-request, action: accept}\n"
	"  - {name: k, chain: output, proto: udp, dport: 53, action: reject}\n",
	/* a merged run: a verdict map, goto rule.NAME */
	"version: 1\n"
	"rules:\n"
	"  - {name: m0, chain: input, src: 10.0.0.1, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m1, chain: input, src: 10.0.0.2, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m2, chain: input, src: 10.0.0.3, proto: tcp, dport: 22, action: drop}\n"
	"  - {name: m3, chain: input, src: 10.0.0.4, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m4, chain: input, src: 10.0.0.5, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m5, chain: input, src: 10.0.0.6, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m6, chain: input, src: 10.0.0.7, proto: tcp, dport: 22, action: accept}\n"
	"  - {name: m7, chain: input, src: 10.0.0.8, proto: tcp, dport: 22, action: accept}\n",
	/* with ranges: a concatenated interval map */
	"version: 1\n"
	"rules:\n"
	"  - {name: n0, chain: input, src: 10.1.0.0/24, proto: tcp, dport: 1000-1999, action: accept}\n"
	"  - {name: n1, chain: input, src: 10.2.0.0/24, proto: tcp, dport: 1000-1999, action: accept}\n"
	"  - {name: n2, chain: input, src: 10.3.0.0/24, proto: tcp, dport: 2000-2999, action: accept}\n"
	"  - {name: n3, chain: input, src: 10.4.0.0/24, proto: tcp, dport: 3000-3999, action: accept}\n"
	"  - {name: n4, chain: input, src: 10.5.0.0/24, proto: tcp, dport: 4000-4999, action: accept}\n"
	"  - {name: n5, chain: input, src: 10.6.0.0/24, proto: tcp, dport: 5000-5999, action: accept}\n"
	"  - {name: n6, chain: input, src: 10.7.0.0/24, proto: tcp, dport: 6000-6999, action: accept}\n"
	"  - {name: n7, chain: input, src: 10.8.0.0/24, proto: tcp, dport: 7000-7999, action: accept}\n",
};

/* The policy's batches: as a COMMIT request for psep_proto, bare for the verifier. */
static void policy_seeds(const char *text, int n)
{
	char name[64];
	struct policy pol;
	struct diags d = { 0 };
	struct ir_table t;

	if (policy_compile_buffer("seed.yml", text, strlen(text), NULL, &pol, &d) < 0) {
		fprintf(stderr, "mkseeds: policy %d does not compile\n", n);
		exit(1);
	}
	ir_compile(&pol, NULL, &t);
	for (int v = 0; v < 2; v++) {
		static const struct nftc_opts o = { .destroy = true,
						    .table_flags = NFT_TABLE_F_OWNER | VIGIL_TABLE_F_PERSIST,
						    .have_genid = true, .genid = 5 };
		struct batch b;
		struct psep_hdr h = { PSEP_MAGIC, PSEP_REQ_COMMIT, 0, 0 };
		batch_init(&b, 100);
		nftc_build_replace_opts(&t, v ? &o : NULL, &b);
		h.len = (uint32_t)b.len;
		snprintf(name, sizeof(name), "policy-%d-%d", n, v);
		put("batch_verify", name, b.buf, b.len, NULL, 0);
		put("psep_proto", name, &h, sizeof(h), b.buf, b.len);
		batch_free(&b);
	}
	ir_table_free(&t);
	policy_free(&pol);
	diags_free(&d);
}

static void proto_seeds(void)
{
	struct batch b;
	struct psep_hdr h[] = {
		{ PSEP_MAGIC, PSEP_REQ_GETGEN, 0, 0 },	  { PSEP_MAGIC, PSEP_REQ_CT_STATS, 0, 0 },
		{ PSEP_MAGIC, PSEP_REQ_TABLE_INFO, 0, 0 }, { PSEP_MAGIC, PSEP_REQ_DUMP, 0, 0 },
		{ PSEP_MAGIC, PSEP_REQ_CT_DUMP, 0, 0 },
	};
	struct psep_hdr st = { PSEP_MAGIC, PSEP_REQ_SET_TABLE, 0, sizeof(struct psep_set_table) };
	struct psep_set_table name = { "vigil" };
	struct psep_hdr res = { PSEP_MAGIC, PSEP_REP_RESULT, 0, sizeof(struct psep_result) };
	struct psep_result r = { 0 };

	put("psep_proto", "requests", h, sizeof(h), NULL, 0);
	put("psep_proto", "set-table", &st, sizeof(st), &name, sizeof(name));
	put("psep_proto", "result", &res, sizeof(res), &r, sizeof(r));
	batch_init(&b, 1);
	nftc_build_delete("vigil", &b);
	put("batch_verify", "remove", b.buf, b.len, NULL, 0);
	batch_free(&b);
}

/* NLMSG_ERROR datagrams as the kernel answers a batch. */
static void reply_seeds(void)
{
	uint8_t buf[1024];
	size_t len = 0;

	for (int k = 0; k < 3; k++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + len);
		struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(nlh);
		memset(nlh, 0, 64);
		nlh->nlmsg_type = NLMSG_ERROR;
		nlh->nlmsg_flags = (uint16_t)(NLM_F_CAPPED | (k ? NLM_F_ACK_TLVS : 0));
		nlh->nlmsg_seq = 100 + (uint32_t)k;
		e->error = k ? -EINVAL : 0;
		e->msg.nlmsg_len = NLMSG_HDRLEN;
		e->msg.nlmsg_seq = 100 + (uint32_t)k;
		nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*e);
		if (k) {
			struct nlattr *a = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len);
			a->nla_type = NLMSGERR_ATTR_MSG;
			a->nla_len = NLA_HDRLEN + 12;
			memcpy(a + 1, "bad element", 12);
			nlh->nlmsg_len += NLA_ALIGN(a->nla_len);
			a = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len);
			a->nla_type = NLMSGERR_ATTR_OFFS;
			a->nla_len = NLA_HDRLEN + 4;
			memcpy(a + 1, &(uint32_t){ 44 }, 4);
			nlh->nlmsg_len += NLA_ALIGN(a->nla_len);
		}
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	put("nlreply", "acks-and-errors", buf, len, NULL, 0);
}

static void revoke_seeds(void)
{
	static const struct revoke_entry e[] = {
		{ .p = { .family = 4, .l4proto = 6, .sport = 40001, .dport = 22 },
		  .src = { 10, 0, 0, 3 }, .dst = { 10, 0, 0, 1 }, .id = 7 },
		{ .p = { .family = 6, .l4proto = 17, .sport = 5353, .dport = 53 },
		  .src = { 0xfd, [15] = 3 }, .dst = { 0xfd, [15] = 1 }, .id = 8 },
		{ .p = { .family = 4, .l4proto = 1, .icmp_type = 8 },
		  .src = { 10, 0, 0, 3 }, .dst = { 10, 0, 0, 1 }, .icmp_id = 99, .id = 9 },
		{ .p = { .family = 6, .l4proto = 58, .icmp_type = 128 },
		  .src = { 0xfd, [15] = 3 }, .dst = { 0xfd, [15] = 1 }, .icmp_id = 98, .id = 10 },
	};
	static const char *const names[] = { "tcp4", "udp6", "icmp4", "icmp6" };
	struct strbuf all = { 0 };

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		struct strbuf sb = { 0 };
		revoke_build_delete(&e[i], (uint32_t)i + 1, &sb);
		revoke_build_delete(&e[i], (uint32_t)i + 1, &all);
		put("revoke_verify", names[i], sb.s, sb.len, NULL, 0);
		sb_free(&sb);
	}
	put("revoke_verify", "four", all.s, all.len, NULL, 0);
	sb_free(&all);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		policy_seeds(policies[i], (int)i);
	proto_seeds();
	reply_seeds();
	revoke_seeds();
	return 0;
}
