// SPDX-License-Identifier: GPL-2.0-or-later
/* kerr: kernel errors mapped back to the policy through batch seqs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>

#include "unit.h"
#include "vigil/kerr.h"
#include "vigil/nftc.h"
#include "vigil/util.h"

static const char policy_text[] =
	"version: 1\n"
	"sets:\n"
	"  admins: {type: cidr, elements: [192.0.2.0/24, \"2001:db8::/32\"]}\n"
	"  web: {type: port, elements: [80, 443]}\n"
	"rules:\n"
	"  - name: ssh\n"
	"    chain: input\n"
	"    proto: tcp\n"
	"    src: \"@admins\"\n"
	"    dport: 22\n"
	"    action: accept\n"
	"  - {name: web, chain: input, proto: tcp, dport: [\"@web\", 8080, 8443], "
	"action: accept}\n";

struct fixture {
	struct policy pol;
	struct ir_table t;
	struct batch b;
};

static void setup(struct fixture *f)
{
	compile_text(policy_text, NULL, &f->pol, &f->t);
	batch_init(&f->b, 5000);
	nftc_build_replace(&f->t, &f->b);
}

static void teardown(struct fixture *f)
{
	batch_free(&f->b);
	ir_table_free(&f->t);
	policy_free(&f->pol);
}

/* The seq of the n-th (0-based) message of `type` whose origin is as given. */
static uint32_t seq_of(const struct batch *b, uint16_t type, int rule, int set, int nth)
{
	for (size_t i = 0; i < b->nmsgs; i++) {
		const struct batch_msg *m = &b->msgs[i];
		if ((m->type & 0xff) == type && m->origin_rule == rule && m->origin_set == set &&
		    nth-- == 0)
			return m->seq;
	}
	ck_abort_msg("no message of type %u for rule %d set %d", type, rule, set);
	return 0;
}

static char *format(const struct nl_err *errs, size_t n, bool lost, const struct batch *b,
		    const struct policy *pol)
{
	struct nl_result res = { .errs = (struct nl_err *)errs, .n = n, .lost = lost };
	struct strbuf sb = { 0 };

	kerr_format(&sb, &res, b, pol, "vigild");
	return sb_take(&sb);
}

START_TEST(rule_error)
{
	struct fixture f;
	struct nl_err e = { .error = -EINVAL };
	_cleanup_free_ char *out = NULL;

	setup(&f);
	e.seq = seq_of(&f.b, NFT_MSG_NEWRULE, 0, -1, 1); /* the IPv6 part of ssh */
	snprintf(e.msg, sizeof(e.msg), "%s", "Invalid payload");
	out = format(&e, 1, false, &f.b, &f.pol);
	ck_assert_str_eq(out, "p.yml:6:5: error: rule 'ssh': the kernel rejected rule ssh in chain "
			      "input: Invalid argument (kernel: Invalid payload)\n");
	free(out);

	/* the anonymous set of rule web names the rule; the flow-style
	 * mapping starts at its '{' */
	e.seq = seq_of(&f.b, NFT_MSG_NEWSET, 1, -1, 0);
	e.error = -ENOMEM;
	e.msg[0] = '\0';
	out = format(&e, 1, false, &f.b, &f.pol);
	ck_assert_str_eq(out, "p.yml:12:5: error: rule 'web': the kernel rejected set anonymous "
			      "set: Cannot allocate memory\n");
	teardown(&f);
}
END_TEST

START_TEST(set_error)
{
	struct fixture f;
	struct nl_err e[2] = { { .error = -EEXIST }, { .error = -E2BIG } };
	_cleanup_free_ char *out = NULL;

	setup(&f);
	/* an element message of admins_v6, and the port set's NEWSET */
	e[0].seq = seq_of(&f.b, NFT_MSG_NEWSETELEM, -1, 0, 1);
	e[1].seq = seq_of(&f.b, NFT_MSG_NEWSET, -1, 1, 0);
	out = format(e, 2, false, &f.b, &f.pol);
	ck_assert_str_eq(out,
			 "p.yml:3:3: error: set 'admins': the kernel rejected elements of set "
			 "admins_v6: File exists\n"
			 "p.yml:4:3: error: set 'web': the kernel rejected set web: Argument list "
			 "too long\n");
	teardown(&f);
}
END_TEST

