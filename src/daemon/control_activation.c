// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket activation of the control socket (packaging/vigild.socket):
 * systemd holds the listening socket across restarts of vigild, so a
 * client that connects while vigild restarts (`vigild status`, an
 * ExecReload) waits in the backlog instead of being refused.
 */
#include <fcntl.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "vigil/log.h"
#include "control.h"

int control_inherited(void)
{
	/* 1: LISTEN_* are unset, so the helper does not see them; the
	 * descriptors are close-on-exec */
	int n = sd_listen_fds(1), fd = SD_LISTEN_FDS_START;

	if (n <= 0)
		return -1;
	if (n > 1 || sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
		log_warning("systemd passed %d socket(s) that are not one listening unix stream socket: ignored, the control socket is made as without vigild.socket",
			    n);
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -1;
	return fd;
}
