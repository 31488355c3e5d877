// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vigil/sdnotify.h"

static int notify_fd = -1;

int sdnotify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t salen;

	if (!path || !*path || notify_fd >= 0)
		return 0;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0)
		return -errno;
	if (connect(notify_fd, (struct sockaddr *)&sa, salen) < 0) {
		int e = -errno;
		close(notify_fd);
		notify_fd = -1;
		return e;
	}
	unsetenv("NOTIFY_SOCKET"); /* not for children */
	return 0;
}

int sdnotify(const char *state)
{
	if (notify_fd < 0)
		return 0;
	if (send(notify_fd, state, strlen(state), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}
