/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the YAML pass: the position tree's builder (yaml_tree.c). */
#ifndef VIGIL_YAML_TREE_H
#define VIGIL_YAML_TREE_H

#include <stddef.h>

#include "vigil/diag.h"
#include "vigil/policy_yaml.h"

/*
 * Parse `buf` (len bytes, named `file` in messages) with libyaml into the
 * position tree at `root`: one node per scalar, sequence and mapping with
 * its line and column. Syntax errors, anchors, aliases, tags, a second
 * document, nesting deeper than YAML_MAX_DEPTH and odd line breaks are
 * reported in `d` (located) and give -EINVAL (-ENOMEM when libyaml cannot
 * start); `root` is then a null scalar or a partial tree, which the
 * caller's ydoc_free releases either way.
 */
int yaml_tree_build(const char *file, const char *buf, size_t len, struct ynode *root,
		    struct diags *d);

#endif
