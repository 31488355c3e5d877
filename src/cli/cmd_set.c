// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild set add|del|list: the elements of a dynamic set (bans). The
 * elements are read and checked here (no capability), against what the
 * kernel holds (the helper's DYN_DUMP); the helper sends only batches of
 * elements of the kernel's dynamic sets (SETELEM, batch_verify_setelem).
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vigil/dynset.h"
#include "vigil/num.h"
#include "vigil/psep.h"
#include "vigil/state.h"
#include "vigil/util.h"
#include "cli.h"
#include "ctl_client.h"

static const char set_usage[] =
	"Usage: vigild set add NAME ADDRESS... [--timeout TIME]\n"
	"       vigild set del NAME ADDRESS...\n"
	"       vigild set list NAME [--json]\n"
	"\n"
	"Changes or lists the elements of a dynamic set (a policy set with\n"
	"dynamic: true), for bans from fail2ban, sshguard, CrowdSec or a script.\n"
	"The elements belong to the running system: reloads keep them, with what\n"
	"is left of their timeouts. ADDRESS is an address, or for a set of type\n"
	"cidr a prefix or range; '-' reads one per line from standard input\n"
	"(ADDRESS [TIME], '#' comments). Everything is checked before anything\n"
	"is sent; each batch of up to 16384 elements is one transaction. Needs\n"
	"root (CAP_NET_ADMIN).\n"
	"\n"
	"  -T, --timeout TIME  the elements' lifetime (90, 90s, 30m, 4h, 7d; at\n"
	"                      most 365d) instead of the set's timeout\n"
	"  -t, --table NAME    the table (default: vigil)\n"
	"  -u, --user NAME     unprivileged user to run as (default: vigil, else nobody)\n"
	"  -j, --json          list: one JSON array\n"
	"  -q, --quiet         print nothing on success\n";

struct set_args {
	const char *verb, *name, *table;
	uint64_t timeout_ms;
	bool json, quiet;
	struct dynset_req *q;
	size_t n, cap;
	unsigned bad;
};

static int parse_timeout(const char *s, uint64_t *ms)
{
	uint64_t v;

	if (num_parse_unit(s, num_secs_units, 1, DYNSET_MAX_TIMEOUT, &v) < 0)
		return -EINVAL;
	*ms = v * 1000;
	return 0;
}

/* One element as written; errors name it and where it was. */
static void add_req(struct set_args *a, const char *text, const char *tmo, unsigned line)
{
	struct dynset_req q = { .line = line, .timeout_ms = a->timeout_ms };
	const char *why;

	snprintf(q.text, sizeof(q.text), "%s", text);
	if (addr_parse(text, &q.f, &q.iv, &why) < 0) {
		if (line)
			cli_error("<stdin>:%u: bad address '%.60s' for set '%s': %s", line, text, a->name, why);
		else
			cli_error("bad address '%.60s' for set '%s': %s", text, a->name, why);
		a->bad++;
		return;
	}
	if (tmo && parse_timeout(tmo, &q.timeout_ms) < 0) {
		cli_error("<stdin>:%u: element '%.60s' for set '%s': timeout '%.20s' is not a duration from 1s to 365d",
			  line, text, a->name, tmo);
		a->bad++;
		return;
	}
	GROW(a->q, a->cap, a->n + 1);
	a->q[a->n++] = q;
}

static void read_stdin(struct set_args *a)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;

	while (getline(&line, &cap, stdin) > 0 && a->bad < 20) {
		char *save = NULL, *hash = strchr(line, '#'), *addr, *tmo, *more;

		no++;
		if (hash)
			*hash = '\0';
		addr = strtok_r(line, " \t\r\n", &save);
		if (!addr)
			continue;
		tmo = strtok_r(NULL, " \t\r\n", &save);
		more = strtok_r(NULL, " \t\r\n", &save);
		if (more || (tmo && streq(a->verb, "del"))) {
			cli_error("<stdin>:%u: one element a line%s", no,
				  streq(a->verb, "add") ? ", optionally with its timeout" : "");
			a->bad++;
			continue;
		}
		if (a->n >= SET_MAX_ENTRIES) {
			cli_error("<stdin>:%u: more than %u elements", no, SET_MAX_ENTRIES);
			a->bad++;
			break;
		}
		add_req(a, addr, tmo, no);
	}
	free(line);
}

