// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild reload, vigild status: the verbs that talk to the running
 * vigild watch over its control socket (vigild(8), CONTROL SOCKET).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "confirm.h"
#include "ctl_client.h"
#include "status_kernel.h"
#include "vigil/fileio.h"
#include "vigil/state.h"

/* Why the socket cannot be used, for people. */
static void ctl_unreachable(int r)
{
	char path[256];

	ctl_socket_path(path, sizeof(path));
	if (r == -ENOENT || r == -ECONNREFUSED)
		cli_error("no vigild watch is running here (nothing listens on %s)", path);
	else if (r == -EACCES)
		cli_error("cannot use %s: permission denied (root may change things; members of group vigil may read: usermod -a -G vigil USER)",
			  path);
	else
		cli_error("cannot talk to vigild watch on %s: %s", path, strerror(-r));
}

static const char *jget_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static json_object *jget(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char reload_usage[] =
	"Usage: vigild reload [--quiet]\n"
	"\n"
	"Asks the running vigild watch to read its policy file again and apply it,\n"
	"and waits for the outcome: exit 0 when it is applied; 1 when the policy is\n"
	"invalid, 3 when the kernel refused it (the running policy stays in both\n"
	"cases; the errors are printed); 3 when no watch runs. Needs root.\n"
	"\n"
	"  -q, --quiet  print only problems\n";

int cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_answer a;
	bool quiet = false;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(reload_usage, stdout);
			return EXIT_OK;
		case 'q':
			quiet = true;
			break;
		default:
			return cli_bad_option("reload", ch, argv, reload_usage);
		}
	}
	if (argc != optind) {
		fprintf(stderr, "%s reload: error: unexpected argument '%s'\n\n%s", program_name,
			argv[optind], reload_usage);
		return EXIT_USAGE;
	}
	r = ctl_request("POST", "/v1/reload", NULL, 0, 300000, &a);
	if (r < 0) {
		ctl_unreachable(r);
		return EXIT_SYSTEM;
	}
	r = ctl_print_outcome(&a, quiet, "the new policy was not applied; the running one stays");
	ctl_answer_free(&a);
	return r;
}