START_TEST(other_messages)
{
	struct fixture f;
	struct nl_err e[4] = { { .error = -ERESTART }, { .error = -ENOENT },
			       { .error = -EBUSY }, { .error = -EINVAL } };
	_cleanup_free_ char *out = NULL;

	setup(&f);
	e[0].seq = f.b.msgs[0].seq;                      /* BEGIN: generation changed */
	e[1].seq = seq_of(&f.b, NFT_MSG_NEWCHAIN, -1, -1, 2);
	e[2].seq = seq_of(&f.b, NFT_MSG_NEWRULE, -1, -1, 0); /* a built-in rule */
	e[3].seq = 4999;                                  /* not ours */
	out = format(e, 4, true, &f.b, &f.pol);
	ck_assert_str_eq(out,
			 /* ERESTART on the batch begin: the generation check */
			 "vigild: error: the ruleset changed while the change was prepared "
			 "(generation check): nothing was committed\n"
			 "vigild: error: the kernel rejected chain output: No such file or "
			 "directory\n"
			 "vigild: error: the kernel rejected rule vigil:established in chain "
			 "input: "
			 "Device or resource busy\n"
			 "vigild: error: the kernel rejected message 4999 of the batch: Invalid "
			 "argument\n"
			 "vigild: error: some of the kernel's replies were lost (receive buffer "
			 "full); "
			 "nothing was committed only if an error is shown above\n");
	free(out);

	/* without a policy, rule errors have no place but still a name */
	e[0].seq = seq_of(&f.b, NFT_MSG_NEWRULE, 0, -1, 0);
	e[0].error = -EINVAL;
	out = format(e, 1, false, &f.b, NULL);
	ck_assert_str_eq(out, "vigild: error: the kernel rejected rule ssh in chain input: Invalid "
			      "argument\n");
	teardown(&f);
}
END_TEST

START_TEST(eperm_once)
{
	struct fixture f;
	struct nl_err e[3] = { { .error = -EPERM }, { .error = -EPERM }, { .error = -EPERM } };
	_cleanup_free_ char *out = NULL;

	setup(&f);
	for (int i = 0; i < 3; i++)
		e[i].seq = f.b.msgs[i + 1].seq;
	out = format(e, 3, false, &f.b, &f.pol);
	ck_assert_str_eq(out, "vigild: error: the kernel refused the change: Operation not "
			      "permitted; the table is probably owned by another process (nft "
			      "table flag 'owner'), which alone may change or delete it\n");
	teardown(&f);
}
END_TEST

START_TEST(absurd_error)
{
	struct fixture f;
	struct nl_err e = { .error = INT_MIN };
	_cleanup_free_ char *out = NULL;

	/* nlreply never produces this, but kerr must not trust it either */
	setup(&f);
	e.seq = f.b.msgs[1].seq;
	out = format(&e, 1, false, &f.b, &f.pol);
	ck_assert_msg(strstr(out, "vigild: error: the kernel rejected add table inet vigil: "),
		      "%s", out);
	teardown(&f);
}
END_TEST

START_TEST(nothing)
{
	struct fixture f;
	_cleanup_free_ char *out = NULL;

	setup(&f);
	out = format(NULL, 0, false, &f.b, &f.pol);
	ck_assert_str_eq(out, "");
	teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kerr");
	TCase *tc = tcase_create("kerr");

	tcase_add_test(tc, rule_error);
	tcase_add_test(tc, set_error);
	tcase_add_test(tc, other_messages);
	tcase_add_test(tc, eperm_once);
	tcase_add_test(tc, absurd_error);
	tcase_add_test(tc, nothing);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
