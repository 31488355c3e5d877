// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * badbatch: sends vigild's own batch for a policy with ONE rule's kernel
 * message sabotaged, to check what a kernel rejection does (netns tests).
 *
 *   badbatch [--how none|chain|set] POLICY RULE
 *
 * Compiles POLICY exactly like `vigild apply` (policy_compile_buffer,
 * ir_compile, nftc_build_replace), then rebuilds the first NEWRULE message
 * that policy rule RULE became, with the same sequence number and flags:
 *   chain  the rule goes to a chain that does not exist
 *   set    the rule also looks up a set that does not exist
 *   none   re-encoded unchanged (a control: the kernel must accept it)
 * Every other message is left byte for byte as vigild built it. Sends the
 * batch with nl_send_batch and prints kerr_format()'s report on stdout.
 *
 * Exit: 0 the kernel committed the batch, 1 the kernel rejected it,
 * 2 usage or local error.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "vigil/batch.h"
#include "vigil/fileio.h"
#include "vigil/ir.h"
#include "vigil/kerr.h"
#include "vigil/nftc.h"
#include "vigil/nl.h"
#include "vigil/policy.h"

#define MSG_ROOM (128u << 10)

enum how {
	HOW_NONE,
	HOW_CHAIN,
	HOW_SET,
};

static int read_set_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	return read_file_at(*(int *)ctx, path, max, buf, len);
}

static void rule_freep(struct nftnl_rule **r)
{
	if (*r)
		nftnl_rule_free(*r);
}

static void closefd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static bool is_newrule(const struct batch_msg *m)
{
	return m->type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE);
}

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		abort();
	nftnl_rule_add_expr(r, e);
}

/* Re-encodes the rule message old as out (room MSG_ROOM), sabotaged per how. */
static int rebuild(const struct nlmsghdr *old, enum how how, void *out)
{
	_cleanup_(rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(old);
	struct nlmsghdr *nlh;
	struct nftnl_expr *e;

	if (!r || nftnl_rule_nlmsg_parse(old, r) < 0)
		return -EINVAL;
	switch (how) {
	case HOW_NONE:
		break;
	case HOW_CHAIN:
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "badbatch-no-such-chain");
		break;
	case HOW_SET:
		e = nftnl_expr_alloc("meta");
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
		add_expr(r, e);
		e = nftnl_expr_alloc("lookup");
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "badbatch_no_such_set");
		add_expr(r, e);
		break;
	}
	nlh = nftnl_nlmsg_build_hdr(out, NFT_MSG_NEWRULE, nfg->nfgen_family,
				    old->nlmsg_flags & ~NLM_F_REQUEST, old->nlmsg_seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	return 0;
}

