// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An incremental batch built between two compiled policies, the first
 * turned into a kernel dump (deltapair.h), and the helper's gate run on
 * it or on a batch made from it: shared by test_delta_batch and
 * test_delta_natmap.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "unit.h"
#include "vigil/nftc.h"
#include "deltapair.h"

void deltapair_compiled(const char *yaml, struct batch *b)
{
	struct policy pol;
	struct ir_table t;

	compile_text(yaml, NULL, &pol, &t);
	batch_init(b, 1);
	nftc_build_replace(&t, b);
	ir_table_free(&t);
	policy_free(&pol);
}

/* the compiled batch as the kernel would dump it: objects, rules with handles */
static void as_dump(const struct batch *b, struct batch *d)
{
	uint64_t handle = 10;

	batch_init(d, 1);
	for (size_t off = 0; off < b->len;) {
		const struct nlmsghdr *src = (const void *)(b->buf + off);
		uint16_t t = src->nlmsg_type & 0xff;

		off += NLMSG_ALIGN(src->nlmsg_len);
		if ((src->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES || t == NFT_MSG_DELTABLE)
			continue;
		struct nlmsghdr *nlh = batch_reserve(d, NLMSG_ALIGN(src->nlmsg_len) + 64);
		memcpy(nlh, src, src->nlmsg_len);
		nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len);
		if (t == NFT_MSG_NEWRULE) {
			mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(handle));
			handle += 10;
		}
		batch_commit_msg(d, -1, -1, NULL);
	}
}

void pair_build(struct pair *x, const char *kyaml, const char *yaml)
{
	deltapair_compiled(kyaml, &x->kb);
	as_dump(&x->kb, &x->kdump);
	deltapair_compiled(yaml, &x->want);
	batch_init(&x->delta, 5000);
	ck_assert_int_eq(delta_build(x->kdump.buf, x->kdump.len, x->want.buf, x->want.len, "vigil",
				     GENID, &x->delta, &x->p), 0);
}

void pair_free(struct pair *x)
{
	batch_free(&x->kb);
	batch_free(&x->kdump);
	batch_free(&x->want);
	batch_free(&x->delta);
}

int pair_verify(const void *buf, size_t len, const struct pair *x, struct batch_refusal *r)
{
	uint32_t gen = 0;
	int e = batch_verify_delta(buf, len, "vigil", x->kdump.buf, x->kdump.len, &gen, r);

	if (e == 0)
		ck_assert_uint_eq(gen, GENID);
	return e;
}

size_t count_type(const struct batch *b, uint16_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nmsgs; i++)
		n += b->msgs[i].type == (NFNL_SUBSYS_NFTABLES << 8 | type);
	return n;
}

/* the messages of src between BEGIN and END, framed by a BEGIN of ours */
void reframe(const struct batch *src, struct batch *d, bool genid, const void *extra,
		    size_t extra_len)
{
	struct nlmsghdr *nlh;

	batch_init(d, 9000);
	nlh = nftnl_batch_begin(batch_reserve(d, 256), batch_seq(d));
	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(GENID));
	batch_commit_msg(d, -1, -1, NULL);
	for (size_t off = 0; off < src->len;) {
		const struct nlmsghdr *m = (const void *)(src->buf + off);

		off += NLMSG_ALIGN(m->nlmsg_len);
		if (m->nlmsg_type == NFNL_MSG_BATCH_BEGIN || m->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		memcpy(batch_reserve(d, m->nlmsg_len), m, m->nlmsg_len);
		batch_commit_msg(d, -1, -1, NULL);
	}
	if (extra) {
		memcpy(batch_reserve(d, extra_len), extra, extra_len);
		batch_commit_msg(d, -1, -1, NULL);
	}
	nftnl_batch_end(batch_reserve(d, 256), batch_seq(d));
	batch_commit_msg(d, -1, -1, NULL);
}

void refused(const struct pair *x, const struct batch *d, const char *needle)
{
	struct batch_refusal r;

	ck_assert_int_eq(pair_verify(d->buf, d->len, x, &r), -EPERM);
	ck_assert_msg(strstr(r.why, needle) != NULL, "refused for '%s', not '%s'", r.why, needle);
}

/* buf: 1024 bytes, zeroed (the padding the verifier checks) */
struct nlmsghdr *msg(uint8_t *buf, uint16_t type, uint16_t flags)
{
	memset(buf, 0, 1024);
	return nftnl_nlmsg_build_hdr((char *)buf, type, NFPROTO_INET, flags, 1);
}

