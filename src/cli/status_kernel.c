// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What vigild status adds about the kernel: whether it holds what the
 * running policy compiles to (the watch's GET /v1/diff), and, with no watch,
 * whether the table is there at all (Absent).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_client.h"
#include "status_kernel.h"
#include "vigil/nl.h"

void status_add_diff(json_object *o)
{
	struct ctl_answer a = { 0 };
	json_object *k;
	unsigned long add = 0, del = 0;
	const char *last;

	if (ctl_request("GET", "/v1/diff", NULL, 0, 10000, &a) < 0 || a.status != 200 || !a.body) {
		ctl_answer_free(&a);
		return; /* an older watch, or no access: nothing said */
	}
	k = json_object_new_object();
	last = strrchr(a.body, '\n');
	while (last && last > a.body && last[-1] != '\n')
		last--;
	if (strncmp(a.body, "no difference", 13) == 0) {
		json_object_object_add(k, "differs", json_object_new_boolean(false));
	} else {
		if (last)
			sscanf(last, "%lu line%*s to add, %lu to remove", &add, &del);
		json_object_object_add(k, "differs", json_object_new_boolean(true));
		json_object_object_add(k, "lines_added", json_object_new_int64((int64_t)add));
		json_object_object_add(k, "lines_removed", json_object_new_int64((int64_t)del));
	}
	json_object_object_add(o, "kernel_diff", k);
	ctl_answer_free(&a);
}

void status_print_diff(json_object *o)
{
	json_object *k;

	if (!json_object_object_get_ex(o, "kernel_diff", &k))
		return;
	json_object *d = NULL, *a = NULL, *r = NULL;
	json_object_object_get_ex(k, "differs", &d);
	json_object_object_get_ex(k, "lines_added", &a);
	json_object_object_get_ex(k, "lines_removed", &r);
	if (!json_object_get_boolean(d))
		printf("%-12s%s\n", "Kernel:", "holds what the running policy compiles to");
	else
		printf("%-12skernel differs from policy: %lld lines to add, %lld to remove (GET /v1/diff, or 'vigild diff POLICY', shows them)\n",
		       "Kernel:", (long long)json_object_get_int64(a), (long long)json_object_get_int64(r));
}

int status_table_absent(const char *table)
{
	struct nl nl;
	struct nl_table_info ti;
	int r;

	/* nf_tables answers only CAP_NET_ADMIN, even to read */
	if (geteuid() != 0 || nl_open(&nl) < 0)
		return -EPERM;
	r = nl_table_info(&nl, table, &ti);
	nl_close(&nl);
	return r < 0 ? r : !ti.exists;
}
