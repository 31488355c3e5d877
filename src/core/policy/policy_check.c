// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Semantic checks: every value of the loaded document is parsed and checked
 * here, every set reference resolved, and every problem reported with the
 * position the libyaml pass recorded for it.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "vigil/names.h"
#include "vigil/policy.h"
#include "check.h"

/* ---- top level ---- */

static void check_version(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *n = ynode_get(c->root, "version");

	if (!pd->version)
		return; /* missing or malformed: reported by the shape check */
	if (!streq(pd->version, "1"))
		diag_err(c->d, at(c, n),
			 "unsupported policy version '%s': this vigild reads version 1", pd->version);
}

static void check_table(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *n = ynode_get(c->root, "table");
	const char *want = c->opts ? c->opts->table : NULL;
	const char *t = pd->table ? pd->table : want ? want : "vigil";

	if (pd->table && table_name_problem(pd->table))
		diag_err(c->d, at(c, n), "invalid table name '%s': %s", pd->table,
			 table_name_problem(pd->table));
	else if (pd->table && want && !streq(pd->table, want))
		/* the commit helper is confined to the table it was started for */
		diag_err(c->d, at(c, n),
			 "the policy is for table '%s' but vigild works on table '%s'; give --table %s",
			 pd->table, want, pd->table);
	c->pol->table = xstrdup(t);
}

static void check_defaults(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *dn = ynode_get(c->root, "defaults");
	const char *v[CH_MAX] = { NULL, NULL, NULL };

	c->pol->defaults[CH_INPUT] = VERDICT_DROP;
	c->pol->defaults[CH_FORWARD] = VERDICT_DROP;
	c->pol->defaults[CH_OUTPUT] = VERDICT_ACCEPT;
	if (!pd->defaults)
		return;
	check_defaults_log(c, pd->defaults->log, dn);
	check_defaults_forward(c, dn);
	v[CH_INPUT] = pd->defaults->input;
	v[CH_FORWARD] = pd->defaults->forward;
	v[CH_OUTPUT] = pd->defaults->output;
	for (int i = 0; i < CH_MAX; i++) {
		if (!v[i])
			continue;
		if (streq(v[i], "accept"))
			c->pol->defaults[i] = VERDICT_ACCEPT;
		else if (streq(v[i], "drop"))
			c->pol->defaults[i] = VERDICT_DROP;
		else
			diag_err(c->d, at(c, ynode_get(dn, chain_name(i))),
				 "default verdict for %s must be accept or drop, not '%s'",
				 chain_name(i), v[i]);
	}
}

/* ---- rules ---- */

static const struct {
	const char *name;
	unsigned bit;
} protos[] = {
	{ "tcp", P_TCP }, { "udp", P_UDP }, { "sctp", P_SCTP }, { "icmp", P_ICMP }, { "icmpv6", P_ICMPV6 },
};

void check_addr(struct ck *c, const struct ynode *rn, const char *key, char **vals,
		       unsigned n, struct paddr *pa)
{
	if (!ynode_get(rn, key))
		return;
	pa->present = true;
	c->field++;
	pa->refs = xcalloc(n, sizeof(*pa->refs)); /* at most one per value */
	for (unsigned i = 0; i < n; i++) {
		const struct ynode *en = elem_node(rn, key, i);
		const char *v = vals[i], *why;
		enum addr_family f;
		struct ival iv;

		if (quiet(en))
			continue;
		if (v[0] == '@') {
			struct pset *s = find_set(c, v + 1);
			if (!s) {
				unknown_set(c, en, v + 1);
				continue;
			}
			s->uses++;
			if (s->type != PSET_CIDR) {
				diag_err(c->d, at(c, en),
					 "set '@%s' holds ports; '%s' needs a set of type cidr", s->name, key);
				continue;
			}
			if (s->seen_in == c->field)
				continue; /* listed twice: one kernel rule is enough */
			s->seen_in = c->field;
			pa->refs[pa->nrefs++] = s;
			continue;
		}
		if (addr_parse(v, &f, &iv, &why) < 0) {
			diag_err(c->d, at(c, en), "bad address '%s' in '%s': %s", v, key, why);
			continue;
		}
		ivlist_add(f == AF_V4 ? &pa->v4 : &pa->v6, iv.lo, iv.hi);
	}
	ivlist_merge(&pa->v4);
	ivlist_merge(&pa->v6);
}

