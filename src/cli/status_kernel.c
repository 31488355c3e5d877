// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What vigild status adds about the kernel: whether it holds what the
 * running policy compiles to (the watch's GET /v1/diff), and, with no watch,
 * whether the table is there at all (Absent).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_client.h"
#include "status_kernel.h"
#include "vigil/bundle.h"
#include "vigil/nl.h"
#include "vigil/plan.h"
#include "vigil/state.h"
#include "vigil/tablediff.h"

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
	json_object_object_add(k, "against", json_object_new_string("the running policy"));
	json_object_object_add(o, "kernel_diff", k);
	ctl_answer_free(&a);
}

static void put_counts(json_object *o, const struct tablediff_counts *c, const char *against)
{
	json_object *k = json_object_new_object();

	json_object_object_add(k, "differs", json_object_new_boolean(c->added || c->removed));
	if (c->added || c->removed) {
		json_object_object_add(k, "lines_added", json_object_new_int64((int64_t)c->added));
		json_object_object_add(k, "lines_removed", json_object_new_int64((int64_t)c->removed));
	}
	json_object_object_add(k, "against", json_object_new_string(against));
	json_object_object_add(o, "kernel_diff", k);
}

/* The stored last-known-good policy, compiled (its set files are in it). */
static bool last_good(const char *table, struct plan *pl)
{
	_cleanup_free_ char *buf = NULL;
	struct bundle bu = { 0 };
	const char *why;
	char name[128];
	size_t len = 0;
	int fd = open(state_dir_path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = false;

	memset(pl, 0, sizeof(*pl));
	state_key(name, sizeof(name), "last-good", table);
	if (fd >= 0 && state_read(fd, name, 64u << 20, &buf, &len) == 0 &&
	    bundle_parse(buf, len, &bu, &why) == 0) {
		ok = plan_compile_bundle(pl, &bu, table, NULL) == 0;
		bundle_free(&bu);
	}
	if (fd >= 0)
		close(fd);
	if (!ok)
		plan_free(pl);
	return ok;
}

void status_add_diff_unwatched(json_object *o, const char *table)
{
	struct nl nl;
	struct strbuf dump = { 0 }, lines = { 0 };
	struct tablediff_counts c;
	struct plan pl;
	uint32_t genid;
	int r;

	/* reading nf_tables needs CAP_NET_ADMIN; the stored policy carries
	 * its set files, so compiling it reads no file */
	if (geteuid() != 0 || !last_good(table, &pl))
		return;
	if (nl_open(&nl) == 0) {
		r = nl_dump_table(&nl, table, 256u << 20, &dump, &genid);
		nl_close(&nl);
		if ((r == 0 || r == -ENOENT) &&
		    tablediff_tables(dump.s, r == 0 ? dump.len : 0, &pl.t, &pl.t, &lines, &c) == 0)
			put_counts(o, &c, "the last policy applied");
	}
	sb_free(&dump);
	sb_free(&lines);
	plan_free(&pl);
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
	json_object *ag = NULL;
	json_object_object_get_ex(k, "against", &ag);
	const char *what = ag ? json_object_get_string(ag) : "the running policy";
	if (!json_object_get_boolean(d))
		printf("%-12sholds what %s compiles to\n", "Kernel:", what);
	else
		printf("%-12skernel differs from policy (%s): %lld lines to add, %lld to remove ('vigild diff POLICY' shows them)\n",
		       "Kernel:", what, (long long)json_object_get_int64(a), (long long)json_object_get_int64(r));
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
