// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flows database's writer lock: one writer per database file (flock on
 * the file itself, opened without following symlinks), its holder named
 * from /proc/locks; on unlock with `remove`, the file and its -wal and -shm
 * are removed only if this run created them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vigil/flowdb.h"
#include "vigil/util.h"
#include "flowdb_int.h"

/* The pid holding a FLOCK lock on (dev, ino), from /proc/locks; 0 when not found. */
static int flowdb_lock_holder(dev_t dev, ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char kind[16];
		unsigned maj, min;
		unsigned long long in;
		int pid;

		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" */
		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*s %15s %*s %*s %d %x:%x:%llu", kind, &pid, &maj, &min, &in) != 5)
			continue;
		if (streq(kind, "FLOCK") && in == (unsigned long long)ino && maj == major(dev) &&
		    min == minor(dev) && pid > 0)
			found = pid;
	}
	fclose(f);
	return found;
}

static bool flowdb_exists(const char *path, const char *suffix)
{
	_cleanup_free_ char *p = xasprintf("%s%s", path, suffix);
	struct stat st;

	return lstat(p, &st) == 0;
}

int flowdb_lock(const char *path, struct flowdb_lock *lk, int *holder)
{
	const int flags = O_RDWR | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	struct stat st;
	int fd, r;

	lk->fd = -1;
	lk->created = false;
	if (holder)
		*holder = 0;
	lk->had_wal = flowdb_exists(path, "-wal");
	lk->had_shm = flowdb_exists(path, "-shm");
	/* O_EXCL: know whether this run made the file (and may remove it) */
	fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		lk->created = true;
	} else if (errno == EEXIST) {
		fd = open(path, flags);
		if (fd < 0 && errno == ELOOP && lstat(path, &st) == 0 && !S_ISLNK(st.st_mode))
			errno = EINVAL;
	}
	if (fd < 0) {
		r = -errno;
		/* O_EXCL on a dangling symlink says EEXIST, then ENOENT */
		if ((r == -ENOENT || r == -EEXIST) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			r = -ELOOP;
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		close(fd);
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		if (r == -EWOULDBLOCK && holder)
			*holder = flowdb_lock_holder(st.st_dev, st.st_ino);
		close(fd);
		/* the file is someone else's now: never remove it */
		return r;
	}
	lk->fd = fd;
	return 0;
}

void flowdb_unlock(struct flowdb_lock *lk, const char *path, bool remove)
{
	if (lk->fd < 0)
		return;
	if (remove && lk->created) {
		/* while still locked: no other watcher can have started on it */
		unlink(path);
		if (!lk->had_wal) {
			_cleanup_free_ char *p = xasprintf("%s-wal", path);
			unlink(p);
		}
		if (!lk->had_shm) {
			_cleanup_free_ char *p = xasprintf("%s-shm", path);
			unlink(p);
		}
	}
	close(lk->fd);
	lk->fd = -1;
}
