// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Coexistence (issue 15): before a policy whose input or forward default
 * is drop is committed, a read-only look at the other tables' filter base
 * chains at those hooks (a dump of chains and rules, while privileged:
 * nf_tables answers dumps only to CAP_NET_ADMIN). Where another table
 * accepts traffic (docker, podman, libvirt, k8s), apply warns, naming the
 * table and chain: its accept does not end the packet's path, and
 * vigild's default drop drops what no vigild rule accepts. A policy with
 * an accept rule naming interfaces in that chain is taken to have dealt
 * with it (no warning), and so is a forward chain whose defer-to covers
 * every accept rule of the table (foreign_covered: each names one of the
 * bridges, or is in the manager's own chain). Other tables are never
 * changed.
 */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "cli.h"
#include "vigil/nl.h"

static int foreign_cb(const struct nlmsghdr *nlh, void *ctx)
{
	struct foreign_view *v = ctx;
	uint8_t type = nlh->nlmsg_type & 0xff;

	if (type == NFT_MSG_NEWCHAIN)
		foreign_add_chain(v, nlh);
	else if (type == NFT_MSG_NEWRULE)
		foreign_add_rule(v, nlh);
	return MNL_CB_OK;
}

static int dump(struct nl *nl, uint16_t type, struct foreign_view *v)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_UNSPEC, NLM_F_DUMP, 0);

	return nl_talk(nl, nlh, foreign_cb, v);
}

void cli_foreign_read(struct cli_foreign *f)
{
	struct nl nl;

	memset(f, 0, sizeof(*f));
	if (nl_open(&nl) < 0)
		return;
	/* a dump interrupted by a change is tried again, a few times */
	for (int tries = 0; tries < 4; tries++) {
		int r = dump(&nl, NFT_MSG_GETCHAIN, &f->v);
		if (r == 0)
			r = dump(&nl, NFT_MSG_GETRULE, &f->v);
		if (r == 0) {
			foreign_done(&f->v);
			f->read = true;
			break;
		}
		foreign_free(&f->v);
		if (r != -EINTR)
			break;
	}
	nl_close(&nl);
}

/* Does the policy accept interface-bound traffic in chain ch itself (then
 * it has thought about the other table's interfaces: no warning)? */
static bool policy_accepts_ifaces(const struct policy *pol, enum chain_id ch)
{
	for (size_t i = 0; i < pol->nrules; i++)
		if (pol->rules[i].chain == ch && pol->rules[i].action == VERDICT_ACCEPT &&
		    (pol->rules[i].iif.present || pol->rules[i].oif.present))
			return true;
	return false;
}

static const char *family_word(uint8_t f)
{
	return f == NFPROTO_IPV4 ? "ip" : f == NFPROTO_IPV6 ? "ip6" : "inet";
}

/* The fix to suggest for the forward hook: defer-to, naming the
 * manager whose interfaces (or chains) the table's accepts are. */
static void forward_fix(struct strbuf *sb, const struct policy *pol, int owner, const char *ifs)
{
	const struct srcloc *l = &pol->defer_loc;

	if (pol->defer && *ifs)
		sb_printf(sb, "; defer-to (%s:%u:%u) covers none of the interfaces of one of its accept rules (%s)",
			  l->file, l->line, l->col, ifs);
	else if (pol->defer)
		sb_printf(sb, "; defer-to (%s:%u:%u) does not cover one of its accept rules, which names no interface",
			  l->file, l->line, l->col);
	if (owner >= 0 && !(pol->defer & (1u << owner)))
		sb_printf(sb, "; they look like %s's: defaults: {forward: {default: drop, defer-to: [%s]}} accepts its bridges' traffic",
			  defer_info((enum defer_id)owner)->name, defer_info((enum defer_id)owner)->name);
}

void cli_foreign_warn(const struct cli_foreign *f, const struct policy *pol, const char *own)
{
	for (size_t i = 0; f->read && i < f->v.n; i++) {
		const struct foreign_chain *c = &f->v.v[i];
		bool fwd = c->hook == NF_INET_FORWARD;
		enum chain_id ch = fwd ? CH_FORWARD : CH_INPUT;
		struct strbuf fix = { 0 };
		char ifs[128] = "";
		int owner = -1;

		if ((c->family == NFPROTO_INET && streq(c->table, own)) || !c->accepts ||
		    pol->defaults[ch] != VERDICT_DROP || policy_accepts_ifaces(pol, ch))
			continue;
		if (fwd && c->tab < f->v.nt &&
		    foreign_covered(&f->v.t[c->tab], pol->defer, ifs, sizeof(ifs), &owner))
			continue;
		if (fwd)
			forward_fix(&fix, pol, owner, ifs);
		cli_warn("table %s %s accepts traffic at the %s hook (chain %s, %u accept rule%s in the table): an accept in another table does not end a packet's path, so vigild's %s chain (default drop) still drops what no vigild rule accepts; accept that traffic in the policy too (for example rules with iif/oif of its interfaces: docker0, \"br-*\", \"veth*\", or a zone of them)%s, or set defaults: {%s: accept}. vigild does not change other tables",
			 family_word(c->family), c->table, fwd ? "forward" : "input", c->chain, c->accepts,
			 c->accepts == 1 ? "" : "s", chain_name(ch), fix.s ? fix.s : "", chain_name(ch));
		sb_free(&fix);
	}
}

void cli_foreign_free(struct cli_foreign *f)
{
	foreign_free(&f->v);
}
