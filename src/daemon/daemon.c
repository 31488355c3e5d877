// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild watch, start to stop.
 *
 *   as root: open what needs privileges (the conntrack event socket and the
 *   nf_tables monitor, both bound to their groups; the state and run
 *   directories; the database's directory), set the conntrack sysctls if
 *   asked; start the helper (an exec of vigild that keeps CAP_NET_ADMIN);
 *   drop every capability.
 *   unprivileged: read and compile the policy, fix the helper's table, take
 *   the table's writer lock, open the database, then run the event loop:
 *   the first commit (the policy, else the last-known-good, else the
 *   fail-closed fallback), then flows, drift, reloads until SIGTERM.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "vigil/ctsock.h"
#include "vigil/fileio.h"
#include "vigil/flowdb.h"
#include "vigil/log.h"
#include "vigil/nflogsock.h"
#include "vigil/localaddr.h"
#include "vigil/sandbox.h"
#include "vigil/pending.h"
#include "vigil/nftmon_sock.h"
#include "vigil/state.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "metrics_out.h"
#include "writer.h"

#define MON_RCVBUF (32u << 20)
#define WRITER_MAX_ROWS (1u << 20) /* ~100 MiB of rows kept while the disk is full */

int daemon_read_set_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct daemon *d = ctx;
	return daemon_read_confined(d, d->policy_dirfd, d->policy_dir, path, max, buf, len);
}

/* ---- privileged ---- */

static const char *db_path(const struct daemon *d, char *buf, size_t len)
{
	if (d->o.db)
		return d->o.db;
	snprintf(buf, len, "%s/flows.db", state_dir_path());
	return buf;
}

static int open_ctsock(struct daemon *d, char *why, size_t whylen)
{
	const char *step = "";
	int events = -1, r;

	d->ctfd = ctsock_open(d->o.ct_buffer, &d->ct_granted, &step);
	if (d->ctfd < 0) {
		if (streq(step, "bind"))
			snprintf(why, whylen, "cannot subscribe to conntrack events: %s%s",
				 strerror(-d->ctfd),
				 d->ctfd == -EPERM ? " (it needs CAP_NET_ADMIN)" :
						     " (is nf_conntrack_netlink available?)");
		else
			snprintf(why, whylen, "cannot set up the conntrack event socket (%s): %s", step,
				 strerror(-d->ctfd));
		return d->ctfd;
	}
	if (d->o.ct_accounting && (ctsock_sysctl_set(CTSOCK_SYSCTL_ACCT, 1) < 0 ||
				   ctsock_sysctl_set(CTSOCK_SYSCTL_TIMESTAMP, 1) < 0)) {
		snprintf(why, whylen,
			 "cannot turn on net.netfilter.nf_conntrack_acct and nf_conntrack_timestamp: %s",
			 strerror(errno));
		return -errno;
	}
	ctsock_sysctl_get(CTSOCK_SYSCTL_ACCT, &d->acct);
	ctsock_sysctl_get(CTSOCK_SYSCTL_TIMESTAMP, &d->tstamp);
	/* nf_conntrack_events=0: a recorder that records nothing while it says
	 * it runs is worse than none. Turn them on or stop. */
	if (ctsock_sysctl_get(CTSOCK_SYSCTL_EVENTS, &events) == 0 && events == 0) {
		r = ctsock_sysctl_set(CTSOCK_SYSCTL_EVENTS, 1);
		if (r < 0) {
			snprintf(why, whylen,
				 "net.netfilter.nf_conntrack_events is 0: the kernel sends no conntrack events, so there would be nothing to record, and setting it to 1 failed: %s (it needs root in the network namespace and a writable /proc/sys/net/netfilter)",
				 strerror(-r));
			return r;
		}
		log_notice("net.netfilter.nf_conntrack_events was 0 (no conntrack events): set it to 1; connections opened before get no events");
	}
	return 0;
}

