// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Property test of the verifier against the compiler (issue 14, item 4):
 *
 * 1. every batch the compiler makes for every policy of the tree
 *    (examples/, tests/golden/, tests/netns/policies/) and for random
 *    policies (seeded) passes batch_verify;
 * 2. mutations of those batches are refused, class by class:
 *      type      an attribute's type changed              refused, always
 *      nesting   nest flag toggled, a leaf wrapped, a nest flattened
 *                                                           refused, always
 *      length    an attribute 4 bytes longer, 1 shorter, or empty
 *                                                           refused, or harmless
 *      repeat    an attribute or list item twice          refused, or harmless
 *      swap      an expression replaced by a forbidden one refused, always
 *      header    message type, flags or family changed    refused, always
 *      cut       the batch cut at any byte                refused, always
 *      drop      one message left out                     refused, or harmless
 *      value     one byte of a value flipped              refused, or harmless
 *    "harmless" means the mutated batch is still inside the vocabulary:
 *    an independent oracle (libnftnl's parsers and a short list of what
 *    vigild may send, written separately from vocab.c) must agree, or the
 *    test fails. What can be accepted: a flipped address, port, set key or
 *    comment letter, a shorter compare value, a repeated counter or set
 *    element, a missing rule or set element. The counts are printed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "hb.h"
#include "oracle.h"
#include "unit.h"
#include "vigil/nftc.h"

/* ---- a batch as a tree of attributes, to mutate and write back ---- */

struct node {
	uint16_t type;      /* with the flag bits */
	uint8_t *data;      /* leaves: a copy of the payload */
	size_t len;
	struct node *kids;  /* nests */
	size_t nkids;
	bool nest;
};

struct msg {
	struct nlmsghdr h;
	struct nfgenmsg g;
	struct node root;   /* kids: the top-level attributes */
};

struct tree {
	struct msg *m;
	size_t n;
};

static void parse_attrs(struct node *parent, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off + 4 <= len) {
		const struct nlattr *a = (const struct nlattr *)(p + off);
		struct node *k;

		parent->kids = xreallocarray(parent->kids, parent->nkids + 1, sizeof(*k));
		k = &parent->kids[parent->nkids++];
		memset(k, 0, sizeof(*k));
		k->type = a->nla_type;
		if (a->nla_type & NLA_F_NESTED) {
			k->nest = true;
			parse_attrs(k, p + off + 4, a->nla_len - 4u);
		} else {
			k->len = a->nla_len - 4u;
			k->data = xmalloc(k->len + 1);
			memcpy(k->data, p + off + 4, k->len);
		}
		off += MNL_ALIGN(a->nla_len);
	}
}

static void tree_parse(struct tree *t, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	memset(t, 0, sizeof(*t));
	while (off < len) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
		struct msg *m;

		t->m = xreallocarray(t->m, t->n + 1, sizeof(*m));
		m = &t->m[t->n++];
		memset(m, 0, sizeof(*m));
		m->h = *h;
		memcpy(&m->g, buf + off + NLMSG_HDRLEN, sizeof(m->g));
		parse_attrs(&m->root, buf + off + 20, h->nlmsg_len - 20u);
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
}

static void node_free(struct node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->data);
}

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		node_free(&t->m[i].root);
	free(t->m);
}

static void put_node(struct strbuf *sb, const struct node *n)
{
	size_t at = sb->len;
	struct nlattr a = { 0, n->type };
	static const char zero[4];

	sb_putn(sb, (const char *)&a, 4);
	if (n->nest)
		for (size_t i = 0; i < n->nkids; i++)
			put_node(sb, &n->kids[i]);
	else if (n->len)
		sb_putn(sb, (const char *)n->data, n->len);
	((struct nlattr *)(sb->s + at))->nla_len = (uint16_t)(sb->len - at);
	sb_putn(sb, zero, MNL_ALIGN(sb->len) - sb->len);
}

