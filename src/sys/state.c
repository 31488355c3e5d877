// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/fileio.h"
#include "vigil/state.h"
#include "vigil/util.h"

const char *state_dir_path(void)
{
	const char *e = getenv("VIGIL_STATE_DIR");
	return e && *e ? e : STATE_DIR_DEFAULT;
}

const char *run_dir_path(void)
{
	const char *e = getenv("VIGIL_RUN_DIR");
	return e && *e ? e : RUN_DIR_DEFAULT;
}

/* Whoever may write a directory can swap what is in it. */
static const char *dir_problem(const struct stat *st, uid_t uid)
{
	if (!S_ISDIR(st->st_mode))
		return "is not a directory";
	if (st->st_uid != 0 && st->st_uid != uid)
		return "is owned by another user";
	if (st->st_mode & S_IWOTH)
		return "is writable by everyone";
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && st->st_uid != uid)
		return "is writable by a group";
	return NULL;
}

int state_dir_open(const char *path, uid_t uid, gid_t gid, mode_t mode, bool create, char *why,
		   size_t whylen)
{
	_cleanup_free_ char *copy = xstrdup(path), *copy2 = xstrdup(path);
	const char *parent = dirname(copy), *base = basename(copy2);
	_cleanup_close_ int pfd = -1;
	struct stat st;
	const char *bad;
	bool made = false;
	int fd;

	pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", parent, strerror(errno));
		return -errno;
	}
	if (fstat(pfd, &st) < 0 || (st.st_uid != 0 && st.st_uid != uid) || (st.st_mode & S_IWOTH)) {
		snprintf(why, whylen, "%s is writable by users other than root and %u: refusing to keep state in it",
			 parent, (unsigned)uid);
		return -EPERM;
	}
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(pfd, base, mode) < 0 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
			return -errno;
		}
		made = true;
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot open %s: %s", path,
			 e == ELOOP || e == ENOTDIR ? "not a directory (a symbolic link?)" : strerror(e));
		return -e;
	}
	if (made && geteuid() == 0 && fchown(fd, uid, gid) < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot give %s to uid %u: %s", path, (unsigned)uid, strerror(e));
		close(fd);
		unlinkat(pfd, base, AT_REMOVEDIR); /* leave nothing half-made behind */
		return -e;
	}
	if (fstat(fd, &st) < 0 || (bad = dir_problem(&st, uid))) {
		snprintf(why, whylen, "%s %s: refusing to keep state in it", path,
			 fstat(fd, &st) < 0 ? "cannot be examined" : dir_problem(&st, uid));
		close(fd);
		return -EPERM;
	}
	return fd;
}

int state_write(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	char tmp[300];
	const char *p = buf;
	int fd, e = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (len && !e) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno != EINTR)
			e = errno;
		else if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (!e && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && renameat(dirfd, tmp, dirfd, name) < 0)
		e = errno;
	if (e) {
		unlinkat(dirfd, tmp, 0);
		return -e;
	}
	fsync(dirfd);
	return 0;
}

int state_read(int dirfd, const char *name, size_t max, char **buf, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = -ENODEV;
	else
		r = read_fd(fd, max, buf, len);
	close(fd);
	return r;
}

int state_unlink(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

uint64_t state_netns_id(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

void state_key(char *buf, size_t len, const char *name, const char *table)
{
	snprintf(buf, len, "%s.%" PRIu64 ".%s", name, state_netns_id(), table);
}

static pid_t read_pid(int fd)
{
	char b[24];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		return 0;
	b[n] = '\0';
	return (pid_t)strtol(b, NULL, 10);
}

int state_lock_table(int rundirfd, const char *table, pid_t *holder)
{
	char name[128], pid[24];
	int fd, n;

	*holder = 0;
	state_key(name, sizeof(name), "lock", table);
	fd = openat(rundirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		*holder = read_pid(fd);
		close(fd);
		return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* the lock holds without the pid; the message names no pid */
	}
	return fd;
}

pid_t state_lock_holder(int rundirfd, const char *table)
{
	char name[128];
	pid_t pid = 0;
	int fd;

	state_key(name, sizeof(name), "lock", table);
	fd = openat(rundirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		pid = read_pid(fd);
	close(fd);
	return pid;
}

size_t state_held_locks(int rundirfd, struct state_held *out, size_t max)
{
	char prefix[64];
	size_t n = 0, pl;
	int dfd = dup(rundirfd);
	DIR *dir;
	struct dirent *e;

	if (dfd < 0)
		return 0;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return 0;
	}
	snprintf(prefix, sizeof(prefix), "lock.%" PRIu64 ".", state_netns_id());
	pl = strlen(prefix);
	while ((e = readdir(dir)) && n < max) {
		pid_t pid;

		if (strncmp(e->d_name, prefix, pl) != 0 || strlen(e->d_name + pl) >= sizeof(out->table))
			continue;
		pid = state_lock_holder(rundirfd, e->d_name + pl);
		if (pid <= 0)
			continue;
		snprintf(out[n].table, sizeof(out[n].table), "%s", e->d_name + pl);
		out[n].pid = pid;
		n++;
	}
	closedir(dir);
	return n;
}
