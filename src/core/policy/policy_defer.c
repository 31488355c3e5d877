// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * defaults.forward as a mapping, {default: drop, defer-to: [docker]}: the
 * forward default, and the container and VM managers whose bridges it
 * leaves to them (policy.h, struct defer_info). The scalar spelling,
 * forward: drop, is read by policy_check.c; the shape pass checked the
 * mapping's keys and leaves its values to the tree (SH_ORMAP).
 *
 * The patterns are the bridges each manager creates by default:
 *  - docker: docker0, and "br-*" (one per user-defined network, br-<id>);
 *  - podman: podman* (netavark: podman0, podman1, ...) and cni-podman*
 *    (the CNI backend before podman 4);
 *  - libvirt: virbr* (virbr0 for the default NAT network, virbr1, ...).
 * With br_netfilter, bridged packets pass the IP forward hook with the
 * bridge, not the port (veth*), as iif and oif (br_netfilter_hooks.c
 * hands the hook the bridge device), so the bridges are enough.
 */
#include <string.h>

#include "vigil/policy.h"
#include "check.h"

static const char *const docker_if[] = { "docker0", "br-*", NULL };
static const char *const podman_if[] = { "podman*", "cni-podman*", NULL };
static const char *const libvirt_if[] = { "virbr*", NULL };

static const struct defer_info defers[DEFER_MAX] = {
	[DEFER_DOCKER] = { "docker", docker_if, "vigil:defer docker", "vigil:defer docker dnat" },
	[DEFER_PODMAN] = { "podman", podman_if, "vigil:defer podman", "vigil:defer podman dnat" },
	[DEFER_LIBVIRT] = { "libvirt", libvirt_if, "vigil:defer libvirt", "vigil:defer libvirt dnat" },
};

const struct defer_info *defer_info(enum defer_id d)
{
	return &defers[d];
}

bool defer_pattern_covers(const char *pat, const char *name)
{
	size_t lp = strlen(pat), ln = strlen(name);

	if (!lp || pat[lp - 1] != '*')
		return streq(pat, name);
	/* "br-*" covers "br-1a2b" and "br-1*", not "br*" */
	return ln >= lp - 1 && !strncmp(pat, name, lp - 1);
}

int defer_owner(const char *name)
{
	for (int d = 0; d < DEFER_MAX; d++)
		for (const char *const *p = defers[d].ifaces; *p; p++)
			if (defer_pattern_covers(*p, name))
				return d;
	return -1;
}

static void unknown_defer(struct ck *c, const struct ynode *n)
{
	struct suggest sg;
	struct strbuf sb = { 0 };

	suggest_init(&sg, n->val);
	for (int d = 0; d < DEFER_MAX; d++)
		suggest_try(&sg, defers[d].name);
	suggest_format(&sg, "", &sb);
	diag_err(c->d, at(c, n),
		 "unknown name '%s' in defer-to%s (defer-to knows docker, podman and libvirt; for other bridges, accept their interfaces with forward rules)",
		 n->val, sb.s ? sb.s : "");
	sb_free(&sb);
}

/* The items of defer-to (a value or a list: the shape pass reported
 * malformed items and marked them bad). */
static unsigned defer_names(struct ck *c, const struct ynode *v)
{
	unsigned bits = 0;

	if ((v->kind == YN_SCALAR && v->null) || (v->kind == YN_SEQ && v->n == 0)) {
		diag_err(c->d, at(c, v),
			 "defer-to is empty: name docker, podman or libvirt, or leave the key out");
		return 0;
	}
	for (size_t i = 0; ynode_elem(v, i); i++) {
		const struct ynode *it = ynode_elem(v, i);
		int d;

		if (quiet(it) || it->kind != YN_SCALAR)
			continue;
		for (d = 0; d < DEFER_MAX && !streq(defers[d].name, it->val); d++)
			;
		if (d == DEFER_MAX) {
			unknown_defer(c, it);
			continue;
		}
		if (bits & (1u << d))
			diag_warn(c->d, at(c, it), "'%s' is listed twice in defer-to", it->val);
		bits |= 1u << d;
	}
	return bits;
}

void check_defaults_forward(struct ck *c, const struct ynode *dn)
{
	const struct ynode *m = ynode_get(dn, "forward"), *v, *k;
	unsigned bits = 0;

	if (!m || m->kind != YN_MAP || m->bad)
		return;
	if ((v = ynode_get(m, "default")) && v->kind == YN_SCALAR && !quiet(v)) {
		if (streq(v->val, "accept"))
			c->pol->defaults[CH_FORWARD] = VERDICT_ACCEPT;
		else if (streq(v->val, "drop"))
			c->pol->defaults[CH_FORWARD] = VERDICT_DROP;
		else
			diag_err(c->d, at(c, v),
				 "default verdict for forward must be accept or drop, not '%s'", v->val);
	}
	k = ynode_key(m, "defer-to");
	if (!k || quiet(k) || quiet(k + 1))
		return;
	bits = defer_names(c, k + 1);
	if (!bits)
		return;
	if (c->pol->defaults[CH_FORWARD] == VERDICT_ACCEPT) {
		/* a warning, not an error: the list may stay while the default
		 * is accept for a while, and it changes nothing then */
		diag_warn(c->d, at(c, k),
			  "defer-to has no effect: the forward default is accept, which already accepts the bridges' traffic");
		return;
	}
	c->pol->defer = bits;
	c->pol->defer_loc = at(c, k);
}
