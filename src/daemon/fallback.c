// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fail-closed fallback: what vigild watch applies when the configured
 * policy cannot be applied and there is no last-known-good (vigild(8),
 * FAILURE MODES). Closed, but not bricking a remote machine: established
 * and related traffic, loopback and IPv6 neighbour discovery are the
 * compiler's built-in rules; these add the ICMP a network needs and SSH.
 * It is compiled by the same checker as any policy (a unit test keeps it
 * valid), so it is verified by the helper like any batch.
 */
#include "daemon.h"

const char daemon_fallback_policy[] =
	"version: 1\n"
	"defaults:\n"
	"  input: drop\n"
	"  forward: drop\n"
	"  output: accept\n"
	"rules:\n"
	"  - name: fallback-ssh\n"
	"    chain: input\n"
	"    proto: tcp\n"
	"    dport: 22\n"
	"    action: accept\n"
	"    comment: \"vigild fail-closed fallback: keeps remote access\"\n"
	"  - name: fallback-icmp\n"
	"    chain: input\n"
	"    proto: icmp\n"
	"    icmp-type: [destination-unreachable, time-exceeded, parameter-problem, echo-request]\n"
	"    action: accept\n"
	"  - name: fallback-icmpv6\n"
	"    chain: input\n"
	"    proto: icmpv6\n"
	"    icmp-type: [destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request]\n"
	"    action: accept\n";
