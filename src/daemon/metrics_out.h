/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DAEMON_METRICS_OUT_H
#define VIGIL_DAEMON_METRICS_OUT_H

#include <stddef.h>

struct daemon;
struct metrics_out;

/* While privileged: the --metrics-listen socket (ADDR:PORT, [V6]:PORT),
 * and the --metrics-file's directory. The fd, or -errno (why says what). */
int metrics_listen_bind(const char *spec, char *why, size_t whylen);
int metrics_file_dir(const char *path, char *why, size_t whylen);

/* Serves listenfd (if >= 0) and writes path in dirfd (if >= 0) every
 * interval seconds; takes both descriptors. */
struct metrics_out *metrics_out_start(struct daemon *d, int listenfd, int dirfd, const char *path,
				      unsigned interval);
void metrics_out_stop(struct metrics_out *mo);

#endif