/* The batch as bytes; skip: a message to leave out (SIZE_MAX: none). */
static struct strbuf tree_write(const struct tree *t, size_t skip)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < t->n; i++) {
		size_t at = sb.len;
		if (i == skip)
			continue;
		sb_putn(&sb, (const char *)&t->m[i].h, NLMSG_HDRLEN);
		sb_putn(&sb, (const char *)&t->m[i].g, sizeof(t->m[i].g));
		for (size_t k = 0; k < t->m[i].root.nkids; k++)
			put_node(&sb, &t->m[i].root.kids[k]);
		((struct nlmsghdr *)(sb.s + at))->nlmsg_len = (uint32_t)(sb.len - at);
	}
	return sb;
}

/* Every node, with where it is. */
struct ref {
	struct node *n, *parent;
	size_t msg, depth;
	bool in_list;       /* a list item (expression, element, field) */
};

static void collect(struct node *parent, size_t msg, size_t depth, struct ref **v, size_t *n,
		    size_t *cap)
{
	for (size_t i = 0; i < parent->nkids; i++) {
		GROW(*v, *cap, *n + 1);
		(*v)[(*n)++] = (struct ref){ &parent->kids[i], parent, msg, depth, false };
		if (parent->kids[i].nest)
			collect(&parent->kids[i], msg, depth + 1, v, n, cap);
	}
}

/* ---- mutations ---- */

enum mclass { MC_TYPE, MC_NEST, MC_LENGTH, MC_REPEAT, MC_SWAP, MC_HEADER, MC_CUT, MC_DROP,
	      MC_VALUE, MC_N };
static const char *const mclass_name[MC_N] = { "type", "nesting", "length", "repeat", "swap",
					       "header", "cut", "drop", "value" };
static const bool always_refused[MC_N] = { [MC_TYPE] = true, [MC_NEST] = true, [MC_SWAP] = true,
					   [MC_HEADER] = true, [MC_CUT] = true };

struct stats {
	size_t tried[MC_N], refused[MC_N];
	size_t batches;
};

static unsigned seed = 20260614;

static unsigned rnd(unsigned n)
{
	return (unsigned)rand_r(&seed) % n;
}

/* Verifies buf; an accepted mutation must be one the oracle accepts. */
static void judge(struct stats *st, enum mclass c, const uint8_t *buf, size_t len, const char *t,
		  const char *what)
{
	struct batch_refusal r;
	int e = batch_verify(buf, len, t, &r);

	st->tried[c]++;
	if (e == -EPERM) {
		st->refused[c]++;
		return;
	}
	expect(e == 0, "batch_verify returned %d", e);
	expect(!always_refused[c], "a %s mutation (%s) was accepted", mclass_name[c], what);
	expect(oracle(buf, len, t), "a %s mutation (%s) was accepted, but the oracle says %s is outside vigild's vocabulary",
	       mclass_name[c], what, oracle_why);
}

static void try_tree(struct stats *st, enum mclass c, const struct tree *tr, const char *t,
		     const char *what)
{
	struct strbuf sb = tree_write(tr, SIZE_MAX);

	judge(st, c, (const uint8_t *)sb.s, sb.len, t, what);
	sb_free(&sb);
}

/* A forbidden expression's item: NAME plus a data nest holding `inner`. */
static struct node forbidden_expr(unsigned k)
{
	static const char *const names[] = { "nat", "masq", "redir", "notrack", "queue", "dup",
					     "fwd", "dynset", "quota", "objref", "range", "meta",
					     "payload", "ct", "tproxy", "connlimit" };
	struct node item = { .type = NLA_F_NESTED | NFTA_LIST_ELEM, .nest = true };
	const char *name = names[k % ARRAY_SIZE(names)];

