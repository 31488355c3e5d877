// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The metrics outside the control socket: --metrics-file PATH (the
 * node_exporter textfile collector's format, rewritten atomically every
 * --metrics-interval seconds) and --metrics-listen ADDR:PORT (a second
 * libmicrohttpd daemon, on TCP, that serves GET /metrics and nothing else).
 * Both render what GET /metrics renders, from one dump of the table's
 * counters by the helper: scrapes that arrive while a dump is under way
 * wait for it. The TCP socket is bound while privileged (the sandbox
 * allows no new inet socket); the file's directory is opened then too,
 * and must be writable by vigild's user.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "vigil/log.h"
#include "vigil/state.h"
#include "daemon.h"
#include "metrics_out.h"

#define SCRAPE_TIMEOUT_MS 30000

struct scrape {
	struct metrics_out *mo;
	struct MHD_Connection *c;
	char *text;             /* the answer, once the dump is back */
	unsigned status;
	bool suspended;
	struct scrape *next;
};

/* One dump in flight; its callback may come after metrics_out_stop. */
struct ticket {
	struct metrics_out *mo;
};

struct metrics_out {
	struct daemon *d;
	struct MHD_Daemon *mhd;
	sd_event_source *io, *timer, *file_timer;
	struct scrape *waiting;
	struct ticket *ticket;
	bool file_due;
	int dirfd;
	char *name;             /* the file's name in dirfd */
	const char *path;
	unsigned interval;
	int last_err;           /* said once until it changes */
};

/* ---- binding (privileged) ---- */

int metrics_listen_bind(const char *spec, char *why, size_t whylen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char host[64];
	const char *colon = strrchr(spec, ':');
	unsigned long port;
	char *end;
	int fd, one = 1;
	size_t hl;

	if (!colon || colon == spec || (hl = (size_t)(colon - spec)) >= sizeof(host))
		goto bad;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || port == 0 || port > 65535)
		goto bad;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else {
		goto bad;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET6 ? sizeof(*s6) : sizeof(*s4)) < 0 ||
	    listen(fd, 16) < 0) {
		int e = errno;
		snprintf(why, whylen, "--metrics-listen %s: %s", spec, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
bad:
	snprintf(why, whylen, "--metrics-listen wants ADDRESS:PORT (127.0.0.1:9469, [::1]:9469), not '%s'", spec);
	return -EINVAL;
}

int metrics_file_dir(const char *path, char *why, size_t whylen)
{
	_cleanup_free_ char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		snprintf(why, whylen, "--metrics-file %s: cannot open its directory: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

/* ---- one dump for everyone waiting ---- */

static void kick(struct metrics_out *mo)
{
	if (!mo->timer)
		return;
	sd_event_source_set_time_relative(mo->timer, 0);
	sd_event_source_set_enabled(mo->timer, SD_EVENT_ONESHOT);
}

static void write_file(struct metrics_out *mo, const struct strbuf *sb)
{
	int e = state_write(mo->dirfd, mo->name, sb->s, sb->len, 0644);

	if (e < 0 && e != mo->last_err)
		log_warning("cannot write the metrics file %s: %s%s", mo->path, strerror(-e),
			    e == -EACCES ? " (its directory must be writable by vigild's user)" : "");
	else if (e == 0 && mo->last_err)
		log_notice("the metrics file %s is written again", mo->path);
	mo->last_err = e;
}

static void dump_done(void *ctx, struct psep_reply *rep)
{
	struct ticket *t = ctx;
	struct metrics_out *mo = t->mo;
	struct strbuf sb = { 0 };

	free(t);
	if (!mo)
		return; /* stopped meanwhile */
	mo->ticket = NULL;
	/* without the kernel's counters the rest is still worth a scrape */
	if (rep->status == 0 && rep->u.dump.status == 0)
		daemon_metrics(mo->d, rep->extra, rep->extra_len, &sb);
	else
		daemon_metrics(mo->d, NULL, 0, &sb);
	if (mo->file_due) {
		mo->file_due = false;
		write_file(mo, &sb);
	}
	for (struct scrape *s = mo->waiting; s; s = s->next)
		if (!s->text) {
			s->text = xstrdup(sb.s ? sb.s : "");
			s->status = 200;
			if (s->suspended) {
				s->suspended = false;
				MHD_resume_connection(s->c);
			}
		}
	sb_free(&sb);
	kick(mo);
}

static void need_dump(struct metrics_out *mo)
{
	if (mo->ticket)
		return;
	mo->ticket = xzalloc(sizeof(*mo->ticket));
	mo->ticket->mo = mo;
	psep_submit(&mo->d->helper, PSEP_REQ_DUMP, NULL, 0, SCRAPE_TIMEOUT_MS, dump_done, mo->ticket);
}

static int on_file_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct metrics_out *mo = ctx;

	sd_event_source_set_time(s, usec + (uint64_t)mo->interval * 1000000u);
	mo->file_due = true;
	need_dump(mo);
	return 0;
}

/* ---- the TCP listener ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
			     const char *ctype)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result x;

	MHD_add_response_header(resp, "Content-Type", ctype);
	if (status == 405)
		MHD_add_response_header(resp, "Allow", "GET");
	x = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return x;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct metrics_out *mo = cls;
	struct scrape *s = *con_cls;

	(void)version;
	(void)upload;
	if (!s) {
		if (!streq(url, "/metrics"))
			return reply(c, 404, "{\"error\": \"only /metrics is served here\", \"status\": 404}\n",
				     "application/json");
		if (!streq(method, "GET"))
			return reply(c, 405, "{\"error\": \"only GET is allowed on /metrics\", \"status\": 405}\n",
				     "application/json");
		s = xzalloc(sizeof(*s));
		s->mo = mo;
		s->c = c;
		s->next = mo->waiting;
		mo->waiting = s;
		*con_cls = s;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a GET's body is ignored */
		return MHD_YES;
	}
	if (s->text)
		return reply(c, s->status, s->text, s->status == 200 ? "text/plain; version=0.0.4" : "application/json");
	s->suspended = true;
	MHD_suspend_connection(c);
	need_dump(mo);
	return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct metrics_out *mo = cls;
	struct scrape *s = *con_cls;

	(void)c;
	(void)toe;
	if (!s)
		return;
	for (struct scrape **p = &mo->waiting; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s->text);
	free(s);
	*con_cls = NULL;
}