static int privileged(void *ctx, const struct psep_ids *ids, char *why, size_t whylen)
{
	struct daemon *d = ctx;
	_cleanup_free_ char *copy = xstrdup(d->o.policy), *copy2 = xstrdup(d->o.policy);
	char dbbuf[4096];
	const char *dbp = db_path(d, dbbuf, sizeof(dbbuf));
	_cleanup_free_ char *dbcopy = xstrdup(dbp);
	int r, fd;

	const char *dir = dirname(copy);

	{ /* named in messages, once /etc/group cannot be read (confine.c) */
		struct group *gr = getgrgid(ids->gid);
		snprintf(d->group_name, sizeof(d->group_name), "%s", gr ? gr->gr_name : "");
	}
	d->policy_base = xstrdup(basename(copy2));
	d->policy_dir = realpath(dir, NULL);
	d->policy_dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d->policy_dirfd < 0) {
		snprintf(why, whylen, "cannot open the policy's directory: %s", strerror(errno));
		return -errno;
	}
	r = open_ctsock(d, why, whylen);
	if (r < 0)
		return r;
	localaddr_read(&d->locals, &d->nlocals); /* revoke: (getifaddrs needs a socket) */
	if (d->o.nflog_group) {
		/* refused traffic: a group another program holds is said, and
		 * the firewall runs without the records (counters stay exact) */
		char nwhy[512];
		d->nflfd = nflogsock_open(d->o.nflog_group, nwhy, sizeof(nwhy));
		if (d->nflfd < 0)
			log_error("%s", nwhy);
	}
	d->monfd = nftmon_open(MON_RCVBUF);
	if (d->monfd < 0) {
		snprintf(why, whylen, "cannot subscribe to the nf_tables monitor: %s", strerror(-d->monfd));
		return d->monfd;
	}
	d->runfd = state_dir_open(run_dir_path(), ids->uid, ids->gid, 0750, true, why, whylen);
	if (d->runfd < 0) {
		log_warning("%s", why);
		why[0] = '\0';
	}
	d->ctlfd = control_inherited();
	if (d->ctlfd >= 0) {
		log_info("serving the control socket systemd made (vigild.socket)");
	} else if (d->runfd >= 0) {
		/* the control socket: made now (its group and mode need root) */
		d->ctlfd = control_bind(run_dir_path(), ids->gid, why, whylen);
		if (d->ctlfd < 0) {
			log_warning("%s: this vigild has no control socket ('vigild reload' and 'status' cannot reach it; signals still work)",
				    why);
			why[0] = '\0';
		}
	}
	/* asked for: no start without them */
	if (d->o.metrics_listen) {
		d->metrics_lfd = metrics_listen_bind(d->o.metrics_listen, why, whylen);
		if (d->metrics_lfd < 0)
			return d->metrics_lfd;
	}
	if (d->o.metrics_file) {
		d->metrics_dirfd = metrics_file_dir(d->o.metrics_file, why, whylen);
		if (d->metrics_dirfd < 0)
			return d->metrics_dirfd;
	}
	if (d->o.on_event) {
		r = daemon_on_event_start(d, ids, why, whylen);
		if (r < 0)
			return r;
	}
	d->statefd = state_dir_open(state_dir_path(), ids->uid, ids->gid, 0750, true, why, whylen);
	if (d->statefd < 0) {
		log_warning("%s: the last-known-good policy is not kept", why);
		why[0] = '\0';
	}
	/* the database's directory, made for the user when missing */
	fd = state_dir_open(dirname(dbcopy), ids->uid, ids->gid, 0750, true, why, whylen);
	if (fd < 0) {
		log_warning("%s: flows are not recorded", why);
		why[0] = '\0';
	} else {
		close(fd);
	}
	return 0;
}

/* ---- the database ---- */

/* --db-max-size, else a tenth of the file system the database is on. */
static uint64_t db_max_size(struct daemon *d)
{
	struct statvfs sv;
	char buf[4096];
	_cleanup_free_ char *dir = NULL;

	if (d->o.db_max_size)
		return d->o.db_max_size;
	dir = xstrdup(db_path(d, buf, sizeof(buf)));
	if (statvfs(dirname(dir), &sv) < 0)
		return 0;
	return (uint64_t)sv.f_blocks * sv.f_frsize / 10;
}

static struct flowdb *open_db(struct daemon *d, struct flowdb_lock *lk)
{
	char buf[4096], err[FLOWDB_ERRLEN] = "";
	const char *path = db_path(d, buf, sizeof(buf));
	struct flowdb *db = NULL;
	int holder = 0, r;

