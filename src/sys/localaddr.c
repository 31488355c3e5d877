// SPDX-License-Identifier: GPL-2.0-or-later
/* The host's addresses (localaddr.h). */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "vigil/localaddr.h"
#include "vigil/util.h"


void localaddr_read(struct lockout_local **v, size_t *n)
{
	struct ifaddrs *ifa = NULL;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		struct lockout_local l = { 0 };
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)i->ifa_addr;
			l.family = 4;
			l.addr = be_to_u128((const uint8_t *)&s->sin_addr, 4);
		} else {
			const struct sockaddr_in6 *s = (const void *)i->ifa_addr;
			l.family = 6;
			l.addr = be_to_u128(s->sin6_addr.s6_addr, 16);
		}
		snprintf(l.ifname, sizeof(l.ifname), "%s", i->ifa_name);
		GROW(*v, cap, *n + 1);
		(*v)[(*n)++] = l;
	}
	freeifaddrs(ifa);
}
