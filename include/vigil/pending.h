/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PENDING_H
#define VIGIL_PENDING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A change waiting for confirmation (RUN/pending.NETNS.TABLE). */
struct pending {
	int64_t deadline;   /* Unix seconds */
	pid_t pid;          /* the rollback guard */
	bool alive;         /* it still runs */
	char policy[512];
};
void pending_name(char *buf, size_t len, const char *table);
/* 0 with pe, or -ENOENT when nothing is recorded. */
int pending_read(int runfd, const char *table, struct pending *pe);


#endif