/* Replaces the message with sequence number seq in b's buffer by a rebuilt one. */
static int sabotage(struct batch *b, uint32_t seq, enum how how)
{
	_cleanup_free_ uint8_t *msg = xzalloc(MSG_ROOM);
	const struct nlmsghdr *nlh, *newh = (const struct nlmsghdr *)msg;
	size_t off = 0, oldlen, newlen;
	uint8_t *nbuf;
	int r;

	for (;;) {
		if (off + sizeof(*nlh) > b->len)
			return -ENOENT;
		nlh = (const struct nlmsghdr *)(b->buf + off);
		if (nlh->nlmsg_seq == seq)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	r = rebuild(nlh, how, msg);
	if (r < 0)
		return r;
	oldlen = NLMSG_ALIGN(nlh->nlmsg_len);
	newlen = NLMSG_ALIGN(newh->nlmsg_len);

	nbuf = xmalloc(b->len - oldlen + newlen);
	memcpy(nbuf, b->buf, off);
	memcpy(nbuf + off, msg, newlen);
	memcpy(nbuf + off + newlen, b->buf + off + oldlen, b->len - off - oldlen);
	free(b->buf);
	b->buf = nbuf;
	b->len = b->len - oldlen + newlen;
	b->cap = b->len;
	return 0;
}

static const char *how_name(enum how how)
{
	return how == HOW_NONE ? "none" : how == HOW_CHAIN ? "missing chain" : "missing set";
}

/* Builds vigild's batch for pol, sabotages rule idx, sends it. Returns the exit code. */
static int send_sabotaged(const struct policy *pol, size_t idx, enum how how)
{
	struct ir_table t = { 0 };
	struct batch b;
	struct nl nl = { .fd = -1 };
	struct nl_result res = { 0 };
	struct strbuf sb = { 0 };
	const struct batch_msg *target = NULL;
	int r, ret = 2;

	ir_compile(pol, NULL, &t);
	batch_init(&b, (uint32_t)getpid() << 8 | 1u);
	nftc_build_replace(&t, &b);
	for (size_t i = 0; i < b.nmsgs && !target; i++)
		if (is_newrule(&b.msgs[i]) && b.msgs[i].origin_rule == (int)idx)
			target = &b.msgs[i];
	if (!target) {
		fprintf(stderr, "badbatch: rule '%s' has no kernel rule message\n",
			pol->rules[idx].name);
	} else if ((r = sabotage(&b, target->seq, how)) < 0) {
		fprintf(stderr, "badbatch: cannot rebuild the rule message: %s\n", strerror(-r));
	} else if ((r = nl_open(&nl)) < 0 || (r = nl_send_batch(&nl, b.buf, b.len, &res)) < 0) {
		fprintf(stderr, "badbatch: cannot send the batch: %s\n", strerror(-r));
	} else {
		fprintf(stderr, "badbatch: sent %zu messages; message %u (%s) sabotaged: %s\n",
			b.nmsgs, target->seq, target->what, how_name(how));
		kerr_format(&sb, &res, &b, pol, "badbatch");
		if (sb.len)
			fputs(sb.s, stdout);
		sb_free(&sb);
		ret = res.n || res.lost ? 1 : 0;
		if (!ret)
			printf("badbatch: the kernel committed the batch\n");
	}
	nl_result_free(&res);
	nl_close(&nl);
	batch_free(&b);
	ir_table_free(&t);
	return ret;
}

static int usage(void)
{
	fputs("usage: badbatch [--how none|chain|set] POLICY RULE\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	_cleanup_(closefd) int dirfd = -1;
	_cleanup_free_ char *buf = NULL, *dircopy = NULL;
	struct policy_opts po = { .read_file = read_set_file, .read_ctx = &dirfd };
	struct policy pol = { 0 };
	struct diags d = { 0 };
	struct strbuf sb = { 0 };
	enum how how = HOW_SET;
	const char *path, *rule;
	size_t len = 0, idx;
	int r;

	if (argc >= 3 && strcmp(argv[1], "--how") == 0) {
		if (strcmp(argv[2], "none") == 0)
			how = HOW_NONE;
		else if (strcmp(argv[2], "chain") == 0)
			how = HOW_CHAIN;
		else if (strcmp(argv[2], "set") == 0)
			how = HOW_SET;
		else
			return usage();
		argc -= 2;
		argv += 2;
	}
	if (argc != 3)
		return usage();
	path = argv[1];
	rule = argv[2];

	dircopy = xstrdup(path);
	dirfd = open(dirname(dircopy), O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = dirfd < 0 ? -errno : read_file_at(AT_FDCWD, path, POLICY_MAX_FILE, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "badbatch: %s: %s\n", path, strerror(-r));
		return 2;
	}
	r = policy_compile_buffer(path, buf, len, &po, &pol, &d);
	diags_sort(&d);
	for (size_t i = 0; i < d.n; i++)
		diag_format(&d.v[i], &sb);
	if (sb.len)
		fputs(sb.s, stderr);
	sb_free(&sb);
	diags_free(&d);
	for (idx = 0; r == 0 && idx < pol.nrules; idx++)
		if (streq(pol.rules[idx].name, rule))
			break;
	if (r < 0) {
		r = 2;
	} else if (idx == pol.nrules) {
		fprintf(stderr, "badbatch: %s has no rule '%s'\n", path, rule);
		r = 2;
	} else {
		r = send_sabotaged(&pol, idx, how);
	}
	policy_free(&pol);
	return r;
}
