// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply --revoke: the conntrack entries the new policy no longer admits,
 * ended through the helper, counted per deciding rule (revoke.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "revoke.h"
#include "vigil/explain.h"
#include "vigil/ival.h"
#include "vigil/names.h"
#include "vigil/revoke.h"

enum { CUT = REVOKE_CUT, GONE = REVOKE_GONE, FAILED = REVOKE_FAILED };

/* The deletes of v[0..n), one request; st[i] becomes GONE for an entry
 * that was gone already, FAILED for one that could not be deleted. */
static int delete_chunk(struct psep *p, const struct revoke_entry *v, size_t n, uint8_t *st)
{
	struct strbuf sb = { 0 };
	struct psep_reply rep;
	struct nl_result res;
	char why[256] = "";
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = revoke_build_delete(&v[i], (uint32_t)i + 1, &sb);
	if (r < 0) {
		sb_free(&sb);
		cli_error("cannot build the conntrack deletes: %s", strerror(-r));
		return -1;
	}
	psep_call(p, PSEP_REQ_CT_DELETE, sb.s, sb.len, &rep);
	sb_free(&sb);
	r = psep_reply_to_result(&rep, &res, why, sizeof(why));
	if (r < 0) {
		cli_error("%s%s", r == -EPERM ? "the commit helper refused the conntrack deletes: " : "",
			  why);
		return -1;
	}
	for (size_t i = 0; i < res.n; i++) {
		uint32_t k = res.errs[i].seq;
		if (k < 1 || k > n)
			continue;
		st[k - 1] = res.errs[i].error == -ENOENT ? GONE : FAILED;
		if (res.errs[i].error != -ENOENT)
			cli_warn("cannot delete the conntrack entry of connection %zu: %s", (size_t)k,
				 strerror(-res.errs[i].error));
	}
	nl_result_free(&res);
	return 0;
}

static void report(const struct revoke_plan *pl, const uint8_t *st, bool dry)
{
	struct strbuf sb = { 0 };

	revoke_summary(pl, st, dry, &sb);
	printf("%s\n", sb.s);
	for (size_t i = 0; i < pl->n; i++) {
		if (st[i] != CUT)
			continue;
		sb.len = 0;
		revoke_format_tuple(&pl->v[i], &sb);
		printf("  %s %s  (%s: %s)\n", dry ? "would cut" : "cut", sb.s,
		       ir_verdict_word(pl->v[i].verdict), pl->v[i].decided);
	}
	sb_free(&sb);
}

int cli_revoke(struct psep *p, const struct lockout_ctx *lk, const struct policy *pol,
	       const struct ir_table *t, bool dry, bool quiet)
{
	struct psep_reply rep;
	struct revoke_plan pl;
	uint8_t *st;
	int r, code = EXIT_OK;

	psep_call(p, PSEP_REQ_CT_DUMP, NULL, 0, &rep);
	if (rep.status < 0 || rep.u.dump.status < 0) {
		cli_error("revoke: cannot read the conntrack table: %s",
			  rep.status < 0 ? rep.why : rep.u.dump.why);
		psep_reply_free(&rep);
		return EXIT_SYSTEM;
	}
	r = revoke_judge(rep.extra, rep.extra_len, pol, t, lk->locals, lk->nlocals, &pl);
	psep_reply_free(&rep);
	if (r < 0) {
		cli_error("revoke: %s: nothing was cut",
			  r == -EPROTO ? "the compiled table and the policy disagree on a connection (a vigild bug)"
				       : "the conntrack table's dump is malformed");
		revoke_plan_free(&pl);
		return EXIT_SYSTEM;
	}
	st = xzalloc(pl.n ? pl.n : 1);
	for (size_t i = 0; !dry && i < pl.n; i += REVOKE_MAX_PER_REQUEST) {
		size_t k = pl.n - i < REVOKE_MAX_PER_REQUEST ? pl.n - i : REVOKE_MAX_PER_REQUEST;
		if (delete_chunk(p, pl.v + i, k, st + i) < 0) {
			memset(st + i, FAILED, pl.n - i);
			break;
		}
	}
	for (size_t i = 0; i < pl.n; i++)
		if (st[i] == FAILED)
			code = EXIT_SYSTEM;
	if (!quiet || code != EXIT_OK)
		report(&pl, st, dry);
	free(st);
	revoke_plan_free(&pl);
	return code;
}