static int set_parse(int argc, char **argv, struct set_args *a)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tmo = NULL;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hT:t:u:jq", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(set_usage, stdout);
			return EXIT_OK + 100;
		case 'T':
			tmo = optarg;
			break;
		case 't':
			a->table = optarg;
			break;
		case 'u':
			opt_user = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		default:
			return cli_bad_option("set", ch, argv, set_usage);
		}
	}
	if (argc - optind < 2 || (!streq(argv[optind], "add") && !streq(argv[optind], "del") &&
				  !streq(argv[optind], "list"))) {
		fprintf(stderr, "%s set: error: expected add, del or list and a set name\n\n%s",
			program_name, set_usage);
		return EXIT_USAGE;
	}
	a->verb = argv[optind];
	a->name = argv[optind + 1];
	if (!valid_name(a->name, false)) {
		cli_error("invalid set name '%s'", a->name);
		return EXIT_USAGE;
	}
	if (table_name_problem(a->table)) {
		cli_error("invalid table name '%s': %s", a->table, table_name_problem(a->table));
		return EXIT_USAGE;
	}
	if (tmo && !streq(a->verb, "add")) {
		cli_error("--timeout is for set add");
		return EXIT_USAGE;
	}
	if (tmo && parse_timeout(tmo, &a->timeout_ms) < 0) {
		cli_error("--timeout wants a duration from 1s to 365d (90, 90s, 30m, 4h, 7d), not '%s'", tmo);
		return EXIT_USAGE;
	}
	if (streq(a->verb, "list") ? argc - optind != 2 : argc - optind < 3) {
		cli_error(streq(a->verb, "list") ? "set list takes a set name only"
						 : "expected elements after the set name ('-': from standard input)");
		return EXIT_USAGE;
	}
	return -1;
}

/* ---- list ---- */

struct lister {
	enum addr_family f;
	json_object *arr;
};

static void fmt_ms(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%llud%lluh%llum%llus", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600), (unsigned long long)(s % 3600 / 60),
			 (unsigned long long)(s % 60));
	else if (s >= 3600)
		snprintf(buf, len, "%lluh%llum%llus", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%llum%llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%llus", (unsigned long long)s);
}

static void list_one(void *ctx, const struct ival *iv, const struct dynset_elem *e)
{
	struct lister *L = ctx;
	char a[100], t[40], x[40];

	ival_format_addr(L->f, iv, a, sizeof(a));
	if (L->arr) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "element", json_object_new_string(a));
		json_object_object_add(o, "timeout_s", e->timeout_ms ? json_object_new_double((double)e->timeout_ms / 1000) : NULL);
		json_object_object_add(o, "expires_s", e->expires_ms ? json_object_new_double((double)e->expires_ms / 1000) : NULL);
		json_object_array_add(L->arr, o);
		return;
	}
	if (!e->timeout_ms) {
		printf("%s\n", a);
		return;
	}
	fmt_ms(e->timeout_ms, t, sizeof(t));
	fmt_ms(e->expires_ms, x, sizeof(x));
	printf("%s timeout %s expires %s\n", a, t, x);
}

