// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild watch: apply the policy, then record every connection the kernel
 * creates, attributed to the rule that accepted it, in SQLite.
 *
 *   while privileged: open the policy, the conntrack event socket (binding
 *   its groups needs CAP_NET_ADMIN; receiving does not), the notify socket,
 *   prepare the database directory, set the conntrack sysctls if asked;
 *   fork the commit helper; drop every capability.
 *   then: compile and apply; a reader thread drains the socket into a
 *   per-minute aggregate (never touching the disk); the main thread flushes
 *   the aggregate once a second in one transaction, reloads on SIGHUP, and
 *   flushes and exits on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "vigil/agg.h"
#include "vigil/ct.h"
#include "vigil/ctsock.h"
#include "vigil/flowdb.h"
#include "vigil/nftc.h"
#include "vigil/psep.h"
#include "vigil/sdnotify.h"

#define READ_BATCH 1024      /* events parsed before taking the lock once */
#define RETENTION_EVERY 3600 /* seconds between retention passes */

struct watch {
	/* shared with the reader thread, under mu */
	pthread_mutex_t mu;
	struct agg *cur;
	uint64_t bad, enobufs;
	int reader_err;
	/* the reader thread only */
	int ctfd, stopfd;
	/* the main thread only */
	struct agg *spare;
	bool spare_pending;   /* a flush failed: spare still holds its rows */
	struct flowdb *db;
	struct psep helper;
	struct policy_src src;
	struct compiled pol;
	const char **names;   /* rule index -> name, for the store */
	size_t nnames;
	const char *table;
	uint32_t last_drops;
	uint64_t last_bad, last_enobufs, last_inserts;
	bool have_inserts;
	bool quiet;
	bool running;         /* the reader thread runs: apply flushes first */
};

static void wlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void wlog(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vigild watch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the reader thread ---- */

struct rctx {
	struct watch *w;
	struct ct_event ev[READ_BATCH];
	size_t n;
	uint64_t bad;
};

static void push(struct rctx *r)
{
	struct watch *w = r->w;
	int64_t now = time(NULL);

	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < r->n; i++)
		agg_add(w->cur, &r->ev[i], now); /* past the cap: counted as overflow */
	w->bad += r->bad;
	pthread_mutex_unlock(&w->mu);
	r->n = 0;
	r->bad = 0;
}

static int on_msg(void *ctx, const struct nlmsghdr *nlh)
{
	struct rctx *r = ctx;
	int e = ct_parse(nlh, nlh->nlmsg_len, &r->ev[r->n]);

	if (e == -EBADMSG)
		r->bad++;
	else if (e == 0 && r->ev[r->n].type != CT_EVENT_UPDATE)
		r->n++;
	if (r->n == READ_BATCH)
		push(r);
	return 0;
}

static void *reader(void *arg)
{
	struct watch *w = arg;
	struct ctsock_rx *rx = ctsock_rx_new();
	struct ctsock_stats st = { 0 };
	struct rctx *r = xzalloc(sizeof(*r));
	struct pollfd p[2] = { { w->ctfd, POLLIN, 0 }, { w->stopfd, POLLIN, 0 } };

	r->w = w;
	for (;;) {
		int n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
		} else if (p[1].revents) {
			break;
		} else {
			n = ctsock_recv(w->ctfd, rx, 16, on_msg, r, &st);
		}
		push(r);
		pthread_mutex_lock(&w->mu);
		w->enobufs = st.enobufs;
		w->bad += st.malformed + st.truncated;
		st.malformed = st.truncated = 0;
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			w->reader_err = n;
		pthread_mutex_unlock(&w->mu);
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			break;
	}
	ctsock_rx_free(rx);
	free(r);
	return NULL;
}

/* ---- flushing ---- */

static void set_names(struct watch *w)
{
	free(w->names);
	w->nnames = w->pol.pol.nrules;
	w->names = xcalloc(w->nnames ? w->nnames : 1, sizeof(*w->names));
	for (size_t i = 0; i < w->nnames; i++)
		w->names[i] = w->pol.pol.rules[i].name;
}

