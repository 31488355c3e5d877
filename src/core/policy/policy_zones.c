// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Zones: `zones: {lan: [eth1, wg0], wan: eth0}` names groups of interfaces
 * (exact names and wildcards like veth*), and iif/oif of rules and nat
 * entries refer to one as "@lan", as src/dst refer to a set. A zone is
 * expanded where it is used: into the field's names (policy_check.c's
 * check_ifname), which the compiler makes one anonymous interface set
 * (exact names) plus one compare per wildcard.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/util.h"
#include "check.h"

#define ZONES_MAX 1024
#define ZONE_MAX_IFACES 1024

static void check_zone(struct ck *c, const struct pdoc_zone *dz, const struct ynode *k,
		       const struct ynode *v, struct pzone *z)
{
	z->loc = at(c, k);
	z->name = xstrdup(dz->name ? dz->name : "");
	if (!valid_name(z->name, false))
		diag_err(c->d, at(c, k),
			 "invalid zone name '%s': use lower-case letters, digits, '_' or '-', up to 32, starting with a letter",
			 z->name);
	if (dz->interfaces_count > ZONE_MAX_IFACES) {
		diag_err(c->d, at(c, v), "zone '%s' has %u interfaces; the limit is %u", z->name,
			 dz->interfaces_count, ZONE_MAX_IFACES);
		return;
	}
	z->names = xcalloc(dz->interfaces_count + 1, sizeof(*z->names));
	for (unsigned i = 0; i < dz->interfaces_count; i++) {
		const struct ynode *en = ynode_elem(v, i);
		const char *s = dz->interfaces[i], *why;

		if (quiet(en) || quiet(v))
			continue;
		if (s[0] == '@') {
			diag_err(c->d, at(c, en),
				 "bad interface name '%s' in zone '%s': a zone lists interfaces, not other zones",
				 s, z->name);
			continue;
		}
		if (!valid_ifname(s, &why)) {
			diag_err(c->d, at(c, en), "bad interface name '%s' in zone '%s': %s", s, z->name, why);
			continue;
		}
		z->names[z->n++] = xstrdup(s);
	}
}

void check_zones(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *zn = ynode_get(c->root, "zones");

	if (!pd->zones_count || !zn || zn->kind != YN_MAP)
		return;
	if (pd->zones_count > ZONES_MAX) {
		diag_err(c->d, at(c, zn), "the policy has %u zones; the limit is %u", pd->zones_count,
			 ZONES_MAX);
		return;
	}
	c->zones = xcalloc(pd->zones_count, sizeof(*c->zones));
	for (unsigned i = 0; i < pd->zones_count && i < zn->n; i++) {
		const struct ynode *k = &zn->kids[2 * i], *v = &zn->kids[2 * i + 1];

		if (quiet(k))
			continue; /* a duplicate: reported */
		check_zone(c, &pd->zones[i], k, v, &c->zones[c->nzones++]);
	}
}

const struct pzone *find_zone(struct ck *c, const struct ynode *n, const char *name)
{
	struct suggest sg;
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < c->nzones; i++)
		if (streq(c->zones[i].name, name)) {
			c->zones[i].uses++;
			return &c->zones[i];
		}
	suggest_init(&sg, name);
	for (size_t i = 0; i < c->nzones; i++)
		suggest_try(&sg, c->zones[i].name);
	suggest_format(&sg, "@", &sb);
	if (c->nzones)
		diag_err(c->d, at(c, n), "unknown zone '@%s'%s", name, sb.s ? sb.s : "");
	else
		diag_err(c->d, at(c, n),
			 "unknown zone '@%s': the policy defines no zones (zones: {%s: [eth1, wg0]})", name,
			 name);
	sb_free(&sb);
	return NULL;
}

void zones_done(struct ck *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		struct pzone *z = &c->zones[i];
		if (!z->uses && !c->d->nerr)
			diag_warn(c->d, z->loc, "zone '%s' is not used by any rule or nat entry", z->name);
		for (size_t j = 0; j < z->n; j++)
			free(z->names[j]);
		free(z->names);
		free(z->name);
	}
	free(c->zones);
	c->zones = NULL;
	c->nzones = 0;
}