static int do_list(const struct set_args *a, struct dynset *s[2])
{
	struct lister L = { .arr = a->json ? json_object_new_array() : NULL };

	for (int f = 0; f < 2; f++) {
		L.f = f ? AF_V6 : AF_V4;
		dynset_walk(s[f], L.f, list_one, &L);
	}
	if (L.arr) {
		printf("%s\n", json_object_to_json_string_ext(L.arr, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(L.arr);
	}
	return EXIT_OK;
}

/* ---- add, del ---- */

static const char *kernel_says(int err, bool add)
{
	switch (-err) {
	case ENFILE:
		return "the set is full (its size)";
	case EEXIST:
		return "an element is already in the set, or overlaps one there";
	case ENOENT:
		return add ? "no such set" : "an element is not in the set";
	default:
		return strerror(-err);
	}
}

static void print_refusals(const struct set_args *a, const struct nl_result *res,
			   const struct batch *bs, size_t nb)
{
	for (size_t k = 0; k < res->n; k++) {
		const struct batch_msg *m = NULL;
		for (size_t i = 0; i < nb && !m; i++)
			m = batch_find_seq(&bs[i], res->errs[k].seq);
		cli_error("set %s '%s': the kernel refused %s: %s%s%s", a->verb, a->name,
			  m ? m->what : "the batch", kernel_says(res->errs[k].error, streq(a->verb, "add")),
			  res->errs[k].msg[0] ? ": " : "", res->errs[k].msg);
	}
}

static int batches_failed(const struct set_args *a, const struct nl_result *res,
			  const struct batch *bs, size_t nb, size_t done)
{
	print_refusals(a, res, bs, nb);
	if (done)
		cli_error("the %zu batch%s before (of up to %u elements each) were applied", done,
			  done == 1 ? "" : "es", DYNSET_BATCH_ELEMS);
	return EXIT_SYSTEM;
}

/*
 * A running vigild watch of this table in this network namespace owns the
 * table (only its helper's socket may change it): the batches go through
 * it (POST /v1/setelem on the connection made while root), and its helper
 * verifies and sends them. Returns -1 when no watch of this table runs
 * here, else an exit code.
 */
static int via_watch(int fd, const struct set_args *a, const struct batch *bs, size_t nb)
{
	struct strbuf body = { 0 };
	struct nl_result res = { 0 };
	struct ctl_answer ans;
	json_object *o, *v, *errs;
	char path[160];
	int r = -EPROTO;
	size_t done = 0;

	snprintf(path, sizeof(path), "/v1/setelem?table=%s&netns=%" PRIu64, a->table,
		 state_netns_id());
	for (size_t i = 0; i < nb; i++)
		sb_putn(&body, (const char *)bs[i].buf, bs[i].len);
	r = ctl_request_on(fd, "POST", path, body.s, body.len, 300000, &ans);
	sb_free(&body);
	if (r < 0 || ans.status == 404) {
		if (r == 0)
			ctl_answer_free(&ans);
		return -1;
	}
	o = json_tokener_parse(ans.body);
	r = -EPROTO;
	if (ans.status == 200 && o && json_object_object_get_ex(o, "status", &v))
		r = json_object_get_int(v);
	if (r < 0) {
		cli_error("the running vigild watch refused the change: %s",
			  o && (json_object_object_get_ex(o, "why", &v) ||
				json_object_object_get_ex(o, "error", &v)) ? json_object_get_string(v) : ans.body);
		json_object_put(o);
		ctl_answer_free(&ans);
		return EXIT_SYSTEM;
	}
	if (json_object_object_get_ex(o, "batches", &v))
		done = (size_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "lost", &v))
		res.lost = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "errors", &errs))
		for (size_t i = 0; i < json_object_array_length(errs); i++) {
			json_object *e = json_object_array_get_idx(errs, i), *f;
			GROW(res.errs, res.cap, res.n + 1);
			memset(&res.errs[res.n], 0, sizeof(res.errs[0]));
			if (json_object_object_get_ex(e, "seq", &f))
				res.errs[res.n].seq = (uint32_t)json_object_get_int64(f);
			if (json_object_object_get_ex(e, "error", &f))
				res.errs[res.n].error = json_object_get_int(f);
			if (json_object_object_get_ex(e, "msg", &f))
				snprintf(res.errs[res.n].msg, sizeof(res.errs[0].msg), "%s",
					 json_object_get_string(f));
			res.n++;
		}
	json_object_put(o);
	ctl_answer_free(&ans);
	r = res.n || res.lost || done < nb ? batches_failed(a, &res, bs, nb, done) : EXIT_OK;
	nl_result_free(&res);
	return r;
}

/* Sends the batches in order through the helper; says what the kernel refused. */
static int send_batches(struct psep *p, const struct set_args *a, struct batch *bs, size_t nb)
{
	for (size_t i = 0; i < nb; i++) {
		struct psep_reply rep;
		struct nl_result res = { 0 };
		char why[256] = "";
		int r;

		psep_call(p, PSEP_REQ_SETELEM, bs[i].buf, bs[i].len, &rep);
		r = psep_reply_to_result(&rep, &res, why, sizeof(why));
		if (r < 0) {
			cli_error("%s%s", r == -EPERM ? "the commit helper refused the batch: " : "", why);
			return EXIT_SYSTEM;
		}
		if (res.n || res.lost) {
			r = batches_failed(a, &res, bs, nb, i);
			nl_result_free(&res);
			return r;
		}
		nl_result_free(&res);
	}
	return EXIT_OK;
}

