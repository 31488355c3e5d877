/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_STATUS_KERNEL_H
#define VIGIL_CLI_STATUS_KERNEL_H

#include <json-c/json.h>

/* Adds "kernel_diff": {differs, lines_added, lines_removed} from the
 * watch's GET /v1/diff; nothing when it cannot be had. */
void status_add_diff(json_object *o);
/* No watch runs: as root, the kernel's table against the last-known-good
 * policy in the state directory; nothing otherwise. */
void status_add_diff_unwatched(json_object *o, const char *table);
/* The "Kernel:" line of the text status, when kernel_diff is there. */
void status_print_diff(json_object *o);
/* 1 when table inet `table` does not exist, 0 when it does, -EPERM
 * without root, or another negative errno. */
int status_table_absent(const char *table);

#endif
