#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Large tables share their lists (src/core/ir/lists.c): a policy of 300
# rules with port lists (10 distinct) compiles its 600 anonymous sets
# into one named set per distinct list. On the real kernel: the table
# holds those sets and no anonymous one, `vigild diff` finds nothing to
# change, and real packets (IPv4 and IPv6) meet what the rules say: a
# port of the client rule's shared list is answered, a port of another
# rule's list is not.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new H host || bail_out "cannot create the host namespace"
ns_new C client || bail_out "cannot create the client namespace"
veth "$H" vh0 "$C" vc0 || bail_out "cannot create the veth pair"
addr "$H" vh0 10.71.0.1/24 && addr "$H" vh0 fd71::1/64 &&
	addr "$C" vc0 10.71.0.2/24 && addr "$C" vc0 fd71::2/64 || bail_out "cannot add addresses"
serve "$H" tcp 1003 1004 2003 || bail_out "cannot start the servers"

{
	echo "version: 1"
	echo "defaults: {input: drop}"
	echo "rules:"
	for i in $(seq 0 299); do
		# src and dst in turn, so that the rules do not merge into a map
		f=src
		[ $((i % 2)) = 1 ] && f=dst
		echo "  - {name: r$i, chain: input, proto: tcp, $f: 10.$((100 + i / 256)).$((i % 256)).0/24, dport: [$((1000 + i % 10)), $((2000 + i % 10))], action: accept}"
	done
	echo "  - {name: client, chain: input, proto: tcp, src: [10.71.0.2, \"fd71::2\"], dport: [1003, 2003], action: accept}"
} >"$TMP/big.yml"
chmod 644 "$TMP/big.yml"

check "vigild apply of 301 rules with lists" vapply "$H" "$TMP/big.yml"
ip netns exec "$H" nft list table inet vigil >"$TMP/table" || bail_out "nft list"
nlists=$(grep -cE '^	set list\.[0-9a-f]{16} \{' "$TMP/table")
nanon=$(grep -E 'comment "(r[0-9]+|client)"$' "$TMP/table" | grep -c 'dport {')
diag "named lists: $nlists, rules with an inline list: $nanon"
# 10 port lists (the client's is r3's) and the built-in ICMPv6 neighbour list
check "one named set per distinct list (11), no rule with an inline list" \
	[ "$nlists" -eq 11 ] && [ "$nanon" -eq 0 ]
check "the client rule and r3 look up the same set" \
	bash -c "s=\$(grep 'comment \"client\"\$' '$TMP/table' | grep -o '@list\.[0-9a-f]*' | sort -u) &&
		[ -n \"\$s\" ] && grep 'comment \"r3\"\$' '$TMP/table' | grep -qF \"\$s\""
run "$TMP/diff" ip netns exec "$H" "$VIGILD" diff "$TMP/big.yml"
check "vigild diff: no difference, a delta of 0 messages" \
	bash -c "test $RC = 0 && grep -q '^no difference' '$TMP/diff.out' && grep -q '^delta: 0 messages ' '$TMP/diff.out'"

probe() { # EXPECT DST PORT
	local out rc
	out=$(ip netns exec "$C" "$NETTOOL" probe tcp "$2" "$3" 1000 2>&1)
	rc=$?
	case $1/$rc in
	accept/0 | drop/1) return 0 ;;
	esac
	diag "tcp to $2:$3: expected $1, nettool: $out"
	return 1
}
check "IPv4: the client's list {1003, 2003} is answered" probe accept 10.71.0.1 1003
check "IPv4: ... 2003 too" probe accept 10.71.0.1 2003
check "IPv4: 1004 (r4's list, not the client's) is dropped" probe drop 10.71.0.1 1004
check "IPv6: 2003 is answered" probe accept fd71::1 2003
check "IPv6: 1004 is dropped" probe drop fd71::1 1004

done_testing