void check_port(struct ck *c, const struct ynode *rn, const char *key, char **vals,
		       unsigned n, struct pport *pp)
{
	if (!ynode_get(rn, key))
		return;
	pp->present = true;
	c->field++;
	pp->refs = xcalloc(n, sizeof(*pp->refs)); /* at most one per value */
	for (unsigned i = 0; i < n; i++) {
		const struct ynode *en = elem_node(rn, key, i);
		const char *v = vals[i], *why;
		struct ival iv;

		if (quiet(en))
			continue;
		if (v[0] == '@') {
			struct pset *s = find_set(c, v + 1);
			if (!s) {
				unknown_set(c, en, v + 1);
				continue;
			}
			s->uses++;
			if (s->type != PSET_PORT) {
				diag_err(c->d, at(c, en),
					 "set '@%s' holds addresses; '%s' needs a set of type port", s->name,
					 key);
				continue;
			}
			if (s->seen_in == c->field)
				continue;
			s->seen_in = c->field;
			pp->refs[pp->nrefs++] = s;
			continue;
		}
		if (port_parse(v, &iv, &why) < 0) {
			diag_err(c->d, at(c, en), "bad port '%s' in '%s': %s", v, key, why);
			continue;
		}
		ivlist_add(&pp->lit, iv.lo, iv.hi);
	}
	ivlist_normalize(&pp->lit);
}

bool valid_ifname(const char *s, const char **why)
{
	size_t n = strlen(s);

	/* Linux allows both in a name, but in a policy they are iptables'
	 * spellings, which would match nothing here */
	if (s[0] == '!') {
		*why = NEGATION_WHY;
		return false;
	}
	if (n == 1 && s[0] == '+') {
		*why = "'+' alone is iptables' 'every interface'; leave the key out instead";
		return false;
	}
	if (n > 1 && s[n - 1] == '+') {
		*why = "'+' is iptables' wildcard; vigild's is a trailing '*' (eth* matches eth0, eth1, ...)";
		return false;
	}

	if (n == 0 || n > 15) {
		*why = "interface names are 1 to 15 characters long";
		return false;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		*why = "'.' and '..' cannot name an interface";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x7f) {
			*why = "interface names are ASCII (letters, digits, '-', '_', '.' and the like)";
			return false;
		}
		if (ch <= ' ' || ch == '/' || ch == '"' || ch == '\\' || ch == ':') {
			*why = "interface names cannot hold spaces, '/', ':', quotes or backslashes";
			return false;
		}
		if (ch == '*' && i != n - 1) {
			*why = "'*' may only end an interface name (eth* matches eth0, eth1, ...)";
			return false;
		}
	}
	if (n == 1 && s[0] == '*') {
		*why = "'*' alone matches every interface; leave the key out instead";
		return false;
	}
	return true;
}

static int cmp_name_slot(const void *a, const void *b)
{
	char *const *x = *(char **const *)a, *const *y = *(char **const *)b;
	int c = strcmp(*x, *y);

	if (c)
		return c;
	return x < y ? -1 : x > y; /* list order */
}

/* Drops repeated names, keeping the first of each; by sorting, since a list
 * may be long. */