	item.kids = xcalloc(2, sizeof(*item.kids));
	item.nkids = 2;
	item.kids[0] = (struct node){ .type = NFTA_EXPR_NAME, .len = strlen(name) + 1 };
	item.kids[0].data = (uint8_t *)xstrdup(name);
	item.kids[1] = (struct node){ .type = NLA_F_NESTED | NFTA_EXPR_DATA, .nest = true };
	/* meta, payload and ct as writes: key/base and a source register */
	item.kids[1].kids = xcalloc(2, sizeof(struct node));
	item.kids[1].nkids = 2;
	for (int i = 0; i < 2; i++) {
		uint32_t v = htonl(i == 0 ? NFT_META_MARK : NFT_REG_1);
		item.kids[1].kids[i] = (struct node){ .type = (uint16_t)(streq(name, "payload") ? (i ? 5 : 2)
									: streq(name, "ct") ? (i ? 4 : 1)
											    : (i ? 3 : 2)),
						      .len = 4 };
		item.kids[1].kids[i].data = xmalloc(4);
		memcpy(item.kids[1].kids[i].data, &v, 4);
	}
	return item;
}

static void mutate_node(struct stats *st, struct tree *tr, struct ref *rf, const char *t)
{
	struct node *n = rf->n, saved = *n;
	char what[96];

	snprintf(what, sizeof(what), "message %zu, attribute type %u at depth %zu", rf->msg,
		 n->type & NLA_TYPE_MASK, rf->depth);
	/* type */
	n->type = (uint16_t)((n->type & ~NLA_TYPE_MASK) | ((n->type + 1 + rnd(20)) & NLA_TYPE_MASK));
	try_tree(st, MC_TYPE, tr, t, what);
	*n = saved;
	/* nesting: toggle the flag; wrap a leaf; flatten a nest */
	n->type ^= NLA_F_NESTED;
	if (!saved.nest) {
		/* the leaf's bytes now read as attributes */
		try_tree(st, MC_NEST, tr, t, what);
		*n = saved;
		struct node inner = saved;
		n->nest = true;
		n->type |= NLA_F_NESTED;
		n->kids = &inner;
		n->nkids = 1;
		n->data = NULL;
		n->len = 0;
		inner.type = 1;
		try_tree(st, MC_NEST, tr, t, what);
	} else {
		n->nest = true; /* flag cleared, children kept */
		try_tree(st, MC_NEST, tr, t, what);
		*n = saved;
		n->nest = false;
		n->type &= (uint16_t)~NLA_F_NESTED;
		n->data = (uint8_t *)"\0\0\0\0";
		n->len = 4;
		try_tree(st, MC_NEST, tr, t, what);
	}
	*n = saved;
	/* length: longer by 4 zero bytes, shorter by one, empty */
	if (!saved.nest) {
		uint8_t longer[300] = { 0 };
		if (saved.len + 4 <= sizeof(longer)) {
			memcpy(longer, saved.data, saved.len);
			n->data = longer;
			n->len = saved.len + 4;
			try_tree(st, MC_LENGTH, tr, t, what);
		}
		n->data = saved.data;
		if (saved.len) {
			n->len = saved.len - 1;
			try_tree(st, MC_LENGTH, tr, t, what);
			n->len = 0;
			try_tree(st, MC_LENGTH, tr, t, what);
		}
		*n = saved;
		/* value: one byte flipped */
		if (saved.len) {
			size_t at = rnd((unsigned)saved.len);
			uint8_t old = n->data[at];
			n->data[at] ^= (uint8_t)(1u << rnd(8));
			try_tree(st, MC_VALUE, tr, t, what);
			n->data[at] = old;
		}
	}
	/* repeat: the node twice among its siblings */
	{
		struct node *p = rf->parent, *old = p->kids;
		size_t i = (size_t)(n - old), cnt = p->nkids;
		struct node *kids = xcalloc(cnt + 1, sizeof(*kids));
		memcpy(kids, old, (i + 1) * sizeof(*kids));
		memcpy(kids + i + 1, old + i, (cnt - i) * sizeof(*kids));
		p->kids = kids;
		p->nkids = cnt + 1;
		try_tree(st, MC_REPEAT, tr, t, what);
		p->kids = old;
		p->nkids = cnt;
		free(kids);
	}
}

