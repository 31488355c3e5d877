/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_SDNOTIFY_H
#define VIGIL_SDNOTIFY_H

/*
 * systemd's readiness protocol without libsystemd: a datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET. sdnotify_open() connects while we
 * may still be privileged; sdnotify() sends ("READY=1", "RELOADING=1", ...).
 * Both do nothing when not started by systemd. Returns 0 or a negative errno.
 */
int sdnotify_open(void);
int sdnotify(const char *state);

#endif