static int do_change(struct psep *p, int ctlfd, struct set_args *a, const struct dynset_list *l,
		     bool from_stdin)
{
	struct dynset_op op = { a->table, a->name, streq(a->verb, "add"), a->q, a->n,
				from_stdin ? "<stdin>" : "vigild set" };
	struct diags d = { 0 };
	struct batch *bs = NULL;
	size_t nb = 0;
	int r = dynset_build(l, &op, (uint32_t)time(NULL) << 8 | 1u, &bs, &nb, &d);

	cli_print_diags(&d);
	diags_free(&d);
	if (r < 0)
		return EXIT_INVALID;
	r = ctlfd >= 0 ? via_watch(ctlfd, a, bs, nb) : -1;
	if (r < 0)
		r = send_batches(p, a, bs, nb);
	for (size_t i = 0; i < nb; i++)
		batch_free(&bs[i]);
	free(bs);
	if (r == EXIT_OK && !a->quiet)
		printf("%s %zu element%s %s set %s\n", op.add ? "added" : "deleted", a->n,
		       a->n == 1 ? "" : "s", op.add ? "to" : "from", a->name);
	return r;
}

/* As root: a connection to a running watch (it owns the table). */
static int connect_watch(void *ctx, const struct psep_ids *ids, char *why, size_t whylen)
{
	(void)ids;
	(void)why;
	(void)whylen;
	*(int *)ctx = ctl_connect();
	return 0;
}

int cmd_set(int argc, char **argv)
{
	struct set_args a = { .table = "vigil" };
	struct psep_setup_opts so = { .verb = "vigild set", .mode = PSEP_MODE_SET };
	_cleanup_(dynset_list_free) struct dynset_list l = { 0 };
	struct psep_ids ids;
	struct psep p;
	char why[256] = "";
	uint32_t gen;
	bool from_stdin = false;
	int ctlfd = -1;
	int r = set_parse(argc, argv, &a);

	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	so.table = a.table;
	so.user = opt_user;
	if (!streq(a.verb, "list")) {
		so.privileged = connect_watch;
		so.ctx = &ctlfd;
	}
	if (psep_setup(&so, &p, &ids, why, sizeof(why)) < 0) {
		cli_error("%s", why);
		return EXIT_SYSTEM;
	}
	/* from here on: no capabilities */
	for (int i = optind + 2; i < argc; i++) {
		if (streq(argv[i], "-") && !from_stdin) {
			from_stdin = true;
			read_stdin(&a);
		} else {
			add_req(&a, argv[i], NULL, 0);
		}
	}
	if (a.bad) {
		r = EXIT_INVALID;
	} else if (psep_dyn_dump(&p, &l, &gen, why, sizeof(why)) < 0) {
		cli_error("cannot read the sets of table inet %s: %s", a.table, why);
		r = EXIT_SYSTEM;
	} else {
		for (size_t i = 0; i < l.n; i++)
			dynset_sort(&l.v[i]);
		if (streq(a.verb, "list")) {
			struct dynset_op op = { a.table, a.name, false, NULL, 0, "vigild set" };
			struct diags d = { 0 };
			struct batch *bs = NULL;
			size_t nb = 0;
			char k[2][80];
			dynset_kernel_name(a.name, AF_V4, k[0], sizeof(k[0]));
			dynset_kernel_name(a.name, AF_V6, k[1], sizeof(k[1]));
			r = dynset_build(&l, &op, 1, &bs, &nb, &d);
			cli_print_diags(&d);
			diags_free(&d);
			struct dynset *s[2] = { dynset_find(&l, k[0]), dynset_find(&l, k[1]) };
			r = r < 0 ? EXIT_INVALID : do_list(&a, s);
		} else if (a.n == 0) {
			if (!a.quiet)
				printf("no elements: nothing to %s\n", a.verb);
			r = EXIT_OK;
		} else {
			r = do_change(&p, ctlfd, &a, &l, from_stdin);
			ctlfd = -1; /* via_watch closed it, or it was not used */
		}
	}
	free(a.q);
	if (ctlfd >= 0)
		close(ctlfd);
	psep_stop(&p, true);
	return r;
}
