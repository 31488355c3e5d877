// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild apply / vigild remove: the one-shot verbs that change the kernel.
 *
 * Order matters: open what needs privilege (the policy file, the state and
 * run directories), start the commit helper, drop every capability, and
 * only then read YAML (psep_setup).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <string.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "cli.h"
#include "apply_delta.h"
#include "vigil/dynset.h"
#include "vigil/fileio.h"
#include "vigil/log.h"
#include "vigil/nftc.h"
#include "vigil/num.h"
#include "vigil/plan.h"
#include "vigil/psep.h"
#include "vigil/state.h"
#include "confirm.h"
#include "lockout.h"
#include "replay.h"
#include "revoke.h"

#define GENID_TRIES 4

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t first_seq(void)
{
	/* unique, non-zero: replies to an earlier batch cannot match ours */
	return (uint32_t)time(NULL) << 8 | 1u;
}

struct priv {
	const char *policy;     /* NULL: remove */
	struct policy_src src;
	int statefd;
	int runfd;              /* the run directory: pending changes; a guard writes there */
	bool confirm;
	struct state_held held[64]; /* tables a running vigild holds */
	size_t nheld;
	struct cli_forwarding fwd;  /* read while privileged (the sandbox opens no more) */
	struct cli_foreign foreign; /* other tables at input and forward, likewise */
	struct lockout_ctx lk;  /* the lockout precheck's addresses and session */
};

