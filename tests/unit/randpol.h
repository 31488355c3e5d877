/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TESTS_RANDPOL_H
#define VIGIL_TESTS_RANDPOL_H

/*
 * Random policies of mixed shapes and random packets near their values,
 * from a seed: the property tests of the decision trees (test_dispatch.c)
 * and their sample with real packets (tests/netns/dispatch.sh, through
 * tests/netns/evalpkt.c) use the same generator.
 */

#include <stdbool.h>

#include "vigil/eval.h"

struct randpol_opts {
	unsigned min_rules, max_rules;
	/* only what a netns test can send: input chain, tcp and udp, no
	 * source ports, interfaces from ifaces[], sources from src4[]/src6[] */
	bool netns;
	const char *const *ifaces;   /* netns: the host's interface names */
	unsigned nifaces;
	const char *const *src4, *const *src6; /* netns: the client's addresses */
	unsigned nsrc4, nsrc6;
};

/* A policy as YAML text (caller frees). */
char *randpol_policy(unsigned *seed, const struct randpol_opts *o);

/* A small change of a randpol_policy policy (caller frees): one to three
 * of a rule removed, a rule inserted, two rules swapped, a set's elements
 * replaced (from another random policy drawn from the same seed); and one
 * time in four the chains' defaults changed. */
char *randpol_mutate(unsigned *seed, const char *yaml, const struct randpol_opts *o);

/* A packet whose fields come from the pools the policies draw on, and
 * values next to them. */
void randpol_packet(unsigned *seed, const struct randpol_opts *o, struct ir_pkt *p);

/* Formats a packet for messages (static buffer). */
const char *randpol_pkt_str(const struct ir_pkt *p);

#endif
