/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_FILEIO_H
#define VIGIL_FILEIO_H

#include <stddef.h>

/* Opens a file to read, without blocking on a FIFO that has no writer.
 * Returns the descriptor (O_CLOEXEC, blocking reads) or -errno. */
int open_input_at(int dirfd, const char *path);

/*
 * Reads a whole regular file (relative paths against dirfd; AT_FDCWD for the
 * current directory) into a malloc'd, NUL-terminated buffer. Reads at most
 * max + 1 bytes, so a huge file costs nothing: returns -EFBIG when there is
 * more than max; -ENODEV for a pipe, device or socket, -EISDIR for a
 * directory. Other failures: negative errno.
 */
int read_file_at(int dirfd, const char *path, size_t max, char **buf, size_t *len);

/* Reads an already open fd the same way (does not close it). */
int read_fd(int fd, size_t max, char **buf, size_t *len);

/*
 * read_file_at for a file that may be being written (a reload while an
 * editor saves): reads it whole and checks that its inode, size, mtime and
 * ctime did not change during the read, and, when it was changed less than
 * 200 ms before, that it stays unchanged until then (a writer between two
 * writes); tries three times, then -EAGAIN.
 */
int read_stable_at(int dirfd, const char *path, size_t max, char **buf, size_t *len);

#endif
