/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LOCALADDR_H
#define VIGIL_LOCALADDR_H

#include <stddef.h>

#include "vigil/lockout.h"

/*
 * The host's addresses with the interface holding each (getifaddrs: it
 * opens a netlink socket, so call it before the sandbox). *v is malloc'd
 * (free it); what cannot be read is missing: *n may be 0.
 */
void localaddr_read(struct lockout_local **v, size_t *n);

#endif