/* Moves what the reader gathered into the database. */
static void flush(struct watch *w)
{
	struct agg_obs d = { 0 };
	uint64_t bad, enobufs, inserts;
	uint32_t drops;
	struct agg *t;
	int r;

	if (w->spare_pending) {
		r = flowdb_flush(w->db, w->spare, w->names, w->nnames);
		if (r < 0)
			return; /* reported when it first failed; the reader keeps going */
		w->spare_pending = false;
	}
	pthread_mutex_lock(&w->mu);
	t = w->cur;
	w->cur = w->spare;
	w->spare = t;
	bad = w->bad;
	enobufs = w->enobufs;
	pthread_mutex_unlock(&w->mu);

	/* loss is never silent: the socket's exact drop count, ENOBUFS
	 * episodes and unparsable messages, and the kernel's insert count */
	if (ctsock_drops(w->ctfd, &drops) == 0) {
		d.lost = (uint32_t)(drops - w->last_drops); /* the counter wraps at 32 bits */
		w->last_drops = drops;
	}
	d.enobufs = enobufs - w->last_enobufs;
	w->last_enobufs = enobufs;
	d.bad = bad - w->last_bad;
	w->last_bad = bad;
	if (psep_ct_inserts(&w->helper, &inserts) == 0) {
		if (w->have_inserts)
			d.kernel_inserts = inserts - w->last_inserts;
		w->last_inserts = inserts;
		w->have_inserts = true;
	}
	agg_add_obs(w->spare, time(NULL), &d);
	if (d.lost)
		wlog("the kernel dropped %" PRIu64 " conntrack events (receive buffer full; raise --ct-buffer); the database records the loss",
		     (uint64_t)d.lost);

	r = flowdb_flush(w->db, w->spare, w->names, w->nnames);
	if (r < 0) {
		wlog("cannot write %s: %s; keeping the rows in memory and retrying", "the flows database",
		     flowdb_errmsg(w->db));
		w->spare_pending = true;
	}
}

/* ---- applying ---- */

static uint32_t first_seq(void)
{
	static uint32_t n;
	return ((uint32_t)time(NULL) << 8) + (++n << 20) + 1;
}

/* Commits a compiled policy. On success it replaces w->pol; on failure it
 * is freed. Returns an exit code. */
static int commit(struct watch *w, struct compiled *c)
{
	struct batch b;
	uint32_t gen = 0;
	int r;

	batch_init(&b, first_seq());
	nftc_build_replace(&c->t, &b);
	if (w->running)
		flush(w); /* what came before was the old policy's */
	r = commit_batch(&w->helper, &b, &c->pol, false, &gen);
	batch_free(&b);
	if (r != EXIT_OK) {
		compiled_free(c);
		return r;
	}
	if (!w->quiet)
		wlog("applied %s: table inet %s with %zu kernel rules, %zu sets, %zu elements (generation %u)",
		     w->src.path, c->t.name, c->t.nrules, c->t.nsets, c->t.nelems, gen);
	if (w->names)
		compiled_free(&w->pol);
	w->pol = *c;
	set_names(w);
	return EXIT_OK;
}

/* Compiles the open policy and commits it. Returns an exit code. */
static int apply(struct watch *w)
{
	struct compiled c;
	int r;

	r = policy_src_compile(&w->src, w->table, NULL, &c);
	if (r != EXIT_OK)
		return r;
	return commit(w, &c);
}

static void reload(struct watch *w)
{
	_cleanup_free_ char *copy = xstrdup(w->src.path);
	const char *base = basename(copy);
	int fd;

	sdnotify("RELOADING=1");
	if (!w->quiet)
		wlog("SIGHUP: reloading %s", w->src.path);
	/* editors replace files: open the name again, as the unprivileged user */
	fd = openat(w->src.dirfd, base, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		wlog("cannot reopen %s: %s; the running policy stays", w->src.path, strerror(errno));
	} else {
		close(w->src.fd);
		w->src.fd = fd;
		if (apply(w) != EXIT_OK)
			wlog("the new policy was not applied (see above); the running policy stays");
	}
	sdnotify("READY=1");
}

/* ---- start-up ---- */

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end || v < 4096 || v > CTSOCK_MAX_RCVBUF)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* "30d", "12h", "90m", or plain days. */
static int parse_retention(const char *s, int64_t *secs)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	switch (*end) {
	case '\0':
	case 'd':
		v *= 86400;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'm':
		v *= 60;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	*secs = v;
	return 0;
}