	r = flowdb_lock(path, lk, &holder);
	if (r == -EWOULDBLOCK) {
		log_error("%s is in use: another vigild watch (pid %d) records into it, and two would count every connection twice; flows are not recorded (name another --db)",
			  path, holder);
		return NULL;
	}
	if (r == -ELOOP) {
		log_error("%s is a symbolic link: vigild watch writes the database as user %s and never through a symbolic link; flows are not recorded",
			  path, d->ids.name);
		return NULL;
	}
	if (r == -EISDIR || r == -EINVAL) {
		log_error("%s is not a regular file: --db names the database file; flows are not recorded", path);
		return NULL;
	}
	if (r < 0) {
		log_error("cannot open the flows database %s as user %s: %s%s; flows are not recorded",
			  path, d->ids.name, strerror(-r),
			  r == -EACCES || r == -EPERM ? " (it, or its directory, must be writable by that user)" : "");
		return NULL;
	}
	r = flowdb_open(path, 0, &db, err);
	if (r < 0) {
		log_error("cannot open the flows database %s as user %s: %s; flows are not recorded", path,
			  d->ids.name, err);
		flowdb_unlock(lk, path, true);
		return NULL;
	}
	return db;
}

/* ---- the helper ---- */

static void helper_died(struct daemon *d, const char *how)
{
	siginfo_t si = { 0 };
	char buf[96];

	/* the socket closes as the process dies: say how it died when it has */
	usleep(20000);
	if (d->helper.pid > 0 &&
	    waitid(P_PID, (id_t)d->helper.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid) {
		if (si.si_code == CLD_EXITED)
			snprintf(buf, sizeof(buf), "exited with status %d", si.si_status);
		else
			snprintf(buf, sizeof(buf), "was killed by signal %d (%s)", si.si_status,
				 strsignal(si.si_status));
		how = buf;
	}
	if (d->state == DS_STOPPING)
		return;
	d->state = DS_STOPPING;
	log_error("the commit helper (pid %d) %s: vigild cannot change the firewall without it; exiting so that it is restarted (the firewall stays in the kernel as it is)",
		  (int)d->helper.pid, how);
	d->exit_code = 3;
	sd_event_exit(d->ev, 3);
}

static int on_helper_io(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	struct daemon *d = ctx;
	short pev = (short)((revents & EPOLLIN ? POLLIN : 0) | (revents & EPOLLOUT ? POLLOUT : 0) |
			    (revents & EPOLLHUP ? POLLHUP : 0) | (revents & EPOLLERR ? POLLERR : 0));

	(void)s;
	(void)fd;
	if (psep_io(&d->helper, pev) < 0)
		helper_died(d, "closed its socket");
	return 0;
}

static int on_helper_exit(sd_event_source *s, const siginfo_t *si, void *ctx)
{
	struct daemon *d = ctx;
	char how[96];

	(void)s;
	if (si->si_code == CLD_EXITED)
		snprintf(how, sizeof(how), "exited with status %d", si->si_status);
	else
		snprintf(how, sizeof(how), "was killed by signal %d (%s)", si->si_status,
			 strsignal(si->si_status));
	helper_died(d, how);
	return 0;
}

static int on_helper_timeout(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct daemon *d = ctx;

	(void)s;
	(void)usec;
	if (psep_check_timeout(&d->helper, psep_now_ms()))
		helper_died(d, "did not answer in time (stuck)");
	return 0;
}

/* After every dispatch: what the helper's socket waits for, and when the
 * request in flight times out. */
static int on_post(sd_event_source *s, void *ctx)
{
	struct daemon *d = ctx;
	uint64_t dl;

	(void)s;
	if (d->helper_io && d->helper.fd >= 0) {
		short ev = psep_poll_events(&d->helper);
		sd_event_source_set_io_events(d->helper_io,
					      EPOLLIN | (ev & POLLOUT ? EPOLLOUT : 0));
	}
	dl = psep_deadline(&d->helper);
	if (d->helper_timer) {
		if (dl) {
			sd_event_source_set_time(d->helper_timer, dl * 1000);
			sd_event_source_set_enabled(d->helper_timer, SD_EVENT_ONESHOT);
		} else {
			sd_event_source_set_enabled(d->helper_timer, SD_EVENT_OFF);
		}
	}
	return 0;
}

/* ---- signals ---- */

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ctx)
{
	struct daemon *d = ctx;

	(void)s;
	if (si->ssi_signo == SIGHUP) {
		if (!d->o.quiet)
			log_info("SIGHUP: reloading %s", d->o.policy);
		daemon_reload(d, NULL, NULL);
		return 0;
	}
	if (!d->o.quiet)
		log_info("%s: flushing and exiting", strsignal((int)si->ssi_signo));
	sd_event_exit(d->ev, 0);
	return 0;
}

