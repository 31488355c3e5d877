/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the YAML pass (policy_yaml.c): hints for common YAML errors. */
#ifndef VIGIL_YAML_HINT_H
#define VIGIL_YAML_HINT_H

#include <stdbool.h>
#include <yaml.h>

#include "vigil/diag.h"

/*
 * The YAML mistakes every new user makes, recognised by libyaml's error and
 * the text at its position (buf, len: the text libyaml read): an unquoted
 * "@set", a tab in the indentation, an IPv6 address that starts with ':' in
 * a flow collection, "!x" read as a tag. Reports the error with its hint at
 * `at` (moved to the '!' of a tag) and returns true; false when the error
 * is none of those (the caller reports libyaml's words).
 */
bool yaml_syntax_hint(const yaml_parser_t *p, const char *buf, size_t len, struct srcloc at,
		      struct diags *d);

#endif