/* The database's directory, made for the unprivileged user if missing. */
static int prepare_db_dir(const char *db, const struct psep_ids *ids)
{
	_cleanup_free_ char *copy = xstrdup(db);
	const char *dir = dirname(copy);
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			cli_error("%s is not a directory", dir);
			return -ENOTDIR;
		}
		return 0;
	}
	if (errno != ENOENT || mkdir(dir, 0750) < 0) {
		cli_error("cannot create the database directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (geteuid() == 0 && chown(dir, ids->uid, ids->gid) < 0) {
		cli_error("cannot give %s to user %s: %s", dir, ids->name, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Retention as given: 30d, 12h, 90m. */
static void format_retention(int64_t secs, char *buf, size_t len)
{
	if (secs % 86400 == 0)
		snprintf(buf, len, "%" PRId64 "d", secs / 86400);
	else if (secs % 3600 == 0)
		snprintf(buf, len, "%" PRId64 "h", secs / 3600);
	else
		snprintf(buf, len, "%" PRId64 "m", secs / 60);
}

/*
 * Claims and opens the database as the unprivileged user: one watcher per
 * database (an exclusive flock held until exit), never through a symbolic
 * link. Prints why not; returns 0 or negative errno.
 */
static int open_db(struct watch *w, const char *path, const char *user, struct flowdb_lock *lk)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	char err[FLOWDB_ERRLEN] = "";
	struct stat st;
	int holder = 0, r;

	r = flowdb_lock(path, lk, &holder);
	switch (r) {
	case 0:
		break;
	case -EWOULDBLOCK:
		if (holder > 0)
			cli_error("%s is in use: another vigild watch (pid %d) records into it, and two would count every connection twice; stop that one or name another --db",
				  path, holder);
		else
			cli_error("%s is in use: another vigild watch holds its lock and records into it, and two would count every connection twice; stop that one or name another --db",
				  path);
		return r;
	case -ELOOP:
		cli_error("%s is a symbolic link: vigild watch writes the database as user %s and never through a symbolic link (whoever can change the link could make it write to another file); name the file itself",
			  path, user);
		return r;
	case -EISDIR:
		cli_error("%s is a directory: --db names the database file (for instance %s%sflows.db)",
			  path, path, path[strlen(path) - 1] == '/' ? "" : "/");
		return r;
	case -EINVAL:
		cli_error("%s is not a regular file: --db names the database file", path);
		return r;
	case -EACCES:
	case -EPERM:
		if (lstat(path, &st) == 0)
			cli_error("cannot open the flows database %s: vigild writes it as user %s after dropping privileges, and it is not writable by that user (make it owned by %s)",
				  path, user, user);
		else
			cli_error("cannot create the flows database %s: vigild writes it as user %s after dropping privileges, and %s is not writable by that user (make it owned by %s, or name a directory that does not exist yet: vigild creates it for that user)",
				  path, user, dir, user);
		return r;
	case -EROFS:
		cli_error("cannot %s the flows database %s: the file system is read-only",
			  lstat(path, &st) == 0 ? "write" : "create", path);
		return r;
	default:
		cli_error("cannot open the flows database %s as user %s: %s", path, user,
			  strerror(-r));
		return r;
	}
	r = flowdb_open(path, 0, &w->db, err);
	if (r < 0)
		cli_error("cannot open the flows database %s as user %s: %s", path, user, err);
	return r;
}

static const char watch_usage[] =
	"Usage: vigild watch [OPTIONS] POLICY\n"
	"\n"
	"Applies POLICY like 'vigild apply', then records every connection the\n"
	"kernel creates (conntrack NEW and DESTROY events), attributed to the rule\n"
	"that accepted it, in per-minute rows of a SQLite database, with the exact\n"
	"number of events it lost. SIGHUP re-reads and re-applies POLICY (an\n"
	"invalid one is reported and the running one stays); SIGTERM and SIGINT\n"
	"flush and exit. Needs root; reads and writes without any capability.\n"
	"\n"
	"      --db PATH          the database (default " FLOWDB_DEFAULT_PATH ")\n"
	"      --ct-buffer SIZE   conntrack socket receive buffer, 4K to 1G (default 32M)\n"
	"      --ct-accounting    turn on nf_conntrack_acct and nf_conntrack_timestamp\n"
	"                         (packets, bytes and durations in DESTROY events)\n"
	"      --aggregate        leave source addresses out of the flow key\n"
	"      --retention TIME   keep this long: 30d (default), 12h, 90m\n"
	"  -t, --table NAME       the table vigild manages (default: vigil)\n"
	"  -u, --user NAME        unprivileged user (default: vigil, else nobody)\n"
	"  -f, --force            replace the table even if vigild did not make it\n"
	"  -q, --quiet            print only problems\n";

int cmd_watch(int argc, char **argv)
{
	enum { O_DB = 256, O_BUF, O_ACCT, O_AGG, O_RET };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "db", required_argument, NULL, O_DB },
		{ "ct-buffer", required_argument, NULL, O_BUF },
		{ "ct-accounting", no_argument, NULL, O_ACCT },
		{ "aggregate", no_argument, NULL, O_AGG },
		{ "retention", required_argument, NULL, O_RET },
		{ "table", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch w;
	const char *dbpath = FLOWDB_DEFAULT_PATH;
	size_t ctbuf = CTSOCK_DEFAULT_RCVBUF, granted = 0;
	bool accounting = false, aggregate = false, force = false;
	int64_t retention = 30 * 86400, since_retention = 0, t_start = 0, unclean = 0;
	struct psep_ids ids;
	char why[256] = "";
	struct flowdb_lock lock = { .fd = -1 };
	struct compiled first;
	bool have_first = false, started = false;
	const char *step = "";
	int ch, r, acct = -1, tstamp = -1, events = -1, sfd = -1, tfd = -1;
	pthread_t th;
	sigset_t mask;

	memset(&w, 0, sizeof(w));
	w.table = "vigil";
	w.ctfd = w.stopfd = -1;
	w.src.fd = w.src.dirfd = -1;
	w.helper.fd = -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:u:fq", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(watch_usage, stdout);
			return EXIT_OK;
		case O_DB:
			if (!*optarg) {
				cli_error("--db wants the database's file name, not ''");
				return EXIT_USAGE;
			}
			dbpath = optarg;
			break;
		case O_BUF:
			if (parse_size(optarg, &ctbuf) < 0) {
				cli_error("--ct-buffer wants a size from 4K to 1G, like 32M, not '%s'"
					  " (the kernel doubles it: 1G already gives the largest buffer there is)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case O_ACCT:
			accounting = true;
			break;
		case O_AGG:
			aggregate = true;
			break;
		case O_RET:
			if (parse_retention(optarg, &retention) < 0) {
				cli_error("--retention wants a time like 30d, 12h or 90m, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			w.table = optarg;
			break;
		case 'u':
			if (!*optarg) {
				cli_error("--user needs a user name or id");
				return EXIT_USAGE;
			}
			opt_user = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'q':
			w.quiet = true;
			break;
		default:
			return cli_bad_option("watch", ch, argv, watch_usage);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s watch: error: expected exactly one POLICY file\n\n%s", program_name,
			watch_usage);
		return EXIT_USAGE;
	}
	if (table_name_problem(w.table)) {
		cli_error("invalid table name '%s': %s", w.table, table_name_problem(w.table));
		return EXIT_USAGE;
	}

	/* the database and its directory: not for everyone */
	umask(027);

	/* ---- privileged part ---- */
	if (!psep_can_admin()) {
		cli_error("vigild watch changes the firewall and listens to conntrack: it needs CAP_NET_ADMIN; run it as root");
		return EXIT_SYSTEM;
	}
	if (psep_resolve_user(opt_user, &ids, why, sizeof(why)) < 0) {
		cli_error("%s", why);
		return EXIT_SYSTEM;
	}
	r = policy_src_open(argv[optind], &w.src);
	if (r != EXIT_OK)
		goto out;
	r = EXIT_SYSTEM;
	/* the socket first: binding it loads conntrack, whose sysctls follow */
	w.ctfd = ctsock_open(ctbuf, &granted, &step);
	t_start = time(NULL); /* events are queued for us from here on */
	if (w.ctfd < 0) {
		if (streq(step, "socket"))
			cli_error("cannot open a netfilter netlink socket: %s (is nfnetlink available in this kernel?)",
				  strerror(-w.ctfd));
		else if (streq(step, "bind"))
			cli_error("cannot subscribe to conntrack events: %s%s", strerror(-w.ctfd),
				  w.ctfd == -EPERM ? " (it needs CAP_NET_ADMIN)" :
						     " (is nf_conntrack_netlink available?)");
		else if (streq(step, "SO_RCVBUF"))
			cli_error("cannot give the conntrack event socket a receive buffer of %zu bytes: %s",
				  ctbuf, strerror(-w.ctfd));
		else
			cli_error("cannot set up the conntrack event socket (%s): %s", step,
				  strerror(-w.ctfd));
		goto out;
	}
	if (accounting && (ctsock_sysctl_set(CTSOCK_SYSCTL_ACCT, 1) < 0 ||
			   ctsock_sysctl_set(CTSOCK_SYSCTL_TIMESTAMP, 1) < 0)) {
		cli_error("cannot turn on net.netfilter.nf_conntrack_acct and nf_conntrack_timestamp: %s",
			  strerror(errno));
		goto out;
	}
	ctsock_sysctl_get(CTSOCK_SYSCTL_ACCT, &acct);
	ctsock_sysctl_get(CTSOCK_SYSCTL_TIMESTAMP, &tstamp);
	/*
	 * nf_conntrack_events=0: the kernel sends no events at all, and a
	 * recorder that records nothing while it says it runs is worse than
	 * none. Turn them on (1; 2 = "when someone listens" is newer) or stop.
	 */
	if (ctsock_sysctl_get(CTSOCK_SYSCTL_EVENTS, &events) == 0 && events == 0) {
		r = ctsock_sysctl_set(CTSOCK_SYSCTL_EVENTS, 1);
		if (r < 0) {
			cli_error("net.netfilter.nf_conntrack_events is 0: the kernel sends no conntrack events, so there would be nothing to record, and setting it to 1 failed: %s (it needs root in the network namespace and a writable /proc/sys/net/netfilter)",
				  strerror(-r));
			r = EXIT_SYSTEM;
			goto out;
		}
		r = EXIT_SYSTEM;
		wlog("net.netfilter.nf_conntrack_events was 0 (no conntrack events): set it to 1; connections opened before get no events");
	}
	if (prepare_db_dir(dbpath, &ids) < 0)
		goto out;
	sdnotify_open();
	if (psep_start(&w.helper, w.table, force, &ids, why, sizeof(why)) < 0) {
		cli_error("cannot start the commit helper: %s", why);
		goto out;
	}
	if (psep_drop(&ids, why, sizeof(why)) < 0) {
		cli_error("cannot drop privileges: %s", why);
		goto out;
	}

	/* ---- from here on: no capabilities ---- */
	/* an invalid policy touches nothing, not even the database */
	r = policy_src_compile(&w.src, w.table, NULL, &first);
	if (r != EXIT_OK)
		goto out;
	have_first = true;
	r = EXIT_SYSTEM;
	/* the database before the firewall: a firewall applied with nothing
	 * recording it would be a half-started watcher */
	if (open_db(&w, dbpath, ids.name, &lock) < 0)
		goto out;
	have_first = false; /* commit takes it over */
	r = commit(&w, &first);
	if (r != EXIT_OK)
		goto out;
	r = EXIT_SYSTEM;
	/* started: the policy is applied. Only now is the database told so. */
	started = true;
	{
		char buf[64];
		time_t now = time(NULL);
		flowdb_meta_set(w.db, "policy", w.src.path);
		flowdb_meta_set(w.db, "table", w.table);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		flowdb_meta_set(w.db, "started", buf);
		flowdb_meta_set(w.db, "nf_conntrack_acct", acct == 1 ? "1" : acct == 0 ? "0" : "unknown");
		flowdb_meta_set(w.db, "nf_conntrack_timestamp",
				tstamp == 1 ? "1" : tstamp == 0 ? "0" : "unknown");
		snprintf(buf, sizeof(buf), "%zu", granted);
		flowdb_meta_set(w.db, "ct_buffer", buf);
		flowdb_meta_set(w.db, "aggregate_sources", aggregate ? "1" : "0");
	}
	/* the lock is ours: a last minute without a stop was a watcher that died */
	if (flowdb_mark_unclean_stop(w.db, &unclean) == 1 && !w.quiet) {
		char buf[32];
		time_t tt = (time_t)unclean;

		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", gmtime(&tt));
		wlog("note: the last watcher of %s did not stop cleanly (killed?): its last minute, %s UTC, is marked as observed only in part",
		     dbpath, buf);
	}
	if (!w.quiet && (acct != 1 || tstamp != 1))
		wlog("note: nf_conntrack_acct=%d nf_conntrack_timestamp=%d: flows get no packet, byte or duration figures (--ct-accounting turns both on)",
		     acct, tstamp);

	uint64_t seed;
	if (getentropy(&seed, sizeof(seed)) < 0)
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	w.cur = agg_new(aggregate ? AGG_F_NO_SOURCES : 0, 0, seed);
	w.spare = agg_new(aggregate ? AGG_F_NO_SOURCES : 0, 0, seed);
	pthread_mutex_init(&w.mu, NULL);
	/* the start minute is observed only from here: flows must know */
	agg_add_obs(w.cur, t_start, &(struct agg_obs){ .started = t_start });
	ctsock_drops(w.ctfd, &w.last_drops);
	w.stopfd = eventfd(0, EFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL); /* the reader inherits the mask */
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	if (w.stopfd < 0 || sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    pthread_create(&th, NULL, reader, &w) != 0) {
		cli_error("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	w.running = true;
	/* the start at once: a watcher killed in its first second is noticed */
	flush(&w);
	if (!w.quiet) {
		char ret[32];

		format_retention(retention, ret, sizeof(ret));
		wlog("recording flows in %s (conntrack buffer %zu KiB, retention %s)", dbpath,
		     granted >> 10, ret);
	}
	sdnotify("READY=1");

	r = EXIT_OK;
	for (bool running = true; running;) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { tfd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			uint64_t ticks;
			if (read(tfd, &ticks, sizeof(ticks)) > 0)
				since_retention += (int64_t)ticks;
			flush(&w);
			if (since_retention >= RETENTION_EVERY) {
				uint64_t gone = 0;
				since_retention = 0;
				if (flowdb_retention(w.db, time(NULL) - retention, &gone) < 0)
					wlog("retention failed: %s", flowdb_errmsg(w.db));
			}
			pthread_mutex_lock(&w.mu);
			int rerr = w.reader_err;
			pthread_mutex_unlock(&w.mu);
			if (rerr) {
				wlog("reading conntrack events failed: %s", strerror(-rerr));
				r = EXIT_SYSTEM;
				running = false;
			}
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				reload(&w);
			} else {
				if (!w.quiet)
					wlog("%s: flushing and exiting", strsignal((int)si.ssi_signo));
				running = false;
			}
		}
	}
	sdnotify("STOPPING=1");
	uint64_t one = 1;
	if (write(w.stopfd, &one, sizeof(one)) < 0)
		wlog("cannot stop the reader: %s", strerror(errno));
	pthread_join(th, NULL);
	{
		int64_t t_stop = time(NULL);

		/* the reader is gone: no lock needed */
		agg_add_obs(w.cur, t_stop, &(struct agg_obs){ .stopped = t_stop });
	}
	flush(&w);
	if (w.spare_pending)
		r = EXIT_SYSTEM;

out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (w.stopfd >= 0)
		close(w.stopfd);
	if (w.ctfd >= 0)
		close(w.ctfd);
	{
		/* a start that failed leaves no database it made behind */
		bool remove = !started && (!w.db || flowdb_is_empty(w.db) == 1);

		flowdb_close(w.db); /* before the lock's descriptor: see flowdb_lock */
		flowdb_unlock(&lock, dbpath, remove);
	}
	if (have_first)
		compiled_free(&first);
	agg_free(w.cur);
	agg_free(w.spare);
	if (w.names)
		compiled_free(&w.pol);
	free(w.names);
	policy_src_close(&w.src);
	if (w.helper.fd >= 0)
		psep_stop(&w.helper, false);
	return r;
}