/* Replace expression k of a rule with a forbidden one. */
static void swap_exprs(struct stats *st, struct tree *tr, const char *t)
{
	for (size_t m = 0; m < tr->n; m++) {
		struct msg *g = &tr->m[m];
		if (g->h.nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE) || rnd(4))
			continue;
		for (size_t k = 0; k < g->root.nkids; k++) {
			struct node *list = &g->root.kids[k];
			if ((list->type & NLA_TYPE_MASK) != NFTA_RULE_EXPRESSIONS || !list->nkids)
				continue;
			size_t i = rnd((unsigned)list->nkids);
			struct node saved = list->kids[i], bad = forbidden_expr(rnd(64));
			char what[64];
			snprintf(what, sizeof(what), "message %zu, expression %zu", m, i + 1);
			list->kids[i] = bad;
			try_tree(st, MC_SWAP, tr, t, what);
			list->kids[i] = saved;
			node_free(&bad);
		}
	}
}

static void mutate_headers(struct stats *st, struct tree *tr, const char *t)
{
	for (size_t m = 0; m < tr->n; m++) {
		struct msg *g = &tr->m[m];
		struct msg saved = *g;
		char what[64];

		if (rnd(3))
			continue;
		snprintf(what, sizeof(what), "message %zu header", m);
		g->h.nlmsg_type ^= (uint16_t)(1u << rnd(16));
		try_tree(st, MC_HEADER, tr, t, what);
		*g = saved;
		uint16_t bit = (uint16_t)(1u << rnd(12));
		if (bit != NLM_F_ACK) {
			g->h.nlmsg_flags ^= bit;
			try_tree(st, MC_HEADER, tr, t, what);
		}
		*g = saved;
		g->g.nfgen_family = (uint8_t)(g->g.nfgen_family ^ (1u << rnd(8)));
		try_tree(st, MC_HEADER, tr, t, what);
		*g = saved;
	}
}

/* All mutations of one batch; `budget` node mutations at most. */
static void mutate_batch(struct stats *st, const uint8_t *buf, size_t len, const char *t,
			 size_t budget)
{
	struct tree tr;
	struct ref *refs = NULL;
	size_t n = 0, cap = 0;
	struct strbuf sb;

	/* big batches (the blocklist example) cost more per mutation */
	if (len > 65536)
		budget = budget * 65536 / len + 1;
	tree_parse(&tr, buf, len);
	sb = tree_write(&tr, SIZE_MAX);
	expect(sb.len == len && memcmp(sb.s, buf, len) == 0, "the tree does not write back the batch");
	sb_free(&sb);
	for (size_t m = 0; m < tr.n; m++)
		collect(&tr.m[m].root, m, 0, &refs, &n, &cap);
	for (size_t k = 0; k < budget && n; k++)
		mutate_node(st, &tr, &refs[n <= budget ? k % n : rnd((unsigned)n)], t);
	swap_exprs(st, &tr, t);
	mutate_headers(st, &tr, t);
	for (size_t m = 1; m < tr.n; m++) {
		if (tr.n > 16 && rnd((unsigned)(tr.n / 8)))
			continue;
		sb = tree_write(&tr, m);
		judge(st, MC_DROP, (const uint8_t *)sb.s, sb.len, t, "a message left out");
		sb_free(&sb);
	}
	for (int k = 0; k < 10; k++)
		judge(st, MC_CUT, buf, rnd((unsigned)len), t, "cut");
	free(refs);
	tree_free(&tr);
}

/* ---- the policies ---- */

struct srcdir {
	const char *dir;
};

static int read_tree_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	const struct srcdir *d = ctx;
	const char *top = getenv("VIGIL_SRCDIR");
	_cleanup_free_ char *full = xasprintf("%s/%s/%s", top, d->dir, path);
	FILE *f = fopen(full, "re");
	struct strbuf sb = { 0 };
	char chunk[65536];
	size_t k;

	if (!f)
		return -ENOENT;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_putn(&sb, chunk, k);
	fclose(f);
	if (sb.len > max) {
		sb_free(&sb);
		return -EFBIG;
	}
	*len = sb.len;
	*buf = sb.s ? sb_take(&sb) : xstrdup("");
	return 0;
}

