// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Warnings about parts of a rule that can never match, while the rule as a
 * whole can: what the compiler drops without a word, said where it was
 * written.
 *
 *   - An empty set (inline `elements: []`, an empty or truncated set file)
 *     matches nothing: a rule whose field holds only empty sets never
 *     matches; an empty set among other entries is a dead entry.
 *   - Address families. The compiler (compile.c, lower_rule) makes one
 *     kernel rule per address family that src, dst and icmp-type all allow,
 *     and drops a protocol from a family's part when it cannot occur there
 *     (icmp in IPv6, icmpv6 in IPv4). So `src: [192.0.2.0/24,
 *     "2001:db8::/32"]` with an IPv4 `dst` loses its IPv6 entries, and
 *     `proto: [icmp, icmpv6]` with an IPv4 `src` loses icmpv6. The
 *     families kept are computed here exactly as the compiler computes them
 *     (an empty set counts as both families: its kernel sets exist for
 *     both), and a warning names each entry, set or protocol outside them.
 *     A set that holds both families and loses one is not warned about: the
 *     rule uses the part of it that applies, as a set shared by several
 *     rules is meant to be used.
 */
#include <string.h>

#include "vigil/policy.h"
#include "check.h"

static bool set_empty(const struct pset *s)
{
	if (s->dynamic)
		return false; /* filled at run time (vigild set add) */
	return s->type == PSET_CIDR ? !s->v4.n && !s->v6.n : !s->ports.n;
}

/* The node of the entry "@name" of field key. */
static const struct ynode *ref_node(const struct ynode *rn, const char *key, const char *name)
{
	const struct ynode *en;

	for (size_t i = 0; (en = elem_node(rn, key, i)); i++)
		if (en->kind == YN_SCALAR && en->val[0] == '@' && streq(en->val + 1, name))
			return en;
	return ynode_get(rn, key);
}

static void empty_refs(struct ck *c, const struct prule *r, const struct ynode *rn,
		       const char *key, struct pset *const *refs, size_t nrefs, bool literals)
{
	size_t empty = 0;

	for (size_t i = 0; i < nrefs; i++)
		empty += set_empty(refs[i]) && !refs[i]->broken;
	if (!empty)
		return;
	if (empty == nrefs && !literals) {
		/* nothing else in the field: the whole rule is dead */
		struct strbuf sb = { 0 };
		for (size_t i = 0; i < nrefs; i++)
			sb_printf(&sb, "%s'@%s'", i == 0 ? "" : i + 1 == nrefs ? " and " : ", ",
				  refs[i]->name);
		diag_warn(c->d, r->loc, "rule '%s' can never match: %s %s (%s) %s empty", r->name,
			  nrefs == 1 ? "set" : "sets", sb.s, key, nrefs == 1 ? "is" : "are");
		sb_free(&sb);
		return;
	}
	for (size_t i = 0; i < nrefs; i++)
		if (set_empty(refs[i]) && !refs[i]->broken)
			diag_warn(c->d, at(c, ref_node(rn, key, refs[i]->name)),
				  "rule '%s': set '@%s' in '%s' is empty, so this entry matches nothing",
				  r->name, refs[i]->name, key);
}

/* ---- address families ---- */

#define FAM_V4 1u
#define FAM_V6 2u

static const char *fam_name(unsigned f)
{
	return f == FAM_V4 ? "IPv4" : "IPv6";
}

static unsigned set_fams(const struct pset *s)
{
	if (set_empty(s) || s->dynamic)
		return FAM_V4 | FAM_V6; /* both kernel sets exist */
	return (s->v4.n ? FAM_V4 : 0) | (s->v6.n ? FAM_V6 : 0);
}

/* The families an address field lets through, as compile.c's addr_fams. */
static unsigned field_fams(const struct paddr *pa)
{
	unsigned f;

	if (!pa->present)
		return FAM_V4 | FAM_V6;
	f = (pa->v4.n ? FAM_V4 : 0) | (pa->v6.n ? FAM_V6 : 0);
	for (size_t i = 0; i < pa->nrefs; i++)
		f |= set_fams(pa->refs[i]);
	return f;
}

/* Does a rule with these protocols keep any in family f (compile.c,
 * lower_part: IPv4 parts lose icmpv6, IPv6 parts lose icmp)? */
static bool protos_in(unsigned protos, unsigned f)
{
	if (!protos)
		return true;
	return (protos & ~(unsigned)(f == FAM_V4 ? P_ICMPV6 : P_ICMP)) != 0;
}

struct fams {
	unsigned src, dst, icmp, kept;
	bool icmp_type;
	unsigned protos;
};

