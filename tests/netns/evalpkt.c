// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * evalpkt: the netns sample of the decision trees (tests/netns/dispatch.sh;
 * not installed). The topology is dispatch.sh's: the host's interfaces vd0,
 * vd1 and ve2, on 10.70.K.1/24 and fd70:K::1/64, K = 0, 1, 2; the client
 * sends from 10.70.K.2, 10.70.K.3, fd70:K::2 and fd70:K::3; the host serves
 * TCP and UDP on 7000-7023.
 *
 *   evalpkt policy SEED
 *	Prints a random policy (tests/unit/randpol.c, input chain, TCP and
 *	UDP, the topology's interfaces and addresses) of 30 to 60 rules.
 *
 *   evalpkt packets POLICY SEED N
 *	Compiles POLICY as vigild does, fails (exit 1) unless its input chain
 *	is a decision tree, and prints N random packets, one a line:
 *	    PROTO SRC DST DPORT IFACE VERDICT RULE LEAF
 *	VERDICT accept|drop|reject and RULE (the deciding policy rule's name,
 *	or "-" for the chain's default) as ir_eval finds them in the compiled
 *	table, LEAF 1 when a chain of the tree decided; exit 1 if the policy
 *	as written (ir_eval_policy) says otherwise for any packet.
 *
 *   evalpkt walk [--linear] POLICY SRC IIF
 *	For bench/packets: the kernel rules a new UDP flow from SRC (IPv4)
 *	on IIF walks in the input chain, for each destination port 1024-65535
 *	(what bench/udpflood sends): prints "mean MEAN max MAX worst WORST"
 *	(WORST: ir_worst_path). --linear compiles without decision trees.
 *
 *   evalpkt pair SEED A B
 *	Writes a random policy of every shape (not the topology's: 2 to 14
 *	rules, every chain) to file A and a small change of it (randpol_mutate)
 *	to file B, for delta.sh.
 *
 *   evalpkt show-linear POLICY
 *	Prints `vigild show` of POLICY compiled without decision trees (the
 *	same policy as linear chains, merging as usual), for bench/packets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/randpol.h"
#include "vigil/eval.h"
#include "vigil/ir.h"
#include "vigil/render.h"

static const char *const ifaces[] = { "vd0", "vd1", "ve2" };
static const char *const src4[] = { "10.70.0.2", "10.70.0.3", "10.70.1.2", "10.70.1.3",
				     "10.70.2.2", "10.70.2.3" };
static const char *const src6[] = { "fd70:0::2", "fd70:0::3", "fd70:1::2", "fd70:1::3",
				     "fd70:2::2", "fd70:2::3" };

static const struct randpol_opts opts = {
	.min_rules = 30, .max_rules = 60, .netns = true,
	.ifaces = ifaces, .nifaces = 3,
	.src4 = src4, .src6 = src6, .nsrc4 = 6, .nsrc6 = 6,
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n;

	if (!f)
		return NULL;
	*len = 0;
	do {
		buf = xrealloc(buf, cap += 65536);
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0 && *len == cap);
	fclose(f);
	return buf;
}

static const char *verdict_word(enum ir_verdict v)
{
	return v == IV_ACCEPT ? "accept" : v == IV_REJECT ? "reject" : "drop";
}

/* Set files are not read: the sample and the benchmarks use none. */
static int load(const char *path, bool linear, struct policy *pol, struct ir_table *t)
{
	/* the linear form is the policy as one would write it by hand for
	 * nft -f: no trees, lists inline */
	struct ir_opts o = { .dispatch_min = linear ? SIZE_MAX : 0,
			     .share_lists_min = linear ? SIZE_MAX : 0 };
	struct diags d = { 0 };
	size_t len;
	char *buf = slurp(path, &len);

	if (!buf) {
		perror(path);
		return 2;
	}
	if (policy_compile_buffer(path, buf, len, NULL, pol, &d) < 0) {
		fprintf(stderr, "%s does not compile\n", path);
		return 1;
	}
	diags_free(&d);
	free(buf);
	ir_compile(pol, &o, t);
	return 0;
}

static int walk(const char *path, bool linear, const char *src, const char *iif)
{
	struct policy pol;
	struct ir_table t;
	struct ir_pkt p = { .family = 4, .l4proto = 17, .sport = 30000 };
	enum addr_family f;
	struct ival iv;
	const char *why;
	unsigned long sum = 0, max = 0, n = 0;
	int r = load(path, linear, &pol, &t);

	if (r)
		return r;
	if (addr_parse(src, &f, &iv, &why) < 0 || f != AF_V4)
		return 2;
	p.saddr = iv.lo;
	snprintf(p.iif, sizeof(p.iif), "%s", iif);
	for (unsigned port = 1024; port <= 65535; port++) {
		struct ir_outcome o;
		p.dport = (uint16_t)port;
		if (ir_eval(&t, CH_INPUT, &p, &o))
			return 1;
		sum += o.walked;
		max = o.walked > max ? o.walked : max;
		n++;
	}
	printf("mean %.1f max %lu worst %zu\n", (double)sum / (double)n, max, t.worst[CH_INPUT]);
	ir_table_free(&t);
	policy_free(&pol);
	return 0;
}

static int show_linear(const char *path)
{
	struct policy pol;
	struct ir_table t;
	struct strbuf sb = { 0 };
	int r = load(path, true, &pol, &t);

	if (r)
		return r;
	render_table(&sb, &t, &pol);
	fwrite(sb.s, 1, sb.len, stdout);
	sb_free(&sb);
	ir_table_free(&t);
	policy_free(&pol);
	return 0;
}

static int packets(const char *path, unsigned seed, unsigned n)
{
	struct policy pol;
	struct ir_table t;
	bool tree = false;
	int r = load(path, false, &pol, &t);

	if (r)
		return r;
	for (size_t i = 0; i < t.chains[CH_INPUT].n; i++) {
		const struct ir_rule *r = &t.chains[CH_INPUT].rules[i];
		tree |= r->nm == 1 && r->m[0].op == OP_VMAP && r->m[0].set->jump;
	}
	if (!tree) {
		fprintf(stderr, "%s: the input chain is not a decision tree\n", path);
		return 1;
	}
	for (unsigned k = 0; k < n; k++) {
		struct ir_pkt p;
		struct ir_outcome a, b;
		char s[64], dst[64];
		unsigned ifx;

		randpol_packet(&seed, &opts, &p);
		if (ir_eval(&t, CH_INPUT, &p, &a) || ir_eval_policy(&pol, CH_INPUT, &p, &b))
			return 1;
		if (a.verdict != b.verdict || a.origin != b.origin || a.policy != b.policy) {
			fprintf(stderr, "%s: the tree and the policy disagree\n", randpol_pkt_str(&p));
			return 1;
		}
		ifx = (unsigned)(p.iif[2] - '0');
		addr_format(p.family == 4 ? AF_V4 : AF_V6, p.saddr, s, sizeof(s));
		snprintf(dst, sizeof(dst), p.family == 4 ? "10.70.%u.1" : "fd70:%u::1", ifx);
		printf("%s %s %s %u %s %s %s %d\n", p.l4proto == 6 ? "tcp" : "udp", s, dst, p.dport,
		       p.iif, verdict_word(a.verdict), a.policy ? "-" : a.comment,
		       !a.policy && a.chain >= CH_MAX &&
			       strncmp(t.chains[a.chain].name, "dispatch.", 9) == 0);
	}
	ir_table_free(&t);
	policy_free(&pol);
	return 0;
}

/* a policy and a small change of it, for incremental apply (delta.sh) */
static int pair(unsigned seed, const char *a, const char *b)
{
	static const struct randpol_opts any = { .min_rules = 2, .max_rules = 14 };
	char *y = randpol_policy(&seed, &any), *z = randpol_mutate(&seed, y, &any);
	FILE *fa = fopen(a, "w"), *fb = fopen(b, "w");
	int r = fa && fb && fputs(y, fa) >= 0 && fputs(z, fb) >= 0 ? 0 : 1;

	if (fa && fclose(fa))
		r = 1;
	if (fb && fclose(fb))
		r = 1;
	free(y);
	free(z);
	return r;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "pair") == 0)
		return pair((unsigned)strtoul(argv[2], NULL, 10), argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "policy") == 0) {
		unsigned seed = (unsigned)strtoul(argv[2], NULL, 10);
		char *y = randpol_policy(&seed, &opts);
		fputs(y, stdout);
		free(y);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "show-linear") == 0)
		return show_linear(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "walk") == 0) {
		bool lin = argc == 6 && strcmp(argv[2], "--linear") == 0;
		if (argc == 5 || lin)
			return walk(argv[argc - 3], lin, argv[argc - 2], argv[argc - 1]);
	}
	if (argc == 5 && strcmp(argv[1], "packets") == 0)
		return packets(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
			       (unsigned)strtoul(argv[4], NULL, 10));
	fputs("usage: evalpkt policy SEED | evalpkt packets POLICY SEED N | evalpkt pair SEED A B |\n"
	      "       evalpkt walk [--linear] POLICY SRC IIF | evalpkt show-linear POLICY\n", stderr);
	return 2;
}
