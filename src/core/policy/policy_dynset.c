// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dynamic sets (`dynamic: true`, `timeout`, `size`). A dynamic set's elements belong to the running system
 * (`vigild set add`), never to the policy file: it may not list any.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "vigil/num.h"
#include "vigil/policy.h"
#include "check.h"

/* true/yes, false/no; -1 otherwise */
int policy_bool(const char *v)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes"))
		return 1;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no"))
		return 0;
	return -1;
}

static void timeout_size(struct ck *c, struct pset *s, const struct pdoc_set *ds,
			 const struct ynode *vn)
{
	uint64_t v;

	if (ds->timeout) {
		int r = num_parse_unit(ds->timeout, num_secs_units, 1, DYNSET_MAX_TIMEOUT, &v);
		if (r < 0) {
			diag_err(c->d, at(c, ynode_get(vn, "timeout")),
				 "set '%s': timeout must be a duration from 1s to 365d (90, 90s, 30m, 4h, 7d), not '%s'",
				 s->name, ds->timeout);
			s->broken = true;
		} else {
			s->timeout_ms = v * 1000;
		}
	}
	if (ds->size) {
		int r = num_parse_unit(ds->size, NULL, 1, SET_MAX_ENTRIES, &v);
		if (r < 0) {
			diag_err(c->d, at(c, ynode_get(vn, "size")),
				 "set '%s': size must be a number of elements from 1 to %u, not '%s'",
				 s->name, SET_MAX_ENTRIES, ds->size);
			s->broken = true;
		} else {
			s->size = (uint32_t)v;
		}
	}
}

bool check_dynamic(struct ck *c, struct pset *s, const struct pdoc_set *ds,
		   const struct ynode *vn)
{
	int b = ds->dynamic ? policy_bool(ds->dynamic) : 0;

	if (b < 0) {
		diag_err(c->d, at(c, ynode_get(vn, "dynamic")),
			 "set '%s': dynamic must be true or false, not '%s'", s->name, ds->dynamic);
		s->broken = true;
		return true;
	}
	if (!b) {
		if (s->single) {
			diag_err(c->d, at(c, ynode_get(vn, "type")),
				 "set '%s': type address is for dynamic sets (dynamic: true); a set of the policy's own addresses is type cidr",
				 s->name);
			s->broken = true;
			return true;
		}
		const char *k = ds->timeout ? "timeout" : ds->size ? "size" : NULL;
		if (k) {
			diag_err(c->d, at(c, ynode_get(vn, k)),
				 "set '%s': '%s' is for dynamic sets (dynamic: true), whose elements vigild set add puts in",
				 s->name, k);
			s->broken = true;
		}
		return false;
	}
	s->dynamic = true;
	if (s->type == PSET_PORT) {
		diag_err(c->d, at(c, ynode_get(vn, "type")),
			 "set '%s': a dynamic set holds addresses: type cidr or address, not port",
			 s->name);
		s->broken = true;
	}
	const char *k = ynode_get(vn, "elements") ? "elements" : ds->file ? "file" : NULL;
	if (k) {
		diag_err(c->d, at(c, ynode_get(vn, k)),
			 "set '%s' is dynamic: its elements come from 'vigild set add', not from the policy ('%s')",
			 s->name, k);
		s->broken = true;
	}
	timeout_size(c, s, ds, vn);
	return true;
}