/* Compiles and checks one policy's batch; then its mutations. */
static void one_policy(struct stats *st, const char *name, const char *yaml, size_t len,
		       struct srcdir *d, size_t budget)
{
	struct policy_opts po = { .read_file = read_tree_file, .read_ctx = d };
	struct diags dg = { 0 };
	struct policy pol;
	struct ir_table t;
	struct batch b;
	struct batch_refusal r;
	static const struct nftc_opts opts = { .destroy = true, .table_flags = NFT_TABLE_F_OWNER | 0x4,
					       .have_genid = true, .genid = 77 };

	if (policy_compile_buffer(name, yaml, len, &po, &pol, &dg) < 0) {
		_cleanup_free_ char *txt = diags_text(&dg);
		diags_free(&dg);
		ck_abort_msg("%s does not compile:\n%s", name, txt);
	}
	diags_free(&dg);
	/* every other pair as watch compiles it: NFLOG rules of refused traffic */
	struct ir_opts io = { .nflog_group = (st->batches / 2) % 2 ? IR_NFLOG_GROUP : 0 };
	ir_compile(&pol, &io, &t);
	batch_init(&b, 1);
	/* every other policy as nftc builds it where the kernel has
	 * DESTROYTABLE and owner|persist, with a generation check */
	if (st->batches % 2)
		nftc_build_replace_opts(&t, &opts, &b);
	else
		nftc_build_replace(&t, &b);
	expect(batch_verify(b.buf, b.len, pol.table, &r) == 0, "%s: the compiler's batch is refused: %s",
	       name, r.why);
	expect(oracle(b.buf, b.len, pol.table), "%s: the oracle refuses the compiler's batch (%s)", name,
	       oracle_why);
	st->batches++;
	mutate_batch(st, b.buf, b.len, pol.table, budget);
	batch_free(&b);
	ir_table_free(&t);
	policy_free(&pol);
}

static void print_stats(const char *what, const struct stats *st)
{
	printf("# %s: %zu batches pass; mutations refused / tried:", what, st->batches);
	for (int c = 0; c < MC_N; c++)
		printf(" %s %zu/%zu", mclass_name[c], st->refused[c], st->tried[c]);
	printf("\n");
	fflush(stdout);
}

START_TEST(tree_policies)
{
	static const char *const dirs[] = { "examples", "tests/golden", "tests/netns/policies" };
	struct stats st = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", getenv("VIGIL_SRCDIR"), dirs[i]);
		DIR *dp = opendir(path);
		struct dirent *de;
		struct srcdir d = { dirs[i] };

		ck_assert_msg(dp, "cannot open %s", path);
		while ((de = readdir(dp))) {
			size_t l = strlen(de->d_name), len;
			if (l < 5 || strcmp(de->d_name + l - 4, ".yml"))
				continue;
			_cleanup_free_ char *rel = xasprintf("%s/%s", dirs[i], de->d_name);
			_cleanup_free_ char *yaml = read_src_file(rel, &len);
			one_policy(&st, rel, yaml, len, &d, 60);
		}
		closedir(dp);
	}
	print_stats("policies of the tree", &st);
	ck_assert_uint_ge(st.batches, 20);
	for (int c = 0; c < MC_N; c++)
		ck_assert_msg(st.tried[c] > 0, "no %s mutation tried", mclass_name[c]);
}
END_TEST