static void line(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-12s", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static void print_status(json_object *o)
{
	json_object *run = jget(o, "running"), *pol = jget(o, "policy"), *last = jget(o, "last_apply"),
		    *w = jget(o, "watch"), *h = jget(o, "helper"), *fl = jget(o, "flows"),
		    *loss = jget(o, "loss"), *pend = jget(o, "pending");
	const char *reason = jget_str(o, "reason");

	line("State:", "%s%s%s%s", or(jget_str(o, "state"), "?"), reason ? " (" : "", reason ? reason : "",
	     reason ? ")" : "");
	if (jget(o, "table_present"))
		line("Table:", "inet %s: %s%s", or(jget_str(o, "table"), "?"),
	     json_object_get_boolean(jget(o, "table_present")) ?
		     (json_object_get_boolean(jget(o, "kernel_matches")) ? "present, as vigild made it" :
									    "present, changed by someone else") :
		     "ABSENT from the kernel",
	     json_object_get_boolean(jget(o, "owned")) ? " (owned by vigild: others get EPERM)" : "");
	if (pend)
		line("Pending:", "%s waits for 'vigild confirm' until %s (%lld s left); then the previous ruleset comes back",
		     or(jget_str(pend, "policy"), "?"), or(jget_str(pend, "deadline"), "?"),
		     (long long)json_object_get_int64(jget(pend, "seconds_left")));
	if (jget(o, "last_confirm_window")) {
		json_object *lw = jget(o, "last_confirm_window");
		char when[32] = "?";
		time_t t = (time_t)json_object_get_int64(jget(lw, "time"));

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		line("Last wait:", "the last 'apply --confirm' ended %s at %s", or(jget_str(lw, "outcome"), "?"), when);
	}
	if (run)
		line("Running:", "the %s %s (SHA-256 %.16s...), %d rules -> %d kernel rules, applied %s",
		     or(jget_str(run, "source"), "?"), or(jget_str(run, "path"), ""),
		     or(jget_str(run, "policy_sha256"), "?"), json_object_get_int(jget(run, "rules")),
		     json_object_get_int(jget(run, "kernel_rules")), or(jget_str(run, "applied_at"), "?"));
	if (pol)
		line("Policy:", "%s (SHA-256 %.16s...)%s", or(jget_str(pol, "path"), "?"),
		     or(jget_str(pol, "sha256"), "(unreadable)"),
		     json_object_get_boolean(jget(pol, "changed_since_applied")) ?
			     ": CHANGED since it was applied ('vigild reload' applies it)" : "");
	if (last)
		line("Last apply:", "%s at %s%s%s", or(jget_str(last, "result"), "?"),
		     or(jget_str(last, "time"), "?"), jget_str(last, "error") ? ": " : "",
		     or(jget_str(last, "error"), ""));
	if (w)
		line("Watch:", "pid %d, up %lld s; helper pid %d %s", json_object_get_int(jget(w, "pid")),
		     (long long)json_object_get_int64(jget(w, "uptime_seconds")),
		     h ? json_object_get_int(jget(h, "pid")) : 0,
		     h && json_object_get_boolean(jget(h, "alive")) ? "alive" : "GONE");
	if (fl)
		line("Flows:", "%s (%s)", or(jget_str(fl, "db"), "?"),
		     json_object_get_boolean(jget(fl, "recording")) ? "recording" : "NOT recording");
	if (loss)
		line("Loss:", "%lld conntrack events, %lld lost, %lld ENOBUFS, %lld unparsable, %lld conntrack-full drops",
		     (long long)json_object_get_int64(jget(loss, "conntrack_events")),
		     (long long)json_object_get_int64(jget(loss, "conntrack_lost")),
		     (long long)json_object_get_int64(jget(loss, "enobufs")),
		     (long long)json_object_get_int64(jget(loss, "unparsable")),
		     (long long)json_object_get_int64(jget(loss, "conntrack_full_drops")));
}

static bool failed_rollback(json_object *o)
{
	json_object *lw = jget(o, "last_confirm_window");
	return lw && streq(jget_str(lw, "outcome"), "rollback failed");
}

/* No watch runs: what the run directory says (a change waiting for
 * confirmation, made by apply --confirm without a watch). */
static json_object *status_unwatched(const char *table)
{
	json_object *o = json_object_new_object();
	struct pending pe;
	int runfd = open(run_dir_path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool pending = runfd >= 0 && pending_read(runfd, table, &pe) == 0 && pe.alive;

	if (runfd >= 0 && !pending) {
		/* how the last wait ended, as its guard wrote it */
		_cleanup_free_ char *buf = NULL;
		char name[128], done[160];
		size_t len = 0;
		json_object *d;

		pending_name(name, sizeof(name), table);
		snprintf(done, sizeof(done), "%s.done", name);
		if (state_read(runfd, done, 4096, &buf, &len) == 0 && (d = json_tokener_parse(buf)))
			json_object_object_add(o, "last_confirm_window", d);
	}
	if (runfd >= 0)
		close(runfd);
	json_object_object_add(o, "state", json_object_new_string(
		pending ? "pending-confirm" : failed_rollback(o) ? "degraded" :
		status_table_absent(table) == 1 ? "absent" : "not running"));
	json_object_object_add(o, "reason", json_object_new_string(
		"no vigild watch runs here: nothing keeps the firewall as the policy says"));
	json_object_object_add(o, "table", json_object_new_string(table));
	if (pending) {
		json_object *p = json_object_new_object();
		char when[32];
		time_t t = (time_t)pe.deadline;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		json_object_object_add(p, "policy", json_object_new_string(pe.policy));
		json_object_object_add(p, "deadline", json_object_new_string(when));
		json_object_object_add(p, "seconds_left", json_object_new_int64(pe.deadline - (int64_t)time(NULL)));
		json_object_object_add(p, "guard_pid", json_object_new_int(pe.pid));
		json_object_object_add(o, "pending", p);
	}
	return o;
}

static const char status_usage[] =
	"Usage: vigild status [--json] [--table NAME]\n"
	"\n"
	"What the running vigild watch says about itself: its state (active,\n"
	"degraded and why), the table in the kernel, the policy running and the one\n"
	"configured, the last apply, the helper, the flows database and the loss\n"
	"figures. Exit 0 when active, 1 when degraded or when no watch runs, 2 usage.\n"
	"Needs read access to the control socket (root, or group vigil); without it\n"
	"the last snapshot in the run directory is read, if readable.\n"
	"\n"
	"      --json        the snapshot as JSON (vigild(8) documents its fields)\n"
	"  -t, --table NAME  the table whose snapshot file to read when the socket\n"
	"                    cannot be used (default: vigil)\n";

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "table", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *table = "vigil";
	struct ctl_answer a = { 0 };
	bool json = false, from_file = false;
	json_object *o;
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(status_usage, stdout);
			return EXIT_OK;
		case 'j':
			json = true;
			break;
		case 't':
			if (table_name_problem(optarg)) {
				cli_error("invalid table name '%s': %s", optarg, table_name_problem(optarg));
				return EXIT_USAGE;
			}
			table = optarg;
			break;
		default:
			return cli_bad_option("status", ch, argv, status_usage);
		}
	}
	if (argc != optind) {
		fprintf(stderr, "%s status: error: unexpected argument '%s'\n\n%s", program_name,
			argv[optind], status_usage);
		return EXIT_USAGE;
	}
	r = ctl_request("GET", "/v1/status", NULL, 0, 10000, &a);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		o = status_unwatched(table);
		status_add_diff_unwatched(o, table);
		goto show;
	}
	if (r < 0 || a.status != 200) {
		/* no access to the socket: the snapshot file, when readable */
		char name[128], path[512];
		size_t len = 0;

		ctl_answer_free(&a);
		state_key(name, sizeof(name), "status", table);
		snprintf(path, sizeof(path), "%s/%s", run_dir_path(), name);
		if (read_file_at(AT_FDCWD, path, 1u << 20, &a.body, &len) < 0) {
			ctl_unreachable(r < 0 ? r : -EACCES);
			return EXIT_SYSTEM;
		}
		from_file = true;
	}
	o = json_tokener_parse(a.body);
	if (!o) {
		cli_error("the status is not JSON");
		ctl_answer_free(&a);
		return EXIT_SYSTEM;
	}
	if (!from_file)
		status_add_diff(o);