/* Why family f is not kept, leaving out field `except`: "dst is IPv4 only". */
static void why_not(const struct fams *F, unsigned f, const char *except, struct strbuf *sb)
{
	const char *sep = "";

	if (!streq(except, "src") && !(F->src & f)) {
		sb_printf(sb, "src is %s only", fam_name(F->src));
		sep = " and ";
	}
	if (!streq(except, "dst") && !(F->dst & f)) {
		sb_printf(sb, "%sdst is %s only", sep, fam_name(F->dst));
		sep = " and ";
	}
	if (!streq(except, "proto") && (!protos_in(F->protos, f) || (F->icmp_type && !(F->icmp & f))))
		sb_printf(sb, "%sproto %s is %s only", sep, f == FAM_V4 ? "icmpv6" : "icmp",
			  fam_name(f ^ (FAM_V4 | FAM_V6)));
}

static void lost_addrs(struct ck *c, const struct prule *r, const struct ynode *rn,
		       const char *key, const struct paddr *pa, const struct fams *F)
{
	for (unsigned f = FAM_V4; f <= FAM_V6; f <<= 1) {
		const struct ivlist *lit = f == FAM_V4 ? &pa->v4 : &pa->v6;
		const struct ynode *en, *first = NULL;
		struct strbuf sb = { 0 };

		if (F->kept & f)
			continue;
		why_not(F, f, key, &sb);
		/* the first literal of that family, for the position */
		for (size_t i = 0; lit->n && !first && (en = elem_node(rn, key, i)); i++) {
			enum addr_family af;
			struct ival iv;
			const char *why;
			if (en->kind == YN_SCALAR && en->val[0] != '@' &&
			    addr_parse(en->val, &af, &iv, &why) == 0 &&
			    (af == AF_V4 ? FAM_V4 : FAM_V6) == f)
				first = en;
		}
		if (first)
			diag_warn(c->d, at(c, first),
				  "rule '%s': the %s entries of '%s' can never match: %s", r->name,
				  fam_name(f), key, sb.s);
		for (size_t i = 0; i < pa->nrefs; i++) {
			const struct pset *s = pa->refs[i];
			if (set_empty(s) || set_fams(s) != f)
				continue;
			diag_warn(c->d, at(c, ref_node(rn, key, s->name)),
				  "rule '%s': set '@%s' in '%s' can never match: it holds only %s addresses and %s",
				  r->name, s->name, key, fam_name(f), sb.s);
		}
		sb_free(&sb);
	}
}

static void lost_protos(struct ck *c, const struct prule *r, const struct ynode *rn,
			const struct fams *F)
{
	static const struct {
		unsigned bit, fam;
		const char *name;
	} fp[] = { { P_ICMP, FAM_V4, "icmp" }, { P_ICMPV6, FAM_V6, "icmpv6" } };

	for (size_t k = 0; k < ARRAY_SIZE(fp); k++) {
		const struct ynode *en, *pn = ynode_get(rn, "proto");
		struct strbuf sb = { 0 };

		if (!(r->protos & fp[k].bit) || (F->kept & fp[k].fam))
			continue;
		for (size_t i = 0; (en = elem_node(rn, "proto", i)); i++)
			if (en->kind == YN_SCALAR && streq(en->val, fp[k].name)) {
				pn = en;
				break;
			}
		why_not(F, fp[k].fam, "proto", &sb);
		diag_warn(c->d, at(c, pn), "rule '%s': proto %s can never match: %s", r->name,
			  fp[k].name, sb.s);
		sb_free(&sb);
	}
}

void rule_warnings(struct ck *c, const struct prule *r, const struct ynode *rn)
{
	struct fams F = { 0 };

	empty_refs(c, r, rn, "src", r->src.refs, r->src.nrefs, r->src.v4.n || r->src.v6.n);
	empty_refs(c, r, rn, "dst", r->dst.refs, r->dst.nrefs, r->dst.v4.n || r->dst.v6.n);
	empty_refs(c, r, rn, "sport", r->sport.refs, r->sport.nrefs, r->sport.lit.n);
	empty_refs(c, r, rn, "dport", r->dport.refs, r->dport.nrefs, r->dport.lit.n);

	/* compile.c splits a rule by family only when one of these is there */
	if (!r->src.present && !r->dst.present && !r->has_icmp_type)
		return;
	F.src = field_fams(&r->src);
	F.dst = field_fams(&r->dst);
	F.protos = r->protos;
	F.icmp_type = r->has_icmp_type;
	F.icmp = ((r->protos & P_ICMP) ? FAM_V4 : 0) | ((r->protos & P_ICMPV6) ? FAM_V6 : 0);
	F.kept = F.src & F.dst & (F.icmp_type ? F.icmp : FAM_V4 | FAM_V6);
	for (unsigned f = FAM_V4; f <= FAM_V6; f <<= 1)
		if (!protos_in(r->protos, f))
			F.kept &= ~f;
	if (!F.kept)
		return; /* the whole rule never matches: an error of its own */
	lost_addrs(c, r, rn, "src", &r->src, &F);
	lost_addrs(c, r, rn, "dst", &r->dst, &F);
	lost_protos(c, r, rn, &F);
}