static void ifnames_dedup(struct pifname *pi)
{
	_cleanup_free_ char ***v = xcalloc(pi->n, sizeof(*v));
	size_t o = 0;

	for (size_t i = 0; i < pi->n; i++)
		v[i] = &pi->names[i];
	qsort(v, pi->n, sizeof(*v), cmp_name_slot);
	for (size_t i = 1, first = 0; i < pi->n; i++) {
		if (!streq(*v[i], *v[first])) {
			first = i;
			continue;
		}
		free(*v[i]);
		*v[i] = NULL;
	}
	for (size_t i = 0; i < pi->n; i++)
		if (pi->names[i])
			pi->names[o++] = pi->names[i];
	pi->n = o;
}

void check_ifname(struct ck *c, const struct ynode *rn, const char *key, char **vals, unsigned n,
		  struct pifname *pi)
{
	size_t cap = n;

	if (!ynode_get(rn, key))
		return;
	pi->present = true;
	pi->names = xcalloc(cap, sizeof(*pi->names));
	for (unsigned i = 0; i < n; i++) {
		const struct ynode *en = elem_node(rn, key, i);
		const char *why;

		if (quiet(en))
			continue;
		if (vals[i][0] == '@') {
			/* a zone: its interfaces */
			const struct pzone *z = find_zone(c, en, vals[i] + 1);
			if (!z)
				continue;
			for (size_t j = 0; j < z->n; j++) {
				GROW(pi->names, cap, pi->n + 1);
				pi->names[pi->n++] = xstrdup(z->names[j]);
			}
			continue;
		}
		if (!valid_ifname(vals[i], &why)) {
			diag_err(c->d, at(c, en), "bad interface name '%s' in '%s': %s", vals[i], key, why);
			continue;
		}
		GROW(pi->names, cap, pi->n + 1);
		pi->names[pi->n++] = xstrdup(vals[i]);
	}
	ifnames_dedup(pi);
}

/* Exact names share one anonymous set; each wildcard is its own rule. */
static uint64_t ifname_alts(const struct pifname *pi)
{
	uint64_t wild = 0, exact = 0;

	for (size_t i = 0; i < pi->n; i++) {
		size_t l = strlen(pi->names[i]);
		if (l && pi->names[i][l - 1] == '*')
			wild++;
		else
			exact = 1;
	}
	return wild + exact;
}

static const char *fam_words(unsigned f)
{
	return f == 1 ? "IPv4 only" : f == 2 ? "IPv6 only" : "of no address family";
}

static bool check_chain(struct ck *c, const char *v, const struct ynode *n, enum chain_id *out)
{
	struct suggest sg;
	struct strbuf sb = { 0 };

	for (int i = 0; i < CH_MAX; i++)
		if (streq(v, chain_name(i))) {
			*out = (enum chain_id)i;
			return true;
		}
	suggest_init(&sg, v);
	for (int i = 0; i < CH_MAX; i++)
		suggest_try(&sg, chain_name(i));
	suggest_format(&sg, "", &sb);
	diag_err(c->d, at(c, n), "chain must be input, output or forward, not '%s'%s", v,
		 sb.s ? sb.s : "");
	sb_free(&sb);
	return false;
}

static void check_rule(struct ck *c, const struct pdoc_rule *dr, const struct ynode *rn,
		       struct prule *r)
{
	const char *why;
	size_t errs = c->d->nerr;

	r->loc = at(c, rn);

	/* chain; a rule without a valid one draws no errors that depend on it */
	bool chain_ok = dr->chain && check_chain(c, dr->chain, ynode_get(rn, "chain"), &r->chain);

	/* action */
	if (dr->action) {
		if (streq(dr->action, "accept"))
			r->action = VERDICT_ACCEPT;
		else if (streq(dr->action, "drop"))
			r->action = VERDICT_DROP;
		else if (streq(dr->action, "reject"))
			r->action = VERDICT_REJECT;
		else
			diag_err(c->d, at(c, ynode_get(rn, "action")),
				 "action must be accept, drop or reject, not '%s'", dr->action);
	}

	/* log: the kernel log and the NFLOG of refused traffic (policy_log.c) */
	check_rule_log(c, dr->log, rn, r);