static int open_privileged(void *ctx, const struct psep_ids *ids, char *why, size_t whylen)
{
	struct priv *pv = ctx;

	if (pv->policy) {
		if (policy_src_open(pv->policy, &pv->src) != EXIT_OK) {
			snprintf(why, whylen, "%s", "");
			return -ENOENT; /* printed already */
		}
	}
	/* which tables a running vigild watch manages here: read now, as root
	 * (the run directory may be its user's alone) */
	if (pv->confirm) {
		/* the rollback guard (an unprivileged helper) writes in it */
		pv->runfd = state_dir_open(run_dir_path(), ids->uid, ids->gid, 0750, true, why, whylen);
		if (pv->runfd < 0)
			return pv->runfd;
	} else {
		pv->runfd = open(run_dir_path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (pv->runfd >= 0)
		pv->nheld = state_held_locks(pv->runfd, pv->held, ARRAY_SIZE(pv->held));
	cli_forwarding_read(&pv->fwd);
	if (pv->policy) {
		cli_foreign_read(&pv->foreign);
		lockout_gather(&pv->lk); /* getifaddrs needs a socket: before the drop */
	}
	if (pv->policy) {
		char w2[256];
		pv->statefd = state_dir_open(state_dir_path(), ids->uid, ids->gid, 0750, true, w2,
					     sizeof(w2));
		if (pv->statefd < 0)
			cli_warn("%s: the last-known-good policy is not kept", w2);
	}
	return 0;
}

static void priv_close(struct priv *pv)
{
	cli_foreign_free(&pv->foreign);
	if (pv->policy)
		policy_src_close(&pv->src);
	lockout_free(&pv->lk);
	if (pv->runfd >= 0)
		close(pv->runfd);
	if (pv->statefd >= 0)
		close(pv->statefd);
}

/* One writer per table: refused while a vigild watch holds the table's
 * lock (the kernel's table ownership enforces it too, where it has it). */
static int check_lock(const struct priv *pv, const char *table)
{
	for (size_t i = 0; i < pv->nheld; i++)
		if (streq(pv->held[i].table, table)) {
			cli_error("table inet %s is managed by a running vigild (pid %d): nothing was changed; change its policy and run 'vigild reload' (or 'systemctl reload vigild'), or stop it first",
				  table, (int)pv->held[i].pid);
			return -1;
		}
	/* a change waiting for confirmation: its guard would roll back over us */
	struct pending pe;
	if (pv->runfd >= 0 && !pv->confirm && pending_read(pv->runfd, table, &pe) == 0 && pe.alive) {
		cli_error("a change of table inet %s is waiting for confirmation (rollback guard pid %d): 'vigild confirm' or 'vigild rollback' first; nothing was changed",
			  table, (int)pe.pid);
		return -1;
	}
	return 0;
}

/* TABLE_INFO, build with its generation, commit; again when the table
 * changed meanwhile. Prints what went wrong; an exit code. */
static int commit_plan(struct psep *p, struct plan *pl, bool dry, bool own, bool full)
{
	int owned_waits = 0;

	for (int tries = 0;; tries++) {
		struct psep_table_info ti;
		struct nftc_opts o;
		struct nl_result res = { 0 };
		_cleanup_(dynset_list_free) struct dynset_list old = { 0 };
		uint32_t gen = 0;
		char why[256] = "";
		int r = psep_table_info(p, &ti);

		if (r < 0) {
			cli_error("cannot read the state of table inet %s: %s", pl->t.name, strerror(-r));
			return EXIT_SYSTEM;
		}
		if (ti.exists && ti.owned && owned_waits++ < 25) {
			/* no vigild watch holds the table (checked): its owner is
			 * a helper on its way out; its socket goes soon */
			usleep(200000);
			tries--;
			continue;
		}
		if (ti.exists && ti.owned) {
			cli_error("table inet %s is owned by another process, which alone may change it (a running vigild watch?): nothing was changed",
				  pl->t.name);
			return EXIT_SYSTEM;
		}
		psep_plan_opts(p, &ti, own, &o);
		/* a dynamic set's elements (bans) outlive the reload */
		uint64_t t_dump = psep_now_ms();
		if (ti.exists && psep_dyn_dump(p, &old, &gen, why, sizeof(why)) < 0) {
			cli_error("cannot read the dynamic sets of table inet %s: %s", pl->t.name, why);
			return EXIT_SYSTEM;
		}
		if (old.n && plan_keep_dynsets(pl, &old, gen, full, &o) < 0) {
			cli_print_diags(&pl->d);
			return EXIT_INVALID;
		}
		dynset_age(&old, psep_now_ms() - t_dump);
		cli_print_diags(&pl->d); /* --full: the sets that lose their elements */
		diags_free(&pl->d);
		plan_build(pl, &o, first_seq() + (uint32_t)tries * 4096u);
		r = psep_commit(p, pl->b.buf, pl->b.len, dry, &res, why, sizeof(why));
		if (r < 0) {
			cli_error("%s%s", r == -EPERM ? "the commit helper refused the batch: " : "", why);
			return EXIT_SYSTEM;
		}
		if (plan_genid_refused(pl, &res) && tries + 1 < GENID_TRIES) {
			nl_result_free(&res);
			continue;
		}
		r = plan_kernel_answer(pl, &res, program_name);
		nl_result_free(&res);
		if (r < 0) {
			cli_print_diags(&pl->d);
			return EXIT_SYSTEM;
		}
		return EXIT_OK;
	}
}

static void store_lkg(int statefd, struct plan *pl)
{
	struct strbuf sb = { 0 };
	char name[128];
	int r;

	if (statefd < 0)
		return;
	free(pl->input.table);
	pl->input.table = xstrdup(pl->t.name);
	pl->input.time = time(NULL);
	bundle_hash(&pl->input);
	bundle_serialize(&pl->input, &sb);
	state_key(name, sizeof(name), "last-good", pl->t.name);
	r = state_write(statefd, name, sb.s, sb.len, 0600);
	if (r < 0)
		cli_warn("cannot store the last-known-good policy in %s/%s: %s", state_dir_path(), name,
			 strerror(-r));
	sb_free(&sb);
}

static const char apply_usage[] =
	"Usage: vigild apply [OPTIONS] POLICY\n"
	"\n"
	"Compiles POLICY and makes vigild's own nftables table hold it in one\n"
	"atomic NETLINK_NETFILTER batch: the kernel takes all of it or none of it.\n"
	"Over vigild's table only the difference is sent (rules left in place keep\n"
	"their counters); otherwise the table is replaced.\n"
	"Nothing is sent when the policy is invalid. Other tables are not touched.\n"
	"A table a running 'vigild watch' manages is refused (use 'vigild reload').\n"
	"Needs root (CAP_NET_ADMIN): a helper keeps only CAP_NET_ADMIN to commit,\n"
	"the policy is read by a process without any capability.\n"
	"\n"
	"  -t, --table NAME  the table vigild manages (default: the policy's, else\n"
	"                    vigil); a policy naming another table is refused\n"
	"  -u, --user NAME   unprivileged user to run as (default: vigil, else nobody)\n"
	"  -n, --dry-run     let the kernel check the batch, but commit nothing\n"
	"  -c, --confirm TIME\n"
	"                    roll the change back after TIME (seconds, or 5m, 1h; at\n"
	"                    most a day) unless 'vigild confirm' runs first; the\n"
	"                    rollback happens even if this session dies\n"
	"  -f, --force       replace the table even if vigild did not make it, and\n"
	"                    even if the policy would refuse the caller's session\n"
	"      --full        replace the whole table, not only the difference; and\n"
	"                    drop the elements of dynamic sets that this policy makes\n"
	"                    static, removes or changes the type of (without it such\n"
	"                    a change is refused; other dynamic sets keep theirs)\n"
	"  -q, --quiet       print nothing on success\n"
	"      --revoke      after the commit, end the connections in conntrack that\n"
	"                    POLICY would not admit as new (also the policy's\n"
	"                    'revoke: true'); with --dry-run, list them only\n"
	"      --db PATH     the flows database whose last 7 days are replayed\n"
	"                    against the policy, in one line (default: vigild\n"
	"                    watch's, /var/lib/vigil/flows.db, when it exists)\n"
	LIMIT_USAGE;

static bool opt_full;
static bool opt_revoke;
static const char *opt_flows_db;
enum { OPT_APPLY_DB = 0x300, OPT_APPLY_REVOKE };

static int apply_parse(int argc, char **argv, const char **table, bool *force, bool *quiet,
		       bool *dry, unsigned *confirm)
{
	static const struct option opts[] = {
		{ "confirm", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_APPLY_DB },
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "revoke", no_argument, NULL, OPT_APPLY_REVOKE },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "full", no_argument, NULL, 'F' },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		LIMIT_OPTIONS, /* issue 14: amplification caps */
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hqnft:u:c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': {
			uint64_t v;

			if (num_parse_unit(optarg, num_secs_units, 1, 86400, &v) < 0) {
				cli_error("--confirm wants the time to wait for 'vigild confirm', from 1 to 86400 seconds (a day; 90, 90s, 5m, 1h), not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			*confirm = (unsigned)v;
			break;
		}
		case 'h':
			fputs(apply_usage, stdout);
			return EXIT_OK + 100;
		case OPT_APPLY_DB:
			opt_flows_db = optarg;
			break;
		case OPT_APPLY_REVOKE:
			opt_revoke = true;
			break;
		case 'f':
			*force = true;
			break;
		case 'F':
			opt_full = true;
			break;
		case 'q':
			*quiet = true;
			break;
		case 'n':
			*dry = true;
			break;
		case 't':
			*table = optarg;
			break;
		case 'u':
			if (!*optarg) {
				cli_error("--user needs a user name or id");
				return EXIT_USAGE;
			}
			opt_user = optarg;
			break;
		case OPT_MAX_RULES: /* issue 14: amplification caps */
		case OPT_MAX_ELEMS:
			if (cli_limit_option(ch, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		default:
			return cli_bad_option("apply", ch, argv, apply_usage);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s apply: error: expected exactly one POLICY file\n\n%s", program_name,
			apply_usage);
		return EXIT_USAGE;
	}
	if (*table && table_name_problem(*table)) {
		cli_error("invalid table name '%s': %s", *table, table_name_problem(*table));
		return EXIT_USAGE;
	}
	return -1;
}

/* Reads and compiles the opened policy; prints every diagnostic. */
static int apply_compile(struct priv *pv, const char *table, struct plan *pl)
{
	struct policy_opts po = { .table = table, .read_file = cli_read_set_file,
				  .read_ctx = &pv->src, .set_dir = pv->src.dir,
				  .set_dir_is_cwd = pv->src.from_stdin };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	struct passwd *pw = geteuid() ? getpwuid(geteuid()) : NULL;

	if (pw)
		po.as_user = pw->pw_name; /* privileges dropped: say who reads */
	memset(pl, 0, sizeof(*pl));
	r = read_fd(pv->src.fd, POLICY_MAX_FILE, &buf, &len);
	if (r == -EFBIG) {
		fprintf(stderr, "%s:1:1: error: the policy is larger than the limit of %u MiB (load large lists from a set file)\n",
			pv->src.path, POLICY_MAX_FILE >> 20);
		return EXIT_INVALID;
	}
	if (r < 0) {
		fprintf(stderr, "%s: error: cannot read the policy: %s\n", pv->src.path, strerror(-r));
		return EXIT_INVALID;
	}
	r = plan_compile(pl, pv->src.path, buf, len, &po, &opt_limits); /* issue 14: caps */
	cli_print_diags(&pl->d);
	diags_free(&pl->d);
	return r < 0 ? EXIT_INVALID : EXIT_OK;
}

int cmd_apply(int argc, char **argv)
{
	const char *table = NULL;
	bool force = false, quiet = false, dry = false;
	struct priv pv = { .statefd = -1, .runfd = -1 };
	struct psep_setup_opts so = { .verb = "vigild apply", .mode = PSEP_MODE_APPLY,
				      .privileged = open_privileged, .ctx = &pv,
				      .helper_runfd = &pv.runfd };
	struct psep_ids ids;
	struct psep p;
	struct plan pl;
	char why[256] = "", sum[200];
	int r;
	double t0;

	unsigned confirm = 0;

	r = apply_parse(argc, argv, &table, &force, &quiet, &dry, &confirm);
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	log_init("vigild apply");
	t0 = now_ms();
	pv.policy = argv[optind];
	pv.confirm = confirm > 0;
	if (confirm && dry) {
		cli_error("--confirm and --dry-run: a dry run commits nothing to confirm");
		return EXIT_USAGE;
	}
	/* a watch manages the table: the change goes through it */
	if (confirm && (r = confirm_via_watch(pv.policy, table, confirm, quiet)) >= 0) {
		if (r == EXIT_OK)
			lockout_warn_after_watch(pv.policy, table);
		if (r == EXIT_OK && opt_revoke)
			cli_warn("--revoke: the running watch took the change; it revokes only when the policy says 'revoke: true'");
		return r;
	}
	/* only a helper that may become a rollback guard gets the run
	 * directory (and with it the guard's system calls) */
	if (!confirm)
		so.helper_runfd = NULL;
	/* the rollback guard outlives this terminal: it logs to the journal */
	int logfd = confirm ? sd_journal_stream_fd("vigild", LOG_INFO, 1) : -1;
	so.helper_logfd = &logfd;
	so.force = force;
	so.user = opt_user;
	so.rw_dirs[0] = state_dir_path();
	so.rw_dirs[1] = run_dir_path();
	r = psep_setup(&so, &p, &ids, why, sizeof(why));
	if (logfd >= 0)
		close(logfd);
	if (r < 0) {
		if (why[0])
			cli_error("%s", why);
		priv_close(&pv);
		return r == -ENOENT && !why[0] ? EXIT_INVALID : EXIT_SYSTEM;
	}
	/* from here on: no capabilities */
	r = apply_compile(&pv, table, &pl);
	if (r == EXIT_OK && psep_set_table(&p, pl.t.name, why, sizeof(why)) < 0) {
		cli_error("cannot give the helper its table: %s", why);
		r = EXIT_SYSTEM;
	}
	if (r == EXIT_OK && check_lock(&pv, pl.t.name) < 0)
		r = EXIT_SYSTEM;
	if (r == EXIT_OK) {
		cli_forwarding_warn(&pv.fwd, &pl.pol);
		cli_foreign_warn(&pv.foreign, &pl.pol, pl.t.name);
	}
	/* would the caller's own session survive? (a dry run only warns;
	 * --confirm brings the old ruleset back by itself) */
	pv.lk.revoking = opt_revoke || pl.pol.revoke;
	if (r == EXIT_OK)
		r = lockout_precheck(&p, &pv.lk, &pl.pol, &pl.t, !force && !confirm && !dry);
	/* what the recorded traffic says of the new policy (one line) */
	if (r == EXIT_OK && !quiet)
		replay_apply_summary(opt_flows_db, &pl.pol, &pl.t, pv.lk.locals, pv.lk.nlocals);
	/* --confirm: the way back is ready (and guarded) before the change */
	bool armed = false;
	if (r == EXIT_OK && confirm)
		armed = (r = confirm_arm(&p, pv.runfd, pl.t.name, pv.src.path, confirm)) == EXIT_OK;
	/* incrementally where the table allows it (not --full, not a dry run) */
	struct apply_delta ad = { 0 };
	bool inc = false;
	if (r == EXIT_OK && !dry && !opt_full)
		inc = apply_delta(&p, &pl, first_seq(), &ad) == 0;
	if (r == EXIT_OK && !inc)
		r = commit_plan(&p, &pl, dry, false, opt_full);
	if (r != EXIT_OK && armed)
		confirm_disarm(&p);
	/* the last-known-good is what was confirmed, not what waits */
	if (r == EXIT_OK && !dry && !confirm)
		store_lkg(pv.statefd, &pl);
	if (pl.compiled)
		plan_summary(&pl, sum, sizeof(sum));
	if (r == EXIT_OK && !quiet && dry)
		printf("checked %s: the kernel accepts %s (nothing was committed)\n", pv.src.path, sum);
	else if (r == EXIT_OK && !quiet)
		apply_delta_print(pv.src.path, sum, inc, &ad, now_ms() - t0, pl.genid);
	/* revoke: what the new policy would not admit ends now (a dry run
	 * only says what) */
	int rv = EXIT_OK;
	if (r == EXIT_OK && (opt_revoke || pl.pol.revoke))
		rv = cli_revoke(&p, &pv.lk, &pl.pol, &pl.t, dry, quiet);
	if (r == EXIT_OK && confirm) {
		char when[32];
		time_t t = time(NULL) + (time_t)confirm;

		strftime(when, sizeof(when), "%H:%M:%S UTC", gmtime(&t));
		printf("confirm within %u s (by %s) with 'vigild confirm', or the previous ruleset comes back (at once: 'vigild rollback')\n",
		       confirm, when);
	}
	else if (r == EXIT_SYSTEM && !dry)
		fprintf(stderr, "%s: nothing was changed: the kernel keeps its previous ruleset\n",
			pv.src.path);
	plan_free(&pl);
	priv_close(&pv);
	/* an armed helper goes on as the rollback guard: do not wait for it */
	psep_stop(&p, !(r == EXIT_OK && confirm));
	return r == EXIT_OK ? rv : r;
}

static const char remove_usage[] =
	"Usage: vigild remove [OPTIONS]\n"
	"\n"
	"Deletes vigild's table (family inet) and nothing else. Needs root\n"
	"(CAP_NET_ADMIN). A table a running 'vigild watch' manages is refused.\n"
	"\n"
	"  -t, --table NAME  the table to delete (default: vigil)\n"
	"  -f, --force       delete the table even if vigild did not make it\n"
	"  -u, --user NAME   unprivileged user to run as (default: vigil, else nobody)\n"
	"  -q, --quiet       print nothing on success\n";

int cmd_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *table = "vigil";
	struct priv pv = { .statefd = -1, .runfd = -1 };
	struct psep_setup_opts so = { .verb = "vigild remove", .mode = PSEP_MODE_REMOVE,
				      .privileged = open_privileged, .ctx = &pv };
	struct nl_result res = { 0 };
	struct psep_table_info ti;
	struct nftc_opts o;
	struct psep_ids ids;
	char why[256] = "";
	bool quiet = false;
	struct psep p;
	struct batch b;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:u:qf", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(remove_usage, stdout);
			return EXIT_OK;
		case 'f':
			so.force = true;
			break;
		case 't':
			table = optarg;
			break;
		case 'u':
			if (!*optarg) {
				cli_error("--user needs a user name or id");
				return EXIT_USAGE;
			}
			opt_user = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return cli_bad_option("remove", ch, argv, remove_usage);
		}
	}
	if (argc != optind) {
		fprintf(stderr, "%s remove: error: unexpected argument '%s'\n\n%s", program_name,
			argv[optind], remove_usage);
		return EXIT_USAGE;
	}
	if (table_name_problem(table)) {
		cli_error("invalid table name '%s': %s", table, table_name_problem(table));
		return EXIT_USAGE;
	}
	so.table = table;
	so.user = opt_user;
	so.rw_dirs[0] = state_dir_path();
	so.rw_dirs[1] = run_dir_path();
	r = psep_setup(&so, &p, &ids, why, sizeof(why));
	if (r < 0) {
		cli_error("%s", why);
		priv_close(&pv);
		return EXIT_SYSTEM;
	}
	if (check_lock(&pv, table) < 0) {
		priv_close(&pv);
		psep_stop(&p, true);
		return EXIT_SYSTEM;
	}
	r = psep_table_info(&p, &ti);
	if (r == 0 && !ti.exists) {
		if (!quiet)
			printf("table inet %s does not exist: nothing to remove\n", table);
		r = EXIT_OK;
		goto out;
	}
	if (r < 0) {
		cli_error("cannot read the state of table inet %s: %s", table, strerror(-r));
		r = EXIT_SYSTEM;
		goto out;
	}
	psep_plan_opts(&p, &ti, false, &o);
	batch_init(&b, first_seq());
	nftc_build_delete_opts(table, &o, &b);
	r = psep_commit(&p, b.buf, b.len, false, &res, why, sizeof(why));
	if (r < 0) {
		cli_error("%s%s", r == -EPERM ? "the commit helper refused the batch: " : "", why);
		r = EXIT_SYSTEM;
	} else if (res.n == 1 && res.errs[0].error == -ENOENT && !res.lost) {
		if (!quiet)
			printf("table inet %s does not exist: nothing to remove\n", table);
		r = EXIT_OK;
	} else if (res.n || res.lost) {
		print_kernel_errors(&res, &b, NULL);
		r = EXIT_SYSTEM;
	} else {
		if (!quiet)
			printf("removed table inet %s\n", table);
		r = EXIT_OK;
	}
	nl_result_free(&res);
	batch_free(&b);
out:
	priv_close(&pv);
	psep_stop(&p, true);
	return r;
}