/* Random policies that use every feature the compiler has. */
static char *random_policy(void)
{
	static const char *const v4[] = { "10.0.0.1", "10.0.0.0/24", "192.0.2.0/28", "198.51.100.7" };
	static const char *const v6[] = { "2001:db8::1", "2001:db8:1::/48", "fd00::/8" };
	static const char *const ports[] = { "22", "80", "443", "1000-2000", "53" };
	static const char *const acts[] = { "accept", "drop", "reject" };
	static const char *const logs[] = { "true", "unlimited", "10/minute", "1/hour", "2/day" };
	static const char *const nflogs[] = { "false", "{rate: 10/second, burst: 20}",
					      "{rate: 3/minute, prefix: \"ssh probe\"}",
					      "{kernel: 5/minute, burst: 1}" };
	static const char *const protos[] = { "tcp", "udp", "[tcp, udp]", "sctp" };
	struct strbuf sb = { 0 };
	unsigned nrules = 1 + rnd(30);

	sb_printf(&sb, "version: 1\ndefaults: {input: %s, forward: drop, output: %s%s}\n",
		  rnd(2) ? "drop" : "accept", rnd(2) ? "drop" : "accept",
		  (const char *[]){ "", "", ", log: false", ", log: {rate: 7/second, burst: 9}" }[rnd(4)]);
	sb_printf(&sb, "sets:\n  nets: {type: cidr, elements: [%s, \"%s\"]}\n"
		  "  svc: {type: port, elements: [%s, %s]}\n",
		  v4[rnd(4)], v6[rnd(3)], ports[rnd(5)], ports[rnd(5)]);
	sb_puts(&sb, "rules:\n");
	for (unsigned i = 0; i < nrules; i++) {
		unsigned chain = rnd(3), group = rnd(3) == 0 ? 9 : 1;
		for (unsigned g = 0; g < group && i < nrules; g++, i++) {
			const char *act = group > 1 ? "accept" : acts[rnd(3)];
			sb_printf(&sb, "  - {name: r%u, chain: %s, action: %s", i,
				  (const char *[]){ "input", "forward", "output" }[chain], act);
			if (group > 1) { /* a run the merge pass folds into a map */
				sb_printf(&sb, ", src: 10.9.%u.%u, proto: tcp, dport: %u}\n", i / 250,
					  i % 250, 22 + rnd(3));
				continue;
			}
			bool addr = false;
			if (rnd(3) == 0)
				sb_printf(&sb, ", src: %s", rnd(2) ? "\"@nets\"" : v4[rnd(4)]), addr = true;
			if (rnd(4) == 0)
				sb_printf(&sb, ", dst: [\"%s\", %s]", v6[rnd(3)], v4[rnd(4)]), addr = true;
			switch (rnd(4)) {
			case 0:
				sb_printf(&sb, ", proto: %s, dport: %s", protos[rnd(4)],
					  rnd(2) ? "\"@svc\"" : ports[rnd(5)]);
				if (rnd(3) == 0)
					sb_printf(&sb, ", sport: [%s, %s]", ports[rnd(5)], ports[rnd(5)]);
				break;
			case 1:
				sb_puts(&sb, rnd(2) || addr ? ", proto: icmp, icmp-type: [echo-request, 13]"
							    : ", proto: icmpv6, icmp-type: echo-request");
				break;
			case 2:
				sb_puts(&sb, ", proto: [tcp, udp, icmp]");
				break;
			default:
				break;
			}
			if (chain != 2 && rnd(4) == 0)
				sb_puts(&sb, rnd(2) ? ", iif: [eth0, wg*]" : ", iif: eth1");
			if (chain != 0 && rnd(5) == 0)
				sb_puts(&sb, ", oif: [eth2, eth3]");
			if (rnd(3) == 0)
				sb_printf(&sb, ", log: %s", logs[rnd(5)]);
			else if (rnd(3) == 0 && !streq(act, "accept"))
				sb_printf(&sb, ", log: %s", nflogs[rnd(4)]);
			sb_puts(&sb, "}\n");
		}
		i--;
	}
	return sb_take(&sb);
}

START_TEST(random_policies)
{
	struct stats st = { 0 };
	struct srcdir d = { "." };

	for (int k = 0; k < 40; k++) {
		_cleanup_free_ char *yaml = random_policy();
		_cleanup_free_ char *name = xasprintf("random-%d.yml", k);
		one_policy(&st, name, yaml, strlen(yaml), &d, 40);
	}
	print_stats("random policies", &st);
	for (int c = 0; c < MC_N; c++)
		ck_assert_msg(st.tried[c] > 0, "no %s mutation tried", mclass_name[c]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("verify_prop");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tree_policies);
	tcase_add_test(tc, random_policies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