show:
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_status(o);
	if (!json)
		status_print_diff(o);
	if (from_file && !json)
		printf("(from the snapshot file: the control socket could not be used)\n");
	if (!json && jget(o, "netns") &&
	    (uint64_t)json_object_get_int64(jget(o, "netns")) != state_netns_id())
		printf("(that watch runs in network namespace %" PRId64 ", not in this one)\n",
		       json_object_get_int64(jget(o, "netns")));
	/* a watch waiting for a confirmation keeps the firewall too */
	r = streq(jget_str(o, "state"), "active") ||
		    (streq(jget_str(o, "state"), "pending-confirm") && jget(o, "watch")) ? EXIT_OK : 1;
	json_object_put(o);
	ctl_answer_free(&a);
	return r;
}

static const char confirm_usage[] =
	"Usage: vigild confirm [--table NAME]\n"
	"       vigild rollback [--table NAME]\n"
	"\n"
	"confirm keeps the change 'vigild apply --confirm' made; rollback restores\n"
	"the ruleset from before it now. Either ends the wait. Fails with 'nothing\n"
	"pending' when no change waits. Needs root.\n"
	"\n"
	"  -t, --table NAME  the table whose change to confirm (default: vigil)\n";

static int confirm_or_rollback(int argc, char **argv, bool rollback)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "table", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = rollback ? "rollback" : "confirm", *table = "vigil";
	struct ctl_answer a;
	char url[160];
	int ch, r, runfd;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(confirm_usage, stdout);
			return EXIT_OK;
		case 't':
			if (table_name_problem(optarg)) {
				cli_error("invalid table name '%s': %s", optarg, table_name_problem(optarg));
				return EXIT_USAGE;
			}
			table = optarg;
			break;
		default:
			return cli_bad_option(verb, ch, argv, confirm_usage);
		}
	}
	if (argc != optind) {
		fprintf(stderr, "%s %s: error: unexpected argument '%s'\n\n%s", program_name, verb,
			argv[optind], confirm_usage);
		return EXIT_USAGE;
	}
	/* a running watch holds its own pending change; 404: not its table */
	snprintf(url, sizeof(url), "/v1/%s?table=%s&netns=%" PRIu64, verb, table, state_netns_id());
	r = ctl_request("POST", url, NULL, 0, 60000, &a);
	if (r == 0 && a.status != 404) {
		r = ctl_print_outcome(&a, false, NULL);
		ctl_answer_free(&a);
		return r;
	}
	if (r == 0)
		ctl_answer_free(&a);
	runfd = open(run_dir_path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (runfd < 0) {
		cli_error("nothing pending: %s does not exist", run_dir_path());
		return EXIT_INVALID;
	}
	r = confirm_signal(runfd, table, rollback);
	close(runfd);
	return r;
}

int cmd_confirm(int argc, char **argv)
{
	return confirm_or_rollback(argc, argv, false);
}

int cmd_rollback(int argc, char **argv)
{
	return confirm_or_rollback(argc, argv, true);
}
