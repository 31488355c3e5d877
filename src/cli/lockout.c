// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lockout precheck of vigild apply: would the new policy still let the
 * caller's own session (SSH_CONNECTION) and the established inbound TCP
 * connections in conntrack be opened again? A connection lives on its
 * conntrack entry only until that expires or is flushed; then its next
 * packet is a new connection, and the policy decides.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockout.h"
#include "vigil/explain.h"
#include "vigil/fileio.h"
#include "vigil/localaddr.h"
#include "vigil/plan.h"

void lockout_gather(struct lockout_ctx *lk)
{
	const char *env = getenv("SSH_CONNECTION");

	memset(lk, 0, sizeof(*lk));
	if (env && *env)
		lk->ssh = xstrdup(env);
	localaddr_read(&lk->locals, &lk->nlocals);
}

void lockout_free(struct lockout_ctx *lk)
{
	free(lk->locals);
	free(lk->ssh);
	memset(lk, 0, sizeof(*lk));
}

static void addr_str(const struct ir_pkt *p, bool src, char *buf, size_t len)
{
	addr_format(p->family == 4 ? AF_V4 : AF_V6, src ? p->saddr : p->daddr, buf, len);
}

/* One session the policy would refuse: the message. */
static void say_refused(const struct lockout_session *s, const struct policy *pol,
			const struct ir_outcome *o, bool refuse)
{
	struct strbuf why = { 0 };
	char client[64];

	addr_str(&s->p, true, client, sizeof(client));
	ir_outcome_format(&why, pol, CH_INPUT, o);
	if (s->ssh)
		(refuse ? cli_error : cli_warn)(
			"this policy would refuse new connections from %s to tcp/%u, which your session uses (%s: %s)",
			client, s->p.dport, ir_verdict_word(o->verdict), why.s);
	else
		(refuse ? cli_error : cli_warn)(
			"this policy would refuse new connections from %s to tcp/%u, which %u established connection%s use%s (%s: %s)",
			client, s->p.dport, s->count, s->count == 1 ? "" : "s", s->count == 1 ? "s" : "",
			ir_verdict_word(o->verdict), why.s);
	sb_free(&why);
}

/* The conntrack entries, asked of the helper; a failure is only a warning. */
static void ct_sessions(struct psep *p, const struct lockout_ctx *lk, struct lockout_session **v,
			size_t *n, size_t *cap)
{
	struct psep_reply rep;

	psep_call(p, PSEP_REQ_CT_DUMP, NULL, 0, &rep);
	if (rep.status < 0 || rep.u.dump.status < 0) {
		cli_warn("cannot read the conntrack table (%s): only SSH_CONNECTION is checked",
			 rep.status < 0 ? rep.why : rep.u.dump.why);
	} else if (lockout_from_ct(rep.extra, rep.extra_len, lk->locals, lk->nlocals, v, n, cap) < 0) {
		cli_warn("the conntrack table's dump is malformed: only SSH_CONNECTION is checked");
	}
	psep_reply_free(&rep);
}

int lockout_precheck(struct psep *p, const struct lockout_ctx *lk, const struct policy *pol,
		     const struct ir_table *t, bool refuse)
{
	struct lockout_session *v = NULL;
	size_t n = 0, cap = 0, bad = 0;
	struct ir_outcome o;

	if (lk->ssh) {
		GROW(v, cap, 1);
		if (lockout_ssh_parse(lk->ssh, lk->locals, lk->nlocals, &v[0]) == 0)
			n = 1;
		else
			cli_warn("SSH_CONNECTION='%s' is not 'CLIENT PORT SERVER PORT': not checked", lk->ssh);
	}
	if (p)
		ct_sessions(p, lk, &v, &n, &cap);
	for (size_t i = 0; i < n; i++) {
		int r = ir_explain(pol, t, CH_INPUT, &v[i].p, &o);
		if (r == 0 && o.verdict == IV_ACCEPT)
			continue;
		if (r < 0) {
			cli_warn("cannot evaluate a session against the policy: %s", strerror(-r));
			continue;
		}
		bool no = refuse && (v[i].ssh || !lk->revoking);
		say_refused(&v[i], pol, &o, no);
		bad += no;
	}
	/* replies of every connection: the built-in rule, unless something
	 * before it decides */
	if (n) {
		struct ir_pkt est = v[0].p;
		est.ct = IR_CT_ESTABLISHED;
		if (ir_explain(pol, t, CH_INPUT, &est, &o) == 0 && o.verdict != IV_ACCEPT)
			cli_warn("established connections are not accepted in chain input: every existing connection would die");
	}
	free(v);
	if (bad && refuse) {
		fprintf(stderr, "%s: nothing was changed; to apply it anyway: --confirm TIME (rolled back unless confirmed) or --force\n",
			program_name);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

void lockout_warn_after_watch(const char *path, const char *table)
{
	struct lockout_ctx lk;
	struct policy_src src;
	struct plan pl;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	lockout_gather(&lk);
	if (!lk.ssh || policy_src_open(path, &src) != EXIT_OK) {
		lockout_free(&lk);
		return;
	}
	struct policy_opts po = { .table = table, .read_file = cli_read_set_file, .read_ctx = &src };
	memset(&pl, 0, sizeof(pl));
	/* the watch printed the policy's diagnostics already: none here */
	if (cli_drop_if_root() == EXIT_OK && read_fd(src.fd, POLICY_MAX_FILE, &buf, &len) == 0 &&
	    plan_compile(&pl, src.path, buf, len, &po, &opt_limits) == 0)
		lockout_precheck(NULL, &lk, &pl.pol, &pl.t, false);
	plan_free(&pl);
	policy_src_close(&src);
	lockout_free(&lk);
}
