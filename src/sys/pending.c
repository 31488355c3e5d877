// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The record of a change `vigild apply --confirm` made without a watch:
 * RUN/pending.NETNS.TABLE (JSON, written by the apply, removed by its
 * rollback guard when it ends). Read by apply, remove, watch, confirm,
 * rollback and status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "vigil/fileio.h"
#include "vigil/pending.h"
#include "vigil/state.h"
#include "vigil/util.h"

void pending_name(char *buf, size_t len, const char *table)
{
	state_key(buf, len, "pending", table);
}

/* Is pid the live rollback guard (a vigild helper)? */
static bool guard_alive(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	/* (no kill(pid, 0): the unprivileged apply's seccomp filter has no kill) */
	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "vigild-helper", 13) == 0;
}

int pending_read(int runfd, const char *table, struct pending *pe)
{
	_cleanup_free_ char *buf = NULL;
	char name[128];
	size_t len = 0;
	json_object *o, *v;

	memset(pe, 0, sizeof(*pe));
	pending_name(name, sizeof(name), table);
	if (state_read(runfd, name, 1u << 16, &buf, &len) < 0)
		return -ENOENT;
	o = json_tokener_parse(buf);
	if (!o)
		return -EBADMSG;
	if (json_object_object_get_ex(o, "deadline", &v))
		pe->deadline = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "guard_pid", &v))
		pe->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "policy", &v))
		snprintf(pe->policy, sizeof(pe->policy), "%s", json_object_get_string(v));
	json_object_put(o);
	pe->alive = guard_alive(pe->pid);
	return 0;
}

