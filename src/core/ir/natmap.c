// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port forwards as lookups (issue 15): a run of at least IR_NATMAP_MIN
 * (ir_opts.natmap_min) consecutive dnat entries of one shape becomes
 *
 *   prerouting: iifname "wan0" meta nfproto ipv4 meta l4proto udp counter
 *               dnat ip to udp dport map @natmap.N
 *   forward:    ct status dnat iifname "wan0" ip daddr . udp dport
 *               @dnatfwd.N accept          (entries with accept only)
 *
 * instead of one rule per entry in each chain, so that a new connection
 * costs one lookup however many ports are forwarded.
 *
 * The shape: a dnat entry with exactly one protocol of tcp, udp and sctp,
 * one destination port (a literal, no set), no source, destination,
 * source port or output interface, at most one input interface name,
 * and a target of one address and one port. Entries of a run have the
 * same protocol, input interface and target family.
 *
 * Why the prerouting rule decides as the entries' rules did: each of
 * those rules is the run's common matches plus `PROTO dport P`, and ends
 * in its translation (a nat statement ends the walk: nft_nat_eval sets
 * the verdict). A run holds no port twice (a later entry with a port
 * already in the run ends it), so at most one rule of the run matches a
 * packet; the map's lookup finds exactly that entry's element, or none
 * (the lookup breaks the rule, and the walk goes on to the next rule, as
 * it would after the run's last rule). The run is in the place of its
 * first entry and keeps the entries around it in order.
 *
 * The forward rule: accept rules that differ only in the destination
 * address and port and have no other statement accept exactly the union
 * of what each accepts, in any order; they are consecutive (all forward
 * accepts are, right after the built-in rules), so a set of the targets
 * (address . port) looked up once is the same. Duplicate targets become
 * one element.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

static size_t natmap_min(const struct lower *L)
{
	return L->opts->natmap_min ? L->opts->natmap_min : IR_NATMAP_MIN;
}

bool natmap_entry(const struct pnat *n)
{
	const struct prule *m = &n->m;

	return n->action == NAT_DNAT && (n->fam == AF_V4 || n->fam == AF_V6) &&
	       n->addr_lo == n->addr_hi && n->has_port && n->port_lo == n->port_hi &&
	       (m->protos == P_TCP || m->protos == P_UDP || m->protos == P_SCTP) &&
	       m->dport.present && !m->dport.nrefs && m->dport.lit.n == 1 &&
	       m->dport.lit.v[0].lo == m->dport.lit.v[0].hi && !m->src.present &&
	       !m->dst.present && !m->sport.present && !m->oif.present && !m->has_icmp_type &&
	       (!m->iif.present || m->iif.n == 1);
}

static bool same_shape(const struct pnat *a, const struct pnat *b)
{
	if (a->fam != b->fam || a->m.protos != b->m.protos || a->m.iif.present != b->m.iif.present)
		return false;
	return !a->m.iif.present || streq(a->m.iif.names[0], b->m.iif.names[0]);
}

static uint16_t dport_of(const struct pnat *n)
{
	return (uint16_t)n->m.dport.lit.v[0].lo;
}

/* The end of the run that starts at entry i (exclusive), or i when no
 * run of at least min entries starts there. */
static size_t prerouting_run(const struct policy *pol, size_t i, size_t min)
{
	static uint8_t seen[65536 / 8];
	size_t j = i;

	if (!natmap_entry(&pol->nats[i]))
		return i;
	while (j < pol->nnats && natmap_entry(&pol->nats[j]) &&
	       same_shape(&pol->nats[i], &pol->nats[j])) {
		uint16_t p = dport_of(&pol->nats[j]);
		if (seen[p / 8] & (1u << (p % 8)))
			break; /* a port the run holds: this entry never matches, the run ends */
		seen[p / 8] |= (uint8_t)(1u << (p % 8));
		j++;
	}
	for (size_t k = i; k < j; k++)
		seen[dport_of(&pol->nats[k]) / 8] = 0;
	return j - i >= min ? j : i;
}

static unsigned count_sets(const struct ir_table *t, const char *prefix)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->nsets; i++)
		if (t->sets[i]->name && !strncmp(t->sets[i]->name, prefix, strlen(prefix)))
			n++;
	return n;
}