	/* comment: documentation, printed by show */
	if (dr->comment) {
		size_t n = 0;
		bool ctl = false;
		/* characters, not bytes: UTF-8 continuation bytes do not count */
		for (const unsigned char *p = (const unsigned char *)dr->comment; *p; p++) {
			/* C0 controls and DEL; C1 controls (U+0080..U+009F, UTF-8
			 * C2 80..C2 9F); the line and paragraph separators U+2028
			 * and U+2029 (E2 80 A8/A9), which end a line for some readers */
			ctl |= *p < 0x20 || *p == 0x7f ||
			       (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
			       (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9));
			n += (*p & 0xc0) != 0x80;
		}
		if (n > 256)
			diag_err(c->d, at(c, ynode_get(rn, "comment")),
				 "comment is %zu characters long; the limit is 256", n);
		else if (ctl)
			diag_err(c->d, at(c, ynode_get(rn, "comment")),
				 "comment must be one line without control characters");
		else
			r->comment = xstrdup(dr->comment);
	}

	/* proto */
	for (unsigned i = 0; i < dr->proto_count; i++) {
		const struct ynode *en = elem_node(rn, "proto", i);
		size_t k;

		if (quiet(en))
			continue;
		for (k = 0; k < ARRAY_SIZE(protos); k++)
			if (streq(dr->proto[i], protos[k].name))
				break;
		if (k == ARRAY_SIZE(protos)) {
			diag_err(c->d, at(c, en), "proto must be tcp, udp, sctp, icmp or icmpv6, not '%s'%s%s",
				 dr->proto[i], dr->proto[i][0] == '!' ? ": " : "",
				 dr->proto[i][0] == '!' ? NEGATION_WHY : "");
			continue;
		}
		if (r->protos & protos[k].bit)
			diag_err(c->d, at(c, en), "proto '%s' is listed twice", dr->proto[i]);
		r->protos |= protos[k].bit;
	}
	bool proto_ok = true;
	if (ynode_get(rn, "proto") && !r->protos)
		proto_ok = false; /* every entry bad: reported; don't pile on */

	check_addr(c, rn, "src", dr->src, dr->src_count, &r->src);
	check_addr(c, rn, "dst", dr->dst, dr->dst_count, &r->dst);
	check_port(c, rn, "sport", dr->sport, dr->sport_count, &r->sport);
	check_port(c, rn, "dport", dr->dport, dr->dport_count, &r->dport);
	check_ifname(c, rn, "iif", dr->iif, dr->iif_count, &r->iif);
	check_ifname(c, rn, "oif", dr->oif, dr->oif_count, &r->oif);
	check_limit(c, dr, rn, r);

	/* ports need a port protocol */
	static const char *const port_keys[] = { "sport", "dport" };
	for (int k = 0; k < 2 && proto_ok; k++) {
		const struct ynode *kn = ynode_key(rn, port_keys[k]);
		if (!kn)
			continue;
		if (!r->protos)
			diag_err(c->d, at(c, kn),
				 "'%s' needs 'proto' set to tcp, udp or sctp (ports exist only for those)",
				 port_keys[k]);
		else if (r->protos & ~P_PORTS)
			diag_err(c->d, at(c, kn),
				 "'%s' needs every proto of the rule to be tcp, udp or sctp; split icmp into its own rule",
				 port_keys[k]);
	}

	/* interfaces and chains */
	if (r->iif.present && r->chain == CH_OUTPUT && chain_ok)
		diag_err(c->d, at(c, ynode_key(rn, "iif")),
			 "'iif' cannot be used in chain output: locally sent packets have no input interface");
	if (r->oif.present && r->chain == CH_INPUT && chain_ok)
		diag_err(c->d, at(c, ynode_key(rn, "oif")),
			 "'oif' cannot be used in chain input: packets for this host have no output interface");

