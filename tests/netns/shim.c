// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An LD_PRELOAD shim that plays the attacker of issue 14: a compromised
 * unprivileged main process that adds forbidden content to the batch it
 * hands the commit helper. It interposes libnftnl's payload builders, so
 * the bytes are well-formed netlink, inside vigild's own table, and only
 * the verifier's allow-list stands between them and the kernel.
 *
 *   VIGIL_SHIM=nat-prerouting  chain input becomes type nat hook prerouting priority -100
 *   VIGIL_SHIM=nat-redirect    the same, and its rules redirect (to a local port)
 *   VIGIL_SHIM=nat-output      chain output becomes type nat (root's own connections)
 *   VIGIL_SHIM=raw             chain forward becomes a raw-priority (-300) prerouting chain
 *   VIGIL_SHIM=redir           policy rules get `redirect` before their verdict
 *   VIGIL_SHIM=notrack         policy rules get `notrack` before their verdict
 *   VIGIL_SHIM=meta-mark       policy rules get `meta mark set ct mark` before their verdict
 *   VIGIL_SHIM=ct-mark         policy rules get `ct mark set ct state` (all 32 bits) before it
 *   VIGIL_SHIM=none            nothing changes (a control: the shim is harmless)
 *
 * With VIGIL_SHIM_DUMP=FILE it also saves the batch the main process hands
 * the helper (the write of a COMMIT request, or of a batch), so a test can
 * show that the kernel itself would have taken it.
 *
 * It acts only in a process without any effective capability: the main
 * process after the drop. The commit helper keeps CAP_NET_ADMIN, so the
 * shim leaves it alone whether it is a fork of the same process (today)
 * or an exec'd image without the preload. Every change it makes is
 * counted on stderr ("vigil-shim: ..."), so the test knows it ran.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <unistd.h>

/* the symbols the shim defines, declared for -Wmissing-prototypes */
void nftnl_chain_nlmsg_build_payload(struct nlmsghdr *nlh, const struct nftnl_chain *c);
void nftnl_rule_nlmsg_build_payload(struct nlmsghdr *nlh, struct nftnl_rule *r);
ssize_t write(int fd, const void *buf, size_t len);

static bool unprivileged(void)
{
	char line[256];
	bool zero = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			zero = strtoull(line + 7, NULL, 16) == 0;
	fclose(f);
	return zero;
}

static const char *mode(void)
{
	const char *m = getenv("VIGIL_SHIM");
	return m && unprivileged() ? m : "none";
}

static void *next(const char *sym)
{
	void *f = dlsym(RTLD_NEXT, sym);

	if (!f) {
		fprintf(stderr, "vigil-shim: no %s\n", sym);
		abort();
	}
	return f;
}

void nftnl_chain_nlmsg_build_payload(struct nlmsghdr *nlh, const struct nftnl_chain *c)
{
	void (*real)(struct nlmsghdr *, const struct nftnl_chain *) =
		next("nftnl_chain_nlmsg_build_payload");
	const char *m = mode(), *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	struct nftnl_chain *x = (struct nftnl_chain *)c; /* the caller's own object */

	if ((!strcmp(m, "nat-prerouting") || !strcmp(m, "nat-redirect")) && !strcmp(name, "input")) {
		nftnl_chain_set_str(x, NFTNL_CHAIN_TYPE, "nat");
		nftnl_chain_set_u32(x, NFTNL_CHAIN_HOOKNUM, NF_INET_PRE_ROUTING);
		nftnl_chain_set_s32(x, NFTNL_CHAIN_PRIO, -100);
		nftnl_chain_set_u32(x, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		fprintf(stderr, "vigil-shim: chain input is now type nat hook prerouting\n");
	} else if (!strcmp(m, "nat-output") && !strcmp(name, "output")) {
		nftnl_chain_set_str(x, NFTNL_CHAIN_TYPE, "nat");
		nftnl_chain_set_s32(x, NFTNL_CHAIN_PRIO, -100);
		fprintf(stderr, "vigil-shim: chain output is now type nat\n");
	} else if (!strcmp(m, "raw") && !strcmp(name, "forward")) {
		nftnl_chain_set_u32(x, NFTNL_CHAIN_HOOKNUM, NF_INET_PRE_ROUTING);
		nftnl_chain_set_s32(x, NFTNL_CHAIN_PRIO, -300);
		nftnl_chain_set_u32(x, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		fprintf(stderr, "vigil-shim: chain forward is now a raw-priority prerouting chain\n");
	}
	real(nlh, c);
}

static struct nftnl_expr *expr(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		abort();
	return e;
}

/* Puts e (then e2, if any) right before the rule's last expression, its
 * verdict, where a statement takes effect. */
static void insert(struct nftnl_rule *r, struct nftnl_expr *e, struct nftnl_expr *e2)
{
	struct nftnl_expr *v[128], *x;
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	size_t n = 0;

	while ((x = nftnl_expr_iter_next(it)) && n < 128)
		v[n++] = x;
	nftnl_expr_iter_destroy(it);
	for (size_t i = 0; i < n; i++)
		nftnl_rule_del_expr(v[i]);
	for (size_t i = 0; i + 1 < n; i++)
		nftnl_rule_add_expr(r, v[i]);
	nftnl_rule_add_expr(r, e);
	if (e2)
		nftnl_rule_add_expr(r, e2);
	if (n)
		nftnl_rule_add_expr(r, v[n - 1]);
}

/* reg 1 = the connection's mark or state: loads vigild itself makes */
static struct nftnl_expr *load_ct(uint32_t key)
{
	struct nftnl_expr *e = expr("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	return e;
}

/* A policy rule's (not a built-in's) comment. */
static bool policy_rule(const struct nftnl_rule *r)
{
	uint32_t len = 0;
	const uint8_t *ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);

	return ud && len > 2 && strncmp((const char *)ud + 2, "vigil:", 6) != 0;
}

void nftnl_rule_nlmsg_build_payload(struct nlmsghdr *nlh, struct nftnl_rule *r)
{
	void (*real)(struct nlmsghdr *, struct nftnl_rule *) = next("nftnl_rule_nlmsg_build_payload");
	const char *m = mode();
	struct nftnl_expr *e;

	if (strcmp(m, "none") && policy_rule(r)) {
		if (!strcmp(m, "nat-redirect") &&
		    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "input")) {
			goto out; /* only the (now nat) input chain */
		} else if (!strcmp(m, "redir") || !strcmp(m, "nat-redirect")) {
			insert(r, expr("redir"), NULL); /* to the local host, same port */
		} else if (!strcmp(m, "notrack")) {
			insert(r, expr("notrack"), NULL);
		} else if (!strcmp(m, "meta-mark")) {
			e = expr("meta");
			nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
			nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
			insert(r, load_ct(NFT_CT_MARK), e);
		} else if (!strcmp(m, "ct-mark")) {
			e = expr("ct");
			nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
			nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
			insert(r, load_ct(NFT_CT_STATE), e);
		} else {
			goto out;
		}
		fprintf(stderr, "vigil-shim: a %s expression added to a rule\n", m);
	}
out:
	real(nlh, r);
}

/* A batch write: the batch alone (psep_send_msg writes the header
 * first), or a whole COMMIT/VALIDATE request in one buffer (the helper
 * client's queue): {magic "vigl", type, zero, len} then the batch. */
static const void *batch_in(const void *buf, size_t len, size_t *blen)
{
	const struct nlmsghdr *nlh = buf;
	const uint8_t *p = buf;
	uint32_t magic, blen32;
	uint16_t type;

	if (len >= NLMSG_HDRLEN && nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
		*blen = len;
		return buf;
	}
	if (len < 16)
		return NULL;
	memcpy(&magic, p, 4);
	memcpy(&type, p + 4, 2);
	memcpy(&blen32, p + 8, 4);
	if (magic != 0x7669676cu || (type != 1 && type != 2) || blen32 > len - 16)
		return NULL;
	*blen = blen32;
	return p + 16;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	ssize_t (*real)(int, const void *, size_t) = next("write");
	const char *dump = getenv("VIGIL_SHIM_DUMP");
	const void *batch;
	size_t blen = 0;

	if (!strcmp(mode(), "unpermitted") && len >= 12 && unprivileged()) {
		/* before a VALIDATE or COMMIT request: one its helper does not
		 * permit (apply's helper serves no conntrack statistics) */
		uint32_t magic;
		uint16_t type;

		memcpy(&magic, buf, 4);
		memcpy(&type, (const uint8_t *)buf + 4, 2);
		if (magic == 0x7669676cu && (type == 1 || type == 2)) {
			/* {magic, type 4 and zero, len 0}: psep_proto.h's header */
			const uint32_t req[3] = { 0x7669676cu, 4 /* CT_STATS */, 0 };
			fprintf(stderr, "vigil-shim: a CT_STATS request before the batch\n");
			if (real(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
				fprintf(stderr, "vigil-shim: short write of the request\n");
		}
	}
	if (dump && (batch = batch_in(buf, len, &blen)) && unprivileged()) {
		int out = open(dump, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out >= 0) {
			if (real(out, batch, blen) != (ssize_t)blen)
				fprintf(stderr, "vigil-shim: short write to %s\n", dump);
			close(out);
		}
	}
	return real(fd, buf, len);
}