/* ---- start and stop ---- */

void daemon_tick(struct daemon *d)
{
	daemon_refused_tick(d);
	daemon_write_status(d);
}

void daemon_started(struct daemon *d)
{
	char buf[64];
	time_t now = time(NULL);

	if (!d->w || d->cur)
		return;
	/* before our own first minute is written: the newest one is the last
	 * watcher's */
	writer_mark_unclean(d->w);
	if (daemon_flows_start(d, d->t_start) < 0) {
		log_error("cannot record flows: %s", strerror(errno));
		return;
	}
	if (daemon_refused_start(d) < 0)
		log_error("cannot record refused traffic: %s", strerror(errno));
	writer_meta(d->w, "policy", d->o.policy);
	writer_meta(d->w, "table", d->table);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	writer_meta(d->w, "started", buf);
	writer_meta(d->w, "nf_conntrack_acct", d->acct == 1 ? "1" : d->acct == 0 ? "0" : "unknown");
	writer_meta(d->w, "nf_conntrack_timestamp",
		    d->tstamp == 1 ? "1" : d->tstamp == 0 ? "0" : "unknown");
	snprintf(buf, sizeof(buf), "%zu", d->ct_granted);
	writer_meta(d->w, "ct_buffer", buf);
	writer_meta(d->w, "aggregate_sources", d->o.aggregate ? "1" : "0");
	if (!d->o.quiet) {
		char ret[32], pbuf[4096];
		int64_t r = d->o.retention;

		if (r % 86400 == 0)
			snprintf(ret, sizeof(ret), "%" PRId64 "d", r / 86400);
		else if (r % 3600 == 0)
			snprintf(ret, sizeof(ret), "%" PRId64 "h", r / 3600);
		else
			snprintf(ret, sizeof(ret), "%" PRId64 "m", r / 60);
		log_info("recording flows in %s (conntrack buffer %zu KiB, retention %s)",
			 db_path(d, pbuf, sizeof(pbuf)), d->ct_granted >> 10, ret);
		if (d->acct != 1 || d->tstamp != 1)
			log_notice("nf_conntrack_acct=%d nf_conntrack_timestamp=%d: flows get no packet, byte or duration figures (--ct-accounting turns both on)",
				   d->acct, d->tstamp);
	}
}

/* The loop takes these through signalfd: blocked in every thread, so
 * block them before the first thread starts. */
static void block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
}

static int setup_loop(struct daemon *d)
{
	int r;

	r = sd_event_new(&d->ev);
	if (r < 0)
		return r;
	if ((r = sd_event_add_signal(d->ev, NULL, SIGHUP, on_signal, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGTERM, on_signal, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGINT, on_signal, d)) < 0)
		return r;
	r = sd_event_add_io(d->ev, &d->helper_io, d->helper.fd, EPOLLIN, on_helper_io, d);
	if (r < 0)
		return r;
	if (d->helper.pidfd >= 0)
		r = sd_event_add_child_pidfd(d->ev, &d->helper_child, d->helper.pidfd, WEXITED,
					     on_helper_exit, d);
	else
		r = sd_event_add_child(d->ev, &d->helper_child, d->helper.pid, WEXITED, on_helper_exit, d);
	if (r < 0)
		return r;
	r = sd_event_add_time(d->ev, &d->helper_timer, CLOCK_MONOTONIC, UINT64_MAX, 1000,
			      on_helper_timeout, d);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(d->helper_timer, SD_EVENT_OFF);
	r = sd_event_add_post(d->ev, NULL, on_post, d);
	if (r < 0)
		return r;
	return daemon_drift_start(d);
}

/* The table: --table, else the one the policy names, else vigil. */
static const char *decide_table(struct daemon *d, const struct plan *pl)
{
	if (d->o.table)
		return d->o.table;
	if (pl->compiled)
		return pl->pol.table;
	log_warning("the policy is invalid, so the table it names (if any) is unknown: using table inet vigil (give --table to choose)");
	return "vigil";
}