	/* icmp-type */
	if (ynode_get(rn, "icmp-type")) {
		const struct ynode *kn = ynode_key(rn, "icmp-type");
		r->has_icmp_type = true;
		if (proto_ok && (!r->protos || (r->protos & ~P_ICMPS))) {
			diag_err(c->d, at(c, kn), "'icmp-type' needs 'proto' set to icmp or icmpv6 only");
		} else if (proto_ok) {
			for (unsigned i = 0; i < dr->icmp_type_count; i++) {
				const struct ynode *en = elem_node(rn, "icmp-type", i);
				const char *v = dr->icmp_type[i];
				int t4 = icmp_type_lookup(false, v), t6 = icmp_type_lookup(true, v);

				if (quiet(en))
					continue;
				if (v[0] == '!') {
					diag_err(c->d, at(c, en), "bad ICMP type '%s': %s", v, NEGATION_WHY);
					continue;
				}
				if ((r->protos & P_ICMP) && t4 < 0) {
					diag_err(c->d, at(c, en),
						 "'%s' is not an ICMP (IPv4) type name or number 0-255%s", v,
						 t6 >= 0 ? "; for IPv6 use proto icmpv6" : "");
					continue;
				}
				if ((r->protos & P_ICMPV6) && t6 < 0) {
					diag_err(c->d, at(c, en),
						 "'%s' is not an ICMPv6 type name or number 0-255%s", v,
						 t4 >= 0 ? "; for IPv4 use proto icmp" : "");
					continue;
				}
				if (r->protos & P_ICMP)
					ivlist_add(&r->icmp4, (u128)t4, (u128)t4);
				if (r->protos & P_ICMPV6)
					ivlist_add(&r->icmp6, (u128)t6, (u128)t6);
			}
			ivlist_dedup(&r->icmp4);
			ivlist_dedup(&r->icmp6);
		}
	}

	/* can the rule match anything at all? */
	/* an empty set can take either family */
	unsigned fs = paddr_families(&r->src, 3), fd = paddr_families(&r->dst, 3), fp = 3;
	if (r->protos && !(r->protos & P_PORTS))
		fp = ((r->protos & P_ICMP) ? 1 : 0) | ((r->protos & P_ICMPV6) ? 2 : 0);
	if (fs && fd && fp && !(fs & fd & fp)) {
		if (!(fs & fd))
			why = xasprintf("src is %s but dst is %s", fam_words(fs), fam_words(fd));
		else
			why = xasprintf("its addresses are %s but proto %s is %s", fam_words(fs & fd),
					fp == 1 ? "icmp" : "icmpv6", fam_words(fp));
		diag_err(c->d, r->loc, "rule '%s' can never match: %s", r->name ? r->name : "",
			 why);
		free((char *)why);
	}

	/* A rule becomes one kernel rule per combination of alternatives (each
	 * set reference, each interface wildcard, the literal values) and
	 * address family: keep the product bounded. */
	uint64_t n = (fs & fd & fp) == 3 && (r->src.present || r->dst.present) ? 2 : 1;
	uint64_t alts[] = {
		r->src.present ? (r->src.v4.n || r->src.v6.n) + r->src.nrefs : 1,
		r->dst.present ? (r->dst.v4.n || r->dst.v6.n) + r->dst.nrefs : 1,
		r->sport.present ? (r->sport.lit.n > 0) + r->sport.nrefs : 1,
		r->dport.present ? (r->dport.lit.n > 0) + r->dport.nrefs : 1,
		r->iif.present ? ifname_alts(&r->iif) : 1,
		r->oif.present ? ifname_alts(&r->oif) : 1,
	};
	for (size_t i = 0; i < ARRAY_SIZE(alts); i++) {
		n *= alts[i] ? alts[i] : 1;
		if (n > RULE_MAX_EXPANSION)
			break;
	}
	if (n > RULE_MAX_EXPANSION)
		diag_err(c->d, r->loc,
			 "rule '%s' would become more than %u kernel rules (one per combination of its set references, interface names and address families); put the values into fewer sets",
			 r->name ? r->name : "", RULE_MAX_EXPANSION);
	if (c->d->nerr == errs)
		rule_warnings(c, r, rn);
}

