// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "vigil/fileio.h"
#include "vigil/util.h"

int read_fd(int fd, size_t max, char **ret, size_t *retlen)
{
	struct stat st;
	size_t cap, len = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return -EFBIG;
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	if (cap > max + 1)
		cap = max + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;
		if (len == cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	*retlen = len;
	return 0;
}

int open_input_at(int dirfd, const char *path)
{
	/* O_NONBLOCK: a FIFO nobody writes to must not block the open; then
	 * reads block again, and a FIFO without a writer reads as empty */
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int fl;

	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static bool on_pseudo_fs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 &&
	       (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
		sf.f_type == DEBUGFS_MAGIC || sf.f_type == SECURITYFS_MAGIC);
}

int read_file_at(int dirfd, const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open_input_at(dirfd, path);
	struct stat st;
	int r;

	if (fd < 0)
		return fd;
	/* a FIFO nobody writes to would read as empty, a device as endless
	 * data: regular files only (a directory is read_fd's -EISDIR); and
	 * none of /proc or /sys, whose "files" are another process's memory
	 * or the kernel's state reached through magic links */
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) ||
	    on_pseudo_fs(fd))
		r = -ENODEV;
	else
		r = read_fd(fd, max, buf, len);
	close(fd);
	return r;
}

/* How long a file must have been left alone before it counts as saved. */
#define SETTLE_NS 200000000LL

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* A file changed less than SETTLE_NS ago may still be being written (an
 * editor's second write, a `cat >` in progress): wait until it has been
 * left alone that long, then say whether it is still the one read. */
static bool settled(int fd, const struct stat *a)
{
	struct timespec now, until;
	struct stat b;
	long long age;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return true;
	age = (long long)(now.tv_sec - a->st_mtim.tv_sec) * 1000000000LL +
	      (now.tv_nsec - a->st_mtim.tv_nsec);
	if (age >= SETTLE_NS || age < 0)
		return true;
	until.tv_sec = (time_t)((SETTLE_NS - age) / 1000000000LL);
	until.tv_nsec = (long)((SETTLE_NS - age) % 1000000000LL);
	while (nanosleep(&until, &until) < 0 && errno == EINTR)
		;
	return fstat(fd, &b) == 0 && same_file(a, &b);
}

int read_stable_at(int dirfd, const char *path, size_t max, char **buf, size_t *len)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = open_input_at(dirfd, path);
		struct stat a, b;
		int r;

		if (fd < 0)
			return fd;
		if (fstat(fd, &a) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (!S_ISREG(a.st_mode)) {
			close(fd);
			return S_ISDIR(a.st_mode) ? -EISDIR : -ENODEV;
		}
		r = read_fd(fd, max, buf, len);
		if (r == 0 && fstat(fd, &b) == 0 && same_file(&a, &b) && (off_t)*len == b.st_size &&
		    settled(fd, &b)) {
			close(fd);
			return 0;
		}
		close(fd);
		if (r < 0)
			return r;
		free(*buf);
		*buf = NULL;
	}
	return -EAGAIN;
}