static void arm_timer(struct metrics_out *mo)
{
	MHD_UNSIGNED_LONG_LONG t = 0;

	if (MHD_get_timeout(mo->mhd, &t) == MHD_YES) {
		sd_event_source_set_time_relative(mo->timer, (uint64_t)t * 1000u);
		sd_event_source_set_enabled(mo->timer, SD_EVENT_ONESHOT);
	} else {
		sd_event_source_set_enabled(mo->timer, SD_EVENT_OFF);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	struct metrics_out *mo = ctx;

	(void)s;
	(void)fd;
	(void)revents;
	MHD_run(mo->mhd);
	arm_timer(mo);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	(void)usec;
	return on_io(s, -1, 0, ctx);
}

static int start_listen(struct metrics_out *mo, int fd)
{
	const union MHD_DaemonInfo *di;

	mo->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, handle, mo,
				   MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				   MHD_OPTION_CONNECTION_LIMIT, 16u,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32u << 10),
				   MHD_OPTION_NOTIFY_COMPLETED, completed, mo, MHD_OPTION_END);
	if (!mo->mhd)
		return -EINVAL;
	di = MHD_get_daemon_info(mo->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || sd_event_add_io(mo->d->ev, &mo->io, di->epoll_fd, EPOLLIN, on_io, mo) < 0 ||
	    sd_event_add_time_relative(mo->d->ev, &mo->timer, CLOCK_MONOTONIC, 1000000, 10000,
				       on_timer, mo) < 0)
		return -EINVAL;
	arm_timer(mo);
	return 0;
}

struct metrics_out *metrics_out_start(struct daemon *d, int listenfd, int dirfd, const char *path,
				      unsigned interval)
{
	struct metrics_out *mo = xzalloc(sizeof(*mo));
	_cleanup_free_ char *copy = path ? xstrdup(path) : NULL;

	mo->d = d;
	mo->dirfd = dirfd;
	mo->path = path;
	mo->interval = interval ? interval : 15;
	if (listenfd >= 0 && start_listen(mo, listenfd) < 0) {
		log_warning("cannot serve --metrics-listen: %s", strerror(errno));
		close(listenfd);
	}
	if (dirfd >= 0 && path) {
		mo->name = xstrdup(basename(copy));
		/* the first at once, then every interval */
		if (sd_event_add_time_relative(d->ev, &mo->file_timer, CLOCK_MONOTONIC, 0, 100000,
					       on_file_timer, mo) >= 0)
			sd_event_source_set_enabled(mo->file_timer, SD_EVENT_ON);
	}
	return mo;
}

void metrics_out_stop(struct metrics_out *mo)
{
	if (!mo)
		return;
	if (mo->ticket)
		mo->ticket->mo = NULL; /* its callback comes when the helper stops */
	for (struct scrape *s = mo->waiting; s; s = s->next)
		if (s->suspended) {
			free(s->text);
			s->text = xstrdup("{\"error\": \"vigild is stopping\", \"status\": 503}\n");
			s->status = 503;
			s->suspended = false;
			MHD_resume_connection(s->c);
		}
	if (mo->mhd) {
		MHD_run(mo->mhd);
		sd_event_source_unref(mo->io);
		sd_event_source_unref(mo->timer);
		mo->timer = NULL;
		MHD_stop_daemon(mo->mhd); /* closes the listening socket */
	}
	sd_event_source_unref(mo->file_timer);
	/* a stopped watch's figures would stay there, vigil_up 1 included:
	 * gone, the collector's absent(vigil_up) says the truth */
	if (mo->dirfd >= 0 && mo->name && unlinkat(mo->dirfd, mo->name, 0) < 0 && errno != ENOENT)
		log_warning("cannot remove the metrics file %s: %s", mo->path, strerror(errno));
	if (mo->dirfd >= 0)
		close(mo->dirfd);
	free(mo->name);
	free(mo);
}