static int cmp_rule_name(const void *a, const void *b)
{
	const struct prule *x = *(struct prule *const *)a, *y = *(struct prule *const *)b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate rule names, found by sorting (not pairwise: 65535 rules is legal). */
static void check_rule_names(struct ck *c, const struct ynode **name_at)
{
	struct policy *pol = c->pol;
	_cleanup_free_ struct prule **v = xcalloc(pol->nrules, sizeof(*v));
	size_t m = 0, first = 0;

	for (size_t i = 0; i < pol->nrules; i++)
		if (pol->rules[i].name && valid_name(pol->rules[i].name, true))
			v[m++] = &pol->rules[i];
	qsort(v, m, sizeof(*v), cmp_rule_name);
	for (size_t i = 1; i < m; i++) {
		if (!streq(v[i]->name, v[first]->name)) {
			first = i;
			continue;
		}
		diag_err(c->d, at(c, name_at[v[i]->index]),
			 "duplicate rule name '%s' (first used at line %u)", v[i]->name,
			 v[first]->loc.line);
	}
}

static void check_rules(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *rs = ynode_get(c->root, "rules");
	_cleanup_free_ const struct ynode **name_at = NULL;

	if (pd->rules_count > POLICY_MAX_RULES) {
		diag_err(c->d, at(c, rs), "the policy has %u rules; the limit is %u", pd->rules_count,
			 POLICY_MAX_RULES);
		return;
	}
	c->pol->rules = xcalloc(pd->rules_count, sizeof(*c->pol->rules));
	name_at = xcalloc(pd->rules_count, sizeof(*name_at));
	for (unsigned i = 0; i < pd->rules_count; i++) {
		const struct pdoc_rule *dr = &pd->rules[i];
		const struct ynode *rn = rs && rs->kind == YN_SEQ && i < rs->n ? &rs->kids[i] : NULL;
		struct prule *r = &c->pol->rules[c->pol->nrules];

		if (quiet(rn))
			continue;
		r->index = (unsigned)c->pol->nrules;
		c->pol->nrules++;
		if (dr->name) {
			const struct ynode *nn = ynode_get(rn, "name");
			if (!valid_name(dr->name, true))
				diag_err(c->d, at(c, nn),
					 "invalid rule name '%s': use lower-case letters, digits, '_' or '-', up to 32, starting with a letter or digit",
					 dr->name);
			name_at[r->index] = nn;
			r->name = xstrdup(dr->name);
		}
		check_rule(c, dr, rn, r);
	}
	check_rule_names(c, name_at);
}

int policy_check(const struct ydoc *doc, const struct pdoc *pd, const struct policy_opts *opts,
		 struct policy *pol, struct diags *d)
{
	struct ck c = { .file = doc->file, .root = &doc->root, .d = d, .pol = pol, .opts = opts };
	size_t errs = d->nerr;

	memset(pol, 0, sizeof(*pol));
	pol->file = xstrdup(doc->file);
	c.file = pol->file; /* locations outlive the document */
	check_version(&c, pd);
	check_table(&c, pd);
	check_revoke(&c, pd);
	check_defaults(&c, pd);
	check_sets(&c, pd);
	check_zones(&c, pd);
	check_rules(&c, pd);
	check_nats(&c, pd);
	zones_done(&c);
	for (size_t i = 0; i < pol->nsets; i++)
		if (!pol->sets[i].uses)
			diag_warn(d, pol->sets[i].loc, "set '%s' is not used by any rule",
				  pol->sets[i].name);
	free(c.byname);
	if (d->nerr > errs)
		return -EINVAL;
	/* a rule with an error (in any pass) is not what the user meant:
	 * warnings about its order would only mislead */
	if (!d->nerr)
		policy_shadow_warnings(pol, d);
	return 0;
}