static void link_set(struct ir_table *t, struct ir_set *s, size_t elems)
{
	t->sets = xreallocarray(t->sets, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	t->nelems += elems;
}

/* Drops r's matches on key k (and k2). */
static void drop_matches(struct ir_rule *r, enum ir_key k, enum ir_key k2)
{
	size_t w = 0;

	for (size_t i = 0; i < r->nm; i++) {
		if (r->m[i].key == k || r->m[i].key == k2) {
			ir_match_free(&r->m[i]);
			continue;
		}
		r->m[w++] = r->m[i];
	}
	r->nm = w;
}

static char *run_comment(const char *what, const char *first, const char *last)
{
	return xasprintf(IR_BUILTIN_PREFIX "%s %s .. %s", what, first, last);
}

/* Entries [i, j) of the policy: one map lookup in prerouting chain pre. */
static void natmap_rule(struct lower *L, size_t pre, size_t i, size_t j)
{
	const struct pnat *n = &L->pol->nats[i];
	struct ir_chain *ch = &L->t->chains[pre];
	size_t at = ch->n;
	struct ir_set *s;
	struct ir_rule *r;
	uint8_t l4 = 0;

	L->nat = n;
	L->nat_chain = pre;
	L->nat_fams = n->fam == AF_V4 ? 1 : 2;
	lower_rule(L, &n->m);
	L->nat = NULL;
	/* the entry's one rule: its port compare becomes the protocol's
	 * (the dependency `udp dport` implied), the map keys on the port */
	r = &L->t->chains[pre].rules[at];
	for (size_t k = 0; k < r->nm; k++)
		if (r->m[k].key == K_DPORT) {
			l4 = r->m[k].l4;
			r->m[k] = (struct ir_match){ .key = K_L4PROTO, .op = OP_EQ };
			r->m[k].v.lo = r->m[k].v.hi = l4;
		}
	s = ir_set_new(L->t, K_DPORT, false);
	s->name = xasprintf("natmap.%u", count_sets(L->t, "natmap.") + 1);
	s->natmap = true;
	s->nat_fam = n->fam;
	s->nfields = 1;
	s->fields[0] = (struct ir_field){ K_DPORT, l4 };
	s->nnelems = j - i;
	s->nelems = xcalloc(s->nnelems, sizeof(*s->nelems));
	for (size_t k = i; k < j; k++) {
		const struct pnat *e = &L->pol->nats[k];
		s->nelems[k - i] = (struct ir_natelem){ dport_of(e), e->addr_lo, e->port_lo, (unsigned)k };
	}
	link_set(L->t, s, s->nnelems);
	free(r->comment);
	r->comment = run_comment("natmap", n->m.name, L->pol->nats[j - 1].m.name);
	r->nat.map = s;
}

size_t lower_natmap_run(struct lower *L, size_t pre, size_t i)
{
	size_t min = natmap_min(L), j;

	if (min == SIZE_MAX)
		return i;
	j = prerouting_run(L->pol, i, min);
	if (j > i)
		natmap_rule(L, pre, i, j);
	return j;
}

static int cmp_target(const void *a, const void *b)
{
	const struct ir_celem *x = a, *y = b;

	for (int k = 0; k < 2; k++)
		if (x->f[k].lo != y->f[k].lo)
			return x->f[k].lo < y->f[k].lo ? -1 : 1;
	return 0;
}

/* The forward accepts of entries idx[0..n): one set lookup. */
static void dnatfwd_rule(struct lower *L, const size_t *idx, size_t n)
{
	const struct pnat *first = &L->pol->nats[idx[0]];
	struct ir_chain *ch = &L->t->chains[CH_FORWARD];
	size_t at = ch->n, w = 0;
	bool v4 = first->fam == AF_V4;
	struct ir_match m = { .key = v4 ? K_IP_DADDR : K_IP6_DADDR, .op = OP_SET };
	struct ir_set *s;
	struct ir_rule *r;

	lower_nat_accept(L, first);
	r = &L->t->chains[CH_FORWARD].rules[at];
	s = ir_set_new(L->t, m.key, false);
	s->name = xasprintf("dnatfwd.%u", count_sets(L->t, "dnatfwd.") + 1);
	s->nfields = 2;
	s->fields[0] = (struct ir_field){ m.key, 0 };
	for (size_t k = 0; k < r->nm; k++)
		if (r->m[k].key == K_DPORT)
			s->fields[1] = (struct ir_field){ K_DPORT, r->m[k].l4 };
	drop_matches(r, m.key, K_DPORT);
	s->celems = xcalloc(n, sizeof(*s->celems));
	for (size_t k = 0; k < n; k++) {
		const struct pnat *e = &L->pol->nats[idx[k]];
		s->celems[k].f[0] = (struct ival){ e->addr_lo, e->addr_lo };
		s->celems[k].f[1] = (struct ival){ e->port_lo, e->port_lo };
	}
	qsort(s->celems, n, sizeof(*s->celems), cmp_target);
	for (size_t k = 0; k < n; k++)
		if (!w || cmp_target(&s->celems[w - 1], &s->celems[k]))
			s->celems[w++] = s->celems[k];
	s->ncelems = w;
	link_set(L->t, s, w);
	m.set = s;
	lower_rule_add_match(r, &m);
	free(r->comment);
	r->comment = run_comment("dnat", first->m.name, L->pol->nats[idx[n - 1]].m.name);
}

void lower_nat_accepts(struct lower *L)
{
	const struct policy *pol = L->pol;
	size_t *acc = xcalloc(pol->nnats + 1, sizeof(*acc)), nacc = 0, min = natmap_min(L);

	for (size_t i = 0; i < pol->nnats; i++)
		if (pol->nats[i].action == NAT_DNAT && pol->nats[i].accept)
			acc[nacc++] = i;
	for (size_t a = 0; a < nacc;) {
		const struct pnat *n = &pol->nats[acc[a]];
		size_t b = a + 1;
		if (min != SIZE_MAX && natmap_entry(n))
			while (b < nacc && natmap_entry(&pol->nats[acc[b]]) &&
			       same_shape(n, &pol->nats[acc[b]]))
				b++;
		if (min != SIZE_MAX && b - a >= min) {
			dnatfwd_rule(L, &acc[a], b - a);
			a = b;
			continue;
		}
		lower_nat_accept(L, n);
		a++;
	}
	free(acc);
}