static void shutdown_flows(struct daemon *d, struct flowdb_lock *lk)
{
	char buf[4096];
	uint64_t lost_flows = 0, lost_minutes = 0;
	size_t unwritten = 0;
	struct flowdb *db = NULL;

	if (!d->w)
		return;
	daemon_refused_stop(d);
	daemon_flows_stop(d);
	if (writer_stop(d->w, &db, &lost_flows, &lost_minutes, &unwritten) < 0 || lost_flows ||
	    lost_minutes) {
		log_error("%" PRIu64 " flows of %" PRIu64
			  " minutes could not be written to the flows database (%zu rows were still in memory at exit)",
			  lost_flows, lost_minutes, unwritten);
		if (!d->exit_code)
			d->exit_code = 3;
	}
	d->w = NULL;
	/* a start that failed leaves no database it made behind */
	bool remove = !d->cur && flowdb_is_empty(db) == 1;
	agg_free(d->cur);
	d->cur = NULL;
	agg_cap_free(d->cap);
	d->cap = NULL;
	names_unref(d->names);
	flowdb_close(db); /* before the lock's descriptor: see flowdb_lock */
	flowdb_unlock(lk, db_path(d, buf, sizeof(buf)), remove);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon D, *d = &D;
	struct psep_setup_opts so = { .verb = "vigild watch", .mode = PSEP_MODE_WATCH,
				      .force = o->force, .user = o->user, .privileged = privileged,
				      .ctx = d };
	struct flowdb_lock lk = { .fd = -1 };
	struct flowdb *db = NULL;
	char why[512] = "";
	struct plan *pl;
	pid_t holder = 0;
	int r;

	memset(d, 0, sizeof(*d));
	d->o = *o;
	d->io.nflog_group = o->nflog_group;
	d->ctfd = d->monfd = d->lockfd = d->statefd = d->runfd = d->policy_dirfd = d->ctlfd = -1;
	d->metrics_lfd = d->metrics_dirfd = d->evfd = -1;
	d->nflfd = -1;
	d->events = events_new();
	snprintf(d->db_path, sizeof(d->db_path), "%s", db_path(d, why, sizeof(why)));
	d->acct = d->tstamp = -1;
	log_init("vigild watch");
	block_signals();
	if (o->quiet)
		log_set_max_level(LOG_LVL_WARNING);
	umask(027);

	/* where the unprivileged watch writes (Landlock, src/sys/landlock.c):
	 * a feature that writes elsewhere adds its directory here */
	char dbdir[sizeof(d->db_path)];
	memcpy(dbdir, d->db_path, sizeof(dbdir));
	dbdir[sizeof(dbdir) - 1] = '\0';
	so.rw_dirs[0] = dirname(dbdir);
	so.rw_dirs[1] = state_dir_path();
	so.rw_dirs[2] = run_dir_path();
	char mdir[PATH_MAX];
	if (o->metrics_file) { /* --metrics-file: its temporary file and the rename */
		snprintf(mdir, sizeof(mdir), "%s", o->metrics_file);
		so.rw_dirs[3] = dirname(mdir);
	}
	r = psep_setup(&so, &d->helper, &d->ids, why, sizeof(why));
	if (r == 0)
		sandbox_probe();
	if (r == 0) {
		/* reads: beneath the directories written, the policy's and its
		 * set files' (confine.c), from before the first set file */
		r = daemon_confine_reads(d, so.rw_dirs, 3, why, sizeof(why));
		if (r < 0) {
			char tmp[256];
			snprintf(tmp, sizeof(tmp), "cannot confine file reads: %s", why);
			snprintf(why, sizeof(why), "%s", tmp);
		} else {
			sandbox_probe_reads();
		}
	}
	d->t_start = time(NULL); /* conntrack events are queued for us from here on */
	if (r < 0) {
		log_error("%s", why);
		goto out;
	}
	/* ---- from here on: no capabilities ---- */
	pl = daemon_compile_policy(d);
	d->table = xstrdup(decide_table(d, pl));
	r = psep_set_table(&d->helper, d->table, why, sizeof(why));
	if (r < 0) {
		log_error("cannot give the helper its table: %s", why);
		plan_free(pl);
		free(pl);
		goto out;
	}
	d->lockfd = d->runfd >= 0 ? state_lock_table(d->runfd, d->table, &holder) : -EBADF;
	if (d->lockfd == -EWOULDBLOCK) {
		log_error("table inet %s in this network namespace is managed by another vigild (pid %d): nothing was changed (stop that one, or 'systemctl reload vigild' to change its policy)",
			  d->table, (int)holder);
		plan_free(pl);
		free(pl);
		r = -1;
		goto out;
	}
	{
		/* a guard would roll back over what this watch commits */
		struct pending pe;
		if (d->runfd >= 0 && pending_read(d->runfd, d->table, &pe) == 0 && pe.alive) {
			log_error("a change of table inet %s made with 'vigild apply --confirm' is waiting for confirmation (rollback guard pid %d): 'vigild confirm' or 'vigild rollback' first; nothing was changed",
				  d->table, (int)pe.pid);
			plan_free(pl);
			free(pl);
			r = -1;
			goto out;
		}
	}
	if (d->lockfd < 0)
		/* the firewall matters more than the lock: the kernel's table
		 * ownership still keeps other writers out, where it has it */
		log_warning("cannot take the lock of table inet %s in %s: %s; a second vigild for this table would not be refused by it",
			    d->table, run_dir_path(), strerror(-d->lockfd));
	daemon_load_lkg(d);
	db = open_db(d, &lk);
	if (db) {
		uint64_t seed;
		if (getentropy(&seed, sizeof(seed)) < 0)
			seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
		d->w = writer_start(db, o->db_buffer ? o->db_buffer : WRITER_MAX_ROWS,
				    o->aggregate ? AGG_F_NO_SOURCES : 0, seed, db_max_size(d));
		if (!d->w) {
			log_error("cannot start the database writer: %s", strerror(errno));
			flowdb_close(db);
			flowdb_unlock(&lk, db_path(d, why, sizeof(why)), true);
		}
	}
	r = setup_loop(d);
	if (r < 0) {
		log_error("cannot set up the event loop: %s", strerror(-r));
		plan_free(pl);
		free(pl);
		goto out;
	}
	if (d->ctlfd >= 0) {
		d->ctl = control_start(d, d->ctlfd, d->ids.gid);
		if (!d->ctl)
			log_warning("cannot serve the control socket: %s", strerror(errno));
		else
			d->ctlfd = -1; /* libmicrohttpd's now */
	}
	if (d->metrics_lfd >= 0 || d->metrics_dirfd >= 0) {
		d->mo = metrics_out_start(d, d->metrics_lfd, d->metrics_dirfd, o->metrics_file,
					  o->metrics_interval);
		d->metrics_lfd = d->metrics_dirfd = -1; /* its now */
	}
	daemon_first_apply(d, pl);
	r = sd_event_loop(d->ev);
	d->state = DS_STOPPING;
	daemon_write_status(d);
	control_stop(d->ctl);
	d->ctl = NULL;
	metrics_out_stop(d->mo);
	d->mo = NULL;
	sd_notify(0, "STOPPING=1");
	if (r < 0 && !d->exit_code)
		d->exit_code = 3;
	shutdown_flows(d, &lk);
	r = 0;
out:
	if (r < 0 && !d->exit_code)
		d->exit_code = 3;
	if (d->w)
		shutdown_flows(d, &lk);
	if (d->active) {
		plan_free(d->active);
		free(d->active);
	}
	if (d->lkg) {
		bundle_free(d->lkg);
		free(d->lkg);
	}
	d->helper_child = sd_event_source_unref(d->helper_child);
	/* wait for the helper: until its socket is gone, an owned table is
	 * still its, and the next vigild would have to wait for it */
	psep_stop(&d->helper, true);
	sd_event_unref(d->ev);
	if (d->ctfd >= 0)
		close(d->ctfd);
	if (d->monfd >= 0)
		close(d->monfd);
	if (d->nflfd >= 0)
		close(d->nflfd);
	if (d->lockfd >= 0)
		close(d->lockfd);
	if (d->statefd >= 0)
		close(d->statefd);
	if (d->runfd >= 0)
		close(d->runfd);
	if (d->policy_dirfd >= 0)
		close(d->policy_dirfd);
	daemon_confine_free(d);
	if (d->ctlfd >= 0)
		close(d->ctlfd);
	daemon_on_event_stop(d);
	if (d->metrics_lfd >= 0)
		close(d->metrics_lfd);
	if (d->metrics_dirfd >= 0)
		close(d->metrics_dirfd);
	rule_conns_free(d);
	events_free(d->events);
	free(d->policy_base);
	free(d->policy_dir);
	free(d->locals);
	free((char *)d->table);
	return d->exit_code;
}
