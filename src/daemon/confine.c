// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The watch's read limit (Landlock, src/sys/landlock.c): once unprivileged
 * and under seccomp, and before it reads any set file, the watch learns
 * which directories its policy's set files are in (the policy text is
 * checked with a reader that records each path and reads nothing), then
 * confines its reads to those, the policy's directory, and the database's,
 * state and run directories. What it may read is fixed from then on: a
 * reload, or an 'apply --confirm' through the watch, whose set files lie
 * elsewhere is refused with a located error that says so (and that a
 * restart moves the limit), before anything is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/fileio.h"
#include "vigil/log.h"
#include "vigil/policy.h"
#include "vigil/sandbox.h"
#include "vigil/state.h"
#include "daemon.h"

struct recorded {
	char **paths;
	size_t n, cap;
};

/* A policy_read_fn that only notes the path. */
static int record_path(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct recorded *rec = ctx;

	(void)max;
	(void)buf;
	(void)len;
	GROW(rec->paths, rec->cap, rec->n + 1);
	rec->paths[rec->n++] = xstrdup(path);
	return -ENOENT;
}

/* The absolute, resolved directory a file named path (relative to base
 * unless absolute) is in, after symbolic links (the file's own too, as
 * Landlock sees it); NULL when not even the directory exists. */
static char *file_dir(const char *base, const char *path)
{
	char full[PATH_MAX];
	char *rp;

	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", base ? base : ".", path);
	rp = realpath(full, NULL);
	if (rp) {
		char *dir = xstrdup(dirname(rp));
		free(rp);
		return dir;
	}
	return realpath(dirname(full), NULL);
}

static void add_dir(struct daemon *d, char *dir)
{
	if (!dir)
		return;
	for (size_t i = 0; i < d->nread_dirs; i++)
		if (streq(d->read_dirs[i], dir)) {
			free(dir);
			return;
		}
	GROW(d->read_dirs, d->read_cap, d->nread_dirs + 1);
	d->read_dirs[d->nread_dirs++] = dir;
}

/* The set files' directories of the configured policy (read, not loaded). */
static void collect_set_dirs(struct daemon *d)
{
	struct recorded rec = { 0 };
	struct policy_opts po = { .read_file = record_path, .read_ctx = &rec };
	_cleanup_free_ char *buf = NULL;
	struct policy pol;
	struct diags dg = { 0 };
	size_t len = 0;

	memset(&pol, 0, sizeof(pol));
	if (read_stable_at(d->policy_dirfd, d->policy_base, POLICY_MAX_FILE, &buf, &len) == 0) {
		policy_compile_buffer(d->o.policy, buf, len, &po, &pol, &dg);
		policy_free(&pol);
		diags_free(&dg);
	}
	for (size_t i = 0; i < rec.n; i++) {
		add_dir(d, file_dir(d->policy_dir, rec.paths[i]));
		free(rec.paths[i]);
	}
	free(rec.paths);
}

int daemon_confine_reads(struct daemon *d, const char *const *more, size_t nmore, char *why,
			 size_t whylen)
{
	struct strbuf sb = { 0 };
	int r;

	tzset(); /* glibc reads /etc/localtime once, now, not after */
	add_dir(d, d->policy_dir ? xstrdup(d->policy_dir) : NULL);
	add_dir(d, file_dir(NULL, d->o.policy)); /* a policy that is a link: where it points */
	collect_set_dirs(d);
	for (size_t i = 0; i < nmore; i++)
		add_dir(d, more[i] ? realpath(more[i], NULL) : NULL);
	r = sandbox_landlock_reads((const char *const *)d->read_dirs, d->nread_dirs, why, whylen);
	if (r == 1) {
		log_info("%s", why);
		why[0] = '\0';
		return 0;
	}
	if (r < 0)
		return r;
	d->reads_confined = true;
	for (size_t i = 0; i < d->nread_dirs; i++)
		sb_printf(&sb, "%s%s", i ? ", " : "", d->read_dirs[i]);
	log_info("reads files only beneath %s and /proc (Landlock; a policy's set files elsewhere need a restart)",
		 sb.s ? sb.s : "(nothing)");
	sb_free(&sb);
	return 0;
}

bool daemon_may_read_dir(const struct daemon *d, const char *dir)
{
	if (!d->reads_confined)
		return true;
	for (size_t i = 0; i < d->nread_dirs; i++) {
		const char *a = d->read_dirs[i];
		size_t n = strlen(a);

		if (streq(a, "/") || (strncmp(dir, a, n) == 0 && (dir[n] == '\0' || dir[n] == '/')))
			return true;
	}
	return false;
}

int daemon_read_confined(struct daemon *d, int dirfd, const char *base, const char *path,
			 size_t max, char **buf, size_t *len)
{
	if (d->reads_confined) {
		_cleanup_free_ char *dir = file_dir(base, path);

		/* (a directory that does not exist reads as ENOENT, as before) */
		if (dir && !daemon_may_read_dir(d, dir))
			return POLICY_READ_CONFINED;
	}
	return read_file_at(dirfd, path, max, buf, len);
}

void daemon_confine_free(struct daemon *d)
{
	for (size_t i = 0; i < d->nread_dirs; i++)
		free(d->read_dirs[i]);
	free(d->read_dirs);
	d->read_dirs = NULL;
	d->nread_dirs = d->read_cap = 0;
}
